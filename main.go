// Command orgsync runs the operator: it mirrors remote organization and connect
// cluster lists into Organization and ConnectCluster custom resources.
package main

import (
	"crypto/tls"
	"flag"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/orgsync/orgsync/internal/operator"
)

func main() {
	var (
		metricsAddr, probeAddr, namespace string
		leaderElect, secureMetrics        bool
		enableHTTP2                       bool
		workers                           int
		qps                               float64
		burst                             int
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", "0", "Address the metrics endpoint binds to (:8443 for HTTPS, :8080 for HTTP, 0 to disable).")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address the health and readiness probes bind to.")
	flag.BoolVar(&leaderElect, "leader-elect", false, "Elect a leader so only one replica syncs at a time.")
	flag.BoolVar(&secureMetrics, "metrics-secure", true, "Serve metrics over HTTPS with authentication and authorization.")
	flag.BoolVar(&enableHTTP2, "enable-http2", false, "Enable HTTP/2 for the metrics server (off by default: CVE-2023-44487, CVE-2023-39325).")
	flag.StringVar(&namespace, "namespace", "", "Namespace of the credentials Secrets and the leader lease (default: the pod's namespace).")
	flag.IntVar(&workers, "max-concurrent-syncs", 4, "How many accounts sync at the same time.")
	flag.Float64Var(&qps, "kube-api-qps", 50, "Queries per second to the Kubernetes API server.")
	flag.IntVar(&burst, "kube-api-burst", 100, "Burst of queries to the Kubernetes API server.")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")

	if namespace == "" {
		namespace = podNamespace()
	}
	if namespace == "" {
		log.Error(nil, "no --namespace given and not running in a pod: say where the credentials Secrets live")
		os.Exit(2)
	}

	var tlsOpts []func(*tls.Config)
	if !enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{BindAddress: metricsAddr, SecureServing: secureMetrics, TLSOpts: tlsOpts}
	if secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	cfg := ctrl.GetConfigOrDie()
	cfg.QPS, cfg.Burst = float32(qps), burst
	mgr, err := operator.New(cfg, operator.Options{
		Namespace:          namespace,
		MaxConcurrentSyncs: workers,
		Manager: ctrl.Options{
			Metrics:                 metricsOpts,
			WebhookServer:           webhook.NewServer(webhook.Options{TLSOpts: tlsOpts}),
			HealthProbeBindAddress:  probeAddr,
			LeaderElection:          leaderElect,
			LeaderElectionID:        "orgsync.cloud.orgsync.io",
			LeaderElectionNamespace: namespace,
			// The process exits as soon as the manager stops, so handing the lease back at
			// once is safe, and a rolling update need not wait for the lease to expire.
			LeaderElectionReleaseOnCancel: true,
		},
	})
	if err != nil {
		log.Error(err, "unable to set up the manager")
		os.Exit(1)
	}
	log.Info("starting manager", "namespace", namespace)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "problem running manager")
		os.Exit(1)
	}
}

// podNamespace reads the namespace a pod runs in from its service account mount.
func podNamespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
	if err != nil {
		return ""
	}
	return string(b)
}
