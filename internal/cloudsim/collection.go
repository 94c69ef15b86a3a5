package cloudsim

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Collection is one remote list. It is safe for concurrent use while the server
// is answering requests; every read a handler makes sees one consistent version.
//
// Items are addressed by their natural key (Confluent id, ARM "resourceGroup/name"
// compared case-insensitively, Cloud Foundry guid).
type Collection[T any] struct {
	mu    sync.RWMutex
	items []T // sorted by key when sorted is set, else in insertion order
	index map[string]int

	key    func(*T) string // already normalized
	norm   func(string) string
	sorted bool
	touch  func(*T, time.Time)
	clone  func(T) T
	// prepare fills the fields a caller of Add left empty (ids, timestamps).
	prepare func(*T, time.Time)
}

func newCollection[T any](key func(*T) string, sorted bool) *Collection[T] {
	return &Collection[T]{
		key:     key,
		norm:    func(s string) string { return s },
		sorted:  sorted,
		touch:   func(*T, time.Time) {},
		clone:   func(v T) T { return v },
		prepare: func(*T, time.Time) {},
		index:   map[string]int{},
	}
}

// Add inserts items whose key is not present yet and returns how many were
// added. Empty ids and zero timestamps are filled in.
func (c *Collection[T]) Add(items ...T) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	added := 0
	now := time.Now().UTC().Truncate(time.Millisecond)
	for _, it := range items {
		c.prepare(&it, now)
		k := c.key(&it)
		if _, ok := c.index[k]; ok {
			continue
		}
		c.items = append(c.items, c.clone(it))
		c.index[k] = len(c.items) - 1
		added++
	}
	if added > 0 && c.sorted {
		sort.SliceStable(c.items, func(i, j int) bool { return c.key(&c.items[i]) < c.key(&c.items[j]) })
		c.reindex()
	}
	return added
}

// Remove deletes the items with the given keys and returns how many were removed.
func (c *Collection[T]) Remove(keys ...string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	drop := map[string]bool{}
	for _, k := range keys {
		if _, ok := c.index[c.norm(k)]; ok {
			drop[c.norm(k)] = true
		}
	}
	if len(drop) == 0 {
		return 0
	}
	c.items = slices.DeleteFunc(c.items, func(it T) bool { return drop[c.key(&it)] })
	c.reindex()
	return len(drop)
}

// Update applies fn to a copy of the item with the given key, stamps its
// update time and stores it. fn must not change the key. It reports whether
// the item exists.
func (c *Collection[T]) Update(key string, fn func(*T)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.index[c.norm(key)]
	if !ok {
		return false
	}
	it := c.clone(c.items[i])
	fn(&it)
	c.touch(&it, time.Now().UTC())
	if c.key(&it) != c.key(&c.items[i]) {
		panic("cloudsim: Update must not change an item's key")
	}
	c.items[i] = it
	return true
}

// Get returns a copy of the item with the given key.
func (c *Collection[T]) Get(key string) (T, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	i, ok := c.index[c.norm(key)]
	if !ok {
		var zero T
		return zero, false
	}
	return c.clone(c.items[i]), true
}

// Items returns a copy of every item, in list order.
func (c *Collection[T]) Items() []T {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]T, len(c.items))
	for i, it := range c.items {
		out[i] = c.clone(it)
	}
	return out
}

// Len returns the number of items.
func (c *Collection[T]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.items)
}

// Keys returns every key, in list order.
func (c *Collection[T]) Keys() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, len(c.items))
	for i := range c.items {
		out[i] = c.key(&c.items[i])
	}
	return out
}

// view runs fn with the live item slice under the read lock; fn must not keep it.
func (c *Collection[T]) view(fn func(items []T)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	fn(c.items)
}

func (c *Collection[T]) reindex() {
	clear(c.index)
	for i := range c.items {
		c.index[c.key(&c.items[i])] = i
	}
}

// keysetPage is one page of a key-ordered, filtered list.
type keysetPage[T any] struct {
	items   []T
	total   int
	more    bool
	lastKey string
}

// pageAfter returns up to size items matching keep whose key sorts after the
// given key. Keyset paging makes concurrent additions and removals behave as in
// a real API: nothing already listed is repeated and nothing unlisted is skipped
// except items removed meanwhile.
func (c *Collection[T]) pageAfter(after string, size int, keep func(*T) bool) keysetPage[T] {
	var p keysetPage[T]
	c.view(func(all []T) {
		start := sort.Search(len(all), func(i int) bool { return c.key(&all[i]) > after })
		for i := range all {
			if !keep(&all[i]) {
				continue
			}
			p.total++
			if i < start {
				continue
			}
			if len(p.items) == size {
				p.more = true
				continue
			}
			p.items = append(p.items, c.clone(all[i]))
			p.lastKey = c.key(&all[i])
		}
	})
	return p
}

// misbehave applies a request's listing-consistency faults to a page read after the
// key after: a duplicate puts the item with that key (the previous page's last) first,
// a short page drops its last item but keeps lastKey, so paging goes on past it.
func (c *Collection[T]) misbehave(p *keysetPage[T], after string, d decision) {
	if d.short && len(p.items) > 0 {
		p.items = p.items[:len(p.items)-1]
	}
	if d.duplicate && after != "" {
		if prev, ok := c.Get(after); ok {
			p.items = append([]T{prev}, p.items...)
		}
	}
	p.total += d.extraTotal
}

// misbehaveOffset is misbehave for a page of an offset-paged list (all, 1-based page).
func misbehaveOffset[T any](all []T, page, perPage int, d decision) []T {
	items := slices.Clone(pageOf(all, page, perPage))
	if d.short && len(items) > 0 {
		items = items[:len(items)-1]
	}
	if start := (page - 1) * perPage; d.duplicate && start > 0 && start <= len(all) {
		items = append([]T{all[start-1]}, items...)
	}
	return items
}

// keyBefore returns the key after which page n (1-based) of the filtered list
// starts when pages hold size items; "" for the first page.
func (c *Collection[T]) keyBefore(page, size int, keep func(*T) bool) string {
	if page <= 1 {
		return ""
	}
	want := (page-1)*size - 1
	key := ""
	c.view(func(all []T) {
		n := 0
		for i := range all {
			if !keep(&all[i]) {
				continue
			}
			if n == want {
				key = c.key(&all[i])
				return
			}
			n++
		}
	})
	return key
}

func lowerKey(s string) string { return strings.ToLower(s) }
