// Command demo runs orgsync's main job with no cloud account: it starts a local
// control plane, the cloudsim remote-API simulator and the operator, creates one
// CloudAccount per provider, waits for the first sync and shows what kubectl shows.
//
//	make demo            # or: KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go run ./cmd/demo
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
	"github.com/orgsync/orgsync/internal/devenv"
)

func main() {
	orgs := flag.Int("organizations", 250, "Organizations per provider in the simulator.")
	clusters := flag.Int("connect-clusters", 50, "Confluent connect clusters per environment (two environments).")
	hold := flag.Bool("hold", false, "Keep running after the first sync, so you can explore with kubectl (Ctrl-C to stop).")
	kubeconfig := flag.String("kubeconfig-out", filepath.Join("bin", "demo.kubeconfig"), "Where to write a kubeconfig for the local control plane.")
	verbose := flag.Bool("v", false, "Show the operator's logs.")
	controlPlaneOnly := flag.Bool("control-plane-only", false, "Only run the local control plane (with the CRDs installed), to run the orgsync binary and cmd/cloudsim against it yourself.")
	flag.Parse()
	if *verbose {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true)))
	} else {
		ctrl.SetLogger(zap.New(zap.Level(zapcore.ErrorLevel)))
	}
	if *controlPlaneOnly {
		if err := controlPlane(*kubeconfig); err != nil {
			fmt.Fprintln(os.Stderr, "demo:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*orgs, *clusters, *hold, *kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(orgs, clusters int, hold bool, kubeconfig string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	step("starting a local control plane, the remote-API simulator and the operator")
	env, err := devenv.Start(ctx, devenv.Options{
		CRDDir:         filepath.Join("config", "crd", "bases"),
		KubeconfigPath: kubeconfig,
		Sim: cloudsim.Config{
			Seed:         42,
			Confluent:    cloudsim.ConfluentConfig{Organizations: orgs, ConnectClustersPerEnvironment: clusters},
			Azure:        cloudsim.AzureConfig{OrganizationsPerSubscription: orgs},
			CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: orgs},
		},
	})
	if err != nil {
		return err
	}
	defer env.Stop()
	fmt.Printf("  simulator: %s\n  kubeconfig: %s\n", env.Sim.URL(), env.Kubeconfig)

	accounts := map[string]v1alpha1.Provider{
		"confluent": v1alpha1.ProviderConfluentCloud,
		"azure":     v1alpha1.ProviderAzure,
		"cf":        v1alpha1.ProviderCloudFoundry,
	}
	names := []string{"confluent", "azure", "cf"} // in this order
	step("creating one CloudAccount per provider, each with its credentials Secret")
	start := time.Now()
	for _, name := range names {
		spec, creds := devenv.AccountSpec(env.Sim, accounts[name])
		if err := env.CreateAccount(ctx, name, spec, creds); err != nil {
			return fmt.Errorf("create account %s: %w", name, err)
		}
	}
	waitCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for _, name := range names {
		acct, err := env.WaitSynced(waitCtx, name, "")
		if err != nil {
			return err
		}
		fmt.Printf("  %-10s synced %d organizations, %d connect clusters in %s\n", name,
			acct.Status.Organizations, acct.Status.ConnectClusters, acct.Status.LastSyncDuration.Duration)
	}
	fmt.Printf("  all three first syncs done %s after the accounts were created\n", time.Since(start).Round(time.Millisecond))

	kubectl(env, "get", "cloudaccounts")
	kubectl(env, "get", "organizations", "--sort-by=.metadata.name", "--chunk-size=0")
	kubectl(env, "get", "connectclusters", "--chunk-size=0")

	step("a second sync of the unchanged lists")
	before := env.Writes.MirrorWrites()
	token, err := env.RequestSync(ctx, names[0])
	if err != nil {
		return err
	}
	if _, err := env.WaitSynced(waitCtx, names[0], token); err != nil {
		return err
	}
	fmt.Printf("  writes to Organization/ConnectCluster objects during it: %d\n", env.Writes.MirrorWrites()-before)

	if !hold {
		fmt.Println("\nDone. Run with HOLD=1 (make demo HOLD=1) to keep it running and explore with:")
		fmt.Printf("  kubectl --kubeconfig %s get orgsync\n", env.Kubeconfig)
		return nil
	}
	fmt.Printf("\nRunning. Explore with: kubectl --kubeconfig %s get orgsync\nCtrl-C to stop.\n", env.Kubeconfig)
	<-ctx.Done()
	return nil
}

// controlPlane serves a local control plane until interrupted.
func controlPlane(kubeconfig string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env, err := devenv.Start(ctx, devenv.Options{
		CRDDir: filepath.Join("config", "crd", "bases"), KubeconfigPath: kubeconfig, ControlPlaneOnly: true,
	})
	if err != nil {
		return err
	}
	defer env.Stop()
	fmt.Printf("control plane ready, CRDs installed, namespace %s created\n  export KUBECONFIG=%s\nCtrl-C to stop.\n", devenv.Namespace, kubeconfig)
	<-ctx.Done()
	return nil
}

func step(msg string) { fmt.Printf("\n==> %s\n", msg) }

// kubectl runs the machine's kubectl against the local control plane, showing the
// first rows of long listings.
func kubectl(env *devenv.Env, args ...string) {
	fmt.Printf("\n$ kubectl %s\n", strings.Join(args, " "))
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", env.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Printf("  (kubectl failed: %v)\n%s", err, out)
		return
	}
	printHead(out, 12)
}

func printHead(out []byte, n int) {
	lines := 0
	start := 0
	for i, b := range out {
		if b != '\n' {
			continue
		}
		lines++
		if lines <= n {
			fmt.Print(string(out[start : i+1]))
		}
		start = i + 1
	}
	if lines > n {
		fmt.Printf("... (%d rows in all)\n", lines-1)
	}
}
