package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// machine describes where a run ran; timings mean little without it.
type machine struct {
	cpus                           int
	memory, kernel, goVersion      string
	loadBefore, loadAfter, kubectl string
}

func describeMachine() machine {
	m := machine{cpus: runtime.NumCPU(), goVersion: runtime.Version(), loadBefore: loadAverage(), kubectl: "none on PATH"}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.memory = fmt.Sprintf("%.1f GiB", float64(procStatusBytes(string(data), "MemTotal"))/(1<<30))
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(data))
	}
	if out, err := exec.Command("kubectl", "version", "--client").Output(); err == nil {
		m.kubectl = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	return m
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

type report struct {
	results       []*result
	machine       machine
	started       time.Time
	command       string
	managerArgs   []string
	remoteLatency time.Duration
	limitWatch    bool
}

// columns of the main table, and each result's cells.
var mainColumns = []string{
	"mirrors", "APF level", "cold sync", "limit (in flight)", "operator/limit", "writes, cold", "writes, unchanged",
	"list requests, unchanged (ceil(n/page size))", "other remote requests", "token calls", "unchanged sync", "CPU per unchanged sync",
	"rename to mirror", "peak RSS", "peak Go heap", "live heap", "live heap per mirror", "list API", "kubectl get",
}

func (r *result) cells() []string {
	b := best(r.limit)
	requests, want := 0, 0
	for _, l := range r.world.lists() {
		requests += r.requests[l.endpoint]
		want += l.pages()
	}
	return []string{
		fmt.Sprint(r.world.mirrors), r.id.apf(), seconds(r.cold), fmt.Sprintf("%s (%d)", seconds(b.took), b.workers),
		fmt.Sprintf("%.2f", r.ratio()), fmt.Sprint(r.coldWrites.total()), fmt.Sprint(r.unchangedWrites.total()),
		fmt.Sprintf("%d (%d)", requests, want), fmt.Sprint(r.otherRequests), fmt.Sprint(r.tokens), seconds(r.unchanged), seconds(r.unchangedCPU),
		seconds(r.rename), mib(float64(r.peakRSS)), mib(r.peakHeap), mib(r.liveHeap), fmt.Sprintf("%.0f B", r.liveHeap/float64(r.world.mirrors)), seconds(r.listAPI), seconds(r.listKubectl),
	}
}

// cpuColumns head the table of where the CPU went, in the cold sync and in the bare
// client's best try.
var cpuColumns = []string{"mirrors", "APF level", "run", "wall time", "API server", "etcd", "operator", "bench process", "all", "CPUs busy"}

func (r *result) cpuRows() [][]string {
	row := func(run string, wall time.Duration, c cpuTimes) []string {
		operator := "-"
		if c.operator > 0 {
			operator = fmt.Sprintf("%.1f s", c.operator)
		}
		return []string{
			fmt.Sprint(r.world.mirrors), r.id.apf(), run, seconds(wall), fmt.Sprintf("%.1f s", c.apiServer), fmt.Sprintf("%.1f s", c.etcd),
			operator, fmt.Sprintf("%.1f s", c.bench), fmt.Sprintf("%.1f s", c.total()), fmt.Sprintf("%.2f", c.total()/wall.Seconds()),
		}
	}
	b := best(r.limit)
	return [][]string{
		row("operator's cold sync", r.cold, r.coldCPU),
		row(fmt.Sprintf("bare client, %d in flight", b.workers), b.took, b.cpu),
	}
}

func seconds(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mib(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }

// text is the report for a terminal.
func (rep report) text() string {
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(mainColumns, "\t"))
	for _, r := range rep.results {
		fmt.Fprintln(w, strings.Join(r.cells(), "\t"))
	}
	w.Flush()
	sb.WriteString("\nRemote list requests of the unchanged sync, by list (want: ceil(items/page size) per listing; pages of 100, Cloud Foundry v3 5000):\n")
	w = tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "mirrors\tAPF level\tlist\tlistings\titems each\trequests\twant")
	for _, r := range rep.results {
		for _, l := range r.world.lists() {
			fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%d\t%d\t%d\n", r.world.mirrors, r.id.apf(), l.name, l.lists, l.items, r.requests[l.endpoint], l.pages())
		}
	}
	w.Flush()
	sb.WriteString("\nCPU time by process during the cold sync, and during the bare client's best try:\n")
	w = tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(cpuColumns, "\t"))
	for _, r := range rep.results {
		for _, row := range r.cpuRows() {
			fmt.Fprintln(w, strings.Join(row, "\t"))
		}
	}
	w.Flush()
	sb.WriteString("\nThe bare client's tries (each in a fresh control plane):\n")
	w = tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "mirrors\tAPF level\tin flight\twall time\twrites per second")
	for _, r := range rep.results {
		for _, t := range r.limit {
			fmt.Fprintf(w, "%d\t%s\t%d\t%s\t%.0f\n", r.world.mirrors, r.id.apf(), t.workers, seconds(t.took), float64(2*r.world.mirrors)/t.took.Seconds())
		}
	}
	w.Flush()
	return sb.String()
}

// markdown is the report for docs/benchmarks.md.
func (rep report) markdown() string {
	var sb strings.Builder
	m := rep.machine
	sb.WriteString("# Benchmarks\n\n")
	sb.WriteString("Written by `make bench` (`cmd/bench`); do not edit by hand. What the figures mean, and the\n")
	sb.WriteString("decisions taken from them, are in [performance.md](performance.md).\n\n")
	fmt.Fprintf(&sb, "- date: %s\n", rep.started.Format(time.RFC3339))
	fmt.Fprintf(&sb, "- command: `%s`\n", rep.command)
	if len(rep.managerArgs) > 0 {
		fmt.Fprintf(&sb, "- operator flags beyond the defaults: `%s` (a comparison run)\n", strings.Join(rep.managerArgs, " "))
	} else {
		sb.WriteString("- operator: the built binary with its shipped defaults (only kubeconfig, namespace and loopback metrics and pprof listeners given)\n")
	}
	if rep.limitWatch {
		sb.WriteString("- the bare client also watched the mirrors through an informer cache, as the operator does (`-limit-watch`)\n")
	}
	if rep.remoteLatency > 0 {
		fmt.Fprintf(&sb, "- remote latency: cloudsim waited %s before answering each list request\n", rep.remoteLatency)
	}
	fmt.Fprintf(&sb, "- machine: %d CPUs, %s memory, Linux %s, %s, %s\n", m.cpus, m.memory, m.kernel, m.goVersion, m.kubectl)
	fmt.Fprintf(&sb, "- load average (1, 5, 15 min): %s at the start, %s at the end\n\n", m.loadBefore, m.loadAfter)

	sb.WriteString("| " + strings.Join(mainColumns, " | ") + " |\n")
	sb.WriteString(strings.Repeat("|---", len(mainColumns)) + "|\n")
	for _, r := range rep.results {
		sb.WriteString("| " + strings.Join(r.cells(), " | ") + " |\n")
	}
	sb.WriteString("\nRemote list requests of the unchanged sync, by list:\n\n")
	sb.WriteString("| mirrors | APF level | list | listings | items each | requests | ceil(items/page size) per listing |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rep.results {
		for _, l := range r.world.lists() {
			fmt.Fprintf(&sb, "| %d | %s | %s | %d | %d | %d | %d |\n", r.world.mirrors, r.id.apf(), l.name, l.lists, l.items, r.requests[l.endpoint], l.pages())
		}
	}
	sb.WriteString("\nCPU time by process during the cold sync, and during the bare client's best try:\n\n")
	sb.WriteString("| " + strings.Join(cpuColumns, " | ") + " |\n")
	sb.WriteString(strings.Repeat("|---", len(cpuColumns)) + "|\n")
	for _, r := range rep.results {
		for _, row := range r.cpuRows() {
			sb.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
	}
	sb.WriteString("\nThe bare client's tries, each in a fresh control plane; the fastest is the limit:\n\n")
	sb.WriteString("| mirrors | APF level | in flight | wall time | writes per second |\n|---|---|---|---|---|\n")
	for _, r := range rep.results {
		for _, t := range r.limit {
			fmt.Fprintf(&sb, "| %d | %s | %d | %s | %.0f |\n", r.world.mirrors, r.id.apf(), t.workers, seconds(t.took), float64(2*r.world.mirrors)/t.took.Seconds())
		}
	}
	sb.WriteString(columnNotes)
	return sb.String()
}

const columnNotes = `
What the columns measure:

- **mirrors**: all mirrors of the run: 40% Confluent organizations and 40% connect
  clusters in ten environments (one Confluent account), 10% Azure organizations and 10%
  Cloud Foundry organizations (one account each). cloudsim serves them over TLS on
  127.0.0.1; Confluent's and Cloud Foundry's rate budgets are off, ARM's read bucket is
  at its default.
- **APF level**: who the operator and its bare client were to the API server's API
  Priority and Fairness: ` + "`workload-low`" + `, the chart's service account bound to the
  generated RBAC, as in a real cluster; ` + "`exempt`" + `, the same account also in
  ` + "`system:masters`" + `, which APF does not hold back (the operator's own ceiling). Each
  level's run has its own control planes and its own bare client.
- **cold sync**: from the creation of the three accounts until each reports a complete
  sync (` + "`status.lastSyncTime`" + `, polled every 50 ms). After the clock stops, one list
  of the mirrors must find every one with its status and Ready condition, or the run
  fails.
- **limit**: a bare client in the same run writing the same objects (names, labels,
  owner, spec, status), a create and then a status update each, with no client-side rate
  limit, at each concurrency of ` + "`-limit-workers`" + ` into a fresh control plane; the fastest try.
- **writes**: POST, PUT, PATCH and DELETE requests to organizations and connectclusters
  (status included), counted by the API server itself (` + "`apiserver_request_total`" + `),
  during the cold sync and during a requested resync of the unchanged lists.
- **list requests**: the simulator's count of list requests during the unchanged resync,
  against ceil(items/page size) per listing (100 a page, 5000 for Cloud Foundry v3); **other remote requests**: the rest but token
  calls (discovery); **token calls**: token requests in that resync.
- **CPU per unchanged sync**: the operator's user and system CPU time (` + "`/proc/PID/stat`" + `)
  during that resync of all three accounts.
- **rename to mirror**: the last Confluent organization (the last page of its list) is
  renamed and a sync requested (` + "`cloud.orgsync.io/sync-requested-at`" + `), until its mirror
  shows the new name. Without the request, the sync interval (5 minutes by default)
  decides.
- **peak RSS**: the operator's VmHWM at the end of the size's run; **peak Go heap**: the
  highest ` + "`go_memstats_heap_inuse_bytes`" + ` sampled every 0.5 s; **live heap**: ` + "`go_memstats_alloc_bytes`" + ` right after
  the collection the heap profile asks for, at the end, and **per mirror** that divided by
  the mirrors (the operator's fixed heap included). Each size runs a fresh operator process, whose heap profile is left in
  ` + "`bin/bench/<mirrors>/<identity>/heap.pprof`" + `.
- **CPU time by process**: user and system CPU seconds over the cold sync, and over
  the bare client's fastest try: the API server's and etcd's own
  ` + "`process_cpu_seconds_total`" + `, the operator's from ` + "`/proc/PID/stat`" + `, and this
  benchmark's process (cloudsim, the pollers and the memory sampler in the operator's
  run; the bare client itself in its own), from getrusage. **CPUs busy** is all of it
  over the wall time: the machine's CPUs bound it.
- **list API**: one unpaged GET of every organization from the API server; **kubectl get**:
  ` + "`kubectl get organizations`" + ` as a user types it (pages of 500, the server's table).
`
