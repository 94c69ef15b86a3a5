// Package controller holds orgsync's reconcilers: it diffs what the remote lists
// say against the mirrors in the cache, writes only what changed, prunes what a
// complete listing no longer contains, and reports progress on the CloudAccount.
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
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/metrics"
)

// ProviderFactory builds the provider for an account from its spec and the data of
// its credentials Secret. main.go wires in the concrete providers. Errors must not
// quote credential values.
type ProviderFactory func(acct *v1alpha1.CloudAccount, credentials map[string][]byte, budget *cloud.Budget) (cloud.Provider, error)

const (
	defaultSyncInterval = 5 * time.Minute
	// intervalJitter spreads syncs so accounts never run in lockstep (PRODUCT.md rule 5).
	intervalJitter = 0.1
	// secretRefIndex indexes accounts by the name of their credentials Secret.
	secretRefIndex = "spec.credentialsSecretRef.name"

	// Event reasons for a remote item that was skipped.
	reasonInvalidRemoteItem = "InvalidRemoteItem" // the API server refused the mirror
	reasonMirrorNameTaken   = "MirrorNameTaken"   // another object holds the mirror's name
)

// CloudAccountReconciler syncs each CloudAccount's remote lists into mirrors.
type CloudAccountReconciler struct {
	client.Client
	// APIReader reads past the cache; a sync starts only for an account that is still
	// there, so a stale cached copy never re-creates the mirrors of a deleted account.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	Providers ProviderFactory
	// Namespace is the only namespace credentials Secrets are read from.
	Namespace string
	// MaxConcurrentReconciles is how many accounts sync at once (default 4).
	MaxConcurrentReconciles int
	now                     func() time.Time

	sessions sessions
	mu       sync.Mutex
	budgets  map[types.UID]*cloud.Budget
	// providers keeps each account's provider, and with it its OAuth tokens and
	// discovered endpoints, until the spec or the Secret changes.
	providers map[types.UID]cachedProvider
	// secretVersions remembers the Secret version each account last synced with, so a
	// change to the Secret starts a sync at once.
	secretVersions map[types.UID]string
	// pruneCandidates holds, per account, the mirrors (by UID) an interrupted listing
	// missed; the next complete listing confirms or clears them.
	pruneCandidates map[types.UID]map[types.UID]struct{}
	// uids maps account names to UIDs, to forget a deleted account's state.
	uids map[string]types.UID
}

// +kubebuilder:rbac:groups=cloud.orgsync.io,resources=cloudaccounts,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=cloud.orgsync.io,resources=cloudaccounts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=cloud.orgsync.io,resources=cloudaccounts/finalizers,verbs=update
// +kubebuilder:rbac:groups=cloud.orgsync.io,resources=organizations;connectclusters,verbs=get;list;watch;create;update;patch;delete;deletecollection
// +kubebuilder:rbac:groups=cloud.orgsync.io,resources=organizations/status;connectclusters/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",namespace=orgsync-system,resources=secrets,verbs=get;list;watch

// Reconcile runs or resumes the account's sync when it is due.
func (r *CloudAccountReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	acct := &v1alpha1.CloudAccount{}
	if err := r.Get(ctx, req.NamespacedName, acct); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.Name)
			return ctrl.Result{}, r.sweepOrphans(ctx, req.Name)
		}
		return ctrl.Result{}, err
	}
	if !acct.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, acct)
	}
	if !controllerutil.ContainsFinalizer(acct, v1alpha1.FinalizerMirrors) {
		before := acct.DeepCopy()
		controllerutil.AddFinalizer(acct, v1alpha1.FinalizerMirrors)
		if err := r.Patch(ctx, acct, finalizerPatch(before)); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(fmt.Errorf("add finalizer: %w", err))
		}
	}

	r.mu.Lock()
	if r.uids == nil {
		r.uids = map[string]types.UID{}
	}
	r.uids[acct.Name] = acct.UID
	r.mu.Unlock()

	original := acct.DeepCopy()
	defer func() {
		if equality.Semantic.DeepEqual(original.Status, acct.Status) {
			return
		}
		if err := r.Status().Patch(ctx, acct, client.MergeFrom(original)); err != nil {
			retErr = errors.Join(retErr, fmt.Errorf("patch status: %w", err))
			return
		}
		metrics.APIServerWrites.WithLabelValues("patch_status", "CloudAccount").Inc()
	}()

	if acct.Spec.Suspend {
		r.sessions.put(acct.UID, nil)
		acct.Status.NextSyncTime = nil
		acct.Status.ObservedGeneration = acct.Generation
		meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionReconciling)
		meta.RemoveStatusCondition(&acct.Status.Conditions, v1alpha1.ConditionRateLimited)
		return ctrl.Result{}, nil
	}
	return r.sync(ctx, acct)
}

// sync starts a sync when one is due (or resumes the one in flight) and runs it as far
// as the remote side allows.
func (r *CloudAccountReconciler) sync(ctx context.Context, acct *v1alpha1.CloudAccount) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	now := r.clock()
	secret, err := r.credentials(ctx, acct)
	if err != nil {
		r.sessions.put(acct.UID, nil)
		r.rememberSecret(acct.UID, "") // so the Secret's creation counts as a change
		return r.stalled(acct, v1alpha1.ReasonCredentialsNotFound, err)
	}

	secretVersion := dataHash(secret.Data)
	session := r.sessions.get(acct.UID)
	if session != nil && (session.generation != acct.Generation || session.secretVersion != secretVersion) {
		session = nil // the spec or credentials changed under it: start over
	}
	if session == nil {
		if wait, due := r.due(acct, secretVersion, now); !due {
			return ctrl.Result{RequeueAfter: wait}, nil
		}
		if gone, err := r.goneOrGoing(ctx, acct); gone || err != nil {
			return ctrl.Result{}, err
		}
		r.rememberSecret(acct.UID, secretVersion)
		provider, err := r.provider(acct, secret.Data, secretVersion)
		if err != nil {
			reason := v1alpha1.ReasonInvalidConfiguration
			if errors.Is(err, cloud.ErrCredentials) {
				reason = v1alpha1.ReasonCredentialsNotFound
			}
			return r.stalled(acct, reason, err)
		}
		session = newSession(acct, secretVersion, provider, r.mirrorWriter(), now)
		session.onSkipped = func(kind, name string, err error) {
			log.Error(err, "remote item refused by the API server; skipped", "kind", kind, "name", name)
			reason := reasonInvalidRemoteItem
			if errors.Is(err, errNameTaken) {
				reason = reasonMirrorNameTaken
			}
			r.Recorder.Eventf(acct, nil, corev1.EventTypeWarning, reason, "Sync", "%s %s skipped: %v", kind, name, err)
		}
		r.sessions.put(acct.UID, session)
		beginSession(acct)
		log.V(1).Info("sync started", "lists", len(session.lists))
	}
	acct.Status.ObservedGeneration = acct.Generation
	if wait := session.resumeAt.Sub(now); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil // woken early: the wait still holds
	}

	err = session.run(ctx)
	r.recordRateLimit(acct)
	if rl, ok := cloud.AsRateLimited(err); ok {
		return r.rateLimited(acct, session, rl), nil
	}
	switch {
	case err == nil:
		return r.completed(ctx, acct, session)
	case ctx.Err() != nil: // shutting down: the next leader starts over
		return ctrl.Result{}, err
	case stopsSession(err):
		r.sessions.put(acct.UID, nil)
		return r.failed(acct, session, err)
	}
	return r.paused(ctx, acct, session, "listing incomplete, nothing pruned", err), nil
}

// due says whether a new sync should start now, or how long until it should.
func (r *CloudAccountReconciler) due(acct *v1alpha1.CloudAccount, secretVersion string, now time.Time) (time.Duration, bool) {
	r.mu.Lock()
	lastSecret, known := r.secretVersions[acct.UID]
	r.mu.Unlock()
	switch {
	case acct.Status.ObservedGeneration != acct.Generation:
		return 0, true
	case syncRequest(acct) != "" && syncRequest(acct) != acct.Status.LastHandledSyncRequest:
		return 0, true
	case known && lastSecret != secretVersion:
		return 0, true
	case acct.Status.NextSyncTime == nil:
		return 0, true
	case acct.Status.NextSyncTime.After(now):
		return acct.Status.NextSyncTime.Sub(now), false
	}
	return 0, true
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

// syncRequest is the account's sync-now request, if any.
func syncRequest(acct *v1alpha1.CloudAccount) string {
	return acct.Annotations[v1alpha1.AnnotationSyncRequestedAt]
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

type cachedProvider struct {
	generation    int64
	secretVersion string
	provider      cloud.Provider
}

// provider returns the account's provider, building it when the spec or the Secret
// changed since the last one.
func (r *CloudAccountReconciler) provider(acct *v1alpha1.CloudAccount, data map[string][]byte, secretVersion string) (cloud.Provider, error) {
	r.mu.Lock()
	c, ok := r.providers[acct.UID]
	r.mu.Unlock()
	if ok && c.generation == acct.Generation && c.secretVersion == secretVersion {
		return c.provider, nil
	}
	p, err := r.Providers(acct, data, r.budget(acct.UID))
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.providers == nil {
		r.providers = map[types.UID]cachedProvider{}
	}
	r.providers[acct.UID] = cachedProvider{generation: acct.Generation, secretVersion: secretVersion, provider: p}
	return p, nil
}

// rememberSecret records the Secret version a sync started with ("" for none).
func (r *CloudAccountReconciler) rememberSecret(uid types.UID, version string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secretVersions == nil {
		r.secretVersions = map[types.UID]string{}
	}
	r.secretVersions[uid] = version
}

func (r *CloudAccountReconciler) budget(uid types.UID) *cloud.Budget {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.budgets == nil {
		r.budgets = map[types.UID]*cloud.Budget{}
	}
	b, ok := r.budgets[uid]
	if !ok {
		b = cloud.NewBudget()
		r.budgets[uid] = b
	}
	return b
}

// nextInterval is the sync interval with up to 10% jitter added.
func nextInterval(acct *v1alpha1.CloudAccount) time.Duration {
	d := defaultSyncInterval
	if acct.Spec.SyncInterval != nil && acct.Spec.SyncInterval.Duration > 0 {
		d = acct.Spec.SyncInterval.Duration
	}
	return d + time.Duration(rand.Float64()*intervalJitter*float64(d))
}

func (r *CloudAccountReconciler) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// finalize deletes the account's mirrors (ownerReferences would too, but only where a
// garbage collector runs) and releases the account.
func (r *CloudAccountReconciler) finalize(ctx context.Context, acct *v1alpha1.CloudAccount) error {
	if !controllerutil.ContainsFinalizer(acct, v1alpha1.FinalizerMirrors) {
		return nil
	}
	sel := client.MatchingLabels{v1alpha1.LabelAccount: acct.Name}
	for _, obj := range []client.Object{&v1alpha1.Organization{}, &v1alpha1.ConnectCluster{}} {
		if err := r.DeleteAllOf(ctx, obj, sel); err != nil {
			return fmt.Errorf("delete mirrors of %s: %w", acct.Name, err)
		}
		metrics.APIServerWrites.WithLabelValues("deletecollection", kindOf(obj)).Inc()
	}
	before := acct.DeepCopy()
	controllerutil.RemoveFinalizer(acct, v1alpha1.FinalizerMirrors)
	if err := r.Patch(ctx, acct, finalizerPatch(before)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("remove finalizer: %w", err)
	}
	r.forget(acct.Name)
	metrics.ForgetAccount(acct.Name)
	return nil
}

// finalizerPatch sends the finalizer list with a resourceVersion precondition: a merge
// patch replaces the whole list, so without one a stale copy would drop a finalizer
// another controller just added. A conflict retries the reconcile.
func finalizerPatch(before *v1alpha1.CloudAccount) client.Patch {
	return client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
}

// forget drops what the reconciler keeps in memory for a deleted account.
func (r *CloudAccountReconciler) forget(account string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	uid, ok := r.uids[account]
	if !ok {
		return
	}
	delete(r.uids, account)
	r.sessions.put(uid, nil)
	delete(r.budgets, uid)
	delete(r.providers, uid)
	delete(r.secretVersions, uid)
	delete(r.pruneCandidates, uid)
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

func (r *CloudAccountReconciler) mirrorWriter() *mirrorWriter {
	return &mirrorWriter{client: r.Client, reader: r.APIReader, scheme: r.Scheme}
}

// sweepOrphans deletes mirrors left by an account that is gone. The finalizer
// normally does this, but a Delete that raced the finalizer being added removes the
// account at once; where no garbage collector follows ownerReferences, nothing else
// would delete what its last sync created.
func (r *CloudAccountReconciler) sweepOrphans(ctx context.Context, account string) error {
	sel := client.MatchingLabels{v1alpha1.LabelAccount: account}
	kinds := []struct {
		list client.ObjectList
		obj  client.Object
	}{
		{&v1alpha1.OrganizationList{}, &v1alpha1.Organization{}},
		{&v1alpha1.ConnectClusterList{}, &v1alpha1.ConnectCluster{}},
	}
	for _, k := range kinds {
		if err := r.List(ctx, k.list, sel, client.Limit(1)); err != nil {
			return err
		}
		if meta.LenList(k.list) == 0 {
			continue
		}
		if err := r.DeleteAllOf(ctx, k.obj, sel); err != nil {
			return fmt.Errorf("delete mirrors of deleted account %s: %w", account, err)
		}
		metrics.APIServerWrites.WithLabelValues("deletecollection", kindOf(k.obj)).Inc()
		logf.FromContext(ctx).Info("deleted the mirrors of a deleted account", "kind", kindOf(k.obj))
	}
	metrics.ForgetAccount(account)
	return nil
}

// SetupWithManager watches accounts (spec and annotation changes only: status writes
// must not retrigger a sync) and the credentials Secrets in the operator's namespace.
func (r *CloudAccountReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.CloudAccount{}, secretRefIndex,
		func(o client.Object) []string {
			return []string{o.(*v1alpha1.CloudAccount).Spec.CredentialsSecretRef.Name}
		}); err != nil {
		return err
	}
	workers := r.MaxConcurrentReconciles
	if workers <= 0 {
		workers = 4
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1alpha1.CloudAccount{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.accountsForSecret)).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Named("cloudaccount").
		Complete(r)
}

func (r *CloudAccountReconciler) accountsForSecret(ctx context.Context, obj client.Object) []reconcile.Request {
	if obj.GetNamespace() != r.Namespace {
		return nil
	}
	var accounts v1alpha1.CloudAccountList
	if err := r.List(ctx, &accounts, client.MatchingFields{secretRefIndex: obj.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "list accounts for secret", "secret", obj.GetName())
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(accounts.Items))
	for _, a := range accounts.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: a.Name}})
	}
	return reqs
}
