package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// pageWriters bounds the concurrent mirror writes of one page.
const pageWriters = 8

// syncSession is one pass over all of an account's remote lists. It outlives a
// reconcile: on a rate limit the reconciler requeues and the next reconcile resumes
// the same session at the refused page.
type syncSession struct {
	generation    int64
	secretVersion string
	started       time.Time
	lists         []*listStep
	// syncRequest is the sync-now annotation the session started under; a request made
	// while it runs is handled by the next session, not marked done by this one.
	syncRequest string
	// Names of the mirrors the listing has produced so far, by kind.
	organizations   map[string]struct{}
	connectClusters map[string]struct{}
	rateLimited     bool // a rate-limit wait has been announced for this session
	// failures counts the remote failures in a row that paused this session; the
	// retries back off on it and resume at the page that failed.
	failures int
	// interrupted says a list was paused part-way (a rate-limit wait or a failure
	// after its first page): pages read before and after the pause may not line up.
	interrupted bool
	// resumeAt is when a paused session may go on (the rate-limit wait or the
	// failure backoff); an event that wakes the account earlier does not cut it short.
	resumeAt time.Time
	// prune is decided once per session, so a retry of a failed prune cannot treat
	// the misses this listing just recorded as confirmed by an earlier one.
	prune *pruneDecision
	// skipped holds the remote items the API server refused to store (say an id
	// longer than the schema allows, or a name another object holds), name -> kind;
	// one bad item must not stop the account's sync.
	skippedMu sync.Mutex
	skipped   map[string]string
	onSkipped func(kind, name string, err error)
}

// listStep walks one remote list and mirrors each page as it arrives.
type listStep struct {
	describe string
	step     func(ctx context.Context) error
	done     func() bool
	pages    func() int // pages read so far
}

// newSession plans the lists an account's spec asks for.
func newSession(acct *v1alpha1.CloudAccount, secretVersion string, provider cloud.Provider, w *mirrorWriter, now time.Time) *syncSession {
	s := &syncSession{
		generation:      acct.Generation,
		secretVersion:   secretVersion,
		started:         now,
		syncRequest:     syncRequest(acct),
		organizations:   map[string]struct{}{},
		connectClusters: map[string]struct{}{},
	}
	listOrgs := true
	var environments []string
	if cc := acct.Spec.ConfluentCloud; cc != nil {
		listOrgs = cc.Organizations == nil || *cc.Organizations
		if cc.ConnectClusters != nil {
			environments = cc.ConnectClusters.Environments
		}
	}
	if listOrgs {
		l := cloud.NewListing(provider.OrganizationsPage, cloud.DefaultLimits)
		s.lists = append(s.lists, newListStep("organizations", l, s.organizations, func(o cloud.Organization) mirrorOp {
			d := desiredOrganization(acct, o)
			return mirrorOp{name: d.Name, apply: func(ctx context.Context) error {
				return s.skipInvalid("Organization", d.Name, ensure(ctx, w, acct, d, &v1alpha1.Organization{}, d.Status.ProvisioningState))
			}}
		}))
	}
	for _, env := range environments {
		l := cloud.NewListing(func(ctx context.Context, cursor string) (cloud.Page[cloud.ConnectCluster], error) {
			return provider.ConnectClustersPage(ctx, env, cursor)
		}, cloud.DefaultLimits)
		s.lists = append(s.lists, newListStep("connect clusters in "+env, l, s.connectClusters, func(c cloud.ConnectCluster) mirrorOp {
			if c.Environment == "" {
				c.Environment = env
			}
			d := desiredConnectCluster(acct, c)
			return mirrorOp{name: d.Name, apply: func(ctx context.Context) error {
				return s.skipInvalid("ConnectCluster", d.Name, ensure(ctx, w, acct, d, &v1alpha1.ConnectCluster{}, v1alpha1.StateSucceeded))
			}}
		}))
	}
	return s
}

// newListStep walks a listing and mirrors each page. A page whose writes failed stays
// pending and is written again before the next page is read, so a failed write never
// loses the rest of its page.
func newListStep[T any](describe string, l *cloud.Listing[T], seen map[string]struct{}, op func(T) mirrorOp) *listStep {
	var pending []T
	hasPending := false
	return &listStep{
		describe: describe,
		done:     func() bool { return !hasPending && l.Done() },
		pages:    l.Pages,
		step: func(ctx context.Context) error {
			if !hasPending {
				items, err := l.Next(ctx)
				if err != nil {
					return err
				}
				pending, hasPending = items, true
			}
			if err := writePage(ctx, pending, seen, op); err != nil {
				return err
			}
			pending, hasPending = nil, false
			return nil
		},
	}
}

// skipInvalid turns the API server's refusal of one item, or a name another object
// holds, into a skip.
func (s *syncSession) skipInvalid(kind, name string, err error) error {
	if err == nil || !(apierrors.IsInvalid(err) || errors.Is(err, errNameTaken)) {
		return err
	}
	s.skippedMu.Lock()
	_, again := s.skipped[name] // a pending page written again
	if s.skipped == nil {
		s.skipped = map[string]string{}
	}
	s.skipped[name] = kind
	s.skippedMu.Unlock()
	if !again && s.onSkipped != nil {
		s.onSkipped(kind, name, err)
	}
	return nil
}

// skippedCounts counts the skipped items by kind.
func (s *syncSession) skippedCounts() (organizations, connectClusters int) {
	s.skippedMu.Lock()
	defer s.skippedMu.Unlock()
	for _, kind := range s.skipped {
		if kind == "Organization" {
			organizations++
		} else {
			connectClusters++
		}
	}
	return organizations, connectClusters
}

// run steps through every list until all are done or one fails. A failure after a
// list's first page marks the session interrupted: it resumes there later.
func (s *syncSession) run(ctx context.Context) error {
	for _, l := range s.lists {
		for !l.done() {
			if err := l.step(ctx); err != nil {
				if l.pages() > 0 {
					s.interrupted = true
				}
				return fmt.Errorf("list %s: %w", l.describe, err)
			}
			s.failures = 0 // the backoff counts failures in a row
		}
	}
	return nil
}

// mirrored counts the mirrors the listing produced, skipped items left out.
func (s *syncSession) mirrored() (organizations, connectClusters int32) {
	orgs, ccs := s.skippedCounts()
	return int32(len(s.organizations) - orgs), int32(len(s.connectClusters) - ccs)
}

type mirrorOp struct {
	name  string
	apply func(context.Context) error
}

// writePage applies a page's mirrors a few at a time. Its names count as listed only
// once every write succeeded, so a page written again after a failure is written whole.
func writePage[T any](ctx context.Context, items []T, seen map[string]struct{}, op func(T) mirrorOp) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(pageWriters)
	page := make(map[string]struct{}, len(items))
	for _, item := range items {
		o := op(item)
		if _, dup := seen[o.name]; dup {
			continue // listed on an earlier page too (items shifted): once is enough
		}
		if _, dup := page[o.name]; dup {
			continue
		}
		page[o.name] = struct{}{}
		g.Go(func() error { return o.apply(ctx) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	maps.Copy(seen, page)
	return nil
}

// sessions keeps the in-flight sync of each account.
type sessions struct {
	mu sync.Mutex
	m  map[types.UID]*syncSession
}

func (s *sessions) get(uid types.UID) *syncSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[uid]
}

func (s *sessions) put(uid types.UID, session *syncSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[types.UID]*syncSession{}
	}
	if session == nil {
		delete(s.m, uid)
		return
	}
	s.m[uid] = session
}
