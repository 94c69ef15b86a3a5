package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	ctrl "sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/metrics"
)

// The outcomes of a reconcile's sync. Each records itself in the account's status,
// events and metrics, and returns when to come back; none fails the reconcile.

// retryBackoff spaces the retries of a session paused by remote failures.
var retryBackoff = cloud.Backoff{Base: 5 * time.Second, Cap: 5 * time.Minute}

// stalled records a problem that retrying soon will not fix (credentials, configuration):
// Ready=False and Stalled=True, one Warning event, and a retry on the sync interval —
// not a hot loop. A Secret or spec change retries at once.
func (r *CloudAccountReconciler) stalled(acct *v1alpha1.CloudAccount, reason string, err error) ctrl.Result {
	msg := err.Error()
	if meta.FindStatusCondition(acct.Status.Conditions, v1alpha1.ConditionRateLimited) != nil {
		setCondition(acct, v1alpha1.ConditionRateLimited, false, v1alpha1.ReasonNotRateLimited, "")
	}
	acct.Status.ObservedGeneration = acct.Generation
	acct.Status.LastHandledSyncRequest = syncRequest(acct)
	setCondition(acct, v1alpha1.ConditionReady, false, reason, msg)
	setCondition(acct, v1alpha1.ConditionStalled, true, reason, msg)
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionReconciling)
	wait := nextInterval(acct)
	next := metav1.NewTime(r.clock().Add(wait).Truncate(time.Second))
	acct.Status.NextSyncTime = &next
	r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, reason, "Sync", "%s", msg)
	return ctrl.Result{RequeueAfter: wait}
}

// failed ends a session that cannot go on: Stalled, and a retry from page one on the
// sync interval. Nothing is pruned.
func (r *CloudAccountReconciler) failed(acct *v1alpha1.CloudAccount, session *syncSession, err error) ctrl.Result {
	metrics.SyncDuration.WithLabelValues(string(acct.Spec.Provider), "failed").Observe(r.clock().Sub(session.started).Seconds())
	result := r.stalled(acct, failureReason(err), err)
	acct.Status.LastHandledSyncRequest = session.syncRequest
	result.RequeueAfter = untilRequested(acct, session, result.RequeueAfter)
	return result
}

// stopsSession says whether err ends the session: retrying soon will not fix it. A
// foreign next link, a looping token or an absurd listing (ErrUnsafe) will not fix
// itself in seconds either; retrying from page one at once would only repeat it.
func stopsSession(err error) bool {
	for _, kind := range []error{cloud.ErrUnauthorized, cloud.ErrForbidden, cloud.ErrBadRequest, cloud.ErrNotFound, cloud.ErrUnsafe, errNotLent,
		cloud.ErrOriginNotAllowed} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

// failureReason is the Ready reason for an error that stopped a session.
func failureReason(err error) string {
	switch {
	case errors.Is(err, errNotLent):
		return v1alpha1.ReasonCredentialsNotLent
	case errors.Is(err, cloud.ErrOriginNotAllowed):
		return v1alpha1.ReasonOriginNotAllowed
	case errors.Is(err, cloud.ErrUnauthorized):
		return v1alpha1.ReasonUnauthorized
	case errors.Is(err, cloud.ErrForbidden):
		return v1alpha1.ReasonForbidden
	case errors.Is(err, cloud.ErrBadRequest), errors.Is(err, cloud.ErrNotFound):
		return v1alpha1.ReasonInvalidConfiguration
	}
	return v1alpha1.ReasonRemoteError
}

// setupReason is the Ready reason for a provider that could not be built from the
// spec and Secret. A Secret without a usable key set counts as no credentials.
func setupReason(err error) string {
	if errors.Is(err, cloud.ErrCredentials) {
		return v1alpha1.ReasonCredentialsNotFound
	}
	if errors.Is(err, cloud.ErrOriginNotAllowed) {
		return v1alpha1.ReasonOriginNotAllowed
	}
	return v1alpha1.ReasonInvalidConfiguration
}

// rateLimited parks the session: the requeue resumes it at the refused page.
func (r *CloudAccountReconciler) rateLimited(acct *v1alpha1.CloudAccount, session *syncSession, rl *cloud.RateLimitedError) ctrl.Result {
	provider := string(acct.Spec.Provider)
	metrics.RateLimitWaits.WithLabelValues(provider, acct.Name).Inc()
	metrics.RateLimitWaitSeconds.WithLabelValues(provider).Observe(rl.Wait.Seconds())
	// A zero wait (Retry-After: 0, or a reset already past by our clock) would make
	// controller-runtime forget the item: the session would never resume.
	wait := max(rl.Wait, time.Second)
	session.resumeAt = r.clock().Add(wait)
	resume := metav1.NewTime(session.resumeAt.Truncate(time.Second))
	acct.Status.NextSyncTime = &resume
	msg := "the remote API asked to wait; the sync resumes at the refused page at nextSyncTime"
	setCondition(acct, v1alpha1.ConditionRateLimited, true, v1alpha1.ReasonRateLimited, msg)
	if !session.rateLimitAnnounced {
		session.rateLimitAnnounced = true
		r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, v1alpha1.ReasonRateLimited, "Sync",
			"the remote API asked to wait %s; the sync resumes at the refused page", rl.Wait.Round(time.Second))
	}
	return ctrl.Result{RequeueAfter: wait}
}

// retrying handles transient trouble (a remote 5xx or timeout after the client's own
// tries, an API-server write that failed): the session is kept and retried with
// capped, jittered backoff from the page that failed. Nothing is pruned meanwhile.
// what says what stopped ("listing incomplete, nothing pruned", "prune failed").
func (r *CloudAccountReconciler) retrying(ctx context.Context, acct *v1alpha1.CloudAccount, session *syncSession, what string, err error) ctrl.Result {
	session.failures++
	wait := retryBackoff.Delay(session.failures)
	session.resumeAt = r.clock().Add(wait)
	logf.FromContext(ctx).Error(err, "sync paused; it resumes where it stopped", "retryIn", wait.Round(time.Millisecond), "failures", session.failures)
	retry := metav1.NewTime(session.resumeAt.Truncate(time.Second))
	acct.Status.NextSyncTime = &retry
	acct.Status.LastHandledSyncRequest = session.syncRequest
	msg := what + "; retrying where it stopped at nextSyncTime: " + err.Error()
	setCondition(acct, v1alpha1.ConditionReady, false, v1alpha1.ReasonRemoteError, msg)
	// The trouble now is transient: an earlier verdict on credentials or configuration
	// (Stalled) or a rate limit no longer describes the account.
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionStalled)
	if meta.FindStatusCondition(acct.Status.Conditions, v1alpha1.ConditionRateLimited) != nil {
		setCondition(acct, v1alpha1.ConditionRateLimited, false, v1alpha1.ReasonNotRateLimited, "")
	}
	if session.failures == 1 { // one event per outage, not one per retry
		r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, v1alpha1.ReasonRemoteError, "Sync", "%s", msg)
	}
	return ctrl.Result{RequeueAfter: wait}
}

// completed records a sync whose listing and prune are done.
func (r *CloudAccountReconciler) completed(acct *v1alpha1.CloudAccount, session *syncSession, outcome pruneOutcome) ctrl.Result {
	now := r.clock()
	provider := string(acct.Spec.Provider)
	took := now.Sub(session.started)
	wait := nextInterval(acct)
	orgs, ccs := session.mirrored()
	acct.Status.LastSyncTime = &metav1.Time{Time: now.Truncate(time.Second)}
	acct.Status.LastSyncDuration = &metav1.Duration{Duration: took.Round(time.Millisecond)}
	acct.Status.NextSyncTime = &metav1.Time{Time: now.Add(wait).Truncate(time.Second)}
	acct.Status.Organizations = orgs
	acct.Status.ConnectClusters = ccs
	acct.Status.LastHandledSyncRequest = session.syncRequest
	acct.Status.Plan = nil // applied, or overtaken by this sync
	switch {
	case outcome.heldBack != "":
		setCondition(acct, v1alpha1.ConditionReady, false, v1alpha1.ReasonPruneHeldBack, outcome.heldBack)
	case ceilingMessage(acct, session) != "":
		setCondition(acct, v1alpha1.ConditionReady, false, v1alpha1.ReasonMirrorCeilingReached, ceilingMessage(acct, session)+"; "+syncedMessage(session, outcome))
	case len(session.shortfalls) > 0:
		setCondition(acct, v1alpha1.ConditionReady, true, v1alpha1.ReasonListingShort, syncedMessage(session, outcome))
	default:
		setCondition(acct, v1alpha1.ConditionReady, true, v1alpha1.ReasonSynced, syncedMessage(session, outcome))
	}
	r.reportListing(acct, session)
	r.reportCeiling(acct, session)
	setCondition(acct, v1alpha1.ConditionRateLimited, false, v1alpha1.ReasonNotRateLimited, "")
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionReconciling)
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionStalled)

	metrics.SyncDuration.WithLabelValues(provider, "complete").Observe(took.Seconds())
	metrics.MirroredObjects.WithLabelValues(kindOrganization, acct.Name).Set(float64(orgs))
	metrics.MirroredObjects.WithLabelValues(kindConnectCluster, acct.Name).Set(float64(ccs))
	metrics.LastSuccessfulSync.WithLabelValues(acct.Name).Set(float64(now.Unix()))
	for kind, byState := range session.states() {
		counts := make(map[string]int, len(byState))
		for state, n := range byState {
			counts[string(state)] = n
		}
		metrics.MirrorStatesOf(acct.Name, kind, counts)
	}
	return ctrl.Result{RequeueAfter: untilRequested(acct, session, wait)}
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
func syncedMessage(session *syncSession, outcome pruneOutcome) string {
	orgs, ccs := session.mirrored()
	msg := fmt.Sprintf("mirrored %d organizations and %d connect clusters", orgs, ccs)
	if o, c := session.skipped.counts(); o+c > 0 {
		msg += fmt.Sprintf("; %d remote items skipped because they could not be stored (see events)", o+c)
	}
	return msg + listingNotes(session, outcome)
}

// listingNotes says what made a listing incomplete or odd, for the Ready message.
func listingNotes(session *syncSession, outcome pruneOutcome) string {
	var msg string
	for _, s := range session.shortfalls {
		msg += "; " + s.String()
	}
	if session.repeated > 0 {
		msg += fmt.Sprintf("; %d remote items were listed more than once and mirrored once", session.repeated)
	}
	if outcome.unconfirmed > 0 {
		why := "paused part-way"
		if len(session.shortfalls) > 0 {
			why = "short of the remote's total"
		}
		msg += fmt.Sprintf("; %d mirrors no longer listed are kept until the next complete listing confirms it (this one was %s)", outcome.unconfirmed, why)
	}
	return msg
}

func (s shortfall) String() string {
	return fmt.Sprintf("%s: the listing held %d distinct items where the remote's total says %d, so nothing it missed was pruned on its word alone", s.what, s.listed, s.total)
}

// reportListing sends one event for each thing that made the listing odd.
func (r *CloudAccountReconciler) reportListing(acct *v1alpha1.CloudAccount, session *syncSession) {
	for _, s := range session.shortfalls {
		r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, v1alpha1.ReasonListingShort, "Sync", "%s", s.String())
	}
	if session.repeated > 0 {
		r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, v1alpha1.ReasonDuplicateRemoteItems, "Sync",
			"%d remote items were listed more than once (items moved between pages); each is mirrored once", session.repeated)
	}
}

// planned records a Plan-mode listing: status.plan says what a sync would do, and an
// event says so. Nothing was written to any mirror.
func (r *CloudAccountReconciler) planned(acct *v1alpha1.CloudAccount, session *syncSession, outcome pruneOutcome) ctrl.Result {
	now := r.clock()
	wait := nextInterval(acct)
	p := session.plan
	acct.Status.Plan = &v1alpha1.PlanStatus{
		ObservedGeneration: acct.Generation,
		PlannedTime:        &metav1.Time{Time: now.Truncate(time.Second)},
		Creates:            clampInt32(p.creates.count),
		Updates:            clampInt32(p.updates.count),
		Deletes:            clampInt32(p.deletes.count),
		PruneHeldBack:      p.heldBack,
		Unconfirmed:        clampInt32(outcome.unconfirmed),
		SampleCreates:      p.creates.sample,
		SampleUpdates:      p.updates.sample,
		SampleDeletes:      p.deletes.sample,
	}
	acct.Status.NextSyncTime = &metav1.Time{Time: now.Add(wait).Truncate(time.Second)}
	acct.Status.LastHandledSyncRequest = session.syncRequest
	msg := fmt.Sprintf("plan: a sync would create %d, update %d and delete %d mirrors", p.creates.count, p.updates.count, p.deletes.count)
	if p.heldBack {
		msg += "; the prune guard would hold the deletes back (" + outcome.heldBack + ")"
	}
	if capped := ceilingMessage(acct, session); capped != "" {
		msg += "; " + capped
	}
	msg += listingNotes(session, outcome) + "; nothing was written: set spec.mode to Sync to apply"
	setCondition(acct, v1alpha1.ConditionReady, true, v1alpha1.ReasonPlanned, msg)
	setCondition(acct, v1alpha1.ConditionRateLimited, false, v1alpha1.ReasonNotRateLimited, "")
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionReconciling)
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionStalled)
	r.Recorder.Eventf(acct, nil, corev1.EventTypeNormal, v1alpha1.ReasonPlanned, "Plan", "%s", msg)
	r.reportListing(acct, session)

	provider := string(acct.Spec.Provider)
	metrics.SyncDuration.WithLabelValues(provider, "planned").Observe(now.Sub(session.started).Seconds())
	// The listing worked: an alert on listings that stop succeeding must not fire.
	metrics.LastSuccessfulSync.WithLabelValues(acct.Name).Set(float64(now.Unix()))
	return ctrl.Result{RequeueAfter: untilRequested(acct, session, wait)}
}

// untilRequested shortens a requeue when a sync-now request came in while the session
// ran: the session was marked as handling the request it started under, not that one.
func untilRequested(acct *v1alpha1.CloudAccount, session *syncSession, wait time.Duration) time.Duration {
	if syncRequest(acct) != session.syncRequest {
		return time.Second
	}
	return wait
}

// beginSession marks a new sync: Reconciling until the first complete sync, and
// after a spec change until the new generation has synced once. Ready and Stalled
// keep their verdict until the session ends or pauses, so health does not flap on a
// retry.
func beginSession(acct *v1alpha1.CloudAccount) {
	if acct.Spec.Mode == v1alpha1.ModePlan {
		if p := acct.Status.Plan; p == nil || p.ObservedGeneration != acct.Generation {
			setCondition(acct, v1alpha1.ConditionReconciling, true, v1alpha1.ReasonProgressing,
				fmt.Sprintf("planning generation %d", acct.Generation))
		}
		return
	}
	if acct.Status.LastSyncTime == nil {
		setCondition(acct, v1alpha1.ConditionReconciling, true, v1alpha1.ReasonProgressing, "first sync in progress")
	} else if acct.Status.ObservedGeneration != acct.Generation {
		setCondition(acct, v1alpha1.ConditionReconciling, true, v1alpha1.ReasonProgressing,
			fmt.Sprintf("syncing generation %d", acct.Generation))
	}
}

// suspended clears what only a running sync shows.
func suspended(acct *v1alpha1.CloudAccount) {
	acct.Status.NextSyncTime = nil
	acct.Status.ObservedGeneration = acct.Generation
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionReconciling)
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionRateLimited)
}

// recordRateLimit copies the budget's last figures into the status.
func (r *CloudAccountReconciler) recordRateLimit(acct *v1alpha1.CloudAccount, budget *cloud.Budget) {
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
	if blockedUntil.After(r.clock()) {
		rl.WaitUntil = &metav1.Time{Time: blockedUntil.Truncate(time.Second)}
	}
	acct.Status.RateLimit = rl
}

func clampInt32(v int) int32 { return int32(min(v, 1<<31-1)) }

func setCondition(acct *v1alpha1.CloudAccount, condType string, status bool, reason, msg string) {
	s := metav1.ConditionFalse
	if status {
		s = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&acct.Status.Conditions, metav1.Condition{
		Type: condType, Status: s, Reason: reason, Message: msg, ObservedGeneration: acct.Generation,
	})
}
