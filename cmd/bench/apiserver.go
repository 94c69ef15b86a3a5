package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The API server's own count of the writes it served, from its request metrics:
// what reached it, whoever sent it, not what the operator believes it sent.

// mirrorResources are the resources whose writes count.
var mirrorResources = map[string]bool{"organizations": true, "connectclusters": true}

// writeVerbs are the verbs apiserver_request_total uses for writes.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true}

// writeCounts are writes to mirrors by "VERB resource[/subresource]".
type writeCounts map[string]float64

func (w writeCounts) total() int {
	n := 0.0
	for _, v := range w {
		n += v
	}
	return int(n)
}

// since is what w counted after earlier.
func (w writeCounts) since(earlier writeCounts) writeCounts {
	out := writeCounts{}
	for k, v := range w {
		if d := v - earlier[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// apiServer reads the local API server's metrics and times its lists.
type apiServer struct {
	rest       rest.Interface
	kubeconfig string
}

func newAPIServer(cfg *rest.Config, kubeconfig string) (*apiServer, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &apiServer{rest: cs.Discovery().RESTClient(), kubeconfig: kubeconfig}, nil
}

// metrics reads and parses the API server's metrics page.
func (a *apiServer) metrics(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	body, err := a.rest.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the API server's metrics: %w", err)
	}
	return parseMetrics(bytes.NewReader(body))
}

// mirrorWrites reads apiserver_request_total for writes to mirrors.
func (a *apiServer) mirrorWrites(ctx context.Context) (writeCounts, error) {
	families, err := a.metrics(ctx)
	if err != nil {
		return nil, err
	}
	return mirrorWritesOf(families), nil
}

// mirrorWritesOf sums apiserver_request_total over response codes for mirror writes.
func mirrorWritesOf(families map[string]*dto.MetricFamily) writeCounts {
	out := writeCounts{}
	for _, m := range families["apiserver_request_total"].GetMetric() {
		l := labelsOf(m)
		if l["group"] != "cloud.orgsync.io" || !mirrorResources[l["resource"]] || !writeVerbs[l["verb"]] {
			continue
		}
		key := l["verb"] + " " + l["resource"]
		if l["subresource"] != "" {
			key += "/" + l["subresource"]
		}
		out[key] += sampleValue(m)
	}
	return out
}

// listTimes times a full, unpaged list of organizations straight from the API server
// and `kubectl get organizations` as a user types it (kubectl pages by 500 and asks
// for the server's table). kubectl's time is 0 when no kubectl is on PATH.
func (a *apiServer) listTimes(ctx context.Context) (api, kubectl time.Duration, err error) {
	start := time.Now()
	if _, err := a.rest.Get().AbsPath("/apis/cloud.orgsync.io/v1alpha1/organizations").DoRaw(ctx); err != nil {
		return 0, 0, fmt.Errorf("list organizations: %w", err)
	}
	api = time.Since(start)
	path, err := exec.LookPath("kubectl")
	if err != nil {
		return api, 0, nil
	}
	cmd := exec.CommandContext(ctx, path, "--kubeconfig", a.kubeconfig, "get", "organizations")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start = time.Now()
	if err := cmd.Run(); err != nil {
		return api, 0, fmt.Errorf("kubectl get organizations: %w: %s", err, stderr.Bytes())
	}
	return api, time.Since(start), nil
}

// parseMetrics parses the Prometheus text format.
func parseMetrics(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	return families, nil
}

func labelsOf(m *dto.Metric) map[string]string {
	out := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// sampleValue is a counter's, gauge's or untyped sample's value.
func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	return m.GetUntyped().GetValue()
}

// counters reads every counter of the API server's metrics, keyed by name and labels.
func (a *apiServer) counters(ctx context.Context) (map[string]float64, error) {
	families, err := a.metrics(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for name, f := range families {
		if f.GetType() != dto.MetricType_COUNTER {
			continue
		}
		for _, m := range f.GetMetric() {
			out[name+"{"+labelString(m)+"}"] = m.GetCounter().GetValue()
		}
	}
	return out, nil
}

func labelString(m *dto.Metric) string {
	parts := make([]string, 0, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+strconv.Quote(l.GetValue()))
	}
	return strings.Join(parts, ",")
}

// writeCounterDeltas writes, one a line and sorted, the counters that moved between
// before and after: what the API server did during a timed run, for reading after.
func writeCounterDeltas(path string, before, after map[string]float64) error {
	lines := make([]string, 0, len(after))
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			lines = append(lines, fmt.Sprintf("%s %g", k, d))
		}
	}
	sort.Strings(lines)
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}
