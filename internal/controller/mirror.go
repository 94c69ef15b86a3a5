package controller

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

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
			OfferStatus:       org.OfferStatus,
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

// offerInactive says whether an Azure SaaS offer status leaves the organization unusable.
func offerInactive(status string) bool {
	switch strings.ToLower(status) {
	case "suspended", "unsubscribed", "failed":
		return true
	}
	return false
}

// offerInactiveConditions mark an organization whose SaaS offer is suspended,
// unsubscribed or failed: a dead end until someone acts on the subscription.
func offerInactiveConditions(conds *[]metav1.Condition, offer string, generation int64) {
	msg := fmt.Sprintf("the SaaS offer is %s", offer)
	meta.SetStatusCondition(conds, metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse,
		Reason: v1alpha1.ReasonOfferInactive, Message: msg, ObservedGeneration: generation})
	meta.SetStatusCondition(conds, metav1.Condition{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue,
		Reason: v1alpha1.ReasonOfferInactive, Message: msg, ObservedGeneration: generation})
	meta.RemoveStatusCondition(conds, v1alpha1.ConditionReconciling)
}

// setMirrorConditions sets the mirror's conditions for its state and generation; an
// organization whose SaaS offer is inactive is not Ready, whatever its state.
func setMirrorConditions(m v1alpha1.Mirror) {
	m.SetObservedGeneration(m.GetGeneration())
	conds := m.GetConditions()
	if o, ok := m.(*v1alpha1.Organization); ok && offerInactive(o.Status.OfferStatus) {
		offerInactiveConditions(&conds, o.Status.OfferStatus, m.GetGeneration())
	} else {
		mirrorConditions(&conds, m.GetProvisioningState(), m.GetGeneration())
	}
	m.SetConditions(conds)
}

// Mirror kinds, as metrics and events name them.
const (
	kindOrganization   = "Organization"
	kindConnectCluster = "ConnectCluster"
)
