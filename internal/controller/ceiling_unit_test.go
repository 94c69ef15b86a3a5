package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// A refused admit takes no slot: a refund after it makes room for one create again.
func TestCeilingRefusedAdmitLeavesRoomForARefund(t *testing.T) {
	c := &mirrorCeiling{limit: 1}
	c.left.Store(1)
	if !c.admit() {
		t.Fatal("the one slot was refused")
	}
	for range 3 {
		if c.admit() {
			t.Fatal("admitted past the ceiling")
		}
	}
	c.refund()
	if !c.admit() {
		t.Error("refused after a refund: the refused admits leaked slots")
	}
	if c.admit() {
		t.Error("admitted twice after one refund")
	}
}

// unitScheme knows the mirror kinds and the account.
func unitScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func unitAccount() *v1alpha1.CloudAccount {
	return &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "a", UID: "uid-a"},
		Spec: v1alpha1.CloudAccountSpec{Provider: v1alpha1.ProviderAzure}}
}

func unitOrganization(acct *v1alpha1.CloudAccount, id string) *v1alpha1.Organization {
	return desiredOrganization(acct, cloud.Organization{ID: id, DisplayName: id, State: cloud.StateSucceeded, CreatedAt: time.Unix(1e9, 0)})
}

func ceilingOf(left int64) *mirrorCeiling {
	c := &mirrorCeiling{limit: int(left)}
	c.left.Store(left)
	return c
}

// A create whose object was stored keeps its slot even when the status write after it
// failed: the mirror exists and counts against the ceiling.
func TestCreateKeepsTheSlotWhenOnlyTheStatusWriteFailed(t *testing.T) {
	scheme := unitScheme(t)
	statusRefused := errors.New("status write refused")
	// The API server stores the object, then refuses its status write.
	c := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&v1alpha1.Organization{}).
		WithInterceptorFuncs(interceptor.Funcs{
			SubResourceUpdate: func(context.Context, client.Client, string, client.Object, ...client.SubResourceUpdateOption) error {
				return statusRefused
			},
		}).Build()
	acct := unitAccount()
	ceiling := ceilingOf(1)
	w := &mirrorWriter{mirrorIO{client: c, creates: viaClient{c}, cache: c, reader: c, scheme: scheme, recorder: events.NewFakeRecorder(10), acct: acct, ceiling: ceiling}}
	desired := unitOrganization(acct, "rg/one")
	if err := w.createWithin(context.Background(), desired); !errors.Is(err, statusRefused) {
		t.Fatalf("createWithin = %v, want the status write's error", err)
	}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(desired), &v1alpha1.Organization{}); err != nil {
		t.Fatalf("the mirror was not created: %v", err)
	}
	if got := ceiling.left.Load(); got != 0 {
		t.Errorf("slots left = %d after a created mirror, want 0", got)
	}
}

// viaClient makes a new mirror's two writes through a controller-runtime client.
type viaClient struct{ client.Client }

func (c viaClient) create(ctx context.Context, obj v1alpha1.Mirror) error { return c.Create(ctx, obj) }

func (c viaClient) updateStatus(ctx context.Context, obj v1alpha1.Mirror) error {
	return c.Status().Update(ctx, obj)
}

// A plan page that fails gives back the slots its creates took: written again, it
// counts the same creates, not fewer.
func TestPlanPageNotCommittedReturnsItsSlots(t *testing.T) {
	scheme := unitScheme(t)
	c := fake.NewClientBuilder().WithScheme(scheme).Build()
	acct := unitAccount()
	ceiling := ceilingOf(2)
	w := &planWriter{mirrorIO: mirrorIO{client: c, cache: c, reader: c, scheme: scheme, recorder: events.NewFakeRecorder(10), acct: acct, ceiling: ceiling},
		tally: &planTally{}}
	items := []v1alpha1.Mirror{unitOrganization(acct, "rg/one"), unitOrganization(acct, "rg/two")}
	writePage := func(committed bool) {
		page, end := w.page()
		for _, m := range items {
			if err := page.ensure(context.Background(), m); err != nil {
				t.Fatalf("ensure %s: %v", m.GetName(), err)
			}
		}
		end(committed)
	}
	writePage(false) // a write elsewhere on the page failed
	writePage(true)  // the page written again
	if w.tally.creates.count != 2 {
		t.Errorf("plan counts %d creates, want 2", w.tally.creates.count)
	}
	if got := ceiling.left.Load(); got != 0 {
		t.Errorf("slots left = %d, want 0", got)
	}
}

// Deletes held back and items capped in one sync: the reason is PruneHeldBack, and
// its message and event still say what the ceiling held back.
func TestPruneHeldBackKeepsTheCeilingMessage(t *testing.T) {
	acct := unitAccount()
	acct.Spec.MaxMirrors = 1
	session := &syncSession{
		started: time.Now(),
		listed:  map[string]map[string]v1alpha1.ProvisioningState{kindOrganization: {"o1": "", "o2": ""}, kindConnectCluster: {}},
		skipped: &skippedItems{}, capped: &skippedItems{},
	}
	session.capped.add(kindOrganization, "o2")
	o := syncedStatus(acct, session, pruneOutcome{heldBack: "prune held back: 5 of 6 mirrors"}, time.Now())
	if o.kind != outcomePruneHeldBack || o.reason != v1alpha1.ReasonPruneHeldBack {
		t.Fatalf("outcome %v/%s, want PruneHeldBack", o.kind, o.reason)
	}
	for what, text := range map[string]string{"message": o.message, "event": o.event} {
		if !strings.Contains(text, "prune held back: 5 of 6 mirrors") || !strings.Contains(text, "mirror ceiling reached: 1 remote items") {
			t.Errorf("%s %q does not say both what the guard and the ceiling held back", what, text)
		}
	}
}

// Remote-controlled text cannot push a condition or an event past what the API server
// stores: the message is cut on a rune boundary.
func TestOutcomeMessagesAreBounded(t *testing.T) {
	huge := strings.Repeat("é", 40000) // two bytes a rune, 80000 bytes
	recorder := events.NewFakeRecorder(1)
	r := &CloudAccountReconciler{Recorder: recorder}
	acct := unitAccount()
	r.record(acct, outcome{kind: outcomeStalled, reason: v1alpha1.ReasonOriginNotAllowed, message: huge, event: huge})
	for _, c := range acct.Status.Conditions {
		if len(c.Message) > 32768 || !utf8.ValidString(c.Message) || !strings.HasSuffix(c.Message, "…") {
			t.Errorf("%s message: %d bytes, valid UTF-8 %v", c.Type, len(c.Message), utf8.ValidString(c.Message))
		}
	}
	if len(acct.Status.Conditions) == 0 {
		t.Fatal("no condition set")
	}
	event := <-recorder.Events
	if len(event) > 1024+100 || !utf8.ValidString(event) || !strings.Contains(event, "…") {
		t.Errorf("event of %d bytes, valid UTF-8 %v", len(event), utf8.ValidString(event))
	}
}
