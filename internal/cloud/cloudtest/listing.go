package cloudtest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

// OrganizationID is the id Collect and NextIDs keep of an organization.
func OrganizationID(o cloud.Organization) string { return o.ID }

// NextUntilError calls l.Next until it fails, at most n times, and returns the error
// (nil when none came): for listings that must be stopped, not run forever.
func NextUntilError[T any](l *cloud.Listing[T], n int) error {
	var err error
	for i := 0; i < n && err == nil; i++ {
		_, err = l.Next(context.Background())
	}
	return err
}

// ReadAll reads l to its end and returns the items, stopping the test on any error.
func ReadAll[T any](t testing.TB, l *cloud.Listing[T]) []T {
	t.Helper()
	var all []T
	for !l.Done() {
		items, err := l.Next(context.Background())
		if err != nil {
			t.Fatalf("page %d: %v", l.Pages()+1, err)
		}
		all = append(all, items...)
	}
	return all
}

// OrganizationIDs reads a whole listing of fetch and returns the ids, stopping the
// test on any error.
func OrganizationIDs(t testing.TB, fetch cloud.PageFunc[cloud.Organization]) []string {
	t.Helper()
	var ids []string
	for _, o := range ReadAll(t, cloud.NewListing(fetch, cloud.DefaultLimits)) {
		ids = append(ids, o.ID)
	}
	return ids
}

// NextIDs reads one page of l and returns its ids (never nil), stopping the test on
// an error.
func NextIDs[T any](t testing.TB, l *cloud.Listing[T], id func(T) string) []string {
	t.Helper()
	items, err := l.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, it := range items {
		ids = append(ids, id(it))
	}
	return ids
}

// Collect reads l until it is done or fails, appending the ids it reads; the error is
// the caller's to judge, and the listing can go on after it.
func Collect[T any](l *cloud.Listing[T], id func(T) string, ids *[]string) error {
	for !l.Done() {
		items, err := l.Next(context.Background())
		if err != nil {
			return err
		}
		for _, it := range items {
			*ids = append(*ids, id(it))
		}
	}
	return nil
}

// CollectWaiting is Collect that waits out each rate limit as told (a test may sleep;
// a worker would requeue) and resumes, calling refused with each limit before the
// wait. Any other error stops the test.
func CollectWaiting[T any](t testing.TB, l *cloud.Listing[T], id func(T) string, ids *[]string, refused func(*cloud.RateLimitedError)) {
	t.Helper()
	for !l.Done() {
		err := Collect(l, id, ids)
		rl, ok := cloud.AsRateLimited(err)
		if !ok {
			if err != nil {
				t.Fatal(err)
			}
			return
		}
		refused(rl)
		time.Sleep(rl.Wait)
	}
}

// RequestURIs lists the simulator's request log for ep: the URIs and their statuses.
func RequestURIs(sim *cloudsim.Server, ep cloudsim.Endpoint) (uris []string, statuses []int) {
	for _, r := range sim.Requests() {
		if r.Endpoint == ep {
			uris = append(uris, r.RequestURI)
			statuses = append(statuses, r.Status)
		}
	}
	return uris, statuses
}

// CheckResumed reads the simulator's log for ep after a listing met refusals: the
// statuses must be want, each refused request (not 200) must have asked for the page
// the next request asks for again, and the first page must not be asked for twice
// (the listing resumed rather than restarted).
func CheckResumed(t testing.TB, sim *cloudsim.Server, ep cloudsim.Endpoint, want []int) {
	t.Helper()
	uris, statuses := RequestURIs(sim, ep)
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	for i, s := range statuses {
		if s != 200 && (i+1 >= len(uris) || uris[i] != uris[i+1]) {
			t.Errorf("the refused page %q was not the one asked for again: %q", uris[i], uris[i:])
		}
	}
	if slices.Index(uris[1:], uris[0]) >= 0 {
		t.Errorf("the listing restarted at page one: %q", uris)
	}
}
