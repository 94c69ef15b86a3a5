package dashboard

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	// Registers orgsync's metrics on the manager's registry.
	_ "github.com/orgsync/orgsync/internal/metrics"
)

// exported lists the metric names the manager serves, from the registry's descriptors.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	reg, ok := ctrlmetrics.Registry.(*prometheus.Registry)
	if !ok {
		t.Fatalf("controller-runtime's registry is a %T", ctrlmetrics.Registry)
	}
	ch := make(chan *prometheus.Desc)
	go func() { reg.Describe(ch); close(ch) }()
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	names := map[string]bool{}
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names[m[1]] = true
		}
	}
	return names
}

// exprs walks the dashboard JSON for every PromQL expression.
func exprs(v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "expr" {
				*out = append(*out, s)
			}
			exprs(e, out)
		}
	case []any:
		for _, e := range v {
			exprs(e, out)
		}
	}
}

func TestEveryQueryNamesAnExportedMetric(t *testing.T) {
	data, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var queries []string
	exprs(doc, &queries)
	if len(queries) < 10 {
		t.Fatalf("found %d queries, want every panel's", len(queries))
	}
	have := exported(t)
	metric := regexp.MustCompile(`\borgsync_[a-z_]+`)
	for _, q := range queries {
		names := metric.FindAllString(q, -1)
		if len(names) == 0 {
			t.Errorf("query names no orgsync metric: %s", q)
		}
		for _, n := range names {
			base := n
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				if b, ok := strings.CutSuffix(n, suffix); ok && have[b] {
					base = b
				}
			}
			if !have[base] {
				t.Errorf("query uses %s, which the operator does not export: %s", n, q)
			}
		}
	}
}

// The chart's copy is what Build makes; 'make manifests' refreshes it.
func TestChartCopyIsCurrent(t *testing.T) {
	want, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../charts/orgsync/files/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("charts/orgsync/files/dashboard.json is stale: run 'make manifests'")
	}
}

// The alert rules use the same names: an alert on a metric nobody exports never fires.
func TestAlertsNameExportedMetrics(t *testing.T) {
	data, err := os.ReadFile("../../charts/orgsync/files/prometheus-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	have := exported(t)
	var missing []string
	for _, n := range regexp.MustCompile(`\borgsync_[a-z_]+`).FindAllString(string(data), -1) {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the alert rules use metrics the operator does not export: %v", missing)
	}
}

// docs/metrics.md must have a row for every orgsync metric.
func TestMetricsReferenceListsEveryMetric(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range exported(t) {
		if strings.HasPrefix(name, "orgsync_") && !strings.Contains(string(doc), "| `"+name+"` |") {
			t.Errorf("docs/metrics.md has no row for %s", name)
		}
	}
}
