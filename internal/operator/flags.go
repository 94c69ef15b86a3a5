package operator

import (
	"crypto/tls"
	"flag"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// Flags are the binary's settings. DefaultFlags holds what ships: main.go binds them to
// its command line, and the local environment and the benchmark start from them, so
// what they measure is what users run.
type Flags struct {
	MetricsAddr   string
	ProbeAddr     string
	PprofAddr     string
	Namespace     string
	LeaderElect   bool
	SecureMetrics bool
	EnableHTTP2   bool
	// MaxConcurrentSyncs is how many accounts sync at once.
	MaxConcurrentSyncs int
	// KubeAPIQPS and KubeAPIBurst are the client-side limit on requests to the API
	// server; a negative QPS turns it off.
	KubeAPIQPS   float64
	KubeAPIBurst int
}

// DefaultFlags are the shipped defaults.
//
// The client-side limit is off: the API server protects itself with API Priority and
// Fairness, which queues the operator's requests in its own flow when the server is
// busy. A client-side limit of 50 QPS made a cold sync of 20,000 mirrors take 16 times
// as long as the API server needed (docs/performance.md).
func DefaultFlags() Flags {
	return Flags{
		MetricsAddr:        "0",
		ProbeAddr:          ":8081",
		PprofAddr:          "0",
		SecureMetrics:      true,
		MaxConcurrentSyncs: 4,
		KubeAPIQPS:         -1,
		KubeAPIBurst:       100,
	}
}

// Bind registers the flags on fs, with f's values as their defaults.
func (f *Flags) Bind(fs *flag.FlagSet) {
	fs.StringVar(&f.MetricsAddr, "metrics-bind-address", f.MetricsAddr, "Address the metrics endpoint binds to (:8443 for HTTPS, :8080 for HTTP, 0 to disable).")
	fs.StringVar(&f.ProbeAddr, "health-probe-bind-address", f.ProbeAddr, "Address the health and readiness probes bind to.")
	fs.StringVar(&f.PprofAddr, "pprof-bind-address", f.PprofAddr, "Address of the Go profiling endpoint, for diagnosis only (0 to disable; bind it to loopback, e.g. 127.0.0.1:6060).")
	fs.BoolVar(&f.LeaderElect, "leader-elect", f.LeaderElect, "Elect a leader so only one replica syncs at a time.")
	fs.BoolVar(&f.SecureMetrics, "metrics-secure", f.SecureMetrics, "Serve metrics over HTTPS with authentication and authorization.")
	fs.BoolVar(&f.EnableHTTP2, "enable-http2", f.EnableHTTP2, "Enable HTTP/2 for the metrics server (off by default: CVE-2023-44487, CVE-2023-39325).")
	fs.StringVar(&f.Namespace, "namespace", f.Namespace, "Namespace of the credentials Secrets and the leader lease (default: the pod's namespace).")
	fs.IntVar(&f.MaxConcurrentSyncs, "max-concurrent-syncs", f.MaxConcurrentSyncs, "How many accounts sync at the same time.")
	fs.Float64Var(&f.KubeAPIQPS, "kube-api-qps", f.KubeAPIQPS, "Client-side limit of queries per second to the Kubernetes API server (-1: none; the server's API Priority and Fairness protects it).")
	fs.IntVar(&f.KubeAPIBurst, "kube-api-burst", f.KubeAPIBurst, "Burst of queries above --kube-api-qps (ignored while the limit is off).")
}

// RESTConfig applies the client-side limit to cfg.
func (f Flags) RESTConfig(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = float32(f.KubeAPIQPS), f.KubeAPIBurst
	return cfg
}

// Options are the operator's options for these flags (Namespace must be resolved).
func (f Flags) Options() Options {
	var tlsOpts []func(*tls.Config)
	if !f.EnableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{BindAddress: f.MetricsAddr, SecureServing: f.SecureMetrics, TLSOpts: tlsOpts}
	if f.SecureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return Options{
		Namespace:          f.Namespace,
		MaxConcurrentSyncs: f.MaxConcurrentSyncs,
		Manager: ctrl.Options{
			Metrics:                 metricsOpts,
			WebhookServer:           webhook.NewServer(webhook.Options{TLSOpts: tlsOpts}),
			HealthProbeBindAddress:  f.ProbeAddr,
			PprofBindAddress:        f.PprofAddr,
			LeaderElection:          f.LeaderElect,
			LeaderElectionID:        "orgsync.cloud.orgsync.io",
			LeaderElectionNamespace: f.Namespace,
			// The process exits as soon as the manager stops, so handing the lease back at
			// once is safe, and a rolling update need not wait for the lease to expire.
			LeaderElectionReleaseOnCancel: true,
		},
	}
}
