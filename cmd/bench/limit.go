package main

import (
	"context"
	"fmt"
	"time"

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
}

// bareClientLimit writes copies of mirrors into a fresh control plane for each
// concurrency in turn, so every try starts as empty as the operator's run did.
func bareClientLimit(ctx context.Context, crdDir string, id identity, mirrors []v1alpha1.Mirror, workers []int) ([]limitTry, error) {
	tries := make([]limitTry, 0, len(workers))
	for _, w := range workers {
		took, err := writeAll(ctx, crdDir, id, mirrors, w)
		if err != nil {
			return tries, fmt.Errorf("bare client, %d in flight: %w", w, err)
		}
		tries = append(tries, limitTry{workers: w, took: took})
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

func writeAll(ctx context.Context, crdDir string, id identity, mirrors []v1alpha1.Mirror, workers int) (time.Duration, error) {
	env, err := devenv.Start(ctx, devenv.Options{CRDDir: crdDir, ControlPlaneOnly: true})
	if err != nil {
		return 0, err
	}
	defer env.Stop()
	cfg, _, err := operatorIdentity(ctx, env, id) // the operator's priority level
	if err != nil {
		return 0, err
	}
	cfg.QPS = -1 // no client-side limit: as fast as the server takes them
	c, err := client.New(cfg, client.Options{Scheme: operator.NewScheme()})
	if err != nil {
		return 0, err
	}
	// The operator's run starts once the operator is up; start this one once the API
	// server serves mirrors too.
	if err := c.List(ctx, &v1alpha1.OrganizationList{}, client.Limit(1)); err != nil {
		return 0, err
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, m := range mirrors {
		g.Go(func() error { return createWithStatus(gctx, c, m) })
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
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
