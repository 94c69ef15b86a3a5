package controller

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
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

// pruneDecision is which missing mirrors (by UID) a session may remove.
type pruneDecision struct {
	confirmed map[types.UID]struct{}
}

// confirmedOf returns the mirrors of missing the decision allows to remove.
func (d *pruneDecision) confirmedOf(missing []v1alpha1.Mirror) []v1alpha1.Mirror {
	return slices.DeleteFunc(slices.Clone(missing), func(m v1alpha1.Mirror) bool {
		_, ok := d.confirmed[m.GetUID()]
		return !ok
	})
}

// prune removes the mirrors a complete listing no longer contains. A listing that was
// paused part-way may have missed items that shifted between its pages (offset
// paging shifts when items vanish), so what it misses is only a candidate, removed
// when the next complete listing misses it again.
func (r *CloudAccountReconciler) prune(ctx context.Context, acct *v1alpha1.CloudAccount, state *account, session *syncSession, writes mirrorWrites) (pruneOutcome, error) {
	all, err := session.mirrors.all(ctx)
	if err != nil {
		return pruneOutcome{}, err
	}
	missing := slices.DeleteFunc(slices.Clone(all), func(m v1alpha1.Mirror) bool {
		return session.isListed(kindOf(r.Scheme, m), m.GetName())
	})
	if session.prune == nil {
		session.prune = state.decidePrune(missing, session.incomplete(), writes.decidesForLater())
	}
	stale := session.prune.confirmedOf(missing)
	outcome := pruneOutcome{unconfirmed: len(missing) - len(stale)}
	if len(stale) == 0 {
		return outcome, nil
	}
	if acct.Spec.Prune != nil && !*acct.Spec.Prune {
		return outcome, markNotFound(ctx, writes, stale)
	}
	// The limit counts every missing mirror, confirmed or not: two paused listings in
	// a row must not delete in two steps what one listing would have held back. The
	// base is what the account holds once the listing is written (the listed mirrors
	// and the missing ones), not the cache, which may not have caught up with the
	// creates yet, and which a plan leaves without them.
	orgs, ccs := session.mirrored()
	if outcome.heldBack = pruneGuard(len(missing), int(orgs)+int(ccs)+len(missing), maxPrunePercent(acct)); outcome.heldBack != "" {
		writes.holdBack(stale)
		return outcome, nil
	}
	return outcome, writes.remove(ctx, stale)
}

// maxPrunePercent is the account's prune limit, or the default.
func maxPrunePercent(acct *v1alpha1.CloudAccount) int {
	if acct.Spec.MaxPrunePercent != nil {
		return int(*acct.Spec.MaxPrunePercent)
	}
	return defaultMaxPrunePercent
}

// pruneGuard holds back a prune that would delete more than limit percent of the
// account's mirrors: missing of total. It says why, or "" when the prune may go.
func pruneGuard(missing, total, limit int) (heldBack string) {
	if missing*100 <= limit*total {
		return ""
	}
	return fmt.Sprintf("prune held back: %d of %d mirrors are no longer listed, more than maxPrunePercent (%d%%); raise spec.maxPrunePercent to allow it",
		missing, total, limit)
}

// markNotFound flags vanished items instead of deleting them (spec.prune: false),
// through writes: a sync writes the marks, a plan counts them.
func markNotFound(ctx context.Context, writes mirrorWrites, stale []v1alpha1.Mirror) error {
	for _, cached := range stale {
		m := cached.DeepCopyObject().(v1alpha1.Mirror) // the cache's object is shared
		conds := m.GetConditions()
		notFoundRemotelyConditions(&conds, m.GetGeneration())
		m.SetConditions(conds)
		// Ready is True exactly when the state is Succeeded: the state says it too.
		m.SetProvisioningState(v1alpha1.StateDeleted)
		if statusEqual(cached, m) {
			continue
		}
		if err := writes.markNotFound(ctx, cached, m); err != nil {
			return err
		}
	}
	return nil
}
