package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/metrics"
)

// mirrorWriter applies a session's changes to the API server (Sync mode), writing
// only what differs from the cache.
type mirrorWriter struct {
	mirrorIO
}

// ensure makes the mirror match desired: a create plus a status write for a new item,
// a label or status patch when those changed, nothing otherwise.
func (w *mirrorWriter) ensure(ctx context.Context, desired v1alpha1.Mirror) error {
	existing, err := w.existing(ctx, desired)
	if err != nil || existing == nil {
		return err
	}
	if !existing.SameItem(desired) {
		return w.nameTaken(desired)
	}
	if existing, err = w.ensureLabels(ctx, existing, desired); err != nil {
		return err
	}
	return w.ensureStatus(ctx, existing, desired)
}

// existing reads the mirror desired names, creating it when there is none (then it
// returns nil: nothing is left to do). What it returns may share its maps and slices
// with the cache's object (most mirrors are only compared): copy it before changing it.
func (w *mirrorWriter) existing(ctx context.Context, desired v1alpha1.Mirror) (v1alpha1.Mirror, error) {
	key := client.ObjectKeyFromObject(desired)
	existing, err := w.newMirror(desired)
	if err != nil {
		return nil, err
	}
	err = w.cache.Get(ctx, key, existing, client.UnsafeDisableDeepCopy)
	if apierrors.IsNotFound(err) {
		err = w.createWithin(ctx, desired)
		if !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
		// It exists, but the cache does not hold it: someone removed its account
		// label. Read it directly; ensureLabels puts the label back.
		err = w.reader.Get(ctx, key, existing)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", w.kindOf(desired), key.Name, err)
	}
	return existing, nil
}

// ensureLabels adds the labels desired has and existing lacks, and returns the mirror
// as it then is.
func (w *mirrorWriter) ensureLabels(ctx context.Context, existing, desired v1alpha1.Mirror) (v1alpha1.Mirror, error) {
	if hasLabels(existing.GetLabels(), desired.GetLabels()) {
		return existing, nil
	}
	labelled := existing.DeepCopyObject().(v1alpha1.Mirror)
	labelled.SetLabels(mergedLabels(existing.GetLabels(), desired.GetLabels()))
	if err := w.client.Patch(ctx, labelled, client.MergeFrom(existing)); err != nil {
		return nil, fmt.Errorf("label %s %s: %w", w.kindOf(existing), existing.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("patch", w.kindOf(existing)).Inc()
	return labelled, nil
}

// ensureStatus patches existing's status when desired's observed fields or the
// conditions for its state differ. The conditions are existing's, updated for the
// state, so unchanged ones keep their lastTransitionTime.
func (w *mirrorWriter) ensureStatus(ctx context.Context, existing, desired v1alpha1.Mirror) error {
	want, changed := statusFor(existing, desired)
	if !changed {
		return nil
	}
	if detailsChangedPastDigest(existing, want) {
		// The cache keeps a digest of the details: patch from the stored mirror, so that
		// the patch also removes the keys the item no longer has.
		full, err := w.newMirror(existing)
		if err != nil {
			return err
		}
		if err := w.reader.Get(ctx, client.ObjectKeyFromObject(existing), full); err != nil {
			return fmt.Errorf("read %s %s to patch its details: %w", w.kindOf(existing), existing.GetName(), err)
		}
		if want, changed = statusFor(full, desired); !changed {
			return nil
		}
		existing = full
	}
	if err := w.client.Status().Patch(ctx, want, client.MergeFrom(existing)); err != nil {
		return fmt.Errorf("patch status of %s %s: %w", w.kindOf(existing), existing.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("patch_status", w.kindOf(existing)).Inc()
	return nil
}

// create creates the mirror, then writes its status: the status subresource ignores
// status on create, so it takes a second write. created says whether the object was
// created, even when the status write then failed: the mirror exists either way.
func (w *mirrorWriter) create(ctx context.Context, desired v1alpha1.Mirror) (created bool, err error) {
	kind := w.kindOf(desired)
	obj := desired.DeepCopyObject().(v1alpha1.Mirror)
	if err := controllerutil.SetControllerReference(w.acct, obj, w.scheme); err != nil {
		return false, err
	}
	if err := w.creates.create(ctx, obj); err != nil {
		return false, fmt.Errorf("create %s %s: %w", kind, obj.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("create", kind).Inc()
	obj.CopyStatusFrom(desired)
	setMirrorConditions(obj)
	if err := w.creates.updateStatus(ctx, obj); err != nil {
		return true, fmt.Errorf("write status of %s %s: %w", kind, obj.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("update_status", kind).Inc()
	return true, nil
}

// page returns the writes of one page: the writer itself, with nothing to commit.
// The creates of a failed page happened, so their ceiling slots stay taken.
func (w *mirrorWriter) page() (mirrorWrites, func(bool)) { return w, func(bool) {} }

// markNotFound writes the status of a mirror whose item vanished while prune is off.
func (w *mirrorWriter) markNotFound(ctx context.Context, cached, marked v1alpha1.Mirror) error {
	if err := w.client.Status().Patch(ctx, marked, client.MergeFrom(cached)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("mark %s %s: %w", w.kindOf(marked), marked.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("patch_status", w.kindOf(marked)).Inc()
	return nil
}

// remove deletes the stale mirrors, each only if it is still the object the cache
// showed (same UID).
func (w *mirrorWriter) remove(ctx context.Context, stale []v1alpha1.Mirror) error {
	for _, m := range stale {
		kind := w.kindOf(m)
		if err := w.client.Delete(ctx, m, client.Preconditions{UID: ptr.To(m.GetUID())}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("delete %s %s: %w", kind, m.GetName(), err)
		}
		metrics.APIServerWrites.WithLabelValues("delete", kind).Inc()
	}
	w.recorder.Eventf(w.acct, nil, corev1.EventTypeNormal, "Pruned", actionPrune, "deleted %d mirrors no longer listed remotely", len(stale))
	return nil
}

// holdBack has nothing to write: the outcome (PruneHeldBack) says what was held back.
func (w *mirrorWriter) holdBack([]v1alpha1.Mirror) {}

// decidesForLater is true: what this listing missed counts for the next one.
func (w *mirrorWriter) decidesForLater() bool { return true }

// finish records the sync in the status.
func (w *mirrorWriter) finish(acct *v1alpha1.CloudAccount, session *syncSession, prune pruneOutcome, now time.Time) outcome {
	return syncedStatus(acct, session, prune, now)
}
