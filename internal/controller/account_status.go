package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/metrics"
)

func setCondition(acct *v1alpha1.CloudAccount, condType string, status bool, reason, msg string) {
	s := metav1.ConditionFalse
	if status {
		s = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&acct.Status.Conditions, metav1.Condition{
		Type: condType, Status: s, Reason: reason, Message: msg, ObservedGeneration: acct.Generation,
	})
}

func isConditionTrue(acct *v1alpha1.CloudAccount, condType string) bool {
	return meta.IsStatusConditionTrue(acct.Status.Conditions, condType)
}

// beginSession marks a new sync: Reconciling until the first complete sync, and
// after a spec change until the new generation has synced once; a Stalled verdict
// from earlier credentials or configuration no longer holds.
func beginSession(acct *v1alpha1.CloudAccount) {
	if acct.Status.LastSyncTime == nil {
		setCondition(acct, v1alpha1.ConditionReconciling, true, v1alpha1.ReasonProgressing, "first sync in progress")
	} else if acct.Status.ObservedGeneration != acct.Generation {
		setCondition(acct, v1alpha1.ConditionReconciling, true, v1alpha1.ReasonProgressing,
			fmt.Sprintf("syncing generation %d", acct.Generation))
	}
	if meta.IsStatusConditionTrue(acct.Status.Conditions, v1alpha1.ConditionStalled) {
		meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionStalled)
		meta.SetStatusCondition(&acct.Status.Conditions, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionUnknown,
			Reason: v1alpha1.ReasonSyncing, Message: "retrying with the current credentials and configuration", ObservedGeneration: acct.Generation})
	}
}

// stalled records a problem that retrying soon will not fix (credentials, configuration):
// Ready=False and Stalled=True, one Warning event, and a retry on the sync interval —
// not a hot loop. A Secret or spec change retries at once.
func (r *CloudAccountReconciler) stalled(acct *v1alpha1.CloudAccount, reason string, err error) (ctrl.Result, error) {
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
	return ctrl.Result{RequeueAfter: wait}, nil
}

// rateLimited parks the session: the requeue resumes it at the refused page.
func (r *CloudAccountReconciler) rateLimited(acct *v1alpha1.CloudAccount, session *syncSession, rl *cloud.RateLimitedError) ctrl.Result {
	provider := string(acct.Spec.Provider)
	metrics.RateLimitWaits.WithLabelValues(provider, acct.Name).Inc()
	metrics.RateLimitWaitSeconds.WithLabelValues(provider).Observe(rl.Wait.Seconds())
	msg := fmt.Sprintf("the remote API asked to wait %s; the sync resumes at the refused page", rl.Wait.Round(time.Second))
	setCondition(acct, v1alpha1.ConditionRateLimited, true, v1alpha1.ReasonRateLimited, msg)
	if !session.rateLimited {
		session.rateLimited = true
		r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, v1alpha1.ReasonRateLimited, "Sync", "%s", msg)
	}
	// A zero wait (Retry-After: 0, or a reset already past by our clock) would make
	// controller-runtime forget the item: the session would never resume.
	return ctrl.Result{RequeueAfter: max(rl.Wait, time.Second)}
}

// failed handles a listing that stopped part-way: nothing is pruned.
func (r *CloudAccountReconciler) failed(ctx context.Context, acct *v1alpha1.CloudAccount, session *syncSession, err error) (ctrl.Result, error) {
	metrics.SyncDuration.WithLabelValues(string(acct.Spec.Provider), "failed").Observe(r.clock().Sub(session.started).Seconds())
	switch {
	case errors.Is(err, cloud.ErrUnauthorized):
		return r.stalled(acct, v1alpha1.ReasonUnauthorized, err)
	case errors.Is(err, cloud.ErrForbidden):
		return r.stalled(acct, v1alpha1.ReasonForbidden, err)
	case errors.Is(err, cloud.ErrBadRequest), errors.Is(err, cloud.ErrNotFound):
		return r.stalled(acct, v1alpha1.ReasonInvalidConfiguration, err)
	case errors.Is(err, cloud.ErrUnsafe):
		// A foreign next link, a looping token or an absurd listing will not fix itself
		// in seconds; retrying from page one at once would only repeat it.
		return r.stalled(acct, v1alpha1.ReasonRemoteError, err)
	}
	// Transient remote trouble or a refused answer: back off through the workqueue.
	setCondition(acct, v1alpha1.ConditionRateLimited, false, v1alpha1.ReasonNotRateLimited, "")
	msg := "listing incomplete, nothing pruned: " + err.Error()
	acct.Status.LastHandledSyncRequest = syncRequest(acct)
	// Due at once, so the workqueue's backoff retry runs a new sync.
	acct.Status.NextSyncTime = &metav1.Time{Time: r.clock().Truncate(time.Second)}
	setCondition(acct, v1alpha1.ConditionReady, false, v1alpha1.ReasonRemoteError, msg)
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionStalled)
	r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, v1alpha1.ReasonRemoteError, "Sync", "%s", msg)
	return ctrl.Result{}, err
}

// completed prunes after a complete listing and records the sync.
func (r *CloudAccountReconciler) completed(ctx context.Context, acct *v1alpha1.CloudAccount, session *syncSession) (ctrl.Result, error) {
	held, deferred := "", false
	if session.rateLimited {
		// Pages read before and after a long wait may not line up (offset paging
		// shifts when items vanish), so an item may be missing here that still exists.
		deferred = true
	} else {
		var err error
		if held, err = r.prune(ctx, acct, session); err != nil {
			return r.failed(ctx, acct, session, fmt.Errorf("prune: %w", err))
		}
	}
	now := r.clock()
	provider := string(acct.Spec.Provider)
	took := now.Sub(session.started)
	wait := nextInterval(acct)
	acct.Status.LastSyncTime = &metav1.Time{Time: now.Truncate(time.Second)}
	acct.Status.LastSyncDuration = &metav1.Duration{Duration: took.Round(time.Millisecond)}
	acct.Status.NextSyncTime = &metav1.Time{Time: now.Add(wait).Truncate(time.Second)}
	acct.Status.Organizations = int32(len(session.organizations))
	acct.Status.ConnectClusters = int32(len(session.connectClusters))
	acct.Status.LastHandledSyncRequest = syncRequest(acct)
	if held == "" {
		msg := fmt.Sprintf("mirrored %d organizations and %d connect clusters", len(session.organizations), len(session.connectClusters))
		if n := session.skipped.Load(); n > 0 {
			msg += fmt.Sprintf("; %d remote items skipped because the API server refused them (see events)", n)
		}
		if deferred {
			msg += "; pruning deferred to the next sync, as this listing waited out a rate limit"
		}
		setCondition(acct, v1alpha1.ConditionReady, true, v1alpha1.ReasonSynced, msg)
	} else {
		setCondition(acct, v1alpha1.ConditionReady, false, v1alpha1.ReasonPruneHeldBack, held)
	}
	setCondition(acct, v1alpha1.ConditionRateLimited, false, v1alpha1.ReasonNotRateLimited, "")
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionReconciling)
	meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionStalled)

	metrics.SyncDuration.WithLabelValues(provider, "complete").Observe(took.Seconds())
	metrics.MirroredObjects.WithLabelValues("Organization", acct.Name).Set(float64(len(session.organizations)))
	metrics.MirroredObjects.WithLabelValues("ConnectCluster", acct.Name).Set(float64(len(session.connectClusters)))
	metrics.LastSuccessfulSync.WithLabelValues(acct.Name).Set(float64(now.Unix()))
	return ctrl.Result{RequeueAfter: wait}, nil
}

// recordRateLimit copies the budget's last figures into the status.
func (r *CloudAccountReconciler) recordRateLimit(acct *v1alpha1.CloudAccount) {
	f, blockedUntil := r.budget(acct.UID).Figures()
	if f.Observed.IsZero() {
		return
	}
	rl := &v1alpha1.RateLimitStatus{ObservedTime: &metav1.Time{Time: f.Observed.Truncate(time.Second)}}
	if f.Limit >= 0 {
		rl.Limit = ptrInt32(f.Limit)
	}
	if f.Remaining >= 0 {
		rl.Remaining = ptrInt32(f.Remaining)
	}
	if !f.Reset.IsZero() {
		rl.ResetTime = &metav1.Time{Time: f.Reset.Truncate(time.Second)}
	}
	if blockedUntil.After(r.clock()) {
		rl.WaitUntil = &metav1.Time{Time: blockedUntil.Truncate(time.Second)}
	}
	acct.Status.RateLimit = rl
}

func ptrInt32(v int) *int32 {
	i := int32(min(v, 1<<31-1))
	return &i
}
