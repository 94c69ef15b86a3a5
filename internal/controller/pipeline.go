package controller

import (
	"context"
	"fmt"
	"maps"

	"golang.org/x/sync/errgroup"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// run lists and writes the session's pages in order until every list is done or one
// fails. While a page is written, the next one is read and its writes start as the
// page's last writes free their writers, so the remote API and the API server never
// wait on each other, across pages and across lists. A page counts as listed once it
// and every page before it are written. A failure after a list's first page marks
// the session interrupted: the next run resumes there, pages read and not written
// first.
func (s *syncSession) run(ctx context.Context, w mirrorWrites) error {
	writers := s.writers
	if writers == nil {
		writers = newWriteSlots()
	}
	var inFlight *pageInFlight
	for _, l := range s.lists {
		l.rewind()
	}
	for _, l := range s.lists {
		for l.more() {
			page, err := s.read(ctx, l)
			if err != nil {
				// The page in flight was read before the failure: keep what it wrote.
				if inFlight != nil && s.commit(inFlight) != nil {
					s.pausedIn(inFlight.list)
				}
				return s.interrupt(l, err)
			}
			next := s.startPage(ctx, w, writers, l, page, inFlight)
			if inFlight != nil {
				if err := s.commit(inFlight); err != nil {
					next.abandon()
					return s.interrupt(inFlight.list, err)
				}
			}
			inFlight = next
		}
	}
	if inFlight != nil {
		if err := s.commit(inFlight); err != nil {
			return s.interrupt(inFlight.list, err)
		}
	}
	return nil
}

// read checks that the Secret still lends its credentials, then reads l's next page.
func (s *syncSession) read(ctx context.Context, l pageWalker) ([]v1alpha1.Mirror, error) {
	if s.lent != nil {
		if err := s.lent(ctx); err != nil {
			return nil, err
		}
	}
	return l.page(ctx)
}

// interrupt names the list a run stopped in, which pausedIn marks.
func (s *syncSession) interrupt(l pageWalker, err error) error {
	s.pausedIn(l)
	return fmt.Errorf("list %s: %w", l.describe(), err)
}

// pausedIn marks the session interrupted if the run stopped in l after its first page.
func (s *syncSession) pausedIn(l pageWalker) {
	if l.pages() > 0 {
		s.interrupted = true
	}
}

// pageInFlight is a page whose writes have started and are not yet committed.
type pageInFlight struct {
	list pageWalker
	// names are the page's mirrors that are new to the listing, with their states;
	// repeated counts those listed already (on an earlier page, or twice on this one).
	names    map[string]v1alpha1.ProvisioningState
	repeated int
	end      func(committed bool)
	cancel   context.CancelFunc
	done     chan struct{}
	err      error
}

// startPage starts writing a page's new mirrors, each as one of the session's writers
// frees up, and returns at once. before is the page still in flight, if any: its names
// are not written twice.
func (s *syncSession) startPage(ctx context.Context, w mirrorWrites, writers chan struct{}, l pageWalker, page []v1alpha1.Mirror, before *pageInFlight) *pageInFlight {
	seen := s.listed[l.kind()]
	p := &pageInFlight{list: l, names: make(map[string]v1alpha1.ProvisioningState, len(page)), done: make(chan struct{})}
	todo := make([]v1alpha1.Mirror, 0, len(page))
	for _, m := range page {
		name := m.GetName()
		_, earlier := seen[name]
		_, onPage := p.names[name]
		if earlier || onPage || before.holds(l.kind(), name) {
			p.repeated++ // listed twice (items shifted between pages): once is enough
			continue
		}
		p.names[name] = m.GetProvisioningState()
		todo = append(todo, m)
	}
	pageWrites, end := w.page()
	p.end = end
	pctx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	go func() {
		defer close(p.done)
		g, gctx := errgroup.WithContext(pctx)
	launch:
		for _, m := range todo {
			select {
			case writers <- struct{}{}:
			case <-gctx.Done():
				break launch
			}
			g.Go(func() error {
				defer func() { <-writers }()
				return s.write(gctx, pageWrites, m)
			})
		}
		p.err = g.Wait()
		if p.err == nil {
			p.err = pctx.Err() // abandoned before every write started
		}
	}()
	return p
}

// holds says whether the page in flight lists the named mirror of that kind.
func (p *pageInFlight) holds(kind, name string) bool {
	if p == nil || p.list.kind() != kind {
		return false
	}
	_, ok := p.names[name]
	return ok
}

// commit waits for the page's writes; if all succeeded, its names count as listed.
func (s *syncSession) commit(p *pageInFlight) error {
	<-p.done
	p.cancel()
	if p.err != nil {
		p.end(false)
		return p.err
	}
	p.end(true)
	maps.Copy(s.listed[p.list.kind()], p.names)
	p.list.written(len(p.names))
	s.repeated += p.repeated
	s.failures = 0 // the backoff counts failures in a row
	if p.list.done() {
		s.checkTotal(p.list)
	}
	return nil
}

// abandon stops the page's writes that have not started and waits for the rest; the
// page stays queued, to be written again.
func (p *pageInFlight) abandon() {
	p.cancel()
	<-p.done
	p.end(false)
}
