package cloud

import (
	"context"
	"fmt"
)

// Limits bound one listing, whatever the remote side answers.
type Limits struct {
	MaxPages int
	MaxItems int
}

// DefaultLimits allow 100,000 items at 100 a page with room to spare.
var DefaultLimits = Limits{MaxPages: 2000, MaxItems: 200000}

// PageFunc fetches the page at cursor ("" for the first).
type PageFunc[T any] func(ctx context.Context, cursor string) (Page[T], error)

// Listing walks a remote list one page at a time. When a fetch fails the listing keeps
// its place, so calling Next again — possibly much later, after a rate-limit wait —
// asks for the refused page, not for page one.
type Listing[T any] struct {
	fetch  PageFunc[T]
	limits Limits
	cursor string
	seen   map[string]struct{}
	pages  int
	items  int
	// total is the largest count of the whole list any page stated: the list may
	// change while it is read, and the larger figure is the cautious one.
	total int
	done  bool
}

// NewListing starts a listing at the first page.
func NewListing[T any](fetch PageFunc[T], limits Limits) *Listing[T] {
	return &Listing[T]{fetch: fetch, limits: limits, seen: map[string]struct{}{}}
}

// Next fetches the next page. It returns no items and no error once Done.
func (l *Listing[T]) Next(ctx context.Context) ([]T, error) {
	if l.done {
		return nil, nil
	}
	page, err := l.fetch(ctx, l.cursor)
	if err != nil {
		return nil, fmt.Errorf("page %d: %w", l.pages+1, err)
	}
	l.pages++
	l.items += len(page.Items)
	l.total = max(l.total, page.Total)
	if l.limits.MaxItems > 0 && l.items > l.limits.MaxItems {
		return nil, fmt.Errorf("%w: more than %d items", ErrUnsafe, l.limits.MaxItems)
	}
	if page.Next == "" {
		l.done = true
		return page.Items, nil
	}
	if _, dup := l.seen[page.Next]; dup || page.Next == l.cursor {
		return nil, fmt.Errorf("%w: page %d repeats an earlier page token", ErrUnsafe, l.pages)
	}
	if l.limits.MaxPages > 0 && l.pages >= l.limits.MaxPages {
		return nil, fmt.Errorf("%w: more than %d pages", ErrUnsafe, l.limits.MaxPages)
	}
	l.seen[l.cursor] = struct{}{}
	l.cursor = page.Next
	return page.Items, nil
}

// Done reports whether the last page has been read.
func (l *Listing[T]) Done() bool { return l.done }

// Total is the largest count of the whole list a page stated, 0 when none did.
func (l *Listing[T]) Total() int { return l.total }

// Pages counts the pages read so far.
func (l *Listing[T]) Pages() int { return l.pages }
