package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

// sync runs one step of an account's sync, in this order: decide whether a session
// runs now, list and write as far as the remote side allows, then prune and report.
func (r *CloudAccountReconciler) sync(ctx context.Context, acct *v1alpha1.CloudAccount) (ctrl.Result, error) {
	now := time.Now()
	state := r.accounts.get(acct)
	session, result, err := r.decide(ctx, acct, state, now)
	if session == nil {
		return result, err
	}
	acct.Status.ObservedGeneration = acct.Generation
	if wait := session.resumeAt.Sub(now); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil // woken early: the wait still holds
	}
	writes := r.writesFor(acct, session)
	err = session.run(ctx, writes)
	recordRateLimit(acct, state.budget)
	result, err = r.settle(ctx, acct, state, session, writes, err)
	if session.cold && state.session == nil {
		// The account's first session is over: the next compares against a cache.
		r.caches.firstSyncEnded(acct.Name)
	}
	return result, err
}

// decide returns the session to run now, in three phases: the credentials and their
// consent, then the session in flight or the schedule, then the start of a new
// session. Without a session, the result says when to come back.
func (r *CloudAccountReconciler) decide(ctx context.Context, acct *v1alpha1.CloudAccount, state *account, now time.Time) (*syncSession, ctrl.Result, error) {
	secret, err := r.lentCredentials(ctx, acct)
	if err != nil {
		state.endSession()     // consent withdrawn mid-sync stops it before the next request
		state.recordSecret("") // so the Secret, or its consent, counts as a change when it comes
		return nil, r.stalled(acct, classify(err), err), nil
	}
	secretVersion := credentialsVersion(secret)
	session, wait, start := state.resumeOrSchedule(acct, secretVersion, now)
	if !start {
		return session, ctrl.Result{RequeueAfter: wait}, nil
	}
	return r.start(ctx, acct, state, secret, secretVersion, now)
}

// start begins a new session, unless the account is gone or going, or the API server's
// copy says no session is due after all, or its provider or lists cannot be built from
// the spec and Secret: then the account stalls.
func (r *CloudAccountReconciler) start(ctx context.Context, acct *v1alpha1.CloudAccount, state *account, secret *corev1.Secret, secretVersion string, now time.Time) (*syncSession, ctrl.Result, error) {
	live, err := r.liveAccount(ctx, acct)
	if live == nil || err != nil {
		return nil, ctrl.Result{}, err
	}
	if wait, due := state.stillDue(acct, live, secretVersion, now); !due {
		return nil, ctrl.Result{RequeueAfter: wait}, nil
	}
	state.recordSecret(secretVersion)
	provider, err := state.providerFor(acct, secret, secretVersion, r.NewProvider)
	if err == nil {
		state.session, err = newSession(acct, secretVersion, provider, now)
	}
	if err != nil {
		return nil, r.stalled(acct, classifySetup(err), err), nil
	}
	state.session.lent = r.stillLent(acct, secretVersion)
	state.session.writers = r.writers
	if state.session.mirrors, state.session.cold, err = r.caches.forSession(ctx, acct.Name); err != nil {
		state.endSession()
		return nil, ctrl.Result{}, err
	}
	if state.session.ceiling, err = ceilingFor(ctx, acct, state.session.mirrors); err != nil {
		state.endSession()
		return nil, ctrl.Result{}, err
	}
	if o, show := progressing(acct); show {
		r.record(acct, o)
	}
	logf.FromContext(ctx).V(1).Info("sync started", "lists", len(state.session.lists))
	return state.session, ctrl.Result{}, nil
}

// settle prunes after a complete listing and reports how the session's run ended.
func (r *CloudAccountReconciler) settle(ctx context.Context, acct *v1alpha1.CloudAccount, state *account, session *syncSession, writes mirrorWrites, err error) (ctrl.Result, error) {
	if rl, ok := cloud.AsRateLimited(err); ok {
		return r.rateLimited(acct, session, rl), nil
	}
	if err != nil && ctx.Err() != nil { // shutting down: the next leader starts over
		return ctrl.Result{}, err
	}
	if errors.Is(err, errSecretChanged) {
		// No verdict yet: the next reconcile (the Secret's change queued one; the
		// requeue is a backstop) starts over with a provider built from the new Secret.
		state.endSession()
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	if err == nil {
		prune, err := r.prune(ctx, acct, state, session, writes)
		if err != nil {
			return r.retrying(ctx, acct, session, "prune failed", err), nil
		}
		state.endSession()
		return r.finished(acct, session, writes, prune), nil
	}
	class := classify(err)
	if !class.endsSession {
		return r.retrying(ctx, acct, session, "listing incomplete, nothing pruned", err), nil
	}
	state.endSession()
	if class.setup {
		state.recordSecret("") // so the Secret, fixed, counts as a change (consent given again, say)
	}
	return r.failed(acct, session, class, err), nil
}

// credentials reads the account's Secret from the operator's namespace only. A
// Secret that cannot be read counts as none.
func (r *CloudAccountReconciler) credentials(ctx context.Context, acct *v1alpha1.CloudAccount) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: r.Namespace, Name: acct.Spec.CredentialsSecretRef.Name}
	if err := r.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, cloud.CredentialsErrorf("secret %s/%s not found", key.Namespace, key.Name)
		}
		return nil, cloud.CredentialsErrorf("read secret %s/%s: %w", key.Namespace, key.Name, err)
	}
	return secret, nil
}

// liveAccount reads the account from the API server: nil when it was deleted, or is
// being deleted, since the cache last heard of it.
func (r *CloudAccountReconciler) liveAccount(ctx context.Context, acct *v1alpha1.CloudAccount) (*v1alpha1.CloudAccount, error) {
	live := &v1alpha1.CloudAccount{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(acct), live); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read account: %w", err)
	}
	if live.UID != acct.UID || !live.DeletionTimestamp.IsZero() {
		return nil, nil
	}
	return live, nil
}

// writesFor is where the session's changes go: the API server, or, in Plan mode, the
// session's plan. A session lists for one generation, so the spec's mode is its mode.
func (r *CloudAccountReconciler) writesFor(acct *v1alpha1.CloudAccount, session *syncSession) mirrorWrites {
	io := mirrorIO{client: r.Client, creates: r.newMirrors, cache: session.mirrors, reader: r.APIReader, scheme: r.Scheme, recorder: r.Recorder, acct: acct, ceiling: session.ceiling}
	if acct.Spec.Mode == v1alpha1.ModePlan {
		return &planWriter{mirrorIO: io, tally: session.plan}
	}
	return &mirrorWriter{mirrorIO: io}
}

// syncRequest is the account's sync-now request, if any.
func syncRequest(acct *v1alpha1.CloudAccount) string {
	return acct.Annotations[v1alpha1.AnnotationSyncRequestedAt]
}

// dataHash identifies a Secret's content: a change to its labels alone must not
// restart a listing or fetch new tokens.
func dataHash(data map[string][]byte) string {
	keys := slices.Sorted(maps.Keys(data))
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%d:%s%d:", len(k), k, len(data[k]))
		h.Write(data[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// syncInterval is the account's interval, or the default.
func syncInterval(acct *v1alpha1.CloudAccount) time.Duration {
	if acct.Spec.SyncInterval != nil && acct.Spec.SyncInterval.Duration > 0 {
		return acct.Spec.SyncInterval.Duration
	}
	return defaultSyncInterval
}

// nextInterval is the sync interval with up to 10% jitter added.
func nextInterval(acct *v1alpha1.CloudAccount) time.Duration {
	d := syncInterval(acct)
	return d + time.Duration(rand.Float64()*intervalJitter*float64(d))
}
