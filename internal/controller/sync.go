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
	now := r.clock()
	state := r.accounts.get(acct)
	session, result, err := r.decide(ctx, acct, state, now)
	if session == nil {
		return result, err
	}
	acct.Status.ObservedGeneration = acct.Generation
	if wait := session.resumeAt.Sub(now); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil // woken early: the wait still holds
	}
	err = session.run(ctx, r.mirrorWriter(acct, session.plan))
	r.recordRateLimit(acct, state.budget)
	return r.settle(ctx, acct, state, session, err)
}

// decide returns the session to run: the one in flight, or a new one when a sync is
// due. Without one, the result says when to come back.
func (r *CloudAccountReconciler) decide(ctx context.Context, acct *v1alpha1.CloudAccount, state *account, now time.Time) (*syncSession, ctrl.Result, error) {
	secret, err := r.credentials(ctx, acct)
	if err != nil {
		state.endSession()
		state.recordSecret("") // so the Secret's creation counts as a change
		return nil, r.stalled(acct, v1alpha1.ReasonCredentialsNotFound, err), nil
	}
	if err := lendsTo(secret, acct.Name); err != nil {
		state.endSession()     // consent withdrawn mid-sync stops it before the next request
		state.recordSecret("") // so the consent, when given, counts as a change
		return nil, r.stalled(acct, v1alpha1.ReasonCredentialsNotLent, err), nil
	}
	secretVersion := credentialsVersion(secret)
	if s := state.session; s != nil && s.resumable(acct, secretVersion) {
		return s, ctrl.Result{}, nil
	}
	state.endSession() // none, or the spec or credentials changed under it
	if wait, due := state.due(acct, secretVersion, now); !due {
		return nil, ctrl.Result{RequeueAfter: wait}, nil
	}
	if gone, err := r.goneOrGoing(ctx, acct); gone || err != nil {
		return nil, ctrl.Result{}, err
	}
	state.recordSecret(secretVersion)
	provider, err := state.providerFor(acct, secret, secretVersion, r.NewProvider)
	if err != nil {
		return nil, r.stalled(acct, setupReason(err), err), nil
	}
	if state.session, err = newSession(acct, secretVersion, provider, now); err != nil {
		return nil, r.stalled(acct, v1alpha1.ReasonInvalidConfiguration, err), nil
	}
	state.session.lent = r.stillLent(acct)
	if state.session.ceiling, err = r.ceilingFor(ctx, acct); err != nil {
		state.endSession()
		return nil, ctrl.Result{}, err
	}
	beginSession(acct)
	logf.FromContext(ctx).V(1).Info("sync started", "lists", len(state.session.lists))
	return state.session, ctrl.Result{}, nil
}

// settle prunes after a complete listing and reports how the session's run ended.
func (r *CloudAccountReconciler) settle(ctx context.Context, acct *v1alpha1.CloudAccount, state *account, session *syncSession, err error) (ctrl.Result, error) {
	if rl, ok := cloud.AsRateLimited(err); ok {
		return r.rateLimited(acct, session, rl), nil
	}
	switch {
	case err == nil:
		outcome, err := r.prune(ctx, acct, state, session)
		if err != nil {
			return r.retrying(ctx, acct, session, "prune failed", err), nil
		}
		state.endSession()
		if session.plan != nil {
			return r.planned(acct, session, outcome), nil
		}
		return r.completed(acct, session, outcome), nil
	case ctx.Err() != nil: // shutting down: the next leader starts over
		return ctrl.Result{}, err
	case stopsSession(err):
		state.endSession()
		if errors.Is(err, errNotLent) {
			state.recordSecret("") // so the consent, when given again, counts as a change
		}
		return r.failed(acct, session, err), nil
	}
	return r.retrying(ctx, acct, session, "listing incomplete, nothing pruned", err), nil
}

// credentials reads the account's Secret from the operator's namespace only.
func (r *CloudAccountReconciler) credentials(ctx context.Context, acct *v1alpha1.CloudAccount) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: r.Namespace, Name: acct.Spec.CredentialsSecretRef.Name}
	if err := r.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("secret %s/%s not found", key.Namespace, key.Name)
		}
		return nil, fmt.Errorf("read secret %s/%s: %w", key.Namespace, key.Name, err)
	}
	return secret, nil
}

// goneOrGoing asks the API server whether the account was deleted or is being deleted
// since the cache last heard of it.
func (r *CloudAccountReconciler) goneOrGoing(ctx context.Context, acct *v1alpha1.CloudAccount) (bool, error) {
	live := &v1alpha1.CloudAccount{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(acct), live); err != nil {
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, fmt.Errorf("read account: %w", err)
	}
	return live.UID != acct.UID || !live.DeletionTimestamp.IsZero(), nil
}

func (r *CloudAccountReconciler) mirrorWriter(acct *v1alpha1.CloudAccount, plan *planTally) *mirrorWriter {
	return &mirrorWriter{client: r.Client, reader: r.APIReader, scheme: r.Scheme, recorder: r.Recorder, acct: acct, plan: plan}
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

func (r *CloudAccountReconciler) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}
