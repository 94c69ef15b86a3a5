package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// mirrorCacheSyncTimeout bounds how long a session waits for its account's cache to
// fill; past it the reconcile fails and is retried, while the cache goes on filling.
const mirrorCacheSyncTimeout = 2 * time.Minute

// accountMirrors is how a session reads its account's mirrors.
type accountMirrors interface {
	mirrorGetter
	// all returns the account's mirrors of both kinds. They are the cache's own
	// objects, not copies (at 80,000 mirrors even the shallow copies a List makes are
	// 38 MB more at the peak of a sync): read them, and deep-copy one before changing it.
	all(ctx context.Context) ([]v1alpha1.Mirror, error)
}

// mirrorGetter reads one mirror; NotFound when the account holds none by that name.
type mirrorGetter interface {
	Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error
}

// mirrorCaches keeps one informer cache of mirrors per account, started once the
// account holds mirrors. An account's first sync has nothing to compare against, so
// it writes without watching what it writes: a watch would bring every new mirror back
// twice (its create and its status write) for the operator to decode and store while
// it writes; without it the operator used 14% less CPU in a 10,000-mirror cold sync
// (docs/performance.md). Its cache starts when that sync ends, or, while other
// accounts' first syncs still run, once the last of them ends: a cache that starts
// mid-way fills with a list the API server serves while it takes those writes, and
// the server ended its watches and they filled again, 2 to 9 times in each of three
// 10,000-mirror cold syncs.
// An account whose cache has not started waits for it to fill at its next session,
// as after a restart.
type mirrorCaches struct {
	newCache func(account string) (cache.Cache, error)
	// lister reads past every cache: whether an account holds mirrors yet.
	lister client.Reader
	// base is cancelled when the manager stops, and every cache with it.
	base    context.Context
	stopAll context.CancelFunc

	mu        sync.Mutex
	byAccount map[string]*mirrorCache
	// firstSyncs are the accounts whose first sync runs; due, those whose first sync
	// ended while others ran, their caches not yet started. A first sync left without
	// an end (its account suspended, its credentials withdrawn, or its spec changed to
	// one that cannot be built) stays listed until the account's next session starts;
	// meanwhile the due caches start at their accounts' next sessions.
	firstSyncs, due map[string]bool
}

// mirrorCache is one account's cache: it holds only mirrors labelled with the account.
type mirrorCache struct {
	cache.Cache
	stop context.CancelFunc
}

// newMirrorCaches returns the caches of mgr's accounts. They share the interner, so
// what repeats across accounts' mirrors is held once.
func newMirrorCaches(mgr ctrl.Manager) *mirrorCaches {
	in := newInterner()
	base, stopAll := context.WithCancel(context.Background())
	return &mirrorCaches{
		lister:     mgr.GetAPIReader(),
		base:       base,
		stopAll:    stopAll,
		byAccount:  map[string]*mirrorCache{},
		firstSyncs: map[string]bool{},
		due:        map[string]bool{},
		newCache: func(account string) (cache.Cache, error) {
			return cache.New(mgr.GetConfig(), cache.Options{
				HTTPClient:                  mgr.GetHTTPClient(),
				Scheme:                      mgr.GetScheme(),
				Mapper:                      mgr.GetRESTMapper(),
				DefaultLabelSelector:        labels.SelectorFromSet(labels.Set{v1alpha1.LabelAccount: account}),
				DefaultTransform:            leanMirrors(in),
				ReaderFailOnMissingInformer: true,
				NewInformer:                 newUnindexedInformer,
			})
		},
	}
}

// newUnindexedInformer is an informer without the namespace index controller-runtime
// gives every informer: mirrors are cluster-scoped, so the index would hold every
// mirror under one key, about 50 bytes a mirror, and nothing reads it (a session reads
// the store by name, or all of it).
func newUnindexedInformer(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration, _ toolscache.Indexers) toolscache.SharedIndexInformer {
	return toolscache.NewSharedIndexInformer(lw, obj, resync, toolscache.Indexers{})
}

// Start waits for the manager to stop, then stops every account's cache.
func (m *mirrorCaches) Start(ctx context.Context) error {
	<-ctx.Done()
	m.stopAll()
	return nil
}

// NeedLeaderElection is false: only a leader's syncs start caches, but any replica
// stops its own.
func (m *mirrorCaches) NeedLeaderElection() bool { return false }

// forSession returns what a session of account reads its mirrors through: the
// account's cache, filled, or, when the account holds no mirror yet, noMirrors; cold
// then says the caller should start the cache once the session ends.
func (m *mirrorCaches) forSession(ctx context.Context, account string) (mirrors accountMirrors, cold bool, err error) {
	c := m.running(account)
	if c == nil {
		held, err := m.holdsMirrors(ctx, account)
		if err != nil {
			return nil, false, fmt.Errorf("look for mirrors: %w", err)
		}
		if !held {
			m.firstSyncStarted(account)
			return noMirrors{}, true, nil
		}
		if c, err = m.start(account); err != nil {
			return nil, false, err
		}
	}
	wait, cancel := context.WithTimeout(ctx, mirrorCacheSyncTimeout)
	defer cancel()
	if !c.WaitForCacheSync(wait) {
		return nil, false, fmt.Errorf("the cache of the account's mirrors did not fill within %s", mirrorCacheSyncTimeout)
	}
	return c, false, nil
}

func (m *mirrorCaches) running(account string) *mirrorCache {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byAccount[account]
}

// holdsMirrors asks the API server whether any mirror carries the account's label.
func (m *mirrorCaches) holdsMirrors(ctx context.Context, account string) (bool, error) {
	for _, list := range []client.ObjectList{&v1alpha1.OrganizationList{}, &v1alpha1.ConnectClusterList{}} {
		if held, err := holdsAny(ctx, m.lister, list, account); err != nil || held {
			return held, err
		}
	}
	return false, nil
}

// holdsAny says whether any object of list's kind carries the account's label; it
// reads one at most, into list.
func holdsAny(ctx context.Context, r client.Reader, list client.ObjectList, account string) (bool, error) {
	if err := r.List(ctx, list, client.MatchingLabels{v1alpha1.LabelAccount: account}, client.Limit(1)); err != nil {
		return false, err
	}
	return meta.LenList(list) > 0, nil
}

// firstSyncStarted notes that account's first sync runs: caches that would start
// meanwhile wait for it.
func (m *mirrorCaches) firstSyncStarted(account string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.firstSyncs[account] = true
}

// firstSyncEnded starts the account's cache, unless other accounts' first syncs
// still run: then it starts with theirs, when the last of them ends.
func (m *mirrorCaches) firstSyncEnded(account string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.due[account] = true
	m.endFirstSyncLocked(account)
}

// endFirstSyncLocked drops account from the first syncs that run; when none is left,
// it starts the caches that were waiting for that. A cache that fails to start is
// logged under its own account, whose next session starts it again.
func (m *mirrorCaches) endFirstSyncLocked(account string) {
	delete(m.firstSyncs, account)
	if len(m.firstSyncs) > 0 {
		return
	}
	for due := range m.due {
		if _, err := m.startLocked(due); err != nil {
			logf.Log.Error(err, "the cache of an account's mirrors did not start; the account's next sync starts it", "account", due)
		}
	}
	clear(m.due)
}

// start starts the account's cache, unless it runs already, without waiting for it to
// fill.
func (m *mirrorCaches) start(account string) (*mirrorCache, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.due, account)
	c, err := m.startLocked(account)
	if err == nil {
		// A first sync that was left (its spec changed, say) and wrote mirrors: the
		// session that found them holds no cache back.
		m.endFirstSyncLocked(account)
	}
	return c, err
}

func (m *mirrorCaches) startLocked(account string) (*mirrorCache, error) {
	if c, ok := m.byAccount[account]; ok {
		return c, nil
	}
	c, err := m.newCache(account)
	if err != nil {
		return nil, fmt.Errorf("create the cache of account %s's mirrors: %w", account, err)
	}
	ctx, stop := context.WithCancel(m.base)
	for _, kind := range mirrorKinds() {
		if _, err := c.GetInformer(ctx, kind, cache.BlockUntilSynced(false)); err != nil {
			stop()
			return nil, fmt.Errorf("register the %T informer of account %s: %w", kind, account, err)
		}
	}
	go func() {
		if err := c.Start(ctx); err != nil {
			logf.Log.Error(err, "the cache of an account's mirrors stopped", "account", account)
		}
	}()
	mc := &mirrorCache{Cache: c, stop: stop}
	m.byAccount[account] = mc
	return mc, nil
}

// forget stops the cache of an account that is gone, and no longer holds back the
// caches of others for its first sync.
func (m *mirrorCaches) forget(account string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.byAccount[account]; ok {
		c.stop()
		delete(m.byAccount, account)
	}
	delete(m.due, account)
	if m.firstSyncs[account] {
		m.endFirstSyncLocked(account)
	}
}

func mirrorKinds() []client.Object {
	return []client.Object{&v1alpha1.Organization{}, &v1alpha1.ConnectCluster{}}
}

// all lists the mirrors in the cache's stores: every one is the account's.
func (c *mirrorCache) all(ctx context.Context) ([]v1alpha1.Mirror, error) {
	var out []v1alpha1.Mirror
	for _, kind := range mirrorKinds() {
		informer, err := c.GetInformer(ctx, kind)
		if err != nil {
			return nil, err
		}
		stored, ok := informer.(interface{ GetStore() toolscache.Store })
		if !ok {
			return nil, fmt.Errorf("the cache's informer for %T has no store", kind)
		}
		for _, obj := range stored.GetStore().List() {
			if m, ok := obj.(v1alpha1.Mirror); ok {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// noMirrors reads an account that held no mirror when its session started: every
// mirror the session writes is new to it. One that exists all the same (made by hand,
// or without the account's label) makes the create fail, and the writer then reads it
// from the API server.
type noMirrors struct{}

func (noMirrors) Get(_ context.Context, key client.ObjectKey, _ client.Object, _ ...client.GetOption) error {
	return apierrors.NewNotFound(schema.GroupResource{Group: v1alpha1.GroupVersion.Group}, key.Name)
}

func (noMirrors) all(context.Context) ([]v1alpha1.Mirror, error) { return nil, nil }
