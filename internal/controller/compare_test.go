package controller

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// fullMirrors are one mirror of each kind with every status field set.
func fullMirrors() []v1alpha1.Mirror {
	at := metav1.Date(2026, 12, 5, 4, 8, 22, 0, time.UTC)
	conds := []metav1.Condition{{Type: "Ready", Status: "True", ObservedGeneration: 1, LastTransitionTime: at, Reason: "Succeeded", Message: "m"}}
	return []v1alpha1.Mirror{
		&v1alpha1.Organization{Status: v1alpha1.OrganizationStatus{Conditions: conds, ObservedGeneration: 1, DisplayName: "d",
			ProvisioningState: "Succeeded", RawState: "r", OfferStatus: "o", SSOURL: "s", ResourceName: "n",
			CreatedAt: &at, UpdatedAt: &at, DeletedAt: &at, Details: map[string]string{"k": "v"}}},
		&v1alpha1.ConnectCluster{Status: v1alpha1.ConnectClusterStatus{Conditions: conds, ObservedGeneration: 1, ProvisioningState: "Succeeded",
			ConfluentPlatformConnectClusterID: "c", KafkaClusterID: "k", USMKafkaClusterID: "u", Cloud: "AWS", Region: "r", EnvironmentResourceName: "e"}},
	}
}

// Every status field must count: a change to any of them is a status to write.
func TestStatusEqualSeesEveryField(t *testing.T) {
	for _, base := range fullMirrors() {
		if !statusEqual(base, base.DeepCopyObject().(v1alpha1.Mirror)) {
			t.Fatalf("%T: a copy differs", base)
		}
		status := reflect.ValueOf(base).Elem().FieldByName("Status")
		for i := range status.NumField() {
			changed := base.DeepCopyObject().(v1alpha1.Mirror)
			field := reflect.ValueOf(changed).Elem().FieldByName("Status").Field(i)
			name := status.Type().Field(i).Name
			switch v := field.Addr().Interface().(type) {
			case *string:
				*v += "x"
			case *v1alpha1.ProvisioningState:
				*v += "x"
			case *v1alpha1.Cloud:
				*v += "x"
			case *int64:
				*v++
			case **metav1.Time:
				later := metav1.NewTime((*v).Add(time.Second))
				*v = &later
			case *map[string]string:
				(*v)["other"] = "x"
			case *[]metav1.Condition:
				(*v)[0].LastTransitionTime = metav1.NewTime((*v)[0].LastTransitionTime.Add(time.Second))
			default:
				t.Fatalf("%T.Status.%s: a field of type %s the test cannot change; compare it in statusEqual and change it here", base, name, field.Type())
			}
			if statusEqual(base, changed) {
				t.Errorf("%T.Status.%s changed, and statusEqual says the status is the same", base, name)
			}
		}
	}
}

// statusEqual keeps equality.Semantic's sense: the same instant in another zone, and
// nil against empty, are the same status.
func TestStatusEqualIsSemantic(t *testing.T) {
	a := fullMirrors()[0].(*v1alpha1.Organization)
	b := a.DeepCopy()
	elsewhere := metav1.NewTime(a.Status.CreatedAt.In(time.FixedZone("x", 3600)))
	b.Status.CreatedAt = &elsewhere
	b.Status.Conditions[0].LastTransitionTime = metav1.NewTime(b.Status.Conditions[0].LastTransitionTime.In(time.FixedZone("y", -7200)))
	if !statusEqual(a, b) {
		t.Error("the same instants in other zones compare unequal")
	}
	a.Status.Details, b.Status.Details = nil, map[string]string{}
	if !statusEqual(a, b) {
		t.Error("nil and empty details compare unequal")
	}
	b.Status.CreatedAt = nil
	if statusEqual(a, b) {
		t.Error("a time and no time compare equal")
	}
}
