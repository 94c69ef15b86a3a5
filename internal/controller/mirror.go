package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/metrics"
)

// mirrorWriter creates and patches mirrors, writing only what differs from the cache.
type mirrorWriter struct {
	client client.Client
	// reader reads past the cache, which holds only mirrors with the account label.
	reader client.Reader
	scheme *runtime.Scheme
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

// mirror adapts the two mirror kinds to one write path.
type mirror interface {
	client.Object
	*v1alpha1.Organization | *v1alpha1.ConnectCluster
}

// status returns a pointer to the mirror's status and its conditions.
func statusOf(obj client.Object) (any, *[]metav1.Condition, *int64) {
	switch o := obj.(type) {
	case *v1alpha1.Organization:
		return &o.Status, &o.Status.Conditions, &o.Status.ObservedGeneration
	case *v1alpha1.ConnectCluster:
		return &o.Status, &o.Status.Conditions, &o.Status.ObservedGeneration
	}
	panic(fmt.Sprintf("not a mirror: %T", obj))
}

func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *v1alpha1.Organization:
		return "Organization"
	case *v1alpha1.ConnectCluster:
		return "ConnectCluster"
	}
	return fmt.Sprintf("%T", obj)
}

// ownedBy reports whether an existing mirror belongs to the account and remote item.
func ownedBy(existing, desired client.Object) bool {
	switch e := existing.(type) {
	case *v1alpha1.Organization:
		return equality.Semantic.DeepEqual(e.Spec, desired.(*v1alpha1.Organization).Spec)
	case *v1alpha1.ConnectCluster:
		return equality.Semantic.DeepEqual(e.Spec, desired.(*v1alpha1.ConnectCluster).Spec)
	}
	return false
}

// errNameTaken means a mirror's name is held by an object with another spec (made by
// hand, or by a mirror of another account or item).
var errNameTaken = errors.New("name taken")

// ensure makes the mirror match desired: a create plus a status write for a new item,
// a status patch when the observed fields or conditions changed, nothing otherwise.
func ensure[T mirror](ctx context.Context, w *mirrorWriter, acct *v1alpha1.CloudAccount, desired T, existing T, state v1alpha1.ProvisioningState) error {
	kind := kindOf(desired)
	err := w.client.Get(ctx, client.ObjectKeyFromObject(desired), existing)
	if apierrors.IsNotFound(err) {
		err = w.create(ctx, acct, desired, state)
		if !apierrors.IsAlreadyExists(err) {
			return err
		}
		// It exists, but the cache does not hold it: someone removed its account
		// label. Read it directly; the label is put back below.
		err = w.reader.Get(ctx, client.ObjectKeyFromObject(desired), existing)
	}
	if err != nil {
		return fmt.Errorf("get %s %s: %w", kind, desired.GetName(), err)
	}
	if !ownedBy(existing, desired) {
		return fmt.Errorf("%w: %s %s mirrors another account or remote item; leaving it alone", errNameTaken, kind, desired.GetName())
	}
	if !maps.Equal(existing.GetLabels(), mergedLabels(existing.GetLabels(), desired.GetLabels())) {
		before := existing.DeepCopyObject().(client.Object)
		existing.SetLabels(mergedLabels(existing.GetLabels(), desired.GetLabels()))
		if err := w.client.Patch(ctx, existing, client.MergeFrom(before)); err != nil {
			return fmt.Errorf("label %s %s: %w", kind, desired.GetName(), err)
		}
		metrics.APIServerWrites.WithLabelValues("patch", kind).Inc()
	}
	before := existing.DeepCopyObject().(client.Object)
	wantStatus := withConditions(desired, existing, state)
	curStatus, _, _ := statusOf(existing)
	if equality.Semantic.DeepEqual(curStatus, wantStatus) {
		return nil
	}
	setStatus(existing, wantStatus)
	if err := w.client.Status().Patch(ctx, existing, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("patch status of %s %s: %w", kind, desired.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("patch_status", kind).Inc()
	return nil
}

func (w *mirrorWriter) create(ctx context.Context, acct *v1alpha1.CloudAccount, desired client.Object, state v1alpha1.ProvisioningState) error {
	kind := kindOf(desired)
	status, _, _ := statusOf(desired.DeepCopyObject().(client.Object))
	if err := controllerutil.SetControllerReference(acct, desired, w.scheme); err != nil {
		return err
	}
	if err := w.client.Create(ctx, desired); err != nil {
		return fmt.Errorf("create %s %s: %w", kind, desired.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("create", kind).Inc()
	// The status subresource ignores status on create, so it takes a second write.
	setStatus(desired, status)
	_, conds, gen := statusOf(desired)
	*gen = desired.GetGeneration()
	mirrorConditions(conds, state, desired.GetGeneration())
	if err := w.client.Status().Update(ctx, desired); err != nil {
		return fmt.Errorf("write status of %s %s: %w", kind, desired.GetName(), err)
	}
	metrics.APIServerWrites.WithLabelValues("update_status", kind).Inc()
	return nil
}

// withConditions returns desired's status carrying existing's conditions updated for
// state, so unchanged conditions keep their lastTransitionTime.
func withConditions(desired, existing client.Object, state v1alpha1.ProvisioningState) any {
	want := desired.DeepCopyObject().(client.Object)
	_, existingConds, _ := statusOf(existing)
	_, conds, gen := statusOf(want)
	*conds = append([]metav1.Condition(nil), (*existingConds)...)
	*gen = existing.GetGeneration()
	mirrorConditions(conds, state, existing.GetGeneration())
	status, _, _ := statusOf(want)
	return status
}

func setStatus(obj client.Object, status any) {
	switch o := obj.(type) {
	case *v1alpha1.Organization:
		o.Status = *status.(*v1alpha1.OrganizationStatus)
	case *v1alpha1.ConnectCluster:
		o.Status = *status.(*v1alpha1.ConnectClusterStatus)
	}
}

func mergedLabels(have, want map[string]string) map[string]string {
	out := maps.Clone(have)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, want)
	return out
}
