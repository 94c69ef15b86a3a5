package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Where the machine's CPU went during a timed run, process by process. On a machine
// where the API server, etcd, the remote simulator and the operator share the CPUs,
// the cold sync's distance from a bare client is the CPU the others took from the API
// server; these figures show how much, and whose.

// cpuTimes are CPU seconds, user and system, by process.
type cpuTimes struct {
	apiServer, etcd float64
	// operator is 0 in a bare client's run.
	operator float64
	// bench is this process: cloudsim and the pollers in the operator's run, the bare
	// client itself in its own.
	bench float64
}

func (c cpuTimes) since(earlier cpuTimes) cpuTimes {
	return cpuTimes{
		apiServer: c.apiServer - earlier.apiServer,
		etcd:      c.etcd - earlier.etcd,
		operator:  c.operator - earlier.operator,
		bench:     c.bench - earlier.bench,
	}
}

func (c cpuTimes) total() float64 { return c.apiServer + c.etcd + c.operator + c.bench }

// cpuMeter reads the CPU times of one control plane's processes, and of the
// operator's when there is one.
type cpuMeter struct {
	api         *apiServer
	etcdMetrics string
	operator    *manager
}

func newCPUMeter(api *apiServer, etcd *url.URL, operator *manager) cpuMeter {
	return cpuMeter{api: api, etcdMetrics: etcd.JoinPath("metrics").String(), operator: operator}
}

func (m cpuMeter) read(ctx context.Context) (cpuTimes, error) {
	var c cpuTimes
	families, err := m.api.metrics(ctx)
	if err != nil {
		return c, err
	}
	if c.apiServer, err = processCPU(families); err != nil {
		return c, fmt.Errorf("the API server's CPU: %w", err)
	}
	if families, err = fetchMetrics(ctx, m.etcdMetrics); err != nil {
		return c, fmt.Errorf("read etcd's metrics: %w", err)
	}
	if c.etcd, err = processCPU(families); err != nil {
		return c, fmt.Errorf("etcd's CPU: %w", err)
	}
	if m.operator != nil {
		d, err := m.operator.cpu()
		if err != nil {
			return c, err
		}
		c.operator = d.Seconds()
	}
	var self syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		return c, err
	}
	c.bench = (time.Duration(self.Utime.Nano()) + time.Duration(self.Stime.Nano())).Seconds()
	return c, nil
}

// processCPU is process_cpu_seconds_total of a process's metrics.
func processCPU(families map[string]*dto.MetricFamily) (float64, error) {
	f, ok := families["process_cpu_seconds_total"]
	if !ok || len(f.GetMetric()) == 0 {
		return 0, fmt.Errorf("no process_cpu_seconds_total")
	}
	return sampleValue(f.GetMetric()[0]), nil
}

// fetchMetrics reads and parses a process's Prometheus page over plain HTTP on
// loopback, uncompressed.
func fetchMetrics(ctx context.Context, u string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// probe is what a timed run is measured by: CPU time by process, and the API
// server's counters, read before the run and again after it.
type probe struct {
	meter    cpuMeter
	cpu      cpuTimes
	counters map[string]float64
}

func startProbe(ctx context.Context, meter cpuMeter) (*probe, error) {
	p := &probe{meter: meter}
	var err error
	if p.cpu, err = meter.read(ctx); err != nil {
		return nil, err
	}
	if p.counters, err = meter.api.counters(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// finish returns the CPU time each process used since the start, and writes the
// counters that moved to countersPath.
func (p *probe) finish(ctx context.Context, countersPath string) (cpuTimes, error) {
	cpu, err := p.meter.read(ctx)
	if err != nil {
		return cpuTimes{}, err
	}
	counters, err := p.meter.api.counters(ctx)
	if err != nil {
		return cpuTimes{}, err
	}
	return cpu.since(p.cpu), writeCounterDeltas(countersPath, p.counters, counters)
}
