package controller

import (
	"encoding/binary"
	"hash/maphash"
	"maps"
	"slices"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Bounds of an interner: what a remote list can make it hold is capped, so a list of
// ever-new values costs at most this much more than not interning.
const (
	internMaxEntries = 8192
	internMaxLen     = 256
)

// interner hands out one copy of each string, label set and condition list it has
// seen, so that the many cached mirrors which hold the same account name, labels,
// conditions or region share them instead of each keeping what its JSON decoded.
// Go's unique package would not do: it forgets a value at the next collection unless a
// handle is kept, and a cold sync spans hundreds of collections. A set is found by its
// hash and then compared, so finding one allocates nothing.
type interner struct {
	mu         sync.Mutex
	seed       maphash.Seed
	strings    map[string]string
	labels     map[uint64][]map[string]string
	conditions map[uint64][][]metav1.Condition
	// labelSets and conditionSets count the sets held, each bounded on its own: the
	// few label sets must not be crowded out by condition lists, which differ by
	// transition second.
	labelSets, conditionSets int
}

func newInterner() *interner {
	return &interner{seed: maphash.MakeSeed(), strings: map[string]string{},
		labels: map[uint64][]map[string]string{}, conditions: map[uint64][][]metav1.Condition{}}
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

// labelSet returns a shared map equal to labels. The map is shared by every cached
// mirror with the same labels, so it must never be changed in place: the cache hands
// out deep copies, and code that reads the cache's own objects copies before writing
// (accountMirrors.all).
func (in *interner) labelSet(labels map[string]string) map[string]string {
	if len(labels) == 0 {
		return labels
	}
	var sum uint64 // of each pair's hash: a map has no order
	for k, v := range labels {
		var h maphash.Hash
		h.SetSeed(in.seed)
		h.WriteString(k)
		h.WriteByte(0)
		h.WriteString(v)
		sum += h.Sum64()
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, shared := range in.labels[sum] {
		if maps.Equal(shared, labels) {
			return shared
		}
	}
	if in.labelSets >= internMaxEntries {
		return labels
	}
	shared := make(map[string]string, len(labels))
	for k, v := range labels {
		shared[in.strLocked(k)] = in.strLocked(v)
	}
	in.labels[sum] = append(in.labels[sum], shared)
	in.labelSets++
	return shared
}

// conditionSet returns a shared slice equal to conds. Mirrors written in the same
// second in the same state hold equal conditions, down to their transition time; like
// a label set, the shared slice must never be changed in place.
func (in *interner) conditionSet(conds []metav1.Condition) []metav1.Condition {
	if len(conds) == 0 {
		return conds
	}
	var h maphash.Hash
	h.SetSeed(in.seed)
	for _, c := range conds {
		for _, s := range [...]string{c.Type, string(c.Status), c.Reason, c.Message} {
			h.WriteString(s)
			h.WriteByte(0)
		}
		var n [16]byte
		binary.LittleEndian.PutUint64(n[:8], uint64(c.ObservedGeneration))
		binary.LittleEndian.PutUint64(n[8:], uint64(c.LastTransitionTime.UnixNano()))
		_, _ = h.Write(n[:])
	}
	sum := h.Sum64()
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, shared := range in.conditions[sum] {
		if slices.EqualFunc(shared, conds, conditionEqual) {
			return shared
		}
	}
	if in.conditionSets >= internMaxEntries {
		// Full: the list stays the mirror's own, its strings still shared.
		in.internConditionStrings(conds)
		return conds
	}
	shared := slices.Clone(conds)
	in.internConditionStrings(shared)
	in.conditions[sum] = append(in.conditions[sum], shared)
	in.conditionSets++
	return shared
}

// internConditionStrings interns the strings of conds in place; the caller holds mu.
func (in *interner) internConditionStrings(conds []metav1.Condition) {
	for i := range conds {
		c := &conds[i]
		c.Type, c.Reason, c.Message = in.strLocked(c.Type), in.strLocked(c.Reason), in.strLocked(c.Message)
		c.Status = metav1.ConditionStatus(in.strLocked(string(c.Status)))
	}
}
