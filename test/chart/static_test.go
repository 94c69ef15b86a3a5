// Package chart_test checks the Helm chart in charts/orgsync: lint with Helm v3 and
// v4, helm-unittest's template tests, RBAC against the generated role, the values
// schema, and installs into a real API server.
package chart_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

func TestLintStrict(t *testing.T) {
	for _, name := range []string{"helm", "helm4"} {
		t.Run(name, func(t *testing.T) {
			helm := tool(t, name)
			mustRun(t, nil, helm, "lint", "--strict", chartDir)
			mustRun(t, nil, helm, "lint", "--strict", chartDir, "--set", "replicaCount=3,serviceMonitor.enabled=true,serviceMonitor.force=true,metrics.enabled=false")
		})
	}
}

func TestHelmUnittest(t *testing.T) {
	out := mustRun(t, nil, tool(t, "helm-unittest"), "--strict", chartDir)
	// A run that found no suites would pass too; make sure they ran.
	if !regexp.MustCompile(`Test Suites: +\d+ passed`).MatchString(out) {
		t.Fatalf("helm-unittest ran no suites:\n%s", out)
	}
	t.Log(out)
}

// rulesOf returns the rules of the named Role or ClusterRole, sorted, each rule's
// lists sorted, so two rule sets compare by meaning.
func rulesOf(t *testing.T, objs []object, kind, name string) []rbacv1.PolicyRule {
	t.Helper()
	for _, o := range objs {
		if o.kind() != kind || o.name() != name {
			continue
		}
		data, _ := yaml.Marshal(o)
		var role rbacv1.ClusterRole
		if err := yaml.Unmarshal(data, &role); err != nil {
			t.Fatal(err)
		}
		return normalize(role.Rules)
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}

// normalize splits each rule into one rule per (group, resource) with sorted verbs,
// so rules written grouped differently but granting the same compare equal.
func normalize(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, r := range rules {
		verbs := append([]string(nil), r.Verbs...)
		sort.Strings(verbs)
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				out = append(out, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, Verbs: verbs})
			}
		}
		if len(r.NonResourceURLs) > 0 {
			out = append(out, rbacv1.PolicyRule{NonResourceURLs: r.NonResourceURLs, Verbs: verbs})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// The chart's manager roles must grant exactly what the code's RBAC markers ask
// for (config/rbac/role.yaml), with the Secrets Role in the release namespace
// instead of the generated one's fixed namespace.
func TestManagerRBACMatchesGeneratedRole(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	generated := splitManifests(t, string(data))
	objs := render(t, tool(t, "helm"))

	want := rulesOf(t, generated, "ClusterRole", "manager-role")
	if diff := cmp.Diff(want, rulesOf(t, objs, "ClusterRole", "orgsync-manager")); diff != "" {
		t.Errorf("chart ClusterRole differs from config/rbac/role.yaml (-generated +chart):\n%s", diff)
	}

	chartRole := rulesOf(t, objs, "Role", "orgsync-manager")
	for _, r := range rulesOf(t, generated, "Role", "manager-role") {
		found := false
		for _, c := range chartRole {
			found = found || cmp.Equal(r, c)
		}
		if !found {
			t.Errorf("chart Role lacks the generated rule %v", r)
		}
	}
	for _, o := range objs {
		if o.kind() == "Role" || o.kind() == "RoleBinding" {
			if o.namespace() != "platform-tools" {
				t.Errorf("%s %s is in namespace %q, want the release namespace", o.kind(), o.name(), o.namespace())
			}
		}
	}
}

// No role the chart makes may use a wildcard, or grant Secrets cluster-wide.
func TestNoWildcardsAndNoClusterWideSecrets(t *testing.T) {
	objs := render(t, tool(t, "helm"), "rbac.cloudAccountEditor=true", "metrics.enabled=true")
	roles := 0
	for _, o := range objs {
		if o.kind() != "Role" && o.kind() != "ClusterRole" {
			continue
		}
		roles++
		for _, r := range rulesOf(t, objs, o.kind(), o.name()) {
			all := strings.Join(append(append(append(r.APIGroups, r.Resources...), r.Verbs...), r.NonResourceURLs...), " ")
			if strings.Contains(all, "*") {
				t.Errorf("%s %s has a wildcard rule: %v", o.kind(), o.name(), r)
			}
			if o.kind() == "ClusterRole" && len(r.Resources) == 1 && r.Resources[0] == "secrets" {
				t.Errorf("ClusterRole %s grants secrets cluster-wide", o.name())
			}
		}
	}
	if roles < 6 {
		t.Errorf("rendered %d roles, want the manager, metrics and user roles", roles)
	}
}

// A value of the wrong type fails with the schema's message, in both Helm versions.
func TestSchemaRefusesWrongValues(t *testing.T) {
	cases := []struct {
		set  string
		want string
	}{
		{"replicaCount=two", "replicaCount"},
		{"image.pullPolicy=Sometimes", "pullPolicy"},
		{"logLevel=loud", "logLevel"},
		{"replicaCont=2", "replicaCont"},
	}
	for _, name := range []string{"helm", "helm4"} {
		helm := tool(t, name)
		for _, c := range cases {
			t.Run(name+"/"+c.set, func(t *testing.T) {
				stdout, stderr, err := run(t, nil, helm, "template", "orgsync", chartDir, "--set", c.set)
				if err == nil {
					t.Fatalf("helm template --set %s succeeded:\n%s", c.set, stdout)
				}
				if !strings.Contains(stderr, "values don't meet the specifications of the schema") || !strings.Contains(stderr, c.want) {
					t.Errorf("error does not name the schema and %s:\n%s", c.want, stderr)
				}
			})
		}
	}
}

// Every value in values.yaml has a row in the chart README's table.
func TestReadmeListsEveryValue(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// Objects whose contents are Kubernetes structures are documented as one row.
	whole := map[string]bool{"podSecurityContext": true, "securityContext": true, "resources": true, "grafanaDashboard.labels": true,
		"livenessProbe": true, "readinessProbe": true, "serviceMonitor.tlsConfig": true,
		"networkPolicy.dns.namespaceSelector": true, "networkPolicy.dns.podSelector": true}
	var missing []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := prefix + k
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 && !whole[key] {
				walk(key+".", sub)
				continue
			}
			if !strings.Contains(string(readme), "| `"+key+"` |") {
				missing = append(missing, key)
			}
		}
	}
	walk("", values)
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("charts/orgsync/README.md has no row for: %s", strings.Join(missing, ", "))
	}
}

// The alerts the chart ships, as it renders them, pass promtool's checks and the
// unit tests in charts/orgsync/tests/alerts.
func TestPrometheusRules(t *testing.T) {
	objs := render(t, tool(t, "helm"), "prometheusRule.enabled=true")
	var spec any
	for _, o := range objs {
		if o.kind() == "PrometheusRule" {
			spec = o["spec"]
		}
	}
	if spec == nil {
		t.Fatal("no PrometheusRule rendered")
	}
	rules, err := yaml.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(chartDir, "tests", "alerts", "alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts_test.yaml"), tests, 0o644); err != nil {
		t.Fatal(err)
	}
	promtool := tool(t, "promtool")
	mustRun(t, nil, promtool, "check", "rules", filepath.Join(dir, "rules.yaml"))
	t.Log(mustRun(t, nil, promtool, "test", "rules", filepath.Join(dir, "alerts_test.yaml")))
}
