package cloud

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// scripted is a PageFunc over a fixed set of pages keyed by cursor. fail[cursor] > 0
// makes that many fetches of the cursor fail first.
type scripted struct {
	pages     map[string]Page[string]
	fail      map[string]int
	requested []string
}

func (s *scripted) fetch(_ context.Context, cursor string) (Page[string], error) {
	s.requested = append(s.requested, cursor)
	if s.fail[cursor] > 0 {
		s.fail[cursor]--
		return Page[string]{}, &RateLimitedError{Wait: 1}
	}
	p, ok := s.pages[cursor]
	if !ok {
		return Page[string]{}, &APIError{Kind: ErrNotFound, Status: 404}
	}
	return p, nil
}

// drain reads a listing to its end or its first error (retrying rate limits).
func drain(t *testing.T, l *Listing[string]) ([]string, error) {
	t.Helper()
	var items []string
	for i := 0; !l.Done(); i++ {
		if i > 100 {
			t.Fatal("the listing never ends")
		}
		got, err := l.Next(t.Context())
		if _, ok := AsRateLimited(err); ok {
			continue
		}
		if err != nil {
			return items, err
		}
		items = append(items, got...)
	}
	return items, nil
}

func TestListingResumesAtTheRefusedPage(t *testing.T) {
	s := &scripted{
		pages: map[string]Page[string]{
			"":   {Items: []string{"a", "b"}, Next: "p2"},
			"p2": {Items: []string{"c"}, Next: "p3"},
			"p3": {Items: []string{"d"}},
		},
		fail: map[string]int{"p2": 2},
	}
	l := NewListing(s.fetch, DefaultLimits)

	if _, err := l.Next(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := l.Next(t.Context())
	if _, ok := AsRateLimited(err); !ok || !strings.Contains(err.Error(), "page 2") {
		t.Fatalf("err = %v, want a rate limit naming page 2", err)
	}
	items, err := drain(t, l)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"c", "d"}, items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"", "p2", "p2", "p2", "p3"}, s.requested); diff != "" {
		t.Errorf("cursors requested (-want +got):\n%s", diff)
	}
	if l.Pages() != 3 {
		t.Errorf("Pages = %d, want 3", l.Pages())
	}
	// Done: no more fetches.
	if got, err := l.Next(t.Context()); got != nil || err != nil || len(s.requested) != 5 {
		t.Errorf("Next after Done = %v, %v (%d fetches)", got, err, len(s.requested))
	}
}

func TestListingRefusesRepeatedTokens(t *testing.T) {
	tests := []struct {
		name  string
		pages map[string]Page[string]
	}{
		{"a page pointing at itself", map[string]Page[string]{
			"": {Next: "p2"}, "p2": {Next: "p2"},
		}},
		{"a cycle", map[string]Page[string]{
			"": {Next: "p2"}, "p2": {Next: "p3"}, "p3": {Next: "p2"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{pages: tt.pages}
			if _, err := drain(t, NewListing(s.fetch, DefaultLimits)); !errors.Is(err, ErrUnsafe) {
				t.Errorf("err = %v, want ErrUnsafe", err)
			}
		})
	}
}

func TestListingCaps(t *testing.T) {
	endless := func(perPage, last int) map[string]Page[string] {
		pages := map[string]Page[string]{}
		for i := 0; i <= last; i++ {
			cursor := ""
			if i > 0 {
				cursor = strconv.Itoa(i)
			}
			p := Page[string]{Items: make([]string, perPage)}
			if i < last {
				p.Next = strconv.Itoa(i + 1)
			}
			pages[cursor] = p
		}
		return pages
	}
	tests := []struct {
		name      string
		pages     map[string]Page[string]
		limits    Limits
		wantErr   bool
		wantPages int
	}{
		{"more pages than MaxPages", endless(1, 10), Limits{MaxPages: 3}, true, 3},
		{"exactly MaxPages", endless(1, 2), Limits{MaxPages: 3}, false, 3},
		{"more items than MaxItems", endless(2, 10), Limits{MaxItems: 3}, true, 2},
		{"exactly MaxItems", endless(2, 1), Limits{MaxItems: 4}, false, 2},
		{"no limits", endless(1, 50), Limits{}, false, 51},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{pages: tt.pages}
			l := NewListing(s.fetch, tt.limits)
			_, err := drain(t, l)
			if tt.wantErr != errors.Is(err, ErrUnsafe) || (!tt.wantErr && err != nil) {
				t.Errorf("err = %v, want ErrUnsafe: %v", err, tt.wantErr)
			}
			if len(s.requested) != tt.wantPages {
				t.Errorf("fetched %d pages, want %d", len(s.requested), tt.wantPages)
			}
		})
	}
}

func TestListingPassesOtherErrorsThrough(t *testing.T) {
	s := &scripted{pages: map[string]Page[string]{"": {Next: "gone"}}}
	_, err := drain(t, NewListing(s.fetch, DefaultLimits))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestListingKeepsTheLargestTotal(t *testing.T) {
	// The list shrank while it was read: the first page's larger count is the one
	// kept, so a caller comparing it with what it saw errs on the side of caution.
	s := &scripted{pages: map[string]Page[string]{
		"":   {Items: []string{"a", "b"}, Next: "p2", Total: 5},
		"p2": {Items: []string{"c"}, Total: 4},
	}}
	l := NewListing(s.fetch, DefaultLimits)
	if l.Total() != 0 {
		t.Fatalf("Total before any page = %d, want 0", l.Total())
	}
	if _, err := drain(t, l); err != nil {
		t.Fatal(err)
	}
	if l.Total() != 5 {
		t.Errorf("Total = %d, want 5", l.Total())
	}
}
