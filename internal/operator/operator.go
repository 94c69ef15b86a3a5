// Package operator wires orgsync's manager: the scheme, the lean informer cache, the
// CloudAccount controller with the concrete providers, and the health checks. The
// binary, the local environment (internal/devenv) and the controller tests all build
// their manager here, so what tests and benchmarks run is what users run.
package operator

import (
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/controller"
	"github.com/orgsync/orgsync/internal/providers"
)

// Options say what differs between the binary, the demo and the tests.
type Options struct {
	// Namespace is the only namespace credentials Secrets are read from.
	Namespace string
	// Transport is the base HTTP transport for remote calls (nil: Go's default).
	Transport http.RoundTripper
	// MaxConcurrentSyncs is how many accounts sync at once (0: the controller's default).
	MaxConcurrentSyncs int
	// Manager holds the manager's own options (metrics, probes, leader election).
	// Scheme and Cache are always set here.
	Manager ctrl.Options
}

// NewScheme registers the built-in kinds and orgsync's.
func NewScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	return scheme
}

// New returns a manager with the CloudAccount controller set up; Start runs it.
func New(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	mgrOpts := o.Manager
	mgrOpts.Scheme = NewScheme()
	mgrOpts.Cache = controller.CacheOptions(o.Namespace)
	mgrOpts.Client = controller.ClientOptions()
	mgr, err := ctrl.NewManager(cfg, mgrOpts)
	if err != nil {
		return nil, fmt.Errorf("create manager: %w", err)
	}
	if err := (&controller.CloudAccountReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("orgsync"),
		NewProvider:             providers.Factory{Transport: o.Transport}.New,
		Namespace:               o.Namespace,
		MaxConcurrentReconciles: o.MaxConcurrentSyncs,
	}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up the CloudAccount controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("set up health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("set up ready check: %w", err)
	}
	return mgr, nil
}
