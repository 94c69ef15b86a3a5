package controller

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Bounds of an interner: what a remote list can make it hold is capped, so a list of
// ever-new values costs at most this much more than not interning.
const (
	internMaxEntries = 8192
	internMaxLen     = 256
	// internMaxShortLen is shorter than a UUID.
	internMaxShortLen = 32
)

// interner hands out one copy of each string (and of each label set) it has seen, so
// that the many cached mirrors which hold the same account name, label set, condition
// message or region share it instead of each keeping the copy its JSON decoded.
// Go's unique package would not do: it forgets a value at the next collection unless a
// handle is kept, and a cold sync spans hundreds of collections.
type interner struct {
	mu         sync.Mutex
	strings    map[string]string
	labels     map[string]map[string]string
	conditions map[string][]metav1.Condition
}

func newInterner() *interner {
	return &interner{strings: map[string]string{}, labels: map[string]map[string]string{}, conditions: map[string][]metav1.Condition{}}
}

// str returns the interned copy of s, or s itself once the interner is full or s is
// too long to be worth it.
func (in *interner) str(s string) string {
	if s == "" {
		return s
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.strLocked(s)
}

// labelSet returns a shared map equal to labels. The map is shared by every cached
// mirror with the same labels, so it must never be changed in place: the cache hands
// out deep copies, and code that reads the cache's own objects copies before writing
// (mirrorsOf).
func (in *interner) labelSet(labels map[string]string) map[string]string {
	if len(labels) == 0 {
		return labels
	}
	var key strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		key.WriteString(k)
		key.WriteByte(0)
		key.WriteString(labels[k])
		key.WriteByte(0)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if shared, ok := in.labels[key.String()]; ok {
		return shared
	}
	if len(in.labels) >= internMaxEntries || key.Len() > internMaxLen {
		return labels
	}
	shared := make(map[string]string, len(labels))
	for k, v := range labels {
		shared[in.strLocked(k)] = in.strLocked(v)
	}
	in.labels[key.String()] = shared
	return shared
}

// conditionSet returns a shared slice equal to conds. Mirrors written in the same
// second in the same state hold equal conditions, down to their transition time; like
// a label set, the shared slice must never be changed in place.
func (in *interner) conditionSet(conds []metav1.Condition) []metav1.Condition {
	if len(conds) == 0 {
		return conds
	}
	var key strings.Builder
	for _, c := range conds {
		for _, s := range []string{c.Type, string(c.Status), c.Reason, c.Message,
			strconv.FormatInt(c.ObservedGeneration, 10), strconv.FormatInt(c.LastTransitionTime.UnixNano(), 10)} {
			key.WriteString(s)
			key.WriteByte(0)
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if shared, ok := in.conditions[key.String()]; ok {
		return shared
	}
	if len(in.conditions) >= internMaxEntries || key.Len() > 4*internMaxLen {
		return conds
	}
	shared := slices.Clone(conds)
	for i := range shared {
		c := &shared[i]
		c.Type, c.Reason, c.Message = in.strLocked(c.Type), in.strLocked(c.Reason), in.strLocked(c.Message)
		c.Status = metav1.ConditionStatus(in.strLocked(string(c.Status)))
	}
	in.conditions[key.String()] = shared
	return shared
}

// strLocked is str for a caller that holds mu.
func (in *interner) strLocked(s string) string {
	if c, ok := in.strings[s]; ok {
		return c
	}
	if len(in.strings) < internMaxEntries && len(s) <= internMaxLen {
		in.strings[s] = s
	}
	return s
}

// shortStr interns s only when it is short enough to be a category (a location, a
// plan, a kind) rather than an identifier, so unique IDs do not fill the interner.
func (in *interner) shortStr(s string) string {
	if len(s) > internMaxShortLen {
		return s
	}
	return in.str(s)
}
