package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// mirrorWrites is where a session's changes go: to the API server (mirrorWriter, in
// apply.go) or into the session's plan, which only counts them (planWriter, in
// plan.go). The session, the prune and the report use either alike.
type mirrorWrites interface {
	// ensure brings the mirror to desired, or counts what that would take.
	ensure(ctx context.Context, desired v1alpha1.Mirror) error
	// page returns the writes of one page and end, to call when the page is done:
	// committed once all of them succeeded. A page written again after a failure must
	// not count twice, nor keep ceiling slots it did not use.
	page() (writes mirrorWrites, end func(committed bool))
	// markNotFound writes marked's status over cached's (a vanished item kept because
	// spec.prune is false), or counts it.
	markNotFound(ctx context.Context, cached, marked v1alpha1.Mirror) error
	// remove deletes the stale mirrors, or counts them.
	remove(ctx context.Context, stale []v1alpha1.Mirror) error
	// holdBack records stale mirrors the prune guard keeps.
	holdBack(stale []v1alpha1.Mirror)
	// decidesForLater says whether what this listing missed counts as a prune
	// candidate for the next listing (a plan decides nothing for later).
	decidesForLater() bool
	// finish records a finished session in the status and returns its outcome.
	finish(acct *v1alpha1.CloudAccount, session *syncSession, prune pruneOutcome, now time.Time) outcome
	// kindOf names a mirror's kind; skipped reports an item the API server refused.
	kindOf(obj runtime.Object) string
	skipped(ctx context.Context, m v1alpha1.Mirror, err error)
}

// mirrorIO is what both write strategies read with and report through.
type mirrorIO struct {
	client client.Client
	// creates makes new mirrors and writes their first status.
	creates newMirrorWrites
	// cache reads the account's mirrors as its session does (accountMirrors).
	cache mirrorGetter
	// reader reads past the cache, which holds only mirrors with the account label.
	reader   client.Reader
	scheme   *runtime.Scheme
	recorder events.EventRecorder
	acct     *v1alpha1.CloudAccount
	// ceiling hands out the creates spec.maxMirrors still allows (nil: no limit).
	ceiling *mirrorCeiling
}

// errNameTaken means a mirror's name is held by an object with another spec (made by
// hand, or by a mirror of another account or item).
var errNameTaken = errors.New("name taken")

func (w *mirrorIO) nameTaken(desired v1alpha1.Mirror) error {
	return fmt.Errorf("%w: %s %s mirrors another account or remote item; leaving it alone", errNameTaken, w.kindOf(desired), desired.GetName())
}

// statusFor is existing with desired's observed fields and the conditions for its
// state, and whether that differs from existing.
func statusFor(existing, desired v1alpha1.Mirror) (v1alpha1.Mirror, bool) {
	want := existing.DeepCopyObject().(v1alpha1.Mirror)
	want.CopyStatusFrom(desired)
	want.SetConditions(slices.Clone(existing.GetConditions()))
	setMirrorConditions(want)
	keepDigestIfUnchanged(existing, want)
	return want, !statusEqual(existing, want)
}

// newMirror returns an empty object of desired's kind to read into.
func (w *mirrorIO) newMirror(desired v1alpha1.Mirror) (v1alpha1.Mirror, error) {
	gvk, err := apiutil.GVKForObject(desired, w.scheme)
	if err != nil {
		return nil, err
	}
	obj, err := w.scheme.New(gvk)
	if err != nil {
		return nil, err
	}
	return obj.(v1alpha1.Mirror), nil
}

// kindOf names obj's kind for metrics, events and messages.
func (w *mirrorIO) kindOf(obj runtime.Object) string { return kindOf(w.scheme, obj) }

func kindOf(scheme *runtime.Scheme, obj runtime.Object) string {
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return fmt.Sprintf("%T", obj)
	}
	return gvk.Kind
}

// skipped reports an item the API server refused to store.
func (w *mirrorIO) skipped(ctx context.Context, m v1alpha1.Mirror, err error) {
	kind := w.kindOf(m)
	logf.FromContext(ctx).Error(err, "remote item refused by the API server; skipped", "kind", kind, "name", m.GetName())
	reason := reasonInvalidRemoteItem
	if errors.Is(err, errNameTaken) {
		reason = reasonMirrorNameTaken
	}
	w.recorder.Eventf(w.acct, nil, corev1.EventTypeWarning, reason, actionSync, "%s %s skipped: %v", kind, m.GetName(), err)
}

func mergedLabels(have, want map[string]string) map[string]string {
	out := maps.Clone(have)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, want)
	return out
}

// hasLabels says whether have holds every label of want, with its value.
func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}
