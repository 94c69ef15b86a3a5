package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// mirrorWriters bounds the concurrent mirror writes of the whole operator: every
// account's session (the page being written and the one after it) takes its writes
// from one shared set of slots. At 8 a cold sync of 20,000 mirrors took 1.6 times as
// long as a bare client writing the same objects; at 16 and 32, 1.2; 64 gained nothing
// more on 2 cores. Shared, not per account: with three accounts writing 32 each, the
// API server's watch of the mirrors fell behind, was dropped 110 times in one
// 20,000-mirror cold sync and replayed about half a million events; a bare client
// writing 96 at once was dropped the same way, one writing 32 never
// (docs/performance.md).
const mirrorWriters = 32

// newWriteSlots are the operator's mirror write slots, shared by its sessions.
func newWriteSlots() chan struct{} { return make(chan struct{}, mirrorWriters) }

// syncSession is one pass over all of an account's remote lists. It outlives a
// reconcile: on a rate limit or a remote failure the reconciler requeues, and the
// next reconcile resumes the same session at the page that was refused.
type syncSession struct {
	// startedFor is the spec and Secret the session lists for; a change to either
	// starts a new session.
	startedFor specVersion
	started    time.Time
	// syncRequest is the sync-now annotation the session started under; a request made
	// while it runs is handled by the next session, not marked done by this one.
	syncRequest string

	lists []pageWalker
	// listed holds the names of the mirrors the listing produced so far, by kind,
	// with each one's provisioning state.
	listed map[string]map[string]v1alpha1.ProvisioningState
	// skipped holds the remote items the API server refused to store.
	skipped *skippedItems
	// ceiling hands out the creates spec.maxMirrors still allows; capped holds the
	// items it left without a mirror.
	ceiling *mirrorCeiling
	capped  *skippedItems
	// interrupted says a list was paused part-way (a rate-limit wait or a failure
	// after its first page): pages read before and after the pause may not line up.
	interrupted bool
	// shortfalls are the lists that ended with fewer distinct items than the remote's
	// own total: like a paused listing, what they missed is not pruned on their word.
	shortfalls []shortfall
	// repeated counts the items listed more than once (on different pages).
	repeated int
	// plan tallies, in Plan mode, what the session would write instead of writing.
	plan *planTally
	// lent checks, before each remote request, that the Secret still lends the
	// account its credentials (nil: not checked).
	lent func(context.Context) error
	// mirrors reads the account's mirrors: its cache, or, while the account held none
	// when the session started (cold), nothing.
	mirrors accountMirrors
	cold    bool
	// writers are the write slots the session shares with every other account's (nil:
	// its own, for a session run alone).
	writers chan struct{}

	// resumeAt is when a paused session may go on (the rate-limit wait or the
	// failure backoff); an event that wakes the account earlier does not cut it short.
	resumeAt time.Time
	// failures counts the remote failures in a row; retries back off on it.
	failures int
	// rateLimitAnnounced says the event for a rate-limit wait has been sent.
	rateLimitAnnounced bool

	// prune is decided once per session, so a retry of a failed prune cannot treat
	// the misses this listing just recorded as confirmed by an earlier one.
	prune *pruneDecision
}

// shortfall is a list that held fewer distinct items than the remote said it would.
type shortfall struct {
	what          string
	listed, total int
}

// newSession plans the lists an account's spec asks for.
func newSession(acct *v1alpha1.CloudAccount, secretVersion string, provider cloud.Provider, now time.Time) (*syncSession, error) {
	s := &syncSession{
		startedFor:  specVersion{generation: acct.Generation, secretVersion: secretVersion},
		started:     now,
		syncRequest: syncRequest(acct),
		listed:      map[string]map[string]v1alpha1.ProvisioningState{kindOrganization: {}, kindConnectCluster: {}},
		skipped:     &skippedItems{},
		plan:        &planTally{},
		capped:      &skippedItems{},
	}
	listOrgs := true
	var environments []string
	if cc := acct.Spec.ConfluentCloud; cc != nil {
		listOrgs = cc.Organizations == nil || *cc.Organizations
		if cc.ConnectClusters != nil {
			environments = cc.ConnectClusters.Environments
		}
	}
	orgPages := provider.OrganizationsPage
	what := "organizations"
	if az := acct.Spec.Azure; az != nil && len(az.Organizations) > 0 {
		getter, ok := provider.(cloud.OrganizationGetter)
		if !ok {
			return nil, fmt.Errorf("%w: this provider cannot read organizations by name", cloud.ErrBadRequest)
		}
		orgPages = namedOrganizations(getter, az.Organizations).page
		what = "named organizations"
	}
	if listOrgs {
		s.lists = append(s.lists, &listWalk[cloud.Organization, *v1alpha1.Organization]{
			what:       what,
			mirrorKind: kindOrganization,
			listing:    cloud.NewListing(orgPages, cloud.DefaultLimits),
			acct:       acct,
			desired:    desiredOrganization,
		})
	}
	for _, env := range environments {
		s.lists = append(s.lists, &listWalk[cloud.ConnectCluster, *v1alpha1.ConnectCluster]{
			what:       "connect clusters in " + env,
			mirrorKind: kindConnectCluster,
			listing:    cloud.NewListing(environmentLister{provider, env}.page, cloud.DefaultLimits),
			acct:       acct,
			desired:    desiredConnectCluster,
		})
	}
	return s, nil
}

// resumable says whether the session still lists what the account asks for.
func (s *syncSession) resumable(acct *v1alpha1.CloudAccount, secretVersion string) bool {
	return s.startedFor == specVersion{generation: acct.Generation, secretVersion: secretVersion}
}

// checkTotal records a finished list that held fewer distinct items than the remote's
// own total. It runs once per list: a resumed session skips the lists already done.
func (s *syncSession) checkTotal(l pageWalker) {
	if listed, total := l.counts(); listed < total {
		s.shortfalls = append(s.shortfalls, shortfall{what: l.describe(), listed: listed, total: total})
	}
}

// incomplete says whether what the listing missed may only be a candidate for pruning:
// a list was paused part-way, or came up short of the remote's own total.
func (s *syncSession) incomplete() bool { return s.interrupted || len(s.shortfalls) > 0 }

// write writes one mirror. The API server's refusal of the item, or a name another
// object holds, skips that item: one bad item must not stop the account's sync.
func (s *syncSession) write(ctx context.Context, w mirrorWrites, m v1alpha1.Mirror) error {
	err := w.ensure(ctx, m)
	if errors.Is(err, errCeilingReached) {
		s.capped.add(w.kindOf(m), m.GetName())
		return nil
	}
	if err == nil || (!apierrors.IsInvalid(err) && !errors.Is(err, errNameTaken)) {
		return err
	}
	if s.skipped.add(w.kindOf(m), m.GetName()) { // not a pending page written again
		w.skipped(ctx, m, err)
	}
	return nil
}

// mirrored counts the mirrors the listing produced, skipped items left out.
func (s *syncSession) mirrored() (organizations, connectClusters int32) {
	orgs, ccs := s.skipped.counts()
	cappedOrgs, cappedCCs := s.capped.counts()
	return int32(len(s.listed[kindOrganization]) - orgs - cappedOrgs), int32(len(s.listed[kindConnectCluster]) - ccs - cappedCCs)
}

// states counts the mirrors the listing produced by kind and provisioning state,
// skipped items left out.
func (s *syncSession) states() map[string]map[v1alpha1.ProvisioningState]int {
	counts := map[string]map[v1alpha1.ProvisioningState]int{}
	for kind, names := range s.listed {
		counts[kind] = map[v1alpha1.ProvisioningState]int{}
		for name, state := range names {
			if !s.skipped.has(name) && !s.capped.has(name) {
				counts[kind][state]++
			}
		}
	}
	return counts
}

// isListed says whether the listing produced the mirror.
func (s *syncSession) isListed(kind, name string) bool {
	_, ok := s.listed[kind][name]
	return ok
}

// pageWalker walks one remote list a page at a time. Pages it has read stay queued
// until they are written, so a failed write never loses the rest of its page, nor the
// page read ahead of it.
type pageWalker interface {
	describe() string
	kind() string
	// done says every page is read and written.
	done() bool
	// more says page has a page to hand out: a queued one, or the next to read.
	more() bool
	// page hands out the oldest queued page not handed out since rewind, or reads
	// the next one.
	page(ctx context.Context) ([]v1alpha1.Mirror, error)
	// written says the oldest queued page is written, adding that many distinct
	// items.
	written(added int)
	// rewind hands the queued pages out again: a resumed run writes them first.
	rewind()
	pages() int
	// counts are the distinct items listed so far and the remote's total (0: unknown).
	counts() (listed, total int)
}

// listWalk walks a listing of remote items of type T as mirrors of type M. Its queue
// holds the pages read and not yet written (at most two: the one being written and
// the one read ahead of it), oldest first.
type listWalk[T any, M v1alpha1.Mirror] struct {
	what       string
	mirrorKind string
	listing    *cloud.Listing[T]
	acct       *v1alpha1.CloudAccount
	desired    func(*v1alpha1.CloudAccount, T) M
	queue      [][]v1alpha1.Mirror
	handed     int
	distinct   int
}

func (l *listWalk[T, M]) describe() string { return l.what }
func (l *listWalk[T, M]) kind() string     { return l.mirrorKind }
func (l *listWalk[T, M]) done() bool       { return len(l.queue) == 0 && l.listing.Done() }
func (l *listWalk[T, M]) more() bool       { return l.handed < len(l.queue) || !l.listing.Done() }
func (l *listWalk[T, M]) rewind()          { l.handed = 0 }
func (l *listWalk[T, M]) pages() int       { return l.listing.Pages() }
func (l *listWalk[T, M]) counts() (int, int) {
	return l.distinct, l.listing.Total()
}

func (l *listWalk[T, M]) written(added int) {
	l.queue[0] = nil
	l.queue = l.queue[1:]
	l.handed--
	l.distinct += added
}

func (l *listWalk[T, M]) page(ctx context.Context) ([]v1alpha1.Mirror, error) {
	if l.handed < len(l.queue) {
		l.handed++
		return l.queue[l.handed-1], nil
	}
	items, err := l.listing.Next(ctx)
	if err != nil {
		return nil, err
	}
	page := make([]v1alpha1.Mirror, 0, len(items))
	for _, item := range items {
		page = append(page, l.desired(l.acct, item))
	}
	l.queue = append(l.queue, page)
	l.handed++
	return page, nil
}

// environmentLister reads the connect clusters of one Confluent environment.
type environmentLister struct {
	provider    cloud.Provider
	environment string
}

func (e environmentLister) page(ctx context.Context, cursor string) (cloud.Page[cloud.ConnectCluster], error) {
	return e.provider.ConnectClustersPage(ctx, e.environment, cursor)
}

// skippedItems are the remote items the API server refused to store (say an id longer
// than the schema allows, or a name another object holds), name -> kind. The writers
// of a page add to it at the same time.
type skippedItems struct {
	mu     sync.Mutex
	byName map[string]string
}

// add records a skipped item and says whether it is new to the session.
// has says whether the named item was skipped.
func (s *skippedItems) has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.byName[name]
	return ok
}

func (s *skippedItems) add(kind, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, again := s.byName[name]
	if s.byName == nil {
		s.byName = map[string]string{}
	}
	s.byName[name] = kind
	return !again
}

// counts counts the skipped items by kind.
func (s *skippedItems) counts() (organizations, connectClusters int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, kind := range s.byName {
		if kind == kindOrganization {
			organizations++
		} else {
			connectClusters++
		}
	}
	return organizations, connectClusters
}
