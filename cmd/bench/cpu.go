package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
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
	api         rest.Interface
	etcdMetrics string
	operator    *manager
}

func newCPUMeter(api rest.Interface, etcd *url.URL, operator *manager) cpuMeter {
	return cpuMeter{api: api, etcdMetrics: etcd.JoinPath("metrics").String(), operator: operator}
}

func (m cpuMeter) read(ctx context.Context) (cpuTimes, error) {
	var c cpuTimes
	body, err := m.api.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return c, fmt.Errorf("read the API server's metrics: %w", err)
	}
	if c.apiServer, err = processCPU(body); err != nil {
		return c, fmt.Errorf("the API server's CPU: %w", err)
	}
	if body, err = get(ctx, m.etcdMetrics); err != nil {
		return c, fmt.Errorf("read etcd's metrics: %w", err)
	}
	if c.etcd, err = processCPU(body); err != nil {
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

// processCPU is process_cpu_seconds_total from a Prometheus text page.
func processCPU(page []byte) (float64, error) {
	families, err := parseMetrics(bytes.NewReader(page))
	if err != nil {
		return 0, err
	}
	f, ok := families["process_cpu_seconds_total"]
	if !ok || len(f.GetMetric()) == 0 {
		return 0, fmt.Errorf("no process_cpu_seconds_total")
	}
	return sampleValue(f.GetMetric()[0]), nil
}

func get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return buf.Bytes(), err
}
