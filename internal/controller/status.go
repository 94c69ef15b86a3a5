package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	ctrl "sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/metrics"
)

// The account's status for each outcome of a reconcile's sync: the fields beside
// the conditions (which come from outcomeRows), the metrics, and when to come back.
// None fails the reconcile.

// retryBackoff spaces the retries of a session paused by remote failures.
var retryBackoff = cloud.Backoff{Base: 5 * time.Second, Cap: 5 * time.Minute}

// stalled records a problem that retrying soon will not fix (credentials, configuration):
// Ready=False and Stalled=True, one Warning event, and a retry on the sync interval —
// not a hot loop. A Secret or spec change retries at once.
func (r *CloudAccountReconciler) stalled(acct *v1alpha1.CloudAccount, class errorClass, err error) ctrl.Result {
	msg := err.Error()
	acct.Status.ObservedGeneration = acct.Generation
	acct.Status.LastHandledSyncRequest = syncRequest(acct)
	r.record(acct, outcome{kind: outcomeStalled, reason: class.reason, message: msg, event: msg})
	wait := nextInterval(acct)
	next := metav1.NewTime(time.Now().Add(wait).Truncate(time.Second))
	acct.Status.NextSyncTime = &next
	return ctrl.Result{RequeueAfter: wait}
}

// failed ends a session that cannot go on: Stalled, and a retry from page one on the
// sync interval. Nothing is pruned.
func (r *CloudAccountReconciler) failed(acct *v1alpha1.CloudAccount, session *syncSession, class errorClass, err error) ctrl.Result {
	metrics.SyncDuration.WithLabelValues(string(acct.Spec.Provider), "failed").Observe(time.Since(session.started).Seconds())
	result := r.stalled(acct, class, err)
	acct.Status.LastHandledSyncRequest = session.syncRequest
	result.RequeueAfter = untilRequested(acct, session, result.RequeueAfter)
	return result
}

// rateLimited parks the session: the requeue resumes it at the refused page.
func (r *CloudAccountReconciler) rateLimited(acct *v1alpha1.CloudAccount, session *syncSession, rl *cloud.RateLimitedError) ctrl.Result {
	provider := string(acct.Spec.Provider)
	metrics.RateLimitWaits.WithLabelValues(provider, acct.Name).Inc()
	metrics.RateLimitWaitSeconds.WithLabelValues(provider).Observe(rl.Wait.Seconds())
	// A zero wait (Retry-After: 0, or a reset already past by our clock) would make
	// controller-runtime forget the item: the session would never resume.
	wait := max(rl.Wait, time.Second)
	session.resumeAt = time.Now().Add(wait)
	resume := metav1.NewTime(session.resumeAt.Truncate(time.Second))
	acct.Status.NextSyncTime = &resume
	o := outcome{kind: outcomeRateLimited, reason: v1alpha1.ReasonRateLimited,
		message: "the remote API asked to wait; the sync resumes at the refused page at nextSyncTime"}
	if !session.rateLimitAnnounced {
		session.rateLimitAnnounced = true
		o.event = fmt.Sprintf("the remote API asked to wait %s; the sync resumes at the refused page", rl.Wait.Round(time.Second))
	}
	r.record(acct, o)
	return ctrl.Result{RequeueAfter: wait}
}

// retrying handles transient trouble (a remote 5xx or timeout after the client's own
// tries, an API-server write that failed): the session is kept and retried with
// capped, jittered backoff from the page that failed. Nothing is pruned meanwhile.
// what says what stopped ("listing incomplete, nothing pruned", "prune failed").
func (r *CloudAccountReconciler) retrying(ctx context.Context, acct *v1alpha1.CloudAccount, session *syncSession, what string, err error) ctrl.Result {
	session.failures++
	wait := retryBackoff.Delay(session.failures)
	session.resumeAt = time.Now().Add(wait)
	logf.FromContext(ctx).Error(err, "sync paused; it resumes where it stopped", "retryIn", wait.Round(time.Millisecond), "failures", session.failures)
	retry := metav1.NewTime(session.resumeAt.Truncate(time.Second))
	acct.Status.NextSyncTime = &retry
	acct.Status.LastHandledSyncRequest = session.syncRequest
	o := outcome{kind: outcomeRetrying, reason: v1alpha1.ReasonRemoteError,
		message: what + "; retrying where it stopped at nextSyncTime: " + err.Error()}
	if session.failures == 1 { // one event per outage, not one per retry
		o.event = o.message
	}
	r.record(acct, o)
	return ctrl.Result{RequeueAfter: wait}
}

// finished records a session whose listing and prune are done: the write strategy
// (a sync or a plan) fills in its part of the status and names the outcome.
func (r *CloudAccountReconciler) finished(acct *v1alpha1.CloudAccount, session *syncSession, writes mirrorWrites, prune pruneOutcome) ctrl.Result {
	now := time.Now()
	wait := nextInterval(acct)
	acct.Status.NextSyncTime = &metav1.Time{Time: now.Add(wait).Truncate(time.Second)}
	acct.Status.LastHandledSyncRequest = session.syncRequest
	r.record(acct, writes.finish(acct, session, prune, now))
	r.reportListing(acct, session)
	// The listing worked: an alert on listings that stop succeeding must not fire.
	metrics.LastSuccessfulSync.WithLabelValues(acct.Name).Set(float64(now.Unix()))
	return ctrl.Result{RequeueAfter: untilRequested(acct, session, wait)}
}

// syncedStatus records a sync's counts and timing and names its outcome.
func syncedStatus(acct *v1alpha1.CloudAccount, session *syncSession, prune pruneOutcome, now time.Time) outcome {
	took := now.Sub(session.started)
	orgs, ccs := session.mirrored()
	acct.Status.LastSyncTime = &metav1.Time{Time: now.Truncate(time.Second)}
	acct.Status.LastSyncDuration = &metav1.Duration{Duration: took.Round(time.Millisecond)}
	acct.Status.Organizations = orgs
	acct.Status.ConnectClusters = ccs
	acct.Status.Plan = nil // applied, or overtaken by this sync

	metrics.SyncDuration.WithLabelValues(string(acct.Spec.Provider), "complete").Observe(took.Seconds())
	metrics.MirroredObjects.WithLabelValues(kindOrganization, acct.Name).Set(float64(orgs))
	metrics.MirroredObjects.WithLabelValues(kindConnectCluster, acct.Name).Set(float64(ccs))
	for kind, byState := range session.states() {
		counts := make(map[string]int, len(byState))
		for state, n := range byState {
			counts[string(state)] = n
		}
		metrics.MirrorStatesOf(acct.Name, kind, counts)
	}

	capped := ceilingMessage(acct, session)
	cappedOrgs, cappedCCs := session.capped.counts()
	metrics.MirrorCeilingExcluded.WithLabelValues(acct.Name).Set(float64(cappedOrgs + cappedCCs))

	switch {
	case prune.heldBack != "" && capped != "":
		// One reason only: the held-back deletes need a decision, and the ceiling's
		// note rides along so it is not lost.
		both := prune.heldBack + "; " + capped
		return outcome{kind: outcomePruneHeldBack, reason: v1alpha1.ReasonPruneHeldBack, message: both, event: both}
	case prune.heldBack != "":
		return outcome{kind: outcomePruneHeldBack, reason: v1alpha1.ReasonPruneHeldBack, message: prune.heldBack, event: prune.heldBack}
	case capped != "":
		return outcome{kind: outcomeCeilingReached, reason: v1alpha1.ReasonMirrorCeilingReached,
			message: capped + "; " + syncedMessage(session, prune), event: capped}
	case len(session.shortfalls) > 0:
		return outcome{kind: outcomeSynced, reason: v1alpha1.ReasonListingShort, message: syncedMessage(session, prune)}
	}
	return outcome{kind: outcomeSynced, reason: v1alpha1.ReasonSynced, message: syncedMessage(session, prune)}
}

// plannedStatus records a Plan-mode listing in status.plan, which says what a sync
// would do, and names its outcome. Nothing was written to any mirror.
func plannedStatus(acct *v1alpha1.CloudAccount, session *syncSession, p *planTally, prune pruneOutcome, now time.Time) outcome {
	acct.Status.Plan = &v1alpha1.PlanStatus{
		ObservedGeneration: acct.Generation,
		PlannedTime:        &metav1.Time{Time: now.Truncate(time.Second)},
		Creates:            clampInt32(p.creates.count),
		Updates:            clampInt32(p.updates.count),
		Deletes:            clampInt32(p.deletes.count),
		PruneHeldBack:      p.heldBack,
		Unconfirmed:        clampInt32(prune.unconfirmed),
		SampleCreates:      p.creates.sample,
		SampleUpdates:      p.updates.sample,
		SampleDeletes:      p.deletes.sample,
	}
	metrics.SyncDuration.WithLabelValues(string(acct.Spec.Provider), "planned").Observe(now.Sub(session.started).Seconds())
	msg := fmt.Sprintf("plan: a sync would create %d, update %d and delete %d mirrors", p.creates.count, p.updates.count, p.deletes.count)
	if p.heldBack {
		msg += "; the prune guard would hold the deletes back (" + prune.heldBack + ")"
	}
	if capped := ceilingMessage(acct, session); capped != "" {
		msg += "; " + capped
	}
	msg += listingNotes(session, prune) + "; nothing was written: set spec.mode to Sync to apply"
	return outcome{kind: outcomePlanned, reason: v1alpha1.ReasonPlanned, message: msg, event: msg}
}

// recordConditions exports the account's conditions and interval as metrics, for
// alerts: they change with every status change, written or not.
func recordConditions(acct *v1alpha1.CloudAccount) {
	conds := make([]metrics.Condition, 0, len(acct.Status.Conditions))
	for _, c := range acct.Status.Conditions {
		conds = append(conds, metrics.Condition{Type: c.Type, Status: string(c.Status), Reason: c.Reason})
	}
	metrics.AccountConditions(acct.Name, syncInterval(acct).Seconds(), conds)
}

// syncedMessage is the Ready message of a complete sync.
func syncedMessage(session *syncSession, prune pruneOutcome) string {
	orgs, ccs := session.mirrored()
	msg := fmt.Sprintf("mirrored %d organizations and %d connect clusters", orgs, ccs)
	if o, c := session.skipped.counts(); o+c > 0 {
		msg += fmt.Sprintf("; %d remote items skipped because they could not be stored (see events)", o+c)
	}
	return msg + listingNotes(session, prune)
}

// listingNotes says what made a listing incomplete or odd, for the Ready message.
func listingNotes(session *syncSession, prune pruneOutcome) string {
	var msg string
	for _, s := range session.shortfalls {
		msg += "; " + s.String()
	}
	if session.repeated > 0 {
		msg += fmt.Sprintf("; %d remote items were listed more than once and mirrored once", session.repeated)
	}
	if prune.unconfirmed > 0 {
		why := "paused part-way"
		if len(session.shortfalls) > 0 {
			why = "short of the remote's total"
		}
		msg += fmt.Sprintf("; %d mirrors no longer listed are kept until the next complete listing confirms it (this one was %s)", prune.unconfirmed, why)
	}
	return msg
}

func (s shortfall) String() string {
	return fmt.Sprintf("%s: the listing held %d distinct items where the remote's total says %d, so nothing it missed was pruned on its word alone", s.what, s.listed, s.total)
}

// reportListing sends one event for each thing that made the listing odd.
func (r *CloudAccountReconciler) reportListing(acct *v1alpha1.CloudAccount, session *syncSession) {
	for _, s := range session.shortfalls {
		r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, v1alpha1.ReasonListingShort, actionSync, "%s", s.String())
	}
	if session.repeated > 0 {
		r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, v1alpha1.ReasonDuplicateRemoteItems, actionSync,
			"%d remote items were listed more than once (items moved between pages); each is mirrored once", session.repeated)
	}
}

// untilRequested shortens a requeue when a sync-now request came in while the session
// ran: the session was marked as handling the request it started under, not that one.
func untilRequested(acct *v1alpha1.CloudAccount, session *syncSession, wait time.Duration) time.Duration {
	if syncRequest(acct) != session.syncRequest {
		return time.Second
	}
	return wait
}

// progressing is the outcome of starting a session, when the account must show it:
// Reconciling until the first complete sync, after a spec change until the new
// generation has synced (or, in Plan mode, been planned) once.
func progressing(acct *v1alpha1.CloudAccount) (outcome, bool) {
	var msg string
	switch {
	case acct.Spec.Mode == v1alpha1.ModePlan:
		if p := acct.Status.Plan; p == nil || p.ObservedGeneration != acct.Generation {
			msg = fmt.Sprintf("planning generation %d", acct.Generation)
		}
	case acct.Status.LastSyncTime == nil:
		msg = "first sync in progress"
	case acct.Status.ObservedGeneration != acct.Generation:
		msg = fmt.Sprintf("syncing generation %d", acct.Generation)
	}
	return outcome{kind: outcomeProgressing, reason: v1alpha1.ReasonProgressing, message: msg}, msg != ""
}

// suspended records a suspended account: no sync is scheduled.
func (r *CloudAccountReconciler) suspended(acct *v1alpha1.CloudAccount) {
	acct.Status.NextSyncTime = nil
	acct.Status.ObservedGeneration = acct.Generation
	r.record(acct, outcome{kind: outcomeSuspended})
}

// recordRateLimit copies the budget's last figures into the status.
func recordRateLimit(acct *v1alpha1.CloudAccount, budget *cloud.Budget) {
	f, blockedUntil := budget.Figures()
	if f.Observed.IsZero() {
		return
	}
	rl := &v1alpha1.RateLimitStatus{ObservedTime: &metav1.Time{Time: f.Observed.Truncate(time.Second)}}
	if f.Limit >= 0 {
		rl.Limit = ptr.To(clampInt32(f.Limit))
	}
	if f.Remaining >= 0 {
		rl.Remaining = ptr.To(clampInt32(f.Remaining))
	}
	if !f.Reset.IsZero() {
		rl.ResetTime = &metav1.Time{Time: f.Reset.Truncate(time.Second)}
	}
	if blockedUntil.After(time.Now()) {
		rl.WaitUntil = &metav1.Time{Time: blockedUntil.Truncate(time.Second)}
	}
	acct.Status.RateLimit = rl
}

func clampInt32(v int) int32 { return int32(min(v, 1<<31-1)) }
