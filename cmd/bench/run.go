package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
	"github.com/orgsync/orgsync/internal/controller"
	"github.com/orgsync/orgsync/internal/devenv"
)

// result is what one size measured.
type result struct {
	world world
	// id is who the operator and the bare client were to the API server.
	id identity
	// cold is from the accounts' creation until each reports a complete sync (then
	// every mirror must exist with its status); coldCPU is what each process used
	// meanwhile.
	cold    time.Duration
	coldCPU cpuTimes
	// coldWrites and unchangedWrites are mirror writes the API server served.
	coldWrites, unchangedWrites writeCounts
	// requests are the remote list requests of the unchanged sync, by list; tokens
	// the token requests it made.
	requests map[cloudsim.Endpoint]int
	tokens   int
	// otherRequests are the resync's remote requests that are neither lists nor
	// token calls (discovery, say).
	otherRequests int
	// unchanged is the wall time of the unchanged sync, unchangedCPU the operator's
	// CPU time during it.
	unchanged, unchangedCPU time.Duration
	// rename is from renaming one organization remotely (and asking for a sync) until
	// its mirror shows the new name.
	rename time.Duration
	// peakRSS is the operator's VmHWM at the end; peakHeap the most Go heap in use
	// sampled; liveHeap the heap allocated right after a collection at the end.
	peakRSS            int64
	peakHeap, liveHeap float64
	// listAPI and listKubectl time a list of every organization.
	listAPI, listKubectl time.Duration
	limit                []limitTry
}

// settings are a run's fixed inputs.
type settings struct {
	binary, crdDir, outDir string
	managerArgs            []string
	limitWorkers           []int
	timeout                time.Duration
	// remoteLatency delays every remote list answer (0: none).
	remoteLatency time.Duration
	// limitWatch has the bare client watch the mirrors, as the operator's cache does.
	limitWatch bool
	// cpuProfile is how long the operator's CPU profile runs from the cold sync's
	// start (0: none).
	cpuProfile time.Duration
}

// measure runs one size end to end: the operator first, in its own control plane,
// then the bare client's tries, each in a fresh one.
func measure(ctx context.Context, s settings, n int, id identity) (*result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	r := &result{world: worldOf(n), id: id}
	mirrors, err := measureOperator(ctx, s, r)
	if err != nil {
		return nil, err
	}
	progress("%d mirrors, %s: the bare client's tries (%v in flight)", n, id, s.limitWorkers)
	r.limit, err = bareClientLimit(ctx, s.crdDir, runDir(s, r), id, mirrors, s.limitWorkers, s.limitWatch)
	return r, err
}

// runDir is where a size and identity keep their files.
func runDir(s settings, r *result) string {
	return filepath.Join(s.outDir, fmt.Sprintf("%d", r.world.mirrors), string(r.id))
}

func measureOperator(ctx context.Context, s settings, r *result) ([]v1alpha1.Mirror, error) {
	n := r.world.mirrors
	dir := runDir(s, r)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env, err := devenv.Start(ctx, devenv.Options{CRDDir: s.crdDir, ControlPlaneOnly: true, KubeconfigPath: filepath.Join(dir, "kubeconfig")})
	if err != nil {
		return nil, err
	}
	defer env.Stop()
	api, err := newAPIServer(env.Config, env.Kubeconfig)
	if err != nil {
		return nil, err
	}
	sim := cloudsim.New(r.world.simConfig())
	if s.remoteLatency > 0 {
		sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultSlow, Delay: s.remoteLatency}) // every list request, every page
	}
	sim.StartTLS()
	defer sim.Close()
	caFile := filepath.Join(dir, "sim-ca.pem")
	if err := os.WriteFile(caFile, sim.CertificatePEM(), 0o600); err != nil {
		return nil, err
	}
	_, kubeconfig, err := operatorIdentity(ctx, env, r.id)
	if err != nil {
		return nil, err
	}
	operatorKubeconfig := filepath.Join(dir, "operator.kubeconfig")
	if err := os.WriteFile(operatorKubeconfig, kubeconfig, 0o600); err != nil {
		return nil, err
	}
	mgr, err := startManager(s.binary, operatorKubeconfig, caFile, filepath.Join(dir, "manager.log"), s.managerArgs)
	if err != nil {
		return nil, err
	}
	defer mgr.stop()

	progress("%d mirrors: cold sync", n)
	sampler := sampleMemory(mgr, 500*time.Millisecond)
	var cpuProfile <-chan error
	if s.cpuProfile > 0 {
		cpuProfile = mgr.profileCPU(filepath.Join(dir, "cpu.pprof"), s.cpuProfile)
	}
	if err := warmAccountCreate(ctx, env, sim); err != nil {
		return nil, err
	}
	if err := warmMirrorKinds(ctx, env.Client); err != nil {
		return nil, err
	}
	// Counted after the warm-up: its dry-run creates are writes to the API server.
	before, err := api.mirrorWrites(ctx)
	if err != nil {
		return nil, err
	}
	probe, err := startProbe(ctx, newCPUMeter(api, env.EtcdURL(), mgr))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for _, a := range accounts {
		spec, creds := devenv.AccountSpec(sim, a.provider)
		// The bench measures mirrors, not the ceiling: room for every one of them.
		spec.MaxMirrors = int32(n)
		if err := env.CreateAccount(ctx, a.name, spec, creds); err != nil {
			return nil, err
		}
	}
	for _, a := range accounts {
		if _, err := env.WaitSynced(ctx, a.name, ""); err != nil {
			return nil, err
		}
	}
	r.cold = time.Since(start)
	if r.coldCPU, err = probe.finish(ctx, filepath.Join(dir, "apiserver-counters.txt")); err != nil {
		return nil, err
	}
	// An account reports its sync only once every mirror of it is written, status
	// included; the clock has stopped, and this holds the operator to that.
	if err := checkMirrored(ctx, env.Client, n); err != nil {
		return nil, err
	}
	if cpuProfile != nil {
		if err := <-cpuProfile; err != nil {
			return nil, fmt.Errorf("CPU profile: %w", err)
		}
	}
	after, err := api.mirrorWrites(ctx)
	if err != nil {
		return nil, err
	}
	r.coldWrites = after.since(before)

	progress("%d mirrors: unchanged sync", n)
	if err := measureUnchanged(ctx, env, sim, api, mgr, r); err != nil {
		return nil, err
	}
	progress("%d mirrors: one remote rename", n)
	if r.rename, err = measureRename(ctx, env, sim); err != nil {
		return nil, err
	}
	r.peakHeap = sampler.peak()
	if r.peakRSS, _, err = mgr.memory(); err != nil {
		return nil, err
	}
	// The profile is taken after a collection, so the heap allocated right after it
	// is what the operator holds live.
	if err := mgr.saveHeapProfile(filepath.Join(dir, "heap.pprof")); err != nil {
		return nil, err
	}
	if r.liveHeap, err = mgr.metric("go_memstats_alloc_bytes"); err != nil {
		return nil, err
	}
	if r.listAPI, r.listKubectl, err = api.listTimes(ctx); err != nil {
		return nil, err
	}
	return mirrorTemplates(ctx, env.Client)
}

// measureUnchanged asks every account for a sync of the unchanged lists and counts
// what it cost: writes (the API server's count), remote requests (the simulator's)
// and the operator's CPU time.
func measureUnchanged(ctx context.Context, env *devenv.Env, sim *cloudsim.Server, api *apiServer, mgr *manager, r *result) error {
	before, err := api.mirrorWrites(ctx)
	if err != nil {
		return err
	}
	counts := sim.Counts()
	tokens, all := tokenRequests(sim), apiRequests(sim)
	cpu, err := mgr.cpu()
	if err != nil {
		return err
	}
	start := time.Now()
	requests := map[string]string{}
	for _, a := range accounts {
		if requests[a.name], err = env.RequestSync(ctx, a.name); err != nil {
			return err
		}
	}
	for _, a := range accounts {
		if _, err := env.WaitSynced(ctx, a.name, requests[a.name]); err != nil {
			return err
		}
	}
	r.unchanged = time.Since(start)
	cpuAfter, err := mgr.cpu()
	if err != nil {
		return err
	}
	r.unchangedCPU = cpuAfter - cpu
	after, err := api.mirrorWrites(ctx)
	if err != nil {
		return err
	}
	r.unchangedWrites = after.since(before)
	r.requests = map[cloudsim.Endpoint]int{}
	countsAfter := sim.Counts()
	for _, l := range r.world.lists() {
		r.requests[l.endpoint] = sum(countsAfter[l.endpoint]) - sum(counts[l.endpoint])
	}
	r.tokens = tokenRequests(sim) - tokens
	r.otherRequests = apiRequests(sim) - all
	for _, n := range r.requests {
		r.otherRequests -= n
	}
	return nil
}

func apiRequests(sim *cloudsim.Server) int {
	return sim.ProviderRequests(cloudsim.ProviderConfluent) + sim.ProviderRequests(cloudsim.ProviderAzure) + sim.ProviderRequests(cloudsim.ProviderCloudFoundry)
}

func tokenRequests(sim *cloudsim.Server) int {
	return sim.TokenRequests(cloudsim.ProviderConfluent) + sim.TokenRequests(cloudsim.ProviderAzure) + sim.TokenRequests(cloudsim.ProviderCloudFoundry)
}

func sum(byStatus map[int]int) int {
	n := 0
	for _, v := range byStatus {
		n += v
	}
	return n
}

// measureRename renames the last Confluent organization (on the last page of its
// list), asks for a sync as a user would, and waits for the mirror to show the name.
func measureRename(ctx context.Context, env *devenv.Env, sim *cloudsim.Server) (time.Duration, error) {
	orgs := sim.ConfluentOrganizations()
	keys := orgs.Keys()
	if len(keys) == 0 {
		return 0, nil
	}
	id := keys[len(keys)-1]
	name := fmt.Sprintf("Renamed %d", time.Now().UnixNano())
	start := time.Now()
	orgs.Update(id, func(o *cloudsim.ConfluentOrganization) { o.Name = name })
	token, err := env.RequestSync(ctx, "confluent")
	if err != nil {
		return 0, err
	}
	key := client.ObjectKey{Name: controller.MirrorName("confluent", id)}
	for {
		org := &v1alpha1.Organization{}
		if err := env.Client.Get(ctx, key, org); err != nil {
			return 0, err
		}
		if org.Status.DisplayName == name {
			break
		}
		if err := pause(ctx, 20*time.Millisecond); err != nil {
			return 0, fmt.Errorf("waiting for the renamed organization %s: %w", key.Name, err)
		}
	}
	took := time.Since(start)
	_, err = env.WaitSynced(ctx, "confluent", token) // let the sync finish before the next step
	return took, err
}

// checkMirrored fails unless n mirrors exist, each with its status written.
func checkMirrored(ctx context.Context, c client.Client, n int) error {
	orgs, ccs, err := listMirrors(ctx, c)
	if err != nil {
		return err
	}
	done := 0
	for _, m := range asMirrors(orgs, ccs) {
		if m.GetProvisioningState() != "" && meta.FindStatusCondition(m.GetConditions(), v1alpha1.ConditionReady) != nil {
			done++
		}
	}
	if done < n {
		return fmt.Errorf("every account reported a complete sync, but only %d of %d mirrors have their status", done, n)
	}
	return nil
}

func listMirrors(ctx context.Context, c client.Client) (*v1alpha1.OrganizationList, *v1alpha1.ConnectClusterList, error) {
	orgs, ccs := &v1alpha1.OrganizationList{}, &v1alpha1.ConnectClusterList{}
	if err := c.List(ctx, orgs); err != nil {
		return nil, nil, err
	}
	if err := c.List(ctx, ccs); err != nil {
		return nil, nil, err
	}
	return orgs, ccs, nil
}

func asMirrors(orgs *v1alpha1.OrganizationList, ccs *v1alpha1.ConnectClusterList) []v1alpha1.Mirror {
	out := make([]v1alpha1.Mirror, 0, len(orgs.Items)+len(ccs.Items))
	for i := range orgs.Items {
		out = append(out, &orgs.Items[i])
	}
	for i := range ccs.Items {
		out = append(out, &ccs.Items[i])
	}
	return out
}

// mirrorTemplates are the operator's mirrors, ready to be written again elsewhere.
func mirrorTemplates(ctx context.Context, c client.Client) ([]v1alpha1.Mirror, error) {
	orgs, ccs, err := listMirrors(ctx, c)
	if err != nil {
		return nil, err
	}
	out := asMirrors(orgs, ccs)
	for _, m := range out {
		m.SetResourceVersion("")
		m.SetUID("")
		m.SetGeneration(0)
		m.SetCreationTimestamp(metav1.Time{})
		m.SetManagedFields(nil)
	}
	return out, nil
}

func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// ratio is the operator's cold time over the limit's best.
func (r *result) ratio() float64 {
	if len(r.limit) == 0 {
		return math.NaN()
	}
	return r.cold.Seconds() / best(r.limit).took.Seconds()
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// warmUpName names the objects the warm-ups dry-run create.
const warmUpName = "warm-up"

// warmAccountCreate creates an account with dryRun before the clock starts. In a
// freshly started API server on this machine the first CloudAccount create took 2 s
// more than the next ones: a cost the server pays once, not the operator's work. Both
// runs warm the mirror kinds the same way (warmMirrorKinds).
func warmAccountCreate(ctx context.Context, env *devenv.Env, sim *cloudsim.Server) error {
	spec, _ := devenv.AccountSpec(sim, accounts[0].provider)
	spec.CredentialsSecretRef = v1alpha1.SecretReference{Name: warmUpName}
	acct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: warmUpName}, Spec: spec}
	return env.Client.Create(ctx, acct, client.DryRunAll)
}
