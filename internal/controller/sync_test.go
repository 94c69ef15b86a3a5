package controller

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

func TestDue(t *testing.T) {
	now := time.Date(2026, 5, 9, 12, 0, 0, 0, time.UTC)
	later := metav1.NewTime(now.Add(90 * time.Second))
	earlier := metav1.NewTime(now.Add(-time.Second))
	// synced is an account whose last sync handled everything and set a next sync.
	synced := func(mutate func(*v1alpha1.CloudAccount)) *v1alpha1.CloudAccount {
		a := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 2}}
		a.Status.ObservedGeneration = 2
		a.Status.NextSyncTime = &later
		if mutate != nil {
			mutate(a)
		}
		return a
	}
	request := func(token string) func(*v1alpha1.CloudAccount) {
		return func(a *v1alpha1.CloudAccount) {
			a.Annotations = map[string]string{v1alpha1.AnnotationSyncRequestedAt: token}
		}
	}
	tests := []struct {
		name      string
		acct      *v1alpha1.CloudAccount
		state     account
		secret    string
		wantWait  time.Duration
		wantDueOK bool
	}{
		{name: "waits for the next sync time", acct: synced(nil), secret: "v1",
			state: account{lastSecret: "v1", secretKnown: true}, wantWait: 90 * time.Second},
		{name: "a spec change is due at once", acct: synced(func(a *v1alpha1.CloudAccount) { a.Generation = 3 }), secret: "v1",
			state: account{lastSecret: "v1", secretKnown: true}, wantDueOK: true},
		{name: "a new sync request is due at once", acct: synced(request("t2")), secret: "v1",
			state: account{lastSecret: "v1", secretKnown: true}, wantDueOK: true},
		{name: "a handled sync request waits", acct: synced(func(a *v1alpha1.CloudAccount) {
			request("t1")(a)
			a.Status.LastHandledSyncRequest = "t1"
		}), secret: "v1", state: account{lastSecret: "v1", secretKnown: true}, wantWait: 90 * time.Second},
		{name: "a changed Secret is due at once", acct: synced(nil), secret: "v2",
			state: account{lastSecret: "v1", secretKnown: true}, wantDueOK: true},
		{name: "a Secret that appeared is due at once", acct: synced(nil), secret: "v1",
			state: account{lastSecret: "", secretKnown: true}, wantDueOK: true},
		{name: "after a restart the Secret counts as unchanged", acct: synced(nil), secret: "v1",
			wantWait: 90 * time.Second},
		{name: "after a restart, an account stalled on an unlent Secret is due", acct: synced(func(a *v1alpha1.CloudAccount) {
			a.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonCredentialsNotLent}}
		}), secret: "v1", wantDueOK: true},
		{name: "after a restart, an account refused by the remote waits", acct: synced(func(a *v1alpha1.CloudAccount) {
			a.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonUnauthorized}}
		}), secret: "v1", wantWait: 90 * time.Second},
		{name: "no next sync time is due", acct: synced(func(a *v1alpha1.CloudAccount) { a.Status.NextSyncTime = nil }),
			secret: "v1", wantDueOK: true},
		{name: "a past next sync time is due", acct: synced(func(a *v1alpha1.CloudAccount) { a.Status.NextSyncTime = &earlier }),
			secret: "v1", wantDueOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wait, due := tt.state.due(tt.acct, tt.secret, now)
			if wait != tt.wantWait || due != tt.wantDueOK {
				t.Errorf("due() = %v, %v; want %v, %v", wait, due, tt.wantWait, tt.wantDueOK)
			}
		})
	}
}

// A reconcile that reads the account before the cache heard of the sync that just
// handled its request starts no second sync: the API server's copy says it is done.
func TestStillDueDecidesOnTheAPIServersCopy(t *testing.T) {
	now := time.Date(2026, 5, 9, 12, 0, 0, 0, time.UTC)
	next := metav1.NewTime(now.Add(time.Minute))
	cached := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 1, ResourceVersion: "10",
		Annotations: map[string]string{v1alpha1.AnnotationSyncRequestedAt: "t1"}}}
	cached.Status.ObservedGeneration = 1
	handled := cached.DeepCopy()
	handled.ResourceVersion = "11"
	handled.Status.LastHandledSyncRequest = "t1"
	handled.Status.NextSyncTime = &next
	st := account{lastSecret: "v1", secretKnown: true}

	if wait, due := st.stillDue(cached, handled, "v1", now); due || wait != time.Minute {
		t.Errorf("the request handled on the server: stillDue() = %v, %v; want 1m0s, false", wait, due)
	}
	if _, due := st.stillDue(cached, cached.DeepCopy(), "v1", now); !due {
		t.Error("the cache is current: stillDue() = false; want the cache's verdict, true")
	}
	requestedAgain := handled.DeepCopy()
	requestedAgain.ResourceVersion = "12"
	requestedAgain.Annotations[v1alpha1.AnnotationSyncRequestedAt] = "t2"
	if _, due := st.stillDue(cached, requestedAgain, "v1", now); !due {
		t.Error("a newer request on the server: stillDue() = false; want true")
	}
}

func TestUntilRequested(t *testing.T) {
	tests := []struct {
		name         string
		annotation   string
		sessionStart string
		want         time.Duration
	}{
		{"no request at all", "", "", time.Minute},
		{"the request the session handled", "t1", "t1", time.Minute},
		{"a request made while the session ran", "t2", "t1", time.Second},
		{"a first request made while the session ran", "t1", "", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := &v1alpha1.CloudAccount{}
			if tt.annotation != "" {
				acct.Annotations = map[string]string{v1alpha1.AnnotationSyncRequestedAt: tt.annotation}
			}
			if got := untilRequested(acct, &syncSession{syncRequest: tt.sessionStart}, time.Minute); got != tt.want {
				t.Errorf("untilRequested() = %v, want %v", got, tt.want)
			}
		})
	}
}

// A page whose writes failed is handed out again, without a new remote call, until it
// is written; a refused remote page is asked for again at the same cursor.
func TestListWalkRetriesThePendingPage(t *testing.T) {
	pages := map[string]cloud.Page[cloud.Organization]{
		"":   {Items: []cloud.Organization{{ID: "a"}, {ID: "b"}}, Next: "p2"},
		"p2": {Items: []cloud.Organization{{ID: "c"}}},
	}
	var calls []string
	failNext := false
	fetch := func(_ context.Context, cursor string) (cloud.Page[cloud.Organization], error) {
		calls = append(calls, cursor)
		if failNext {
			failNext = false
			return cloud.Page[cloud.Organization]{}, &cloud.APIError{Kind: cloud.ErrTransient, Status: 503}
		}
		return pages[cursor], nil
	}
	acct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "acct"}}
	walk := &listWalk[cloud.Organization, *v1alpha1.Organization]{
		what: "organizations", mirrorKind: kindOrganization, acct: acct, desired: desiredOrganization,
		listing: cloud.NewListing(fetch, cloud.DefaultLimits),
	}
	steps := []struct {
		name      string
		failFetch bool
		written   bool // the page's writes succeed
		wantNames []string
		wantErr   bool
		wantCalls []string
		wantDone  bool
	}{
		{name: "reads the first page", wantNames: []string{"acct.a", "acct.b"}, wantCalls: []string{""}},
		{name: "a failed write hands out the same page again", written: true,
			wantNames: []string{"acct.a", "acct.b"}, wantCalls: []string{""}},
		{name: "a refused remote page is an error", failFetch: true, wantErr: true, wantCalls: []string{"", "p2"}},
		{name: "the retry asks for the refused page again", written: true,
			wantNames: []string{"acct.c"}, wantCalls: []string{"", "p2", "p2"}, wantDone: true},
	}
	for _, st := range steps {
		failNext = st.failFetch
		walk.rewind() // each step is a run of the session: a failed one hands its page out again
		page, err := walk.page(context.Background())
		if (err != nil) != st.wantErr {
			t.Fatalf("%s: err = %v, want error %v", st.name, err, st.wantErr)
		}
		var names []string
		for _, m := range page {
			names = append(names, m.GetName())
		}
		if diff := cmp.Diff(st.wantNames, names); diff != "" {
			t.Errorf("%s: page (-want +got):\n%s", st.name, diff)
		}
		if st.written {
			walk.written(len(page))
		}
		if diff := cmp.Diff(st.wantCalls, calls); diff != "" {
			t.Errorf("%s: remote calls (-want +got):\n%s", st.name, diff)
		}
		if walk.done() != st.wantDone {
			t.Errorf("%s: done = %v, want %v", st.name, walk.done(), st.wantDone)
		}
	}
}
