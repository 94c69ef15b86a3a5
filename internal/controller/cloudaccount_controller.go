// Package controller holds orgsync's reconcilers: it diffs what the remote lists
// say against the mirrors in the cache, writes only what changed, prunes what a
// complete listing no longer contains, and reports progress on the CloudAccount.
package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// ProviderFactory builds the provider for an account from its spec and its credentials
// Secret (its data, and the origins it allows). main.go wires in the concrete
// providers. Errors must not quote credential values.
type ProviderFactory func(acct *v1alpha1.CloudAccount, credentials *corev1.Secret, budget *cloud.Budget) (cloud.Provider, error)

const (
	defaultSyncInterval = 5 * time.Minute
	// intervalJitter spreads syncs so accounts never run in lockstep.
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
	// NewProvider builds an account's provider (main.go wires in the concrete ones).
	NewProvider ProviderFactory
	// Namespace is the only namespace credentials Secrets are read from.
	Namespace string
	// MaxConcurrentReconciles is how many accounts sync at once (default 4).
	MaxConcurrentReconciles int

	accounts accounts
	// writers are the mirror write slots every account's session shares.
	writers chan struct{}
	// caches are the accounts' caches of their mirrors.
	caches *mirrorCaches
	// newMirrors writes the mirrors a session creates.
	newMirrors *newMirrorWriter
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
			r.accounts.forget(req.Name)
			r.caches.forget(req.Name)
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

	original := acct.DeepCopy()
	defer func() {
		recordConditions(acct)
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
		r.accounts.get(acct).endSession()
		r.suspended(acct)
		return ctrl.Result{}, nil
	}
	return r.sync(ctx, acct)
}

// finalize deletes the account's mirrors (ownerReferences would too, but only where a
// garbage collector runs) and releases the account.
func (r *CloudAccountReconciler) finalize(ctx context.Context, acct *v1alpha1.CloudAccount) error {
	if !controllerutil.ContainsFinalizer(acct, v1alpha1.FinalizerMirrors) {
		return nil
	}
	sel := client.MatchingLabels{v1alpha1.LabelAccount: acct.Name}
	for _, obj := range mirrorKinds() {
		if err := r.DeleteAllOf(ctx, obj, sel); err != nil {
			return fmt.Errorf("delete mirrors of %s: %w", acct.Name, err)
		}
		metrics.APIServerWrites.WithLabelValues("deletecollection", kindOf(r.Scheme, obj)).Inc()
	}
	before := acct.DeepCopy()
	controllerutil.RemoveFinalizer(acct, v1alpha1.FinalizerMirrors)
	if err := r.Patch(ctx, acct, finalizerPatch(before)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("remove finalizer: %w", err)
	}
	r.accounts.forget(acct.Name)
	r.caches.forget(acct.Name)
	metrics.ForgetAccount(acct.Name)
	return nil
}

// finalizerPatch sends the finalizer list with a resourceVersion precondition: a merge
// patch replaces the whole list, so without one a stale copy would drop a finalizer
// another controller just added. A conflict retries the reconcile.
func finalizerPatch(before *v1alpha1.CloudAccount) client.Patch {
	return client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
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
		held, err := holdsAny(ctx, r, k.list, account)
		if err != nil {
			return err
		}
		if !held {
			continue
		}
		if err := r.DeleteAllOf(ctx, k.obj, sel); err != nil {
			return fmt.Errorf("delete mirrors of deleted account %s: %w", account, err)
		}
		metrics.APIServerWrites.WithLabelValues("deletecollection", kindOf(r.Scheme, k.obj)).Inc()
		logf.FromContext(ctx).Info("deleted the mirrors of a deleted account", "kind", kindOf(r.Scheme, k.obj))
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
	r.caches = newMirrorCaches(mgr)
	if err := mgr.Add(r.caches); err != nil {
		return err
	}
	r.writers = newWriteSlots()
	var err error
	if r.newMirrors, err = newMirrorWriterOf(mgr); err != nil {
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
