package controller

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

func mirrors(uids ...types.UID) []v1alpha1.Mirror {
	var out []v1alpha1.Mirror
	for _, uid := range uids {
		out = append(out, &v1alpha1.Organization{ObjectMeta: metav1.ObjectMeta{Name: string(uid), UID: uid}})
	}
	return out
}

func confirmedUIDs(d *pruneDecision) []types.UID {
	var out []types.UID
	for uid := range d.confirmed {
		out = append(out, uid)
	}
	slices.Sort(out)
	return out
}

// A listing paused part-way only nominates what it missed; the next complete listing
// confirms what it misses too, and an uninterrupted listing decides on its own.
func TestDecidePruneAfterInterruptedListings(t *testing.T) {
	const account = types.UID("acct")
	steps := []struct {
		name        string
		stale       []types.UID
		interrupted bool
		want        []types.UID
	}{
		{"first paused listing removes nothing", []types.UID{"a", "b"}, true, nil},
		{"second paused listing removes what both missed", []types.UID{"b", "c"}, true, []types.UID{"b"}},
		{"a third keeps only the latest misses as candidates", []types.UID{"a"}, true, nil},
		{"an uninterrupted listing removes all it misses", []types.UID{"a", "d"}, false, []types.UID{"a", "d"}},
		{"and leaves no candidates behind", []types.UID{"d"}, true, nil},
		{"an empty paused listing clears them", nil, true, nil},
		{"so the next paused listing starts afresh", []types.UID{"d"}, true, nil},
	}
	var registry accounts
	acct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "acct-name", UID: account}}
	state := registry.get(acct)
	for _, st := range steps {
		got := confirmedUIDs(state.decidePrune(mirrors(st.stale...), st.interrupted, true))
		if !slices.Equal(got, st.want) {
			t.Fatalf("%s: confirmed %v, want %v", st.name, got, st.want)
		}
	}
	registry.forget("x") // unknown account: nothing happens
	if registry.get(acct) != state {
		t.Fatal("forgetting another account dropped this one's state")
	}
	registry.forget("acct-name")
	if registry.get(acct).pruneCandidates != nil {
		t.Error("forget left the account's prune candidates")
	}
}

// The prune guard holds back exactly the prunes above the limit: at the limit, the
// prune goes.
func TestPruneGuard(t *testing.T) {
	tests := []struct {
		name                  string
		missing, total, limit int
		wantHeldBack          bool
	}{
		{"half of the mirrors at the default limit", 50, 100, 50, false},
		{"one more than half", 51, 100, 50, true},
		{"one of three at 50%", 1, 3, 50, false},
		{"two of three at 50%", 2, 3, 50, true},
		{"all of them at 100%", 7, 7, 100, false},
		{"any at 0%", 1, 1000, 0, true},
		{"none at 0%", 0, 1000, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pruneGuard(tt.missing, tt.total, tt.limit)
			if (got != "") != tt.wantHeldBack {
				t.Errorf("pruneGuard(%d, %d, %d) = %q, want held back %v", tt.missing, tt.total, tt.limit, got, tt.wantHeldBack)
			}
			if tt.wantHeldBack && !strings.Contains(got, fmt.Sprintf("%d of %d mirrors", tt.missing, tt.total)) {
				t.Errorf("message %q does not say how many of how many", got)
			}
		})
	}
}
