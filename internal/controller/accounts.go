package controller

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// account is everything the reconciler keeps in memory for one CloudAccount between
// reconciles. Only the reconcile of that account touches it, and controller-runtime
// never runs two reconciles of one account at once, so it needs no lock of its own.
type account struct {
	uid types.UID
	// budget is the account's share of the remote rate limit: every list of the
	// account goes through it, so one 429 pauses them all.
	budget *cloud.Budget
	// provider is kept, with its OAuth tokens and discovered endpoints, until the spec
	// or the Secret changes.
	provider   cloud.Provider
	providerOf specVersion
	// lastSecret is the Secret version the last sync started with ("" for none), so a
	// change to the Secret starts a sync at once. secretKnown says whether there is one.
	lastSecret  string
	secretKnown bool
	// pruneCandidates holds the mirrors (by UID) an interrupted listing missed; the
	// next complete listing confirms or clears them.
	pruneCandidates map[types.UID]struct{}
	// session is the sync in flight, if any.
	session *syncSession
}

// specVersion is what a provider or a session was built from.
type specVersion struct {
	generation    int64
	secretVersion string
}

// accounts owns the per-account state, by account name.
type accounts struct {
	mu     sync.Mutex
	byName map[string]*account
}

// get returns the state kept for acct, fresh when there is none, or when the one kept
// belongs to an earlier account of the same name.
func (a *accounts) get(acct *v1alpha1.CloudAccount) *account {
	a.mu.Lock()
	defer a.mu.Unlock()
	if st, ok := a.byName[acct.Name]; ok && st.uid == acct.UID {
		return st
	}
	if a.byName == nil {
		a.byName = map[string]*account{}
	}
	st := &account{uid: acct.UID, budget: cloud.NewBudget()}
	a.byName[acct.Name] = st
	return st
}

// forget drops everything kept for a deleted account: the one place its state ends.
func (a *accounts) forget(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.byName, name)
}

// endSession drops the sync in flight; the next sync starts from page one.
func (st *account) endSession() { st.session = nil }

// recordSecret records the Secret version a sync started with ("" for none).
func (st *account) recordSecret(version string) {
	st.lastSecret, st.secretKnown = version, true
}

// resumeOrSchedule returns the session in flight when it still lists what the account
// asks for. Otherwise it ends that session and says whether a new one should start
// now, or how long until one should.
func (st *account) resumeOrSchedule(acct *v1alpha1.CloudAccount, secretVersion string, now time.Time) (session *syncSession, wait time.Duration, start bool) {
	if s := st.session; s != nil && s.resumable(acct, secretVersion) {
		return s, 0, false
	}
	st.endSession() // none, or the spec or credentials changed under it
	wait, start = st.due(acct, secretVersion, now)
	return nil, wait, start
}

// due says whether a new sync should start now, or how long until it should.
func (st *account) due(acct *v1alpha1.CloudAccount, secretVersion string, now time.Time) (time.Duration, bool) {
	switch {
	case acct.Status.ObservedGeneration != acct.Generation:
		return 0, true
	case syncRequest(acct) != "" && syncRequest(acct) != acct.Status.LastHandledSyncRequest:
		return 0, true
	case st.secretKnown && st.lastSecret != secretVersion:
		return 0, true
	case waitingForCredentials(acct):
		// The last verdict was no usable Secret, and there is one now: a Secret fixed
		// while no operator ran (an upgrade, a new leader) must not wait an interval.
		return 0, true
	case acct.Status.NextSyncTime == nil:
		return 0, true
	case acct.Status.NextSyncTime.After(now):
		return acct.Status.NextSyncTime.Sub(now), false
	}
	return 0, true
}

// stillDue checks a start that the cache's copy of the account called for against the
// API server's copy. A status write queues no reconcile, so a reconcile queued for
// another reason may read a cache that has not yet heard of the sync that just ended:
// it would sync again, and a listing that came up short twice in a row prunes.
func (st *account) stillDue(cached, live *v1alpha1.CloudAccount, secretVersion string, now time.Time) (time.Duration, bool) {
	if live.ResourceVersion == cached.ResourceVersion {
		return 0, true
	}
	return st.due(live, secretVersion, now)
}

// waitingForCredentials says whether the account's last verdict was a missing or
// unlent Secret.
func waitingForCredentials(acct *v1alpha1.CloudAccount) bool {
	ready := meta.FindStatusCondition(acct.Status.Conditions, v1alpha1.ConditionReady)
	return ready != nil && (ready.Reason == v1alpha1.ReasonCredentialsNotFound || ready.Reason == v1alpha1.ReasonCredentialsNotLent)
}

// providerFor returns the account's provider, building it with newProvider when the
// spec or the Secret changed since the last one.
func (st *account) providerFor(acct *v1alpha1.CloudAccount, secret *corev1.Secret, secretVersion string, newProvider ProviderFactory) (cloud.Provider, error) {
	want := specVersion{generation: acct.Generation, secretVersion: secretVersion}
	if st.provider != nil && st.providerOf == want {
		return st.provider, nil
	}
	p, err := newProvider(acct, secret, st.budget)
	if err != nil {
		return nil, err
	}
	st.provider, st.providerOf = p, want
	return p, nil
}

// decidePrune picks the stale mirrors that may go. After a listing that was neither
// paused nor short of the remote's total, that is all of them. After an incomplete one
// it is those the previous complete listing of the account missed too; the rest are
// remembered for the next, unless remember is false (a plan decides nothing for later).
func (st *account) decidePrune(stale []v1alpha1.Mirror, interrupted, remember bool) *pruneDecision {
	previous := st.pruneCandidates
	if remember {
		st.pruneCandidates = nil
	}
	d := &pruneDecision{confirmed: map[types.UID]struct{}{}}
	current := map[types.UID]struct{}{}
	for _, obj := range stale {
		if _, ok := previous[obj.GetUID()]; ok || !interrupted {
			d.confirmed[obj.GetUID()] = struct{}{}
		}
		current[obj.GetUID()] = struct{}{}
	}
	if remember && interrupted && len(current) > 0 {
		st.pruneCandidates = current
	}
	return d
}
