package controller

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// What an account shows before an outcome, as condition type -> "Status/Reason".
var (
	fresh        = map[string]string{}
	firstSync    = map[string]string{"Reconciling": "True/Progressing"}
	syncedBefore = map[string]string{"Ready": "True/Synced", "RateLimited": "False/NotRateLimited"}
	// everything is the other extreme: every condition set, so an outcome that forgets
	// to clear one shows it.
	everything = map[string]string{"Ready": "False/Unauthorized", "Stalled": "True/Unauthorized",
		"Reconciling": "True/Progressing", "RateLimited": "True/RateLimited"}
)

// Every outcome's conditions, from the one table, as kstatus (what Flux and
// cli-utils wait on) reads them. A row that forgets a condition changes what kstatus
// computes, or what the want map says, and fails here.
func TestOutcomeConditions(t *testing.T) {
	synced := outcome{kind: outcomeSynced, reason: v1alpha1.ReasonSynced, message: "mirrored 3 organizations"}
	short := outcome{kind: outcomeSynced, reason: v1alpha1.ReasonListingShort, message: "mirrored 2 organizations; short"}
	heldBack := outcome{kind: outcomePruneHeldBack, reason: v1alpha1.ReasonPruneHeldBack, message: "prune held back"}
	capped := outcome{kind: outcomeCeilingReached, reason: v1alpha1.ReasonMirrorCeilingReached, message: "mirror ceiling reached"}
	planned := outcome{kind: outcomePlanned, reason: v1alpha1.ReasonPlanned, message: "plan: a sync would create 3"}
	stalled := outcome{kind: outcomeStalled, reason: v1alpha1.ReasonUnauthorized, message: "401"}
	notLent := outcome{kind: outcomeStalled, reason: v1alpha1.ReasonCredentialsNotLent, message: "not lent"}
	retrying := outcome{kind: outcomeRetrying, reason: v1alpha1.ReasonRemoteError, message: "503"}
	rateLimited := outcome{kind: outcomeRateLimited, reason: v1alpha1.ReasonRateLimited, message: "wait"}
	suspended := outcome{kind: outcomeSuspended}
	progressing := outcome{kind: outcomeProgressing, reason: v1alpha1.ReasonProgressing, message: "syncing generation 3"}

	tests := []struct {
		name    string
		before  map[string]string
		outcome outcome
		want    map[string]string
		kstatus status.Status
	}{
		{"synced after everything", everything, synced,
			map[string]string{"Ready": "True/Synced", "RateLimited": "False/NotRateLimited"}, status.CurrentStatus},
		{"synced on a fresh account", fresh, synced,
			map[string]string{"Ready": "True/Synced", "RateLimited": "False/NotRateLimited"}, status.CurrentStatus},
		{"synced short of the remote's total", firstSync, short,
			map[string]string{"Ready": "True/ListingShort", "RateLimited": "False/NotRateLimited"}, status.CurrentStatus},
		// kstatus reads Ready=False as still in progress.
		{"prune held back after everything", everything, heldBack,
			map[string]string{"Ready": "False/PruneHeldBack", "RateLimited": "False/NotRateLimited"}, status.InProgressStatus},
		// Like a held-back prune: written as far as allowed, not all of it.
		{"ceiling reached after everything", everything, capped,
			map[string]string{"Ready": "False/MirrorCeilingReached", "RateLimited": "False/NotRateLimited"}, status.InProgressStatus},
		{"planned after everything", everything, planned,
			map[string]string{"Ready": "True/Planned", "RateLimited": "False/NotRateLimited"}, status.CurrentStatus},
		{"stalled on a first sync", firstSync, stalled,
			map[string]string{"Ready": "False/Unauthorized", "Stalled": "True/Unauthorized"}, status.FailedStatus},
		{"stalled while rate-limited", map[string]string{"Ready": "True/Synced", "RateLimited": "True/RateLimited"}, notLent,
			map[string]string{"Ready": "False/CredentialsNotLent", "Stalled": "True/CredentialsNotLent", "RateLimited": "False/NotRateLimited"}, status.FailedStatus},
		{"stalled on a fresh account adds no RateLimited", fresh, stalled,
			map[string]string{"Ready": "False/Unauthorized", "Stalled": "True/Unauthorized"}, status.FailedStatus},
		{"retrying on a first sync stays in progress", firstSync, retrying,
			map[string]string{"Ready": "False/RemoteError", "Reconciling": "True/Progressing"}, status.InProgressStatus},
		{"retrying after everything clears Stalled and the rate limit", everything, retrying,
			map[string]string{"Ready": "False/RemoteError", "Reconciling": "True/Progressing", "RateLimited": "False/NotRateLimited"}, status.InProgressStatus},
		{"retrying after a sync", syncedBefore, retrying,
			map[string]string{"Ready": "False/RemoteError", "RateLimited": "False/NotRateLimited"}, status.InProgressStatus},
		{"rate-limited on a first sync", firstSync, rateLimited,
			map[string]string{"Reconciling": "True/Progressing", "RateLimited": "True/RateLimited"}, status.InProgressStatus},
		{"rate-limited keeps Ready's verdict", syncedBefore, rateLimited,
			map[string]string{"Ready": "True/Synced", "RateLimited": "True/RateLimited"}, status.CurrentStatus},
		{"suspended keeps the verdict, drops progress", everything, suspended,
			map[string]string{"Ready": "False/Unauthorized", "Stalled": "True/Unauthorized"}, status.FailedStatus},
		{"suspended on a first sync", firstSync, suspended,
			map[string]string{}, status.CurrentStatus},
		{"progressing after a sync", syncedBefore, progressing,
			map[string]string{"Ready": "True/Synced", "Reconciling": "True/Progressing", "RateLimited": "False/NotRateLimited"}, status.InProgressStatus},
	}
	tested := map[outcomeKind]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tested[tt.outcome.kind] = true
			conds := conditionsOf(tt.before)
			accountConditions(&conds, 3, tt.outcome)
			row := outcomeRows[tt.outcome.kind]
			kept := map[string]bool{"Ready": row.ready == keep, "Stalled": row.stalled == keep,
				"Reconciling": row.reconciling == keep, "RateLimited": row.rateLimited == keep}
			got := map[string]string{}
			for _, c := range conds {
				got[c.Type] = string(c.Status) + "/" + c.Reason
				if !kept[c.Type] && c.ObservedGeneration != 3 {
					t.Errorf("%s observedGeneration = %d, want 3", c.Type, c.ObservedGeneration)
				}
				if c.Reason == tt.outcome.reason && c.Message != tt.outcome.message {
					t.Errorf("%s message = %q, want the outcome's %q", c.Type, c.Message, tt.outcome.message)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if res := kstatusOf(t, conds); res.Status != tt.kstatus {
				t.Errorf("kstatus = %s (%s), want %s", res.Status, res.Message, tt.kstatus)
			}
		})
	}
	for k := range outcomeKinds {
		if _, ok := outcomeRows[k]; !ok {
			t.Errorf("outcome kind %d has no row in outcomeRows", k)
		}
		if !tested[k] {
			t.Errorf("outcome kind %d has no case in this test", k)
		}
	}
}

// conditionsOf builds conditions from "Status/Reason" values, at an older generation.
func conditionsOf(m map[string]string) []metav1.Condition {
	var conds []metav1.Condition
	for _, t := range []string{"Ready", "Stalled", "Reconciling", "RateLimited"} {
		v, ok := m[t]
		if !ok {
			continue
		}
		var s, reason string
		for i := range v {
			if v[i] == '/' {
				s, reason = v[:i], v[i+1:]
			}
		}
		conds = append(conds, metav1.Condition{Type: t, Status: metav1.ConditionStatus(s), Reason: reason, ObservedGeneration: 2})
	}
	return conds
}

// kstatusOf computes kstatus on a CloudAccount with these conditions whose status has
// caught up with its generation.
func kstatusOf(t *testing.T, conds []metav1.Condition) *status.Result {
	t.Helper()
	acct := &v1alpha1.CloudAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "CloudAccount"},
		ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 3},
	}
	acct.Status.ObservedGeneration = 3
	acct.Status.Conditions = conds
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(acct)
	if err != nil {
		t.Fatal(err)
	}
	res, err := status.Compute(&unstructured.Unstructured{Object: obj})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
