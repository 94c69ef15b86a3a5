package controller

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

func TestMirrorConditionsFollowKstatus(t *testing.T) {
	tests := []struct {
		state v1alpha1.ProvisioningState
		want  map[string]metav1.ConditionStatus // absent type: condition not set
	}{
		{v1alpha1.StateSucceeded, map[string]metav1.ConditionStatus{"Ready": "True"}},
		{v1alpha1.StateCreating, map[string]metav1.ConditionStatus{"Ready": "False", "Reconciling": "True"}},
		{v1alpha1.StateDeleting, map[string]metav1.ConditionStatus{"Ready": "False", "Reconciling": "True"}},
		{v1alpha1.StateFailed, map[string]metav1.ConditionStatus{"Ready": "False", "Stalled": "True"}},
		{v1alpha1.StateSuspended, map[string]metav1.ConditionStatus{"Ready": "False", "Stalled": "True"}},
		{v1alpha1.StateUnknown, map[string]metav1.ConditionStatus{"Ready": "Unknown"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			// Start from the opposite extreme so stale conditions must be removed.
			conds := []metav1.Condition{}
			mirrorConditions(&conds, v1alpha1.StateFailed, 1)
			mirrorConditions(&conds, v1alpha1.StateCreating, 1)
			mirrorConditions(&conds, tt.state, 3)
			got := map[string]metav1.ConditionStatus{}
			for _, c := range conds {
				got[c.Type] = c.Status
				if c.ObservedGeneration != 3 {
					t.Errorf("%s observedGeneration = %d, want 3", c.Type, c.ObservedGeneration)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizedState(t *testing.T) {
	tests := []struct {
		in   cloud.State
		want v1alpha1.ProvisioningState
	}{
		{cloud.StateSucceeded, v1alpha1.StateSucceeded},
		{cloud.StateSuspended, v1alpha1.StateSuspended},
		{"", v1alpha1.StateUnknown},
		{"NotSpecified", v1alpha1.StateUnknown},
		{"Provisioning", v1alpha1.StateUnknown},
	}
	for _, tt := range tests {
		if got := normalizedState(tt.in); got != tt.want {
			t.Errorf("normalizedState(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDesiredOrganizationComparesEqualAfterARoundTrip(t *testing.T) {
	acct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: v1alpha1.CloudAccountSpec{Provider: v1alpha1.ProviderAzure}}
	observed := time.Date(2026, 5, 9, 14, 28, 47, 284_000_000, time.FixedZone("x", 3600))
	d := desiredOrganization(acct, cloud.Organization{ID: "rg/org", DisplayName: "org", State: cloud.StateSucceeded, CreatedAt: observed})
	// The API server keeps whole seconds in UTC; what the cache returns must equal
	// what a sync observes, or every sync would rewrite every mirror.
	roundTripped := metav1.NewTime(observed.UTC().Truncate(time.Second))
	if !d.Status.CreatedAt.Equal(&roundTripped) || d.Status.CreatedAt.Location() != time.UTC {
		t.Errorf("createdAt = %v, want %v in UTC", d.Status.CreatedAt, roundTripped)
	}
	if meta.FindStatusCondition(d.Status.Conditions, v1alpha1.ConditionReady) != nil {
		t.Errorf("desired status carries conditions before they are merged with the existing ones")
	}
}

// TestOfferInactiveIsNotReady: an organization whose SaaS offer is Suspended,
// Unsubscribed or Failed is Stalled and not Ready, whatever its provisioning state; an
// active offer leaves the state in charge.
func TestOfferInactiveIsNotReady(t *testing.T) {
	tests := []struct {
		offer      string
		state      v1alpha1.ProvisioningState
		wantReady  metav1.ConditionStatus
		wantReason string
	}{
		{"Suspended", v1alpha1.StateSucceeded, metav1.ConditionFalse, v1alpha1.ReasonOfferInactive},
		{"Unsubscribed", v1alpha1.StateSucceeded, metav1.ConditionFalse, v1alpha1.ReasonOfferInactive},
		{"Failed", v1alpha1.StateCreating, metav1.ConditionFalse, v1alpha1.ReasonOfferInactive},
		{"Subscribed", v1alpha1.StateSucceeded, metav1.ConditionTrue, v1alpha1.ReasonSucceeded},
		{"PendingFulfillmentStart", v1alpha1.StateCreating, metav1.ConditionFalse, v1alpha1.ReasonProvisioning},
		{"", v1alpha1.StateSucceeded, metav1.ConditionTrue, v1alpha1.ReasonSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.offer+"/"+string(tt.state), func(t *testing.T) {
			o := &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Generation: 2}}
			o.Status.ProvisioningState, o.Status.OfferStatus = tt.state, tt.offer
			mirrorConditions(&o.Status.Conditions, v1alpha1.StateCreating, 1) // stale Reconciling must go
			setMirrorConditions(o)
			ready := meta.FindStatusCondition(o.Status.Conditions, v1alpha1.ConditionReady)
			if ready == nil || ready.Status != tt.wantReady || ready.Reason != tt.wantReason {
				t.Fatalf("Ready = %+v, want %s %s", ready, tt.wantReady, tt.wantReason)
			}
			stalled := meta.IsStatusConditionTrue(o.Status.Conditions, v1alpha1.ConditionStalled)
			if inactive := tt.wantReason == v1alpha1.ReasonOfferInactive; stalled != inactive {
				t.Errorf("Stalled = %v, want %v", stalled, inactive)
			}
			if tt.wantReason == v1alpha1.ReasonOfferInactive && meta.FindStatusCondition(o.Status.Conditions, v1alpha1.ConditionReconciling) != nil {
				t.Error("Reconciling left on an organization whose offer is inactive")
			}
		})
	}
}
