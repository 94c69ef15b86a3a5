package controller

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/metrics"
)

const defaultMaxPrunePercent = 50

// pruneOutcome says what a prune left undone.
type pruneOutcome struct {
	// heldBack is set when the prune was too large to do.
	heldBack string
	// unconfirmed counts mirrors missing from an interrupted listing for the first
	// time: they go only when the next listing misses them too.
	unconfirmed int
}

// prune removes the mirrors a complete listing no longer contains. A listing that was
// paused part-way may have missed items that shifted between its pages (offset
// paging shifts when items vanish), so what it misses is only a candidate, removed
// when the next complete listing misses it again.
func (r *CloudAccountReconciler) prune(ctx context.Context, acct *v1alpha1.CloudAccount, session *syncSession) (pruneOutcome, error) {
	sel := client.MatchingLabels{v1alpha1.LabelAccount: acct.Name}
	var orgs v1alpha1.OrganizationList
	if err := r.List(ctx, &orgs, sel); err != nil {
		return pruneOutcome{}, err
	}
	var ccs v1alpha1.ConnectClusterList
	if err := r.List(ctx, &ccs, sel); err != nil {
		return pruneOutcome{}, err
	}
	var stale []client.Object
	for i := range orgs.Items {
		if _, ok := session.organizations[orgs.Items[i].Name]; !ok {
			stale = append(stale, &orgs.Items[i])
		}
	}
	for i := range ccs.Items {
		if _, ok := session.connectClusters[ccs.Items[i].Name]; !ok {
			stale = append(stale, &ccs.Items[i])
		}
	}
	if session.prune == nil {
		session.prune = r.decidePrune(acct.UID, stale, session.interrupted)
	}
	missing := len(stale)
	stale = slices.DeleteFunc(stale, func(obj client.Object) bool {
		_, ok := session.prune.confirmed[obj.GetUID()]
		return !ok
	})
	outcome := pruneOutcome{unconfirmed: missing - len(stale)}
	if len(stale) == 0 {
		return outcome, nil
	}
	if acct.Spec.Prune != nil && !*acct.Spec.Prune {
		return outcome, r.markNotFound(ctx, stale)
	}
	// The limit counts every missing mirror, confirmed or not: two paused listings in
	// a row must not delete in two steps what one listing would have held back.
	total := len(orgs.Items) + len(ccs.Items)
	limit := defaultMaxPrunePercent
	if acct.Spec.MaxPrunePercent != nil {
		limit = int(*acct.Spec.MaxPrunePercent)
	}
	if missing*100 > limit*total {
		outcome.heldBack = fmt.Sprintf("prune held back: %d of %d mirrors are no longer listed, more than maxPrunePercent (%d%%); raise spec.maxPrunePercent to allow it",
			missing, total, limit)
		r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, v1alpha1.ReasonPruneHeldBack, "Prune", "%s", outcome.heldBack)
		return outcome, nil
	}
	for _, obj := range stale {
		if err := r.Delete(ctx, obj, client.Preconditions{UID: ptrTo(obj.GetUID())}); client.IgnoreNotFound(err) != nil {
			return outcome, fmt.Errorf("delete %s %s: %w", kindOf(obj), obj.GetName(), err)
		}
		metrics.APIServerWrites.WithLabelValues("delete", kindOf(obj)).Inc()
	}
	r.Recorder.Eventf(acct, nil, corev1.EventTypeNormal, "Pruned", "Prune", "deleted %d mirrors no longer listed remotely", len(stale))
	return outcome, nil
}

// pruneDecision is which missing mirrors (by UID) a session may remove.
type pruneDecision struct {
	confirmed map[types.UID]struct{}
}

// decidePrune picks the stale mirrors that may go. After an uninterrupted listing
// that is all of them. After an interrupted one it is those the previous complete
// listing of the account missed too; the rest are remembered for the next.
func (r *CloudAccountReconciler) decidePrune(uid types.UID, stale []client.Object, interrupted bool) *pruneDecision {
	r.mu.Lock()
	defer r.mu.Unlock()
	previous := r.pruneCandidates[uid]
	delete(r.pruneCandidates, uid)
	d := &pruneDecision{confirmed: map[types.UID]struct{}{}}
	current := map[types.UID]struct{}{}
	for _, obj := range stale {
		if _, ok := previous[obj.GetUID()]; ok || !interrupted {
			d.confirmed[obj.GetUID()] = struct{}{}
		}
		current[obj.GetUID()] = struct{}{}
	}
	if interrupted && len(current) > 0 {
		if r.pruneCandidates == nil {
			r.pruneCandidates = map[types.UID]map[types.UID]struct{}{}
		}
		r.pruneCandidates[uid] = current
	}
	return d
}

// markNotFound flags vanished items instead of deleting them (spec.prune: false).
func (r *CloudAccountReconciler) markNotFound(ctx context.Context, stale []client.Object) error {
	for _, obj := range stale {
		before := obj.DeepCopyObject().(client.Object)
		_, conds, _ := statusOf(obj)
		notFoundRemotelyConditions(conds, obj.GetGeneration())
		// Ready is True exactly when the state is Succeeded: the state says it too.
		setProvisioningState(obj, v1alpha1.StateDeleted)
		beforeStatus, _, _ := statusOf(before)
		afterStatus, _, _ := statusOf(obj)
		if equality.Semantic.DeepEqual(beforeStatus, afterStatus) {
			continue
		}
		if err := r.Status().Patch(ctx, obj, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("mark %s %s: %w", kindOf(obj), obj.GetName(), err)
		}
		metrics.APIServerWrites.WithLabelValues("patch_status", kindOf(obj)).Inc()
	}
	return nil
}

func setProvisioningState(obj client.Object, state v1alpha1.ProvisioningState) {
	switch o := obj.(type) {
	case *v1alpha1.Organization:
		o.Status.ProvisioningState = state
	case *v1alpha1.ConnectCluster:
		o.Status.ProvisioningState = state
	}
}

func ptrTo[T any](v T) *T { return &v }
