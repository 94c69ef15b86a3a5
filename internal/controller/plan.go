package controller

import (
	"slices"
	"sync"

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
