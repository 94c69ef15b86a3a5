package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/metrics"
)

// mirrorWriter creates and patches one account's mirrors, writing only what differs
// from the cache.
type mirrorWriter struct {
	client client.Client
	// reader reads past the cache, which holds only mirrors with the account label.
	reader   client.Reader
	scheme   *runtime.Scheme
	recorder events.EventRecorder
	acct     *v1alpha1.CloudAccount
	// plan, in Plan mode, receives what would be written; nothing is.
	plan *planTally
	// ceiling limits the creates (nil: none).
	ceiling *mirrorCeiling
}

// desiredOrganization is the mirror of one remote organization, status included.
func desiredOrganization(acct *v1alpha1.CloudAccount, org cloud.Organization) *v1alpha1.Organization {
	state := normalizedState(org.State)
	return &v1alpha1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: MirrorName(acct.Name, org.ID), Labels: mirrorLabels(acct)},
		Spec: v1alpha1.OrganizationSpec{
			AccountRef: v1alpha1.AccountReference{Name: acct.Name},
			Provider:   acct.Spec.Provider,
			ExternalID: org.ID,
		},
		Status: v1alpha1.OrganizationStatus{
			DisplayName:       org.DisplayName,
			ProvisioningState: state,
			RawState:          org.RawState,
			SSOURL:            org.SSOURL,
			ResourceName:      org.ResourceName,
			CreatedAt:         timeOrNil(org.CreatedAt),
			UpdatedAt:         timeOrNil(org.UpdatedAt),
			DeletedAt:         timeOrNil(org.DeletedAt),
			Details:           maps.Clone(org.Details),
		},
	}
}

// desiredConnectCluster is the mirror of one connect cluster; a listed one is Succeeded.
func desiredConnectCluster(acct *v1alpha1.CloudAccount, cc cloud.ConnectCluster) *v1alpha1.ConnectCluster {
	return &v1alpha1.ConnectCluster{
		ObjectMeta: metav1.ObjectMeta{Name: MirrorName(acct.Name, cc.Environment, cc.ID), Labels: mirrorLabels(acct)},
		Spec: v1alpha1.ConnectClusterSpec{
			AccountRef:  v1alpha1.AccountReference{Name: acct.Name},
			Provider:    acct.Spec.Provider,
			ExternalID:  cc.ID,
			Environment: cc.Environment,
		},
		Status: v1alpha1.ConnectClusterStatus{
			ProvisioningState:                 v1alpha1.StateSucceeded,
			ConfluentPlatformConnectClusterID: cc.ConfluentPlatformClusterID,
			KafkaClusterID:                    cc.KafkaClusterID,
			USMKafkaClusterID:                 cc.USMKafkaClusterID,
			Cloud:                             v1alpha1.Cloud(cc.Cloud),
			Region:                            cc.Region,
			EnvironmentResourceName:           cc.EnvironmentResourceName,
		},
	}
}

// normalizedState maps a provider's state onto the API's enum; anything else is
// Unknown, so a state the remote API adds later cannot make status writes fail.
func normalizedState(s cloud.State) v1alpha1.ProvisioningState {
	switch st := v1alpha1.ProvisioningState(s); st {
	case v1alpha1.StateAccepted, v1alpha1.StateCreating, v1alpha1.StateUpdating, v1alpha1.StateDeleting,
		v1alpha1.StateSucceeded, v1alpha1.StateFailed, v1alpha1.StateCanceled, v1alpha1.StateDeleted,
		v1alpha1.StateSuspended:
		return st
	}
	return v1alpha1.StateUnknown
}

func mirrorLabels(acct *v1alpha1.CloudAccount) map[string]string {
	return map[string]string{
		v1alpha1.LabelAccount:  acct.Name,
		v1alpha1.LabelProvider: string(acct.Spec.Provider),
	}
}

// timeOrNil converts to the API's second precision, so a value read back from the
// cache compares equal to a freshly observed one.
func timeOrNil(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &mt
}

// mirrorConditions are the kstatus conditions for a remote state: Ready exactly when
// Succeeded, Reconciling while transitional, Stalled when terminal and unhealthy.
func mirrorConditions(conds *[]metav1.Condition, state v1alpha1.ProvisioningState, generation int64) {
	set := func(t string, s metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(conds, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: generation})
	}
	msg := fmt.Sprintf("remote provisioning state is %s", state)
	switch state {
	case v1alpha1.StateSucceeded:
		set(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonSucceeded, msg)
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionReconciling)
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionStalled)
	case v1alpha1.StateAccepted, v1alpha1.StateCreating, v1alpha1.StateUpdating, v1alpha1.StateDeleting:
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonProvisioning, msg)
		set(v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonProvisioning, msg)
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionStalled)
	case v1alpha1.StateFailed, v1alpha1.StateCanceled, v1alpha1.StateSuspended, v1alpha1.StateDeleted:
		set(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonProvisioningFailed, msg)
		set(v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonProvisioningFailed, msg)
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionReconciling)
	default: // Unknown: say so, but claim neither progress nor a dead end
		set(v1alpha1.ConditionReady, metav1.ConditionUnknown, v1alpha1.ReasonProvisioning, msg)
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionReconciling)
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionStalled)
	}
}

// notFoundRemotelyConditions mark a mirror whose remote item vanished while prune is off.
func notFoundRemotelyConditions(conds *[]metav1.Condition, generation int64) {
	msg := "the remote item is no longer listed; kept because spec.prune is false"
	meta.SetStatusCondition(conds, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse,
		Reason: v1alpha1.ReasonNotFoundRemotely, Message: msg, ObservedGeneration: generation})
	meta.SetStatusCondition(conds, metav1.Condition{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue,
		Reason: v1alpha1.ReasonNotFoundRemotely, Message: msg, ObservedGeneration: generation})
	meta.RemoveStatusCondition(conds, v1alpha1.ConditionReconciling)
}

// Mirror kinds, as metrics and events name them.
const (
	kindOrganization   = "Organization"
	kindConnectCluster = "ConnectCluster"
)

// errNameTaken means a mirror's name is held by an object with another spec (made by
// hand, or by a mirror of another account or item).
var errNameTaken = errors.New("name taken")

// ensure makes the mirror match desired: a create plus a status write for a new item,
// a label or status patch when those changed, nothing otherwise.
func (w *mirrorWriter) ensure(ctx context.Context, desired v1alpha1.Mirror) error {
	if w.plan != nil {
		return w.preview(ctx, desired)
	}
	existing, err := w.existing(ctx, desired)
	if err != nil || existing == nil {
		return err
	}
	if !existing.SameItem(desired) {
		return fmt.Errorf("%w: %s %s mirrors another account or remote item; leaving it alone", errNameTaken, w.kindOf(desired), desired.GetName())
	}
	if err := w.ensureLabels(ctx, existing, desired); err != nil {
		return err
	}
	return w.ensureStatus(ctx, existing, desired)
}

// preview records in the plan what ensure would write for desired, writing nothing.
// A mirror missing from the cache counts as a create: the rare one that exists
// without its account label would take a label patch instead.
func (w *mirrorWriter) preview(ctx context.Context, desired v1alpha1.Mirror) error {
	existing, err := w.newMirror(desired)
	if err != nil {
		return err
	}
	err = w.client.Get(ctx, client.ObjectKeyFromObject(desired), existing)
	switch {
	case apierrors.IsNotFound(err) && !w.ceiling.admit():
		return errCeilingReached
	case apierrors.IsNotFound(err):
		w.plan.create(desired.GetName())
		return nil
	case err != nil:
		return fmt.Errorf("get %s %s: %w", w.kindOf(desired), desired.GetName(), err)
	case !existing.SameItem(desired):
		return fmt.Errorf("%w: %s %s mirrors another account or remote item; leaving it alone", errNameTaken, w.kindOf(desired), desired.GetName())
	}
	relabel := !maps.Equal(existing.GetLabels(), mergedLabels(existing.GetLabels(), desired.GetLabels()))
	if _, restatus := statusFor(existing, desired); relabel || restatus {
		w.plan.update(desired.GetName())
	}
	return nil
}

// existing reads the mirror desired names, creating it when there is none (then it
// returns nil: nothing is left to do).
func (w *mirrorWriter) existing(ctx context.Context, desired v1alpha1.Mirror) (v1alpha1.Mirror, error) {
	key := client.ObjectKeyFromObject(desired)
	existing, err := w.newMirror(desired)
	if err != nil {
		return nil, err
	}
	err = w.client.Get(ctx, key, existing)
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

// ensureLabels adds the labels desired has and existing lacks.
func (w *mirrorWriter) ensureLabels(ctx context.Context, existing, desired v1alpha1.Mirror) error {
	labels := mergedLabels(existing.GetLabels(), desired.GetLabels())
	if maps.Equal(existing.GetLabels(), labels) {
		return nil
	}
	before := existing.DeepCopyObject().(client.Object)
	existing.SetLabels(labels)
	if err := w.client.Patch(ctx, existing, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("label %s %s: %w", w.kindOf(existing), existing.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("patch", w.kindOf(existing)).Inc()
	return nil
}

// ensureStatus patches existing's status when desired's observed fields or the
// conditions for its state differ. The conditions are existing's, updated for the
// state, so unchanged ones keep their lastTransitionTime.
func (w *mirrorWriter) ensureStatus(ctx context.Context, existing, desired v1alpha1.Mirror) error {
	want, changed := statusFor(existing, desired)
	if !changed {
		return nil
	}
	if err := w.client.Status().Patch(ctx, want, client.MergeFrom(existing)); err != nil {
		return fmt.Errorf("patch status of %s %s: %w", w.kindOf(existing), existing.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("patch_status", w.kindOf(existing)).Inc()
	return nil
}

// statusFor is existing with desired's observed fields and the conditions for its
// state, and whether that differs from existing.
func statusFor(existing, desired v1alpha1.Mirror) (v1alpha1.Mirror, bool) {
	want := existing.DeepCopyObject().(v1alpha1.Mirror)
	want.CopyStatusFrom(desired)
	want.SetConditions(slices.Clone(existing.GetConditions()))
	setMirrorConditions(want)
	return want, !equality.Semantic.DeepEqual(existing, want)
}

// create creates the mirror, then writes its status: the status subresource ignores
// status on create, so it takes a second write.
func (w *mirrorWriter) create(ctx context.Context, desired v1alpha1.Mirror) error {
	kind := w.kindOf(desired)
	obj := desired.DeepCopyObject().(v1alpha1.Mirror)
	if err := controllerutil.SetControllerReference(w.acct, obj, w.scheme); err != nil {
		return err
	}
	if err := w.client.Create(ctx, obj); err != nil {
		return fmt.Errorf("create %s %s: %w", kind, obj.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("create", kind).Inc()
	obj.CopyStatusFrom(desired)
	setMirrorConditions(obj)
	if err := w.client.Status().Update(ctx, obj); err != nil {
		return fmt.Errorf("write status of %s %s: %w", kind, obj.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("update_status", kind).Inc()
	return nil
}

// setMirrorConditions sets the mirror's conditions for its state and generation.
func setMirrorConditions(m v1alpha1.Mirror) {
	m.SetObservedGeneration(m.GetGeneration())
	conds := m.GetConditions()
	mirrorConditions(&conds, m.GetProvisioningState(), m.GetGeneration())
	m.SetConditions(conds)
}

// newMirror returns an empty object of desired's kind to read into.
func (w *mirrorWriter) newMirror(desired v1alpha1.Mirror) (v1alpha1.Mirror, error) {
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
func (w *mirrorWriter) kindOf(obj runtime.Object) string { return kindOf(w.scheme, obj) }

func kindOf(scheme *runtime.Scheme, obj runtime.Object) string {
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return fmt.Sprintf("%T", obj)
	}
	return gvk.Kind
}

// skipped reports an item the API server refused to store.
func (w *mirrorWriter) skipped(ctx context.Context, m v1alpha1.Mirror, err error) {
	kind := w.kindOf(m)
	logf.FromContext(ctx).Error(err, "remote item refused by the API server; skipped", "kind", kind, "name", m.GetName())
	reason := reasonInvalidRemoteItem
	if errors.Is(err, errNameTaken) {
		reason = reasonMirrorNameTaken
	}
	w.recorder.Eventf(w.acct, nil, corev1.EventTypeWarning, reason, "Sync", "%s %s skipped: %v", kind, m.GetName(), err)
}

func mergedLabels(have, want map[string]string) map[string]string {
	out := maps.Clone(have)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, want)
	return out
}
