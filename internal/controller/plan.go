package controller

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// planSamples is how many names of each change a plan shows.
const planSamples = 10

// planTally counts what a Plan-mode session would write, keeping the first names of
// each change in name order so the plan reads the same however the writers raced.
// A page's writers add to it at the same time.
type planTally struct {
	mu                        sync.Mutex
	creates, updates, deletes changes
	// heldBack says the prune guard would hold the deletes back.
	heldBack bool
}

// changes counts one kind of change and keeps the smallest names.
type changes struct {
	count  int
	sample []string
}

func (c *changes) add(name string) {
	c.count++
	c.keep(name)
}

// keep puts name among the sample if it is one of the smallest.
func (c *changes) keep(name string) {
	i, found := slices.BinarySearch(c.sample, name)
	if found || (i >= planSamples) {
		return
	}
	c.sample = slices.Insert(c.sample, i, name)
	if len(c.sample) > planSamples {
		c.sample = c.sample[:planSamples]
	}
}

func (p *planTally) create(name string) { p.record(&p.creates, name) }
func (p *planTally) update(name string) { p.record(&p.updates, name) }
func (p *planTally) remove(name string) { p.record(&p.deletes, name) }

// merge adds a page's tally to the session's.
func (p *planTally) merge(page *planTally) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pair := range []struct{ into, from *changes }{
		{&p.creates, &page.creates}, {&p.updates, &page.updates}, {&p.deletes, &page.deletes},
	} {
		for _, name := range pair.from.sample {
			pair.into.keep(name)
		}
		pair.into.count += pair.from.count
	}
	p.heldBack = p.heldBack || page.heldBack
}

// holdBack records deletes the prune guard would hold back.
func (p *planTally) holdBack(stale []v1alpha1.Mirror) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.heldBack = true
	for _, m := range stale {
		p.deletes.add(m.GetName())
	}
}

func (p *planTally) record(c *changes, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c.add(name)
}

// planWriter counts what a Plan-mode session would write, writing nothing.
type planWriter struct {
	mirrorIO
	tally *planTally
	// admitted counts the ceiling slots a page's creates took, to give back when the
	// page is not committed (nil outside a page).
	admitted *atomic.Int64
}

// ensure counts in the plan what a sync would write for desired.
// A mirror missing from the cache counts as a create: the rare one that exists
// without its account label would take a label patch instead.
func (w *planWriter) ensure(ctx context.Context, desired v1alpha1.Mirror) error {
	existing, err := w.newMirror(desired)
	if err != nil {
		return err
	}
	// Read only: the cache's object is not copied.
	err = w.cache.Get(ctx, client.ObjectKeyFromObject(desired), existing, client.UnsafeDisableDeepCopy)
	switch {
	case apierrors.IsNotFound(err) && !w.ceiling.admit():
		return errCeilingReached
	case apierrors.IsNotFound(err):
		if w.admitted != nil {
			w.admitted.Add(1)
		}
		w.tally.create(desired.GetName())
		return nil
	case err != nil:
		return fmt.Errorf("get %s %s: %w", w.kindOf(desired), desired.GetName(), err)
	case !existing.SameItem(desired):
		return w.nameTaken(desired)
	}
	relabel := !hasLabels(existing.GetLabels(), desired.GetLabels())
	if _, restatus := statusFor(existing, desired); relabel || restatus {
		w.tally.update(desired.GetName())
	}
	return nil
}

// page returns the writes of one page, counted apart until the page is whole. A page
// not committed gives its ceiling slots back: written again, it takes them again.
func (w *planWriter) page() (mirrorWrites, func(bool)) {
	page := &planWriter{mirrorIO: w.mirrorIO, tally: &planTally{}, admitted: &atomic.Int64{}}
	return page, func(committed bool) {
		if committed {
			w.tally.merge(page.tally)
			return
		}
		for range page.admitted.Load() {
			w.ceiling.refund()
		}
	}
}

// markNotFound counts the status write a sync would make.
func (w *planWriter) markNotFound(_ context.Context, _, marked v1alpha1.Mirror) error {
	w.tally.update(marked.GetName())
	return nil
}

// remove counts the deletes a sync would make.
func (w *planWriter) remove(_ context.Context, stale []v1alpha1.Mirror) error {
	for _, m := range stale {
		w.tally.remove(m.GetName())
	}
	return nil
}

// holdBack records in the plan that the guard would hold these deletes back.
func (w *planWriter) holdBack(stale []v1alpha1.Mirror) { w.tally.holdBack(stale) }

// decidesForLater is false: a plan leaves the prune candidates as they were.
func (w *planWriter) decidesForLater() bool { return false }

// finish records the plan in the status.
func (w *planWriter) finish(acct *v1alpha1.CloudAccount, session *syncSession, prune pruneOutcome, now time.Time) outcome {
	return plannedStatus(acct, session, w.tally, prune, now)
}
