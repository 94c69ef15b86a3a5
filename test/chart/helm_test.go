package chart_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// repoRoot is the project's top directory, from this package's.
var repoRoot, _ = filepath.Abs("../..")

var chartDir = filepath.Join(repoRoot, "charts", "orgsync")

// tool builds (once per machine) and returns the path of a pinned tool.
func tool(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(repoRoot, "hack", "tool.sh"), name).Output()
	if err != nil {
		t.Fatalf("hack/tool.sh %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// run runs a command and returns its stdout, stderr and error.
func run(t *testing.T, env []string, name string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	// Helm keeps its caches and plugins under HOME-relative paths; keep tests out of
	// the user's.
	home := t.TempDir()
	cmd.Env = append(cmd.Env, "HELM_CACHE_HOME="+home+"/cache", "HELM_CONFIG_HOME="+home+"/config", "HELM_DATA_HOME="+home+"/data")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// mustRun is run, failing the test on an error.
func mustRun(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	stdout, stderr, err := run(t, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", filepath.Base(name), strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// object is a rendered manifest, read loosely.
type object map[string]any

func (o object) kind() string { s, _ := o["kind"].(string); return s }

func (o object) name() string {
	m, _ := o["metadata"].(map[string]any)
	s, _ := m["name"].(string)
	return s
}

func (o object) namespace() string {
	m, _ := o["metadata"].(map[string]any)
	s, _ := m["namespace"].(string)
	return s
}

// splitManifests parses a multi-document YAML stream, skipping empty documents.
func splitManifests(t *testing.T, stream string) []object {
	t.Helper()
	var objs []object
	for _, doc := range strings.Split(stream, "\n---") {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, doc)
		}
		if len(o) > 0 {
			objs = append(objs, o)
		}
	}
	return objs
}

// render runs 'helm template' with the given --set values.
func render(t *testing.T, helm string, sets ...string) []object {
	t.Helper()
	args := []string{"template", "orgsync", chartDir, "--namespace", "platform-tools"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return splitManifests(t, mustRun(t, nil, helm, args...))
}
