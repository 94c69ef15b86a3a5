package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orgsync/orgsync/internal/devenv"
)

// manager is the operator's built binary, run as a user runs it: its own defaults,
// plus a kubeconfig, a namespace and loopback listeners for metrics and profiles.
type manager struct {
	cmd        *exec.Cmd
	metricsURL string
	pprofURL   string
	exited     chan error
}

// startManager runs binary against the local control plane, trusting caFile (the
// simulator's certificate) for remote calls. extraArgs come last, so a comparison run
// can override a default.
func startManager(binary, kubeconfig, caFile, logPath string, extraArgs []string) (*manager, error) {
	metricsAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	probeAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	pprofAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args := append([]string{
		"--kubeconfig=" + kubeconfig,
		"--namespace=" + devenv.Namespace,
		"--metrics-bind-address=" + metricsAddr, "--metrics-secure=false",
		"--health-probe-bind-address=" + probeAddr,
		"--pprof-bind-address=" + pprofAddr,
	}, extraArgs...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+caFile)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	m := &manager{cmd: cmd, metricsURL: "http://" + metricsAddr + "/metrics", pprofURL: "http://" + pprofAddr, exited: make(chan error, 1)}
	go func() { m.exited <- cmd.Wait(); logFile.Close() }()
	return m, m.waitReady()
}

// waitReady waits for the metrics endpoint to answer.
func (m *manager) waitReady() error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-m.exited:
			return fmt.Errorf("the manager exited: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if _, err := m.metric("go_memstats_heap_inuse_bytes"); err == nil {
			return nil
		}
	}
	return errors.New("the manager's metrics endpoint did not answer within a minute")
}

// stop ends the manager with SIGTERM, as the kubelet would.
func (m *manager) stop() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-m.exited:
		logExit(err)
	case <-time.After(30 * time.Second):
		_ = m.cmd.Process.Kill()
		logExit(<-m.exited)
	}
}

// logExit reports a manager that did not exit cleanly; its log says why.
func logExit(err error) {
	if err != nil {
		progress("the manager exited: %v", err)
	}
}

// metric reads one unlabelled sample from the manager's metrics endpoint. The page is
// asked for uncompressed (fetchMetrics): the sampler reads it twice a second, and
// gzipping it each time would be the benchmark's own cost in the operator's CPU and
// allocations (Prometheus scrapes every 15 s or more).
func (m *manager) metric(name string) (float64, error) {
	families, err := fetchMetrics(context.Background(), m.metricsURL)
	if err != nil {
		return 0, err
	}
	f, ok := families[name]
	if !ok || len(f.GetMetric()) == 0 {
		return 0, fmt.Errorf("no metric %s", name)
	}
	return sampleValue(f.GetMetric()[0]), nil
}

// saveHeapProfile writes the manager's heap profile (after a GC) to path.
func (m *manager) saveHeapProfile(path string) error {
	return m.saveProfile(path, "/debug/pprof/heap?gc=1")
}

// profileCPU starts a CPU profile of the manager over d, written to path when it
// ends; the returned channel receives its error.
func (m *manager) profileCPU(path string, d time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() { done <- m.saveProfile(path, fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d.Seconds()))) }()
	return done
}

func (m *manager) saveProfile(path, query string) error {
	resp, err := http.Get(m.pprofURL + query)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// memory reads the process's peak and current resident set size from /proc.
func (m *manager) memory() (peak, current int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	return procStatusBytes(string(data), "VmHWM"), procStatusBytes(string(data), "VmRSS"), nil
}

// cpu reads the CPU time the process used so far, user and system.
func (m *manager) cpu() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	return procStatCPU(string(data))
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// procStatCPU sums utime and stime (fields 14 and 15) of a /proc/PID/stat line. The
// command name, field 2, is in parentheses and may hold spaces: count after it.
func procStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	fields := strings.Fields(stat[i+1:]) // fields[0] is field 3, the state
	if len(fields) < 13 {
		return 0, errors.New("short /proc stat")
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse /proc stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// procStatusBytes reads a "Key:   1234 kB" line of /proc/PID/status, in bytes.
func procStatusBytes(status, key string) int64 {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, key+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		return n * 1024
	}
	return 0
}

// memorySampler records the highest Go heap in use seen while it runs.
type memorySampler struct {
	m      *manager
	stop   context.CancelFunc
	done   chan struct{}
	peakGo float64
}

func sampleMemory(m *manager, every time.Duration) *memorySampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &memorySampler{m: m, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			if v, err := m.metric("go_memstats_heap_inuse_bytes"); err == nil {
				s.peakGo = max(s.peakGo, v)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(every):
			}
		}
	}()
	return s
}

// peak stops the sampler and returns the highest heap seen.
func (s *memorySampler) peak() float64 {
	s.stop()
	<-s.done
	return s.peakGo
}

// freeLoopbackAddr finds a free port on 127.0.0.1.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
