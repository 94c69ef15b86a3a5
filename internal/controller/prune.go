package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/metrics"
)

const defaultMaxPrunePercent = 50

// prune removes the mirrors a complete listing no longer contains. It returns a
// non-empty message when it held the prune back because it was too large.
func (r *CloudAccountReconciler) prune(ctx context.Context, acct *v1alpha1.CloudAccount, session *syncSession) (string, error) {
	sel := client.MatchingLabels{v1alpha1.LabelAccount: acct.Name}
	var orgs v1alpha1.OrganizationList
	if err := r.List(ctx, &orgs, sel); err != nil {
		return "", err
	}
	var ccs v1alpha1.ConnectClusterList
	if err := r.List(ctx, &ccs, sel); err != nil {
		return "", err
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
	if len(stale) == 0 {
		return "", nil
	}
	if acct.Spec.Prune != nil && !*acct.Spec.Prune {
		return "", r.markNotFound(ctx, stale)
	}
	total := len(orgs.Items) + len(ccs.Items)
	limit := defaultMaxPrunePercent
	if acct.Spec.MaxPrunePercent != nil {
		limit = int(*acct.Spec.MaxPrunePercent)
	}
	if len(stale)*100 > limit*total {
		msg := fmt.Sprintf("prune held back: %d of %d mirrors are no longer listed, more than maxPrunePercent (%d%%); raise spec.maxPrunePercent to allow it",
			len(stale), total, limit)
		r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, v1alpha1.ReasonPruneHeldBack, "Prune", "%s", msg)
		return msg, nil
	}
	for _, obj := range stale {
		if err := r.Delete(ctx, obj, client.Preconditions{UID: ptrTo(obj.GetUID())}); client.IgnoreNotFound(err) != nil {
			return "", fmt.Errorf("delete %s %s: %w", kindOf(obj), obj.GetName(), err)
		}
		metrics.APIServerWrites.WithLabelValues("delete", kindOf(obj)).Inc()
	}
	r.Recorder.Eventf(acct, nil, corev1.EventTypeNormal, "Pruned", "Prune", "deleted %d mirrors no longer listed remotely", len(stale))
	return "", nil
}

// markNotFound flags vanished items instead of deleting them (spec.prune: false).
func (r *CloudAccountReconciler) markNotFound(ctx context.Context, stale []client.Object) error {
	for _, obj := range stale {
		before := obj.DeepCopyObject().(client.Object)
		_, conds, _ := statusOf(obj)
		notFoundRemotelyConditions(conds, obj.GetGeneration())
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

func ptrTo[T any](v T) *T { return &v }
