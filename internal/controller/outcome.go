package controller

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// outcomeKind is how a step of an account's sync ended, or that a session began. A
// new kind is a constant here, a row in outcomeRows and a case in
// TestOutcomeConditions, which fails until both exist.
type outcomeKind int

const (
	// outcomeSynced: a complete listing was written and pruned (reason Synced, or
	// ListingShort when a list came up short of the remote's total).
	outcomeSynced outcomeKind = iota
	// outcomePruneHeldBack: a complete listing was written, but the prune guard held
	// its deletes back.
	outcomePruneHeldBack
	// outcomeCeilingReached: a complete listing was written, but spec.maxMirrors left
	// some remote items without a mirror.
	outcomeCeilingReached
	// outcomePlanned: a Plan-mode listing produced status.plan; nothing was written.
	outcomePlanned
	// outcomeStalled: retrying soon will not help (credentials, configuration).
	outcomeStalled
	// outcomeRetrying: transient trouble; the session resumes where it stopped.
	outcomeRetrying
	// outcomeRateLimited: the remote API asked to wait; the session resumes at the
	// refused page.
	outcomeRateLimited
	// outcomeSuspended: spec.suspend is set.
	outcomeSuspended
	// outcomeProgressing: a session began that the account must show in progress (a
	// first sync, a new generation, a plan of a new generation).
	outcomeProgressing

	outcomeKinds // how many kinds there are; keep it last
)

// Messages carry remote-controlled text (an origin, an environment, a name), so they
// are cut here, the one place they leave: a condition message past the CRD's 32768
// characters would fail every status write, and an event note may hold 1 KiB.
const (
	maxConditionMessage = 32000
	maxEventNote        = 1000
)

// outcome is one step's verdict on the account. Only accountConditions turns it into
// conditions, and only record into an event.
type outcome struct {
	kind    outcomeKind
	reason  string
	message string
	// event is the note of the event the outcome sends; empty when it sends none (its
	// kind sends none, or this outage or wait was announced already).
	event string
}

// change is what an outcome does to one condition type.
type change struct {
	op     changeOp
	status metav1.ConditionStatus
	// reason, when set, replaces the outcome's reason, and the message is empty.
	reason string
}

type changeOp int

const (
	opKeep         changeOp = iota // leave the condition as it is
	opSet                          // set it
	opSetIfPresent                 // set it where the account already has it
	opRemove                       // remove it
)

var (
	keep    = change{op: opKeep}
	drop    = change{op: opRemove}
	isTrue  = change{op: opSet, status: metav1.ConditionTrue}
	isFalse = change{op: opSet, status: metav1.ConditionFalse}
	// notRateLimited says the remote API is not limiting the account.
	notRateLimited = change{op: opSet, status: metav1.ConditionFalse, reason: v1alpha1.ReasonNotRateLimited}
	// noLongerRateLimited says so only on an account that was told to wait before.
	noLongerRateLimited = change{op: opSetIfPresent, status: metav1.ConditionFalse, reason: v1alpha1.ReasonNotRateLimited}
)

// Event actions: what the operator was doing.
const (
	actionSync  = "Sync"
	actionPrune = "Prune"
	actionPlan  = "Plan"
)

// outcomeRow is what one kind of outcome does to the account's conditions, and the
// type and action of the event it sends.
type outcomeRow struct {
	ready, stalled, reconciling, rateLimited change
	eventType, action                        string
}

// outcomeRows is the one table of the account's conditions. Ready and Stalled keep
// their verdict while a session runs or waits on a rate limit, so health does not
// flap on a retry; Reconciling stays from a session's start until its outcome.
var outcomeRows = map[outcomeKind]outcomeRow{
	outcomeSynced:         {ready: isTrue, stalled: drop, reconciling: drop, rateLimited: notRateLimited},
	outcomePruneHeldBack:  {ready: isFalse, stalled: drop, reconciling: drop, rateLimited: notRateLimited, eventType: corev1.EventTypeWarning, action: actionPrune},
	outcomeCeilingReached: {ready: isFalse, stalled: drop, reconciling: drop, rateLimited: notRateLimited, eventType: corev1.EventTypeWarning, action: actionSync},
	outcomePlanned:        {ready: isTrue, stalled: drop, reconciling: drop, rateLimited: notRateLimited, eventType: corev1.EventTypeNormal, action: actionPlan},
	outcomeStalled:        {ready: isFalse, stalled: isTrue, reconciling: drop, rateLimited: noLongerRateLimited, eventType: corev1.EventTypeWarning, action: actionSync},
	// The trouble now is transient: an earlier verdict on credentials or
	// configuration (Stalled) or a rate limit no longer describes the account.
	outcomeRetrying:    {ready: isFalse, stalled: drop, reconciling: keep, rateLimited: noLongerRateLimited, eventType: corev1.EventTypeWarning, action: actionSync},
	outcomeRateLimited: {ready: keep, stalled: keep, reconciling: keep, rateLimited: isTrue, eventType: corev1.EventTypeWarning, action: actionSync},
	// Suspended clears what only a running sync shows.
	outcomeSuspended:   {ready: keep, stalled: keep, reconciling: drop, rateLimited: drop},
	outcomeProgressing: {ready: keep, stalled: keep, reconciling: isTrue, rateLimited: keep},
}

// accountConditions applies an outcome to an account's conditions, from outcomeRows.
// The order is fixed (Ready, Stalled, Reconciling, RateLimited), so a condition new
// to the account is appended in the same place whatever the outcome.
func accountConditions(conds *[]metav1.Condition, generation int64, o outcome) {
	row := outcomeRows[o.kind]
	for _, c := range []struct {
		condType string
		change   change
	}{
		{v1alpha1.ConditionReady, row.ready},
		{v1alpha1.ConditionStalled, row.stalled},
		{v1alpha1.ConditionReconciling, row.reconciling},
		{v1alpha1.ConditionRateLimited, row.rateLimited},
	} {
		c.change.apply(conds, c.condType, generation, o)
	}
}

func (c change) apply(conds *[]metav1.Condition, condType string, generation int64, o outcome) {
	switch c.op {
	case opKeep:
		return
	case opRemove:
		meta.RemoveStatusCondition(conds, condType)
		return
	case opSetIfPresent:
		if meta.FindStatusCondition(*conds, condType) == nil {
			return
		}
	}
	reason, msg := o.reason, cloud.Truncate(o.message, maxConditionMessage)
	if c.reason != "" {
		reason, msg = c.reason, ""
	}
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: condType, Status: c.status, Reason: reason, Message: msg, ObservedGeneration: generation,
	})
}

// record puts an outcome on the account: its conditions, and its event if it sends one.
func (r *CloudAccountReconciler) record(acct *v1alpha1.CloudAccount, o outcome) {
	accountConditions(&acct.Status.Conditions, acct.Generation, o)
	if row := outcomeRows[o.kind]; row.eventType != "" && o.event != "" {
		r.Recorder.Eventf(acct, nil, row.eventType, o.reason, row.action, "%s", cloud.Truncate(o.event, maxEventNote))
	}
}
