// Command bench measures the operator as users run it: the built binary with its
// shipped defaults, against a local API server (envtest's kube-apiserver and etcd) and
// the cloudsim simulator. For each size it measures a cold sync of one Confluent account
// (organizations and connect clusters in ten environments), one Azure and one Cloud
// Foundry account, an unchanged resync, one remote rename, the operator's memory and
// CPU, and, in the same run, the limit: a bare client writing the same objects as fast
// as the API server takes them. It prints one table and writes it to docs/benchmarks.md.
//
//	make bench                     # or: go build -o bin/orgsync . && KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go run ./cmd/bench -manager bin/orgsync
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

func main() {
	sizesFlag := flag.String("sizes", "1000,10000,20000", "Comma-separated numbers of mirrors in all.")
	binary := flag.String("manager", "bin/orgsync", "The operator's built binary (go build -o bin/orgsync .).")
	managerArgs := flag.String("manager-args", "", "Extra flags for the operator, space-separated, for comparisons only (say --kube-api-qps=50); the default run passes none.")
	workersFlag := flag.String("limit-workers", "8,16,32,64", "Requests in flight for the bare client's tries; the best try is the limit.")
	identitiesFlag := flag.String("identities", "service-account,exempt", "Who the operator and the bare client are to the API server, one run each per size: service-account (the chart's, in API Priority and Fairness's workload-low) and exempt (also in system:masters: no APF limit).")
	out := flag.String("out", "docs/benchmarks.md", "Where to write the results as Markdown (empty: nowhere).")
	workDir := flag.String("work-dir", "bin/bench", "Where each size keeps its kubeconfig, the operator's log and its heap profile.")
	timeout := flag.Duration("timeout", 40*time.Minute, "Limit for each size.")
	limitWatch := flag.Bool("limit-watch", false, "Have the bare client also watch the mirrors through an informer cache, as the operator does (a comparison: the API server then encodes a watch event for every write).")
	cpuProfile := flag.Duration("cpu-profile", 0, "Take the operator's CPU profile over this long from the start of each cold sync, into <work-dir>/<mirrors>/<identity>/cpu.pprof (say 30s; 0: none).")
	remoteLatency := flag.Duration("remote-latency", 0, "Delay before cloudsim answers each list request, as a remote API across the internet would (say 100ms); 0, the default, answers at once.")
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.Level(zapcore.ErrorLevel)))

	sizes, err := positiveInts(*sizesFlag)
	if err != nil {
		fail(2, err)
	}
	workers, err := positiveInts(*workersFlag)
	if err != nil {
		fail(2, err)
	}
	identities, err := parseIdentities(*identitiesFlag)
	if err != nil {
		fail(2, err)
	}
	if _, err := os.Stat(*binary); err != nil {
		fail(2, fmt.Errorf("the operator's binary: %w (build it with: go build -o %s .)", err, *binary))
	}
	s := settings{
		binary: *binary, crdDir: filepath.Join("config", "crd", "bases"), outDir: *workDir,
		managerArgs: strings.Fields(*managerArgs), limitWorkers: workers, timeout: *timeout,
		remoteLatency: *remoteLatency, cpuProfile: *cpuProfile, limitWatch: *limitWatch,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	machine := describeMachine()
	started := time.Now().UTC()
	results := make([]*result, 0, len(sizes)*len(identities))
	for _, n := range sizes {
		for _, id := range identities {
			r, err := measure(ctx, s, n, id)
			if err != nil {
				fail(1, fmt.Errorf("%d mirrors, %s: %w", n, id, err))
			}
			results = append(results, r)
		}
	}
	machine.loadAfter = loadAverage()
	rep := report{results: results, machine: machine, started: started, command: commandLine(), managerArgs: s.managerArgs, remoteLatency: s.remoteLatency, limitWatch: s.limitWatch}
	fmt.Print(rep.text())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(rep.markdown()), 0o644); err != nil {
			fail(1, err)
		}
		fmt.Fprintln(os.Stderr, "bench: wrote", *out)
	}
}

func positiveInts(list string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// commandLine is how the run was started: make's command when make started it.
func commandLine() string {
	if c := os.Getenv("BENCH_COMMAND"); c != "" {
		return c
	}
	return "go run ./cmd/bench " + strings.Join(os.Args[1:], " ")
}

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(code)
}
