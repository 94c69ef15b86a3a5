package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
)

func TestMirrorWritesOf(t *testing.T) {
	const metrics = `# HELP apiserver_request_total Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="cloud.orgsync.io",resource="organizations",scope="resource",subresource="",verb="POST",version="v1alpha1"} 40
apiserver_request_total{code="409",component="apiserver",dry_run="",group="cloud.orgsync.io",resource="organizations",scope="resource",subresource="",verb="POST",version="v1alpha1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="cloud.orgsync.io",resource="organizations",scope="resource",subresource="status",verb="PUT",version="v1alpha1"} 40
apiserver_request_total{code="200",component="apiserver",dry_run="",group="cloud.orgsync.io",resource="connectclusters",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="",group="cloud.orgsync.io",resource="organizations",scope="cluster",subresource="",verb="LIST",version="v1alpha1"} 7
apiserver_request_total{code="200",component="apiserver",dry_run="",group="cloud.orgsync.io",resource="cloudaccounts",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 9
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 3
`
	families, err := parseMetrics(strings.NewReader(metrics))
	if err != nil {
		t.Fatal(err)
	}
	got := mirrorWritesOf(families)
	want := writeCounts{"POST organizations": 42, "PUT organizations/status": 40, "PATCH connectclusters/status": 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mirrorWritesOf (-want +got):\n%s", diff)
	}
	if got.total() != 85 {
		t.Errorf("total = %d, want 85", got.total())
	}
	later := writeCounts{"POST organizations": 42, "PUT organizations/status": 41, "PATCH connectclusters/status": 3}
	if diff := cmp.Diff(writeCounts{"PUT organizations/status": 1}, later.since(got)); diff != "" {
		t.Errorf("since (-want +got):\n%s", diff)
	}
}

func TestProcStatCPU(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want time.Duration
	}{
		{"plain", "4321 (orgsync) S 1 4321 4321 0 -1 4194560 5000 0 0 0 250 50 0 0 20 0 12 0 100 0 0", 3 * time.Second},
		{"a command name with spaces and parentheses", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 0 0", 30 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := procStatCPU(tt.stat)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := procStatCPU("garbage"); err == nil {
		t.Error("a malformed line parsed")
	}
}

func TestProcStatusBytes(t *testing.T) {
	status := "Name:\torgsync\nVmPeak:\t 2000000 kB\nVmHWM:\t   81920 kB\nVmRSS:\t   40960 kB\n"
	if got := procStatusBytes(status, "VmHWM"); got != 80<<20 {
		t.Errorf("VmHWM = %d, want %d", got, 80<<20)
	}
	if got := procStatusBytes(status, "VmRSS"); got != 40<<20 {
		t.Errorf("VmRSS = %d, want %d", got, 40<<20)
	}
	if got := procStatusBytes(status, "VmSwap"); got != 0 {
		t.Errorf("a missing key read %d", got)
	}
}

func TestWorldAddsUp(t *testing.T) {
	for _, n := range []int{1000, 10000, 20000, 100000, 7} {
		w := worldOf(n)
		if got := w.confluentOrgs + w.clustersPerEnv*environments + w.azureOrgs + w.cfOrgs; got != n {
			t.Errorf("worldOf(%d) holds %d mirrors", n, got)
		}
	}
	if got := (list{lists: environments, items: 800, pageSize: 100}).pages(); got != 80 {
		t.Errorf("pages of 10 listings of 800 = %d, want 80", got)
	}
	if got := (list{lists: 1, items: 6000, pageSize: 5000}).pages(); got != 2 {
		t.Errorf("pages of a listing of 6,000 at 5,000 a page = %d, want 2", got)
	}
	if got := (list{lists: 1, items: 0, pageSize: 5000}).pages(); got != 1 {
		t.Errorf("pages of an empty listing = %d, want 1", got)
	}
}

func TestProcessCPUAndCounterDeltas(t *testing.T) {
	const page = `# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
# TYPE apiserver_terminated_watchers_total counter
apiserver_terminated_watchers_total{group="cloud.orgsync.io",resource="organizations"} 3
# TYPE apiserver_init_events_total counter
apiserver_init_events_total{group="cloud.orgsync.io",resource="organizations"} 40
# TYPE go_goroutines gauge
go_goroutines 80
`
	families, err := parseMetrics(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if cpu, err := processCPU(families); err != nil || cpu != 12.5 {
		t.Errorf("processCPU = %v, %v; want 12.5", cpu, err)
	}
	before := map[string]float64{
		`apiserver_terminated_watchers_total{group="cloud.orgsync.io",resource="organizations"}`: 3,
		`apiserver_init_events_total{group="cloud.orgsync.io",resource="organizations"}`:         10,
	}
	after := map[string]float64{}
	for name, f := range families {
		if f.GetType() == dto.MetricType_COUNTER && name != "process_cpu_seconds_total" {
			after[name+"{"+labelString(f.GetMetric()[0])+"}"] = f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	path := filepath.Join(t.TempDir(), "counters.txt")
	if err := writeCounterDeltas(path, before, after); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Only what moved, by how much.
	want := `apiserver_init_events_total{group="cloud.orgsync.io",resource="organizations"} 30` + "\n"
	if string(got) != want {
		t.Errorf("counter deltas:\n%s\nwant:\n%s", got, want)
	}
}
