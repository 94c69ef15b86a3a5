package controller

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// storedMirror is mirror i of a bench-like mix (four Confluent organizations, four
// connect clusters, one Azure and one Cloud Foundry organization in ten) as the API
// server sends it to the cache, with what the cache drops, and the desired mirror it
// was written from.
func storedMirror(t testing.TB, i int) (wire []byte, desired v1alpha1.Mirror) {
	t.Helper()
	ts := time.Date(2023, 9, 29, 1, 12, 16, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	id := fmt.Sprintf("016faf62-54db-4c72-9968-%012d", i)
	switch i % 10 {
	case 0, 1, 2, 3:
		acct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "confluent"}, Spec: v1alpha1.CloudAccountSpec{Provider: v1alpha1.ProviderConfluentCloud}}
		desired = desiredOrganization(acct, cloud.Organization{ID: id, DisplayName: fmt.Sprintf("Wayne Bank %d", i),
			State: cloud.StateSucceeded, SSOURL: "https://confluent.cloud/login/sso/AzureAD-OIDC-Conn-" + id[:8],
			ResourceName: "crn://confluent.cloud/organization=" + id, CreatedAt: ts, UpdatedAt: ts.Add(time.Hour),
			Details: map[string]string{"ssoKind": "AzureSSOConfig", "ssoTenantID": id}})
	case 4, 5, 6, 7:
		acct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "confluent"}, Spec: v1alpha1.CloudAccountSpec{Provider: v1alpha1.ProviderConfluentCloud}}
		desired = desiredConnectCluster(acct, cloud.ConnectCluster{ID: fmt.Sprintf("usmcc-%08d", i), Environment: fmt.Sprintf("env-%05d", i%3),
			ConfluentPlatformClusterID: fmt.Sprintf("connect-group-%06d", i), KafkaClusterID: id[:22], USMKafkaClusterID: fmt.Sprintf("usmkc-%05d", i),
			Cloud: "AWS", Region: "us-west-2", EnvironmentResourceName: fmt.Sprintf("https://api.confluent.cloud/organization=743a6a45/environment=env-%05d", i%3)})
	case 8:
		acct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "azure"}, Spec: v1alpha1.CloudAccountSpec{Provider: v1alpha1.ProviderAzure}}
		name := fmt.Sprintf("confluent-org-%05d", i)
		desired = desiredOrganization(acct, cloud.Organization{ID: "orgsync-rg-1/" + name, DisplayName: name, State: cloud.StateSucceeded,
			RawState: "Succeeded", OfferStatus: "Subscribed", SSOURL: "https://confluent.cloud/login/sso/AzureAD-OIDC-Conn-" + id[:8],
			ResourceName: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/orgsync-rg-1/providers/Microsoft.Confluent/organizations/" + name,
			CreatedAt:    ts, UpdatedAt: ts.Add(time.Hour), Details: map[string]string{"location": "West US", "offerPlanID": "confluent-cloud-azure-payg-prod",
				"offerStatus": "Subscribed", "organizationID": id, "resourceGroup": "orgsync-rg-1", "tag.Environment": "Test"}})
	default:
		acct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "cf"}, Spec: v1alpha1.CloudAccountSpec{Provider: v1alpha1.ProviderCloudFoundry}}
		desired = desiredOrganization(acct, cloud.Organization{ID: id, DisplayName: fmt.Sprintf("web-%05d", i), State: cloud.StateSucceeded,
			RawState: "active", ResourceName: "https://127.0.0.1:39033/v3/organizations/" + id, CreatedAt: ts, UpdatedAt: ts.Add(time.Hour),
			Details: map[string]string{"quotaDefinitionGUID": "7f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"}})
	}
	stored := desired.DeepCopyObject().(v1alpha1.Mirror)
	stored.SetUID(types.UID(fmt.Sprintf("a976170b-c31f-4a68-bb79-%012d", i)))
	stored.SetResourceVersion(fmt.Sprint(1000 + i))
	stored.SetGeneration(1)
	stored.SetCreationTimestamp(metav1.NewTime(time.Date(2026, 12, 5, 4, 8, 22, 0, time.UTC)))
	stored.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "cloud.orgsync.io/v1alpha1", Kind: "CloudAccount",
		Name: stored.GetLabels()[v1alpha1.LabelAccount], UID: "343d6070-2647-43d0-8251-5d2aa7343635", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}})
	stored.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "orgsync", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: "cloud.orgsync.io/v1alpha1"}})
	conds := []metav1.Condition{}
	mirrorConditions(&conds, stored.GetProvisioningState(), 1)
	for i := range conds {
		conds[i].LastTransitionTime = stored.GetCreationTimestamp()
	}
	stored.SetConditions(conds)
	stored.SetObservedGeneration(1)
	kind := kindOrganization
	if _, ok := stored.(*v1alpha1.ConnectCluster); ok {
		kind = kindConnectCluster
	}
	wire, err := json.Marshal(stored)
	if err != nil {
		t.Fatal(err)
	}
	// The API server names the kind; the typed object leaves it out.
	wire = append([]byte(fmt.Sprintf(`{"apiVersion":"cloud.orgsync.io/v1alpha1","kind":%q,`, kind)), wire[1:]...)
	return wire, desired
}

// decoder decodes mirrors as the cache's informers do.
func decoder(t testing.TB) k8sruntime.Decoder {
	t.Helper()
	s := k8sruntime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return serializer.NewCodecFactory(s).UniversalDeserializer()
}

func decode(t testing.TB, dec k8sruntime.Decoder, wire []byte) v1alpha1.Mirror {
	t.Helper()
	obj, _, err := dec.Decode(wire, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(v1alpha1.Mirror)
}

// The cache's lean copy must compare exactly as the full object would: anything else
// would make every sync write every mirror, or miss a change.
func TestLeanMirrorKeepsWhatTheWriterCompares(t *testing.T) {
	dec, lean := decoder(t), leanMirrors(newInterner())
	for i := range 10 {
		wire, desired := storedMirror(t, i)
		full := decode(t, dec, wire)
		obj, err := lean(decode(t, dec, wire))
		if err != nil {
			t.Fatal(err)
		}
		cached := obj.(v1alpha1.Mirror)
		// An informer may transform an object more than once.
		again, err := lean(cached.DeepCopyObject())
		if err != nil {
			t.Fatal(err)
		}
		if !equality.Semantic.DeepEqual(again, cached) {
			t.Errorf("mirror %d: a second pass through the transform changes the lean copy", i)
		}
		full.SetManagedFields(nil)
		full.SetAnnotations(nil)
		full.SetOwnerReferences(nil)
		if org, ok := full.(*v1alpha1.Organization); ok {
			// Details are kept as their digest.
			if !detailsEqual(org, cached.(*v1alpha1.Organization)) {
				t.Errorf("mirror %d: the kept digest differs from the decoded details", i)
			}
			org.Status.Details, org.GenerateName = nil, cached.GetGenerateName()
		}
		if !equality.Semantic.DeepEqual(full, cached) {
			t.Errorf("mirror %d: the lean copy differs from the decoded object", i)
		}
		if _, changed := statusFor(cached, desired); changed {
			t.Errorf("mirror %d: an unchanged item would be written again", i)
		}
		if !cached.SameItem(desired) {
			t.Errorf("mirror %d: no longer the same item as its desired mirror", i)
		}
	}
}

func TestLeanMirrorsShareWhatRepeats(t *testing.T) {
	dec, lean := decoder(t), leanMirrors(newInterner())
	var orgs []*v1alpha1.Organization
	for _, i := range []int{0, 1} {
		wire, _ := storedMirror(t, i)
		obj, _ := lean(decode(t, dec, wire))
		orgs = append(orgs, obj.(*v1alpha1.Organization))
	}
	a, b := orgs[0], orgs[1]
	if reflect.ValueOf(a.Labels).UnsafePointer() != reflect.ValueOf(b.Labels).UnsafePointer() {
		t.Error("two mirrors of one account keep two label maps")
	}
	if &a.Status.Conditions[0] != &b.Status.Conditions[0] {
		t.Error("equal conditions are kept twice")
	}
	if unsafe.StringData(a.Spec.AccountRef.Name) != unsafe.StringData(b.Spec.AccountRef.Name) {
		t.Error("the account's name is kept twice")
	}
	if unsafe.StringData(a.Spec.ExternalID) != unsafe.StringData(a.Name[len(a.Name)-len(a.Spec.ExternalID):]) {
		t.Error("the external ID does not share the name's bytes")
	}
	if a.Status.Details != nil || a.GenerateName == "" || a.GenerateName == b.GenerateName {
		t.Errorf("two items' different details are kept as %q and %q, with a map %v", a.GenerateName, b.GenerateName, a.Status.Details)
	}
}

// A remote list of ever-new values must not grow the interner without end.
func TestInternerIsBounded(t *testing.T) {
	in := newInterner()
	for i := range internMaxEntries + 10 {
		in.str(fmt.Sprint("region-", i))
		in.labelSet(map[string]string{"k": fmt.Sprint(i)})
		in.conditionSet([]metav1.Condition{{Type: "Ready", LastTransitionTime: metav1.Unix(int64(i), 0)}})
	}
	labelSets, conditionSets := 0, 0
	for _, l := range in.labels {
		labelSets += len(l)
	}
	for _, c := range in.conditions {
		conditionSets += len(c)
	}
	if len(in.strings) != internMaxEntries || labelSets != internMaxEntries || conditionSets != internMaxEntries {
		t.Errorf("interner holds %d strings, %d label sets and %d condition lists; want %d of each at most",
			len(in.strings), labelSets, conditionSets, internMaxEntries)
	}
	// Once full, a new condition list is the mirror's own, with its strings shared.
	late := []metav1.Condition{{Type: string([]byte("Ready")), Status: "True", LastTransitionTime: metav1.Unix(-1, 0)}}
	if got := in.conditionSet(late); &got[0] != &late[0] || unsafe.StringData(got[0].Type) != unsafe.StringData(in.str("Ready")) {
		t.Error("a condition list past the bound is not kept as the mirror's own with shared strings")
	}
	long := string(make([]byte, internMaxLen+1))
	if in.str(long); len(in.strings) != internMaxEntries {
		t.Error("a string past the length bound was kept")
	}
	if got := in.str("region-0"); got != "region-0" {
		t.Errorf("str = %q after the interner filled", got)
	}
}

// BenchmarkCachedMirror reports the live heap each cached mirror costs, with the
// transform the cache uses and without any (go test -run '^$' -bench CachedMirror).
func BenchmarkCachedMirror(b *testing.B) {
	const n = 20000
	dec := decoder(b)
	wires := make([][]byte, n)
	for i := range wires {
		wires[i], _ = storedMirror(b, i)
	}
	for _, tc := range []struct {
		name      string
		transform toolscache.TransformFunc
	}{
		{"decoded", func(obj any) (any, error) { return obj, nil }},
		{"lean", leanMirrors(newInterner())},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				store := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc, toolscache.Indexers{toolscache.NamespaceIndex: toolscache.MetaNamespaceIndexFunc})
				before := liveHeap()
				for _, w := range wires {
					obj, err := tc.transform(decode(b, dec, w))
					if err != nil {
						b.Fatal(err)
					}
					if err := store.Add(obj); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(liveHeap()-before)/n, "B/mirror")
				runtime.KeepAlive(store)
			}
		})
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// Every watch event passes the transform: finding what is already shared must not
// allocate.
func TestInternerHitAllocatesNothing(t *testing.T) {
	in := newInterner()
	labels := map[string]string{v1alpha1.LabelAccount: "confluent", v1alpha1.LabelProvider: "ConfluentCloud"}
	conds := []metav1.Condition{{Type: "Ready", Status: "True", Reason: "Succeeded", Message: "remote provisioning state is Succeeded",
		ObservedGeneration: 1, LastTransitionTime: metav1.Unix(1764907702, 0)}}
	in.labelSet(labels)
	in.conditionSet(conds)
	if n := testing.AllocsPerRun(100, func() {
		in.labelSet(labels)
		in.conditionSet(conds)
	}); n != 0 {
		t.Errorf("%v allocations per hit", n)
	}
}
