// Command orgsync runs the operator: it mirrors remote organization and connect
// cluster lists into Organization and ConnectCluster custom resources.
package main

import (
	"flag"
	"math"
	"os"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/orgsync/orgsync/internal/operator"
	"github.com/orgsync/orgsync/internal/selfcheck"
)

// defaultGCPercent is the collector's GOGC when the environment sets none.
const defaultGCPercent = 50

func main() {
	// The chart's helm test runs this image too: '/manager check' (internal/selfcheck).
	if len(os.Args) > 1 && os.Args[1] == "check" {
		os.Exit(selfcheck.Main(os.Args[2:]))
	}
	flags := operator.DefaultFlags()
	flags.Bind(flag.CommandLine)
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")

	// The Go heap's soft limit follows the container's memory limit (90% of the cgroup's),
	// so that near the limit the collector works harder instead of the kernel killing the
	// pod. GOMEMLIMIT, when set, wins; AUTOMEMLIMIT=off turns this off.
	if limit, err := memlimit.Set(); err != nil {
		log.Error(err, "could not read the container's memory limit; the Go heap has no soft limit")
	} else if limit < math.MaxInt64 {
		log.Info("Go soft memory limit set", "bytes", limit)
	}

	// The cache holds every mirror for the operator's life, while a sync's garbage is
	// short-lived: collecting once the heap has grown by half, not doubled, keeps the
	// peak nearer the live heap (docs/performance.md has the trade measured). GOGC, when
	// set, wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}

	if flags.Namespace == "" {
		flags.Namespace = podNamespace()
	}
	if flags.Namespace == "" {
		log.Error(nil, "no --namespace given and not running in a pod: say where the credentials Secrets live")
		os.Exit(2)
	}

	mgr, err := operator.New(flags.RESTConfig(ctrl.GetConfigOrDie()), flags.Options())
	if err != nil {
		log.Error(err, "unable to set up the manager")
		os.Exit(1)
	}
	log.Info("starting manager", "namespace", flags.Namespace,
		"kubeAPIQPS", flags.KubeAPIQPS, "kubeAPIBurst", flags.KubeAPIBurst)
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
