package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// gatedWrites records the mirrors it is asked to write. A write of a name in hold
// waits until a write of release starts (or a second passes: then it fails, so a
// pipeline that would wait forever fails the test instead of hanging it); a write of
// a name in fail fails once.
type gatedWrites struct {
	mirrorWrites // only ensure and page are called
	hold         map[string]string
	fail         map[string]bool
	mu           sync.Mutex
	started      map[string]chan struct{} // closed when the name's first write starts
}

// startedCh is the name's started channel; the caller holds mu.
func (g *gatedWrites) startedCh(name string) chan struct{} {
	if g.started == nil {
		g.started = map[string]chan struct{}{}
	}
	if _, ok := g.started[name]; !ok {
		g.started[name] = make(chan struct{})
	}
	return g.started[name]
}

func (g *gatedWrites) ensure(ctx context.Context, m v1alpha1.Mirror) error {
	name := m.GetName()
	g.mu.Lock()
	select {
	case <-g.startedCh(name): // written before
	default:
		close(g.startedCh(name))
	}
	failNow := g.fail[name]
	delete(g.fail, name)
	var released chan struct{}
	release, held := g.hold[name]
	if held {
		released = g.startedCh(release)
	}
	g.mu.Unlock()
	if failNow {
		return fmt.Errorf("write %s: refused", name)
	}
	if held {
		select {
		case <-released:
		case <-time.After(time.Second):
			return fmt.Errorf("write %s waited for %s, which never started", name, release)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (g *gatedWrites) page() (mirrorWrites, func(bool)) { return g, func(bool) {} }

// pagedOrgs is a remote list of pages of organization IDs; it counts its requests.
func pagedOrgs(pages [][]string, requests *int) cloud.PageFunc[cloud.Organization] {
	return func(_ context.Context, cursor string) (cloud.Page[cloud.Organization], error) {
		*requests++
		i := 0
		if cursor != "" {
			if _, err := fmt.Sscan(cursor, &i); err != nil {
				return cloud.Page[cloud.Organization]{}, err
			}
		}
		var p cloud.Page[cloud.Organization]
		for _, id := range pages[i] {
			p.Items = append(p.Items, cloud.Organization{ID: id, DisplayName: id})
		}
		if i+1 < len(pages) {
			p.Next = fmt.Sprint(i + 1)
		}
		return p, nil
	}
}

func pipelineSession(pages [][]string, requests *int) *syncSession {
	acct := &v1alpha1.CloudAccount{}
	acct.Name = "acct"
	return &syncSession{
		listed:  map[string]map[string]v1alpha1.ProvisioningState{kindOrganization: {}, kindConnectCluster: {}},
		skipped: &skippedItems{},
		capped:  &skippedItems{},
		lists: []pageWalker{&listWalk[cloud.Organization, *v1alpha1.Organization]{
			what: "organizations", mirrorKind: kindOrganization, acct: acct, desired: desiredOrganization,
			listing: cloud.NewListing(pagedOrgs(pages, requests), cloud.DefaultLimits),
		}},
	}
}

// The last write of a page waits for the next page's first write: a pipeline that
// read the next page only once the page was written would never start it.
func TestNextPageIsWrittenWhileAPageFinishes(t *testing.T) {
	var requests int
	s := pipelineSession([][]string{{"a", "b"}, {"c", "d"}, {"e"}}, &requests)
	w := &gatedWrites{hold: map[string]string{
		MirrorName("acct", "b"): MirrorName("acct", "c"),
		MirrorName("acct", "d"): MirrorName("acct", "e"),
	}}
	if err := s.run(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	if len(s.listed[kindOrganization]) != 5 || requests != 3 {
		t.Errorf("listed %d mirrors in %d requests, want 5 in 3", len(s.listed[kindOrganization]), requests)
	}
}

// A write that fails leaves its page, and the page read ahead of it, to be written
// again by the next run, without reading either again; nothing of them counts as
// listed before that.
func TestFailedWriteKeepsThePagesReadAhead(t *testing.T) {
	var requests int
	s := pipelineSession([][]string{{"a", "b"}, {"c", "d"}, {"e", "f"}}, &requests)
	failed := MirrorName("acct", "c")
	// The run reads the third page before it waits for the second to be written.
	w := &gatedWrites{fail: map[string]bool{failed: true}}
	err := s.run(t.Context(), w)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("first run: err = %v, want the refused write", err)
	}
	if got := len(s.listed[kindOrganization]); got != 2 {
		t.Errorf("after the failure %d mirrors count as listed, want the first page's 2", got)
	}
	if !s.interrupted {
		t.Error("a failure after the first page must mark the session interrupted")
	}
	readBefore := requests
	if err := s.run(t.Context(), w); err != nil {
		t.Fatalf("the resumed run: %v", err)
	}
	if len(s.listed[kindOrganization]) != 6 {
		t.Errorf("listed %d mirrors, want 6", len(s.listed[kindOrganization]))
	}
	if readBefore != 3 || requests != 3 {
		t.Errorf("%d remote requests, %d of them before the resumed run; want 3 and 3: a page read is not read again", requests, readBefore)
	}
}

// countingWrites holds each write a few milliseconds and records the most writes in
// flight at once.
type countingWrites struct {
	mirrorWrites // only ensure and page are called
	inFlight     atomic.Int32
	most         atomic.Int32
}

func (c *countingWrites) ensure(ctx context.Context, _ v1alpha1.Mirror) error {
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for most := c.most.Load(); n > most && !c.most.CompareAndSwap(most, n); most = c.most.Load() {
	}
	select {
	case <-time.After(5 * time.Millisecond):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *countingWrites) page() (mirrorWrites, func(bool)) { return c, func(bool) {} }

// Accounts that sync at once share the operator's write slots: together they never
// have more than mirrorWriters writes in flight, and each still writes all it lists.
func TestAccountsShareTheWriteSlots(t *testing.T) {
	slots := newWriteSlots()
	w := &countingWrites{}
	page := func(account string, n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%s-%d", account, i)
		}
		return ids
	}
	var wg sync.WaitGroup
	sessions := make([]*syncSession, 3)
	errs := make([]error, len(sessions))
	for i := range sessions {
		var requests int
		account := fmt.Sprint("acct", i)
		sessions[i] = pipelineSession([][]string{page(account, 60), page(account+"b", 60)}, &requests)
		sessions[i].writers = slots
		wg.Go(func() { errs[i] = sessions[i].run(t.Context(), w) })
	}
	wg.Wait()
	for i, s := range sessions {
		if errs[i] != nil {
			t.Fatalf("session %d: %v", i, errs[i])
		}
		if got := len(s.listed[kindOrganization]); got != 120 {
			t.Errorf("session %d listed %d mirrors, want 120", i, got)
		}
	}
	if most := w.most.Load(); most > mirrorWriters {
		t.Errorf("%d writes were in flight at once across the accounts, want at most %d", most, mirrorWriters)
	}
}
