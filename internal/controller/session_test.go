package controller

import (
	"context"
	"errors"
	"testing"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// scriptedWalk is a list of one empty page whose remote total is total; its first
// failFirst reads fail.
type scriptedWalk struct {
	total     int
	failFirst int
	handed    bool // the page is handed out (in this run)
	read      bool // the page is written
}

func (w *scriptedWalk) describe() string { return "scripted" }
func (w *scriptedWalk) kind() string     { return kindOrganization }
func (w *scriptedWalk) done() bool       { return w.read }
func (w *scriptedWalk) pages() int       { return 0 }
func (w *scriptedWalk) more() bool       { return !w.handed }
func (w *scriptedWalk) rewind()          { w.handed = w.read }
func (w *scriptedWalk) written(int)      { w.read = true }
func (w *scriptedWalk) counts() (int, int) {
	return 0, w.total
}

func (w *scriptedWalk) page(context.Context) ([]v1alpha1.Mirror, error) {
	if w.failFirst > 0 {
		w.failFirst--
		return nil, errors.New("remote failure")
	}
	w.handed = true
	return nil, nil
}

func TestShortListReportedOnceAcrossResumes(t *testing.T) {
	s := &syncSession{
		listed:  map[string]map[string]v1alpha1.ProvisioningState{kindOrganization: {}},
		skipped: &skippedItems{},
		lists:   []pageWalker{&scriptedWalk{total: 5}, &scriptedWalk{failFirst: 1}},
	}
	if err := s.run(t.Context(), &mirrorWriter{}); err == nil {
		t.Fatal("the first run should stop at the failing list")
	}
	if err := s.run(t.Context(), &mirrorWriter{}); err != nil {
		t.Fatalf("the resumed run: %v", err)
	}
	if len(s.shortfalls) != 1 || s.shortfalls[0].total != 5 {
		t.Errorf("shortfalls = %+v, want the short list once", s.shortfalls)
	}
	if !s.incomplete() {
		t.Error("a session with a short list must count as incomplete")
	}
}

func TestPlanTallyKeepsTheFirstNamesInOrder(t *testing.T) {
	p := &planTally{}
	for _, name := range []string{"m", "c", "x", "a", "k", "b", "z", "d", "e", "f", "g", "h", "a"} {
		p.create(name)
	}
	if p.creates.count != 13 {
		t.Errorf("count = %d, want 13 (every call counts)", p.creates.count)
	}
	want := []string{"a", "b", "c", "d", "e", "f", "g", "h", "k", "m"}
	if len(p.creates.sample) != len(want) {
		t.Fatalf("sample = %v, want %v", p.creates.sample, want)
	}
	for i := range want {
		if p.creates.sample[i] != want[i] {
			t.Fatalf("sample = %v, want %v", p.creates.sample, want)
		}
	}
}

func TestNamedOrganizationsAreReadOnceWhateverTheirCase(t *testing.T) {
	n := namedOrganizations(nil, []v1alpha1.AzureOrganizationReference{
		{ResourceGroup: "rg-1", Name: "Org"}, {ResourceGroup: "RG-1", Name: "org"}, {ResourceGroup: "rg-2", Name: "org"},
	})
	if len(n.refs) != 2 {
		t.Errorf("refs = %v, want rg-1/Org and rg-2/org", n.refs)
	}
}
