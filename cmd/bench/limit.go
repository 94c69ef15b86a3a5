package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/devenv"
	"github.com/orgsync/orgsync/internal/operator"

	"golang.org/x/sync/errgroup"
)

// The limit: how fast the API server takes the same objects from a bare client that
// does nothing but write them, two writes each (a create, then the status), as many at
// once as the best of several concurrencies allows, with no client-side rate limit, as
// the operator's identity in the run (so in the same API Priority and Fairness level).

// limitTry is one bare-client run at one concurrency.
type limitTry struct {
	workers int
	took    time.Duration
	cpu     cpuTimes
}

// bareClientLimit writes copies of mirrors into a fresh control plane for each
// concurrency in turn, so every try starts as empty as the operator's run did.
// With watch, the bare client also watches the mirror kinds through an informer cache,
// as the operator does: every write then comes back as a watch event that the API
// server encodes and the client decodes.
// Each try leaves the API server's counters that moved in dir.
func bareClientLimit(ctx context.Context, crdDir, dir string, id identity, mirrors []v1alpha1.Mirror, workers []int, watch bool) ([]limitTry, error) {
	tries := make([]limitTry, 0, len(workers))
	for _, w := range workers {
		t, err := writeAll(ctx, crdDir, filepath.Join(dir, fmt.Sprintf("apiserver-counters-bare-client-%d.txt", w)), id, mirrors, w, watch)
		if err != nil {
			return tries, fmt.Errorf("bare client, %d in flight: %w", w, err)
		}
		tries = append(tries, t)
	}
	return tries, nil
}

func best(tries []limitTry) limitTry {
	b := tries[0]
	for _, t := range tries[1:] {
		if t.took < b.took {
			b = t
		}
	}
	return b
}

func writeAll(ctx context.Context, crdDir, countersPath string, id identity, mirrors []v1alpha1.Mirror, workers int, watch bool) (limitTry, error) {
	try := limitTry{workers: workers}
	env, err := devenv.Start(ctx, devenv.Options{CRDDir: crdDir, ControlPlaneOnly: true})
	if err != nil {
		return try, err
	}
	defer env.Stop()
	cfg, _, err := operatorIdentity(ctx, env, id) // the operator's priority level
	if err != nil {
		return try, err
	}
	cfg.QPS = -1 // no client-side limit: as fast as the server takes them
	c, err := client.New(cfg, client.Options{Scheme: operator.NewScheme()})
	if err != nil {
		return try, err
	}
	if watch {
		stop, err := watchMirrors(ctx, cfg)
		if err != nil {
			return try, err
		}
		defer stop()
	}
	if err := warmMirrorKinds(ctx, c); err != nil {
		return try, err
	}
	api, err := newAPIServer(env.Config, "")
	if err != nil {
		return try, err
	}
	probe, err := startProbe(ctx, newCPUMeter(api, env.EtcdURL(), nil))
	if err != nil {
		return try, err
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, m := range mirrors {
		g.Go(func() error { return createWithStatus(gctx, c, m) })
	}
	if err := g.Wait(); err != nil {
		return try, err
	}
	try.took = time.Since(start)
	try.cpu, err = probe.finish(ctx, countersPath)
	return try, err
}

// createWithStatus creates a copy of m, then writes its status: the status
// subresource ignores status on create.
func createWithStatus(ctx context.Context, c client.Client, m v1alpha1.Mirror) error {
	obj := m.DeepCopyObject().(v1alpha1.Mirror)
	if err := c.Create(ctx, obj); err != nil {
		return fmt.Errorf("create %s: %w", obj.GetName(), err)
	}
	obj.CopyStatusFrom(m)
	if err := c.Status().Update(ctx, obj); err != nil {
		return fmt.Errorf("write status of %s: %w", obj.GetName(), err)
	}
	return nil
}

// watchMirrors starts an informer cache of both mirror kinds and waits for its first
// list; stop ends it.
func watchMirrors(ctx context.Context, cfg *rest.Config) (stop func(), err error) {
	c, err := cache.New(cfg, cache.Options{Scheme: operator.NewScheme()})
	if err != nil {
		return nil, err
	}
	for _, obj := range []client.Object{&v1alpha1.Organization{}, &v1alpha1.ConnectCluster{}} {
		if _, err := c.GetInformer(ctx, obj); err != nil {
			return nil, err
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { _ = c.Start(cctx) }()
	if !c.WaitForCacheSync(cctx) {
		cancel()
		return nil, fmt.Errorf("the bare client's cache did not sync")
	}
	return cancel, nil
}

// warmMirrorKinds reads and dry-run creates one mirror of each kind before a clock
// starts, in the operator's run as in the bare client's. In a freshly started API
// server, the first request for a kind sets up its storage and fills its watch cache,
// and the first create of a kind is slow too (as for accounts, warmAccountCreate):
// a long-running API server has paid that long before.
func warmMirrorKinds(ctx context.Context, c client.Client) error {
	account := v1alpha1.AccountReference{Name: warmUpName}
	warm := []struct {
		list client.ObjectList
		obj  client.Object
	}{
		{&v1alpha1.OrganizationList{}, &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: warmUpName},
			Spec: v1alpha1.OrganizationSpec{AccountRef: account, Provider: v1alpha1.ProviderConfluentCloud, ExternalID: warmUpName}}},
		{&v1alpha1.ConnectClusterList{}, &v1alpha1.ConnectCluster{ObjectMeta: metav1.ObjectMeta{Name: warmUpName},
			Spec: v1alpha1.ConnectClusterSpec{AccountRef: account, Provider: v1alpha1.ProviderConfluentCloud, ExternalID: warmUpName, Environment: "env-warm"}}},
	}
	for _, k := range warm {
		if err := c.List(ctx, k.list, client.Limit(1)); err != nil {
			return err
		}
		if err := c.Create(ctx, k.obj, client.DryRunAll); err != nil {
			return fmt.Errorf("dry-run create of a %T: %w", k.obj, err)
		}
	}
	return nil
}
