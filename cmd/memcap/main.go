// Command memcap runs the built operator inside a cgroup v1 memory cgroup (the
// chart's default limit, 512 MiB) against a local API server and a cloudsim that
// lists a huge number of Confluent organizations to one account, plus a small Cloud
// Foundry account. It reports whether the operator kept running, whether the big
// account is capped and says so, whether the small one synced, and the peak memory.
//
//	go build -o bin/orgsync . && KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go run ./cmd/memcap
//
// It needs root (to make the cgroup) and the cgroup v1 memory controller at
// /sys/fs/cgroup/memory. Everything listens on 127.0.0.1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
	"github.com/orgsync/orgsync/internal/devenv"
)

func main() {
	binary := flag.String("binary", "bin/orgsync", "the built operator")
	crdDir := flag.String("crd-dir", "config/crd/bases", "the CRD manifests")
	outDir := flag.String("out", "bin/memcap", "where logs and the kubeconfig go")
	orgs := flag.Int("organizations", 150000, "Confluent organizations listed to the big account")
	limit := flag.Int64("limit", 512<<20, "the memory cgroup's limit in bytes")
	maxMirrors := flag.Int("max-mirrors", 0, "the big account's spec.maxMirrors (0: the default), for a quick try at a small size")
	timeout := flag.Duration("timeout", 40*time.Minute, "give up after this long")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *binary, *crdDir, *outDir, *orgs, *limit, int32(*maxMirrors)); err != nil {
		fmt.Fprintln(os.Stderr, "memcap:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s memcap: %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, binary, crdDir, outDir string, orgs int, limit int64, maxMirrors int32) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	env, err := devenv.Start(ctx, devenv.Options{CRDDir: crdDir, ControlPlaneOnly: true, KubeconfigPath: filepath.Join(outDir, "kubeconfig")})
	if err != nil {
		return err
	}
	defer env.Stop()

	progress("cloudsim: %d Confluent organizations, 20 Cloud Foundry organizations", orgs)
	sim := cloudsim.New(cloudsim.Config{
		Seed: 17,
		Confluent: cloudsim.ConfluentConfig{Organizations: orgs, Environments: []string{"env-00000"}, ConnectClustersPerEnvironment: -1,
			RateLimit: cloudsim.Window{Disabled: true}},
		Azure:        cloudsim.AzureConfig{OrganizationsPerSubscription: -1},
		CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 20, RateLimit: cloudsim.Window{Disabled: true}},
	})
	sim.StartTLS()
	defer sim.Close()
	caFile := filepath.Join(outDir, "sim-ca.pem")
	if err := os.WriteFile(caFile, sim.CertificatePEM(), 0o600); err != nil {
		return err
	}

	cg, err := newMemoryCgroup(limit)
	if err != nil {
		return err
	}
	defer cg.remove()
	mgr, err := startInCgroup(cg, binary, filepath.Join(outDir, "kubeconfig"), caFile, filepath.Join(outDir, "manager.log"))
	if err != nil {
		return err
	}
	defer mgr.stop()
	peak := watchRSS(mgr.pid())

	start := time.Now()
	big, small := "big-confluent", "small-cf"
	spec, creds := devenv.AccountSpec(sim, v1alpha1.ProviderConfluentCloud)
	spec.ConfluentCloud.ConnectClusters = nil // organizations only
	if maxMirrors > 0 {
		spec.MaxMirrors = maxMirrors
	}
	if err := env.CreateAccount(ctx, big, spec, creds); err != nil {
		return err
	}
	spec, creds = devenv.AccountSpec(sim, v1alpha1.ProviderCloudFoundry)
	if err := env.CreateAccount(ctx, small, spec, creds); err != nil {
		return err
	}
	if _, err := env.WaitSynced(ctx, small, ""); err != nil {
		return fmt.Errorf("small account: %w", err)
	}
	progress("small account synced after %s", time.Since(start).Round(time.Second))
	if _, err := waitSyncedOrDead(ctx, env, big, "", mgr); err != nil {
		return err
	}
	firstSync := time.Since(start)
	progress("big account's first sync ended after %s", firstSync.Round(time.Second))

	// A second full listing with the ceiling already reached: the steady state.
	token, err := env.RequestSync(ctx, big)
	if err != nil {
		return err
	}
	resync := time.Now()
	bigAcct, err := waitSyncedOrDead(ctx, env, big, token, mgr)
	if err != nil {
		return err
	}
	resyncTook := time.Since(resync)
	smallAcct := &v1alpha1.CloudAccount{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: small}, smallAcct); err != nil {
		return err
	}
	mirrors := &v1alpha1.OrganizationList{}
	if err := env.Client.List(ctx, mirrors, client.MatchingLabels{v1alpha1.LabelAccount: big}); err != nil {
		return err
	}

	ready := meta.FindStatusCondition(bigAcct.Status.Conditions, v1alpha1.ConditionReady)
	smallReady := meta.FindStatusCondition(smallAcct.Status.Conditions, v1alpha1.ConditionReady)
	hwm := peak()
	fmt.Printf("memory cgroup limit:           %d MiB\n", limit>>20)
	fmt.Printf("operator still running:        %v (restarts: none; the process is the one started)\n", mgr.running())
	fmt.Printf("big account:                   %d mirrors held of %d listed; Ready=%s reason %s\n",
		len(mirrors.Items), orgs, ready.Status, ready.Reason)
	fmt.Printf("big account message:           %s\n", ready.Message)
	fmt.Printf("small account:                 Ready=%s reason %s, %d organizations\n", smallReady.Status, smallReady.Reason, smallAcct.Status.Organizations)
	fmt.Printf("first sync (big account):      %s\n", firstSync.Round(time.Second))
	fmt.Printf("second sync (ceiling reached): %s\n", resyncTook.Round(time.Second))
	fmt.Printf("operator peak RSS (VmHWM):     %d MiB\n", hwm>>20)
	fmt.Printf("cgroup peak usage:             %d MiB (includes page cache)\n", cg.read("memory.max_usage_in_bytes")>>20)
	fmt.Printf("cgroup limit hits (failcnt):   %d\n", cg.read("memory.failcnt"))
	if !mgr.running() || ready.Reason != v1alpha1.ReasonMirrorCeilingReached || smallReady.Reason != v1alpha1.ReasonSynced {
		return errors.New("the operator did not stay up with the big account capped and the small one synced")
	}
	return nil
}

// waitSyncedOrDead waits for a sync of the account, failing at once if the operator dies.
func waitSyncedOrDead(ctx context.Context, env *devenv.Env, name, token string, mgr *manager) (*v1alpha1.CloudAccount, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for ctx.Err() == nil && mgr.running() {
			time.Sleep(time.Second)
		}
		cancel()
	}()
	acct, err := env.WaitSynced(ctx, name, token)
	if !mgr.running() {
		return nil, fmt.Errorf("the operator exited (%v): see its log; cgroup OOM kill?", mgr.exitErr())
	}
	return acct, err
}

// memoryCgroup is a cgroup v1 memory cgroup of our own.
type memoryCgroup struct{ dir string }

func newMemoryCgroup(limit int64) (*memoryCgroup, error) {
	dir := fmt.Sprintf("/sys/fs/cgroup/memory/orgsync-memcap-%d", os.Getpid())
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("make the memory cgroup (root and cgroup v1 needed): %w", err)
	}
	cg := &memoryCgroup{dir: dir}
	if err := cg.write("memory.limit_in_bytes", strconv.FormatInt(limit, 10)); err != nil {
		cg.remove()
		return nil, err
	}
	// No swap to escape into, where the kernel offers the knob: a pod has none.
	_ = cg.write("memory.memsw.limit_in_bytes", strconv.FormatInt(limit, 10))
	_ = cg.write("memory.swappiness", "0")
	return cg, nil
}

func (c *memoryCgroup) write(file, value string) error {
	return os.WriteFile(filepath.Join(c.dir, file), []byte(value), 0o644)
}

func (c *memoryCgroup) read(file string) int64 {
	b, err := os.ReadFile(filepath.Join(c.dir, file))
	if err != nil {
		return -1
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// remove deletes the cgroup; it must be empty by then.
func (c *memoryCgroup) remove() {
	for range 50 {
		if err := os.Remove(c.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	progress("could not remove %s", c.dir)
}

// manager is the operator's process.
type manager struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// startInCgroup starts binary with its pid in the cgroup before it runs: a shell
// moves itself into the cgroup, then becomes the operator.
func startInCgroup(cg *memoryCgroup, binary, kubeconfig, caFile, logPath string) (*manager, error) {
	metrics, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	probe, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	script := `echo $$ > "$0/cgroup.procs" && exec "$@"`
	cmd := exec.Command("/bin/sh", "-c", script, cg.dir, binary,
		"--kubeconfig="+kubeconfig, "--namespace="+devenv.Namespace,
		"--metrics-bind-address="+metrics, "--metrics-secure=false", "--health-probe-bind-address="+probe)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+caFile)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	m := &manager{cmd: cmd, exited: make(chan struct{})}
	go func() { m.err = cmd.Wait(); log.Close(); close(m.exited) }()
	progress("operator pid %d in %s", cmd.Process.Pid, cg.dir)
	return m, nil
}

func (m *manager) pid() int { return m.cmd.Process.Pid }

func (m *manager) running() bool {
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

func (m *manager) exitErr() error {
	<-m.exited
	return m.err
}

func (m *manager) stop() {
	if !m.running() {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(30 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
}

// watchRSS samples the process's VmHWM (peak RSS) every second; the returned func
// gives the last value read, which /proc keeps until the process exits.
func watchRSS(pid int) func() int64 {
	var last atomic.Int64
	read := func() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return
		}
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					kb, _ := strconv.ParseInt(f[0], 10, 64)
					last.Store(kb << 10)
				}
			}
		}
	}
	go func() {
		for {
			read()
			time.Sleep(time.Second)
		}
	}()
	return func() int64 { read(); return last.Load() }
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
