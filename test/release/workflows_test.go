package release_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// workflow is the part of a GitHub Actions workflow the test reads.
type workflow struct {
	Jobs map[string]struct {
		Steps []struct {
			Name string `json:"name"`
			Uses string `json:"uses"`
			Run  string `json:"run"`
		} `json:"steps"`
	} `json:"jobs"`
}

// makeCall is a step that runs one make target (as root for the e2e test).
var makeCall = regexp.MustCompile(`^(sudo [^\n]*?)?\bmake ([a-z][a-z0-9-]*)( [A-Z_]+="?[^"\n]*"?)*$`)

// Every run step of every workflow is one call of a make target, so what CI and
// the release do is what 'make test' runs here.
func TestWorkflowStepsAreMakeTargets(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", "*.yml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("workflows: %v, %v", files, err)
	}
	targets := makeTargets(t)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(data, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for job, j := range w.Jobs {
			for _, s := range j.Steps {
				if s.Run == "" {
					continue
				}
				m := makeCall.FindStringSubmatch(strings.TrimSpace(s.Run))
				if m == nil {
					t.Errorf("%s job %s step %q runs %q: want one make target", filepath.Base(f), job, s.Name, s.Run)
					continue
				}
				if !targets[m[2]] {
					t.Errorf("%s job %s: make %s is not a target of the Makefile", filepath.Base(f), job, m[2])
				}
				if problem := sudoLosesPath(m[1]); problem != "" {
					t.Errorf("%s job %s step %q: %s", filepath.Base(f), job, s.Name, problem)
				}
			}
		}
	}
}

// sudoLosesPath says what is wrong with a sudo prefix of a make call, or "".
// sudo resets PATH to its secure_path (Ubuntu's sets one) even when told to
// preserve it, so the go of actions/setup-go would not be found: PATH must be
// set again after sudo, as 'env "PATH=$PATH"' does.
func sudoLosesPath(prefix string) string {
	if prefix == "" {
		return ""
	}
	if !regexp.MustCompile(`\benv (\S+ )*"?PATH=\$PATH"? `).MatchString(prefix) {
		return fmt.Sprintf(`%q loses PATH to sudo's secure_path: set it after sudo with env "PATH=$PATH"`, strings.TrimSpace(prefix))
	}
	return ""
}

// The PATH rule catches the step that lost setup-go's go, and passes its fix.
func TestSudoLosesPath(t *testing.T) {
	for prefix, ok := range map[string]bool{
		"": true,
		"sudo --preserve-env=PATH,HOME,GOPATH,GOCACHE,GOMODCACHE,GOTOOLCHAIN env CI=true ": false,
		"sudo --preserve-env=PATH,HOME ": false,
		`sudo --preserve-env=HOME,GOPATH,GOCACHE,GOMODCACHE,GOTOOLCHAIN env "PATH=$PATH" CI=true `: true,
		`sudo --preserve-env=HOME env CI=true "PATH=$PATH" `:                                       true,
	} {
		if got := sudoLosesPath(prefix) == ""; got != ok {
			t.Errorf("sudoLosesPath(%q) = %q; want ok=%v", prefix, sudoLosesPath(prefix), ok)
		}
	}
}

// makeTargets lists the Makefile's targets as 'make -qp' prints them.
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	cmd := exec.Command("make", "-C", repoRoot, "-qp")
	cmd.Env = cleanMakeEnv()
	out, _ := cmd.Output() // -q exits 1 when something would be remade
	targets := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if name, _, ok := strings.Cut(line, ":"); ok && regexp.MustCompile(`^[a-z][a-z0-9-]*$`).MatchString(name) {
			targets[name] = true
		}
	}
	if !targets["test"] || !targets["release"] {
		t.Fatalf("make -qp listed no test or release target")
	}
	return targets
}

func TestReleaseCheckTag(t *testing.T) {
	version := strings.TrimSpace(runMake(t, repoRoot, "-s", "print-version"))
	if version == "" {
		t.Fatal("make print-version printed nothing")
	}
	runMake(t, repoRoot, "release-check-tag", "TAG=v"+version)
	cmd := exec.Command("make", "-C", repoRoot, "release-check-tag", "TAG=v"+version+".1")
	cmd.Env = cleanMakeEnv()
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("make release-check-tag accepted tag v%s.1 for version %s:\n%s", version, version, out)
	}

	// A chart whose version is not its appVersion is refused, whatever the tag.
	bumped := filepath.Join(t.TempDir(), "orgsync")
	copyTrackedFiles(t, bumped)
	chartFile := filepath.Join(bumped, "charts", "orgsync", "Chart.yaml")
	chart, err := os.ReadFile(chartFile)
	if err != nil {
		t.Fatal(err)
	}
	versionLine := regexp.MustCompile(`(?m)^version: .*$`)
	if !versionLine.Match(chart) {
		t.Fatalf("%s has no version line", chartFile)
	}
	if err := os.WriteFile(chartFile, versionLine.ReplaceAll(chart, []byte("version: "+version+"-1")), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("make", "-C", bumped, "release-check-tag", "TAG=v"+version)
	cmd.Env = cleanMakeEnv()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Errorf("make release-check-tag accepted tag v%s for a chart of version %s-1, appVersion %s:\n%s", version, version, version, out)
	} else if !strings.Contains(string(out), "a release needs both the same") {
		t.Errorf("make release-check-tag failed for another reason than the chart's version:\n%s", out)
	}
}

// make sign hands cosign exactly the digests make release wrote. cosign itself
// signs keyless only with an OIDC identity, which exists in the release workflow
// alone: here a stand-in records its arguments.
func TestSignSignsWhatWasReleased(t *testing.T) {
	dir := t.TempDir()
	result := filepath.Join(dir, "release.env")
	const image = "127.0.0.1:5000/orgsync@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	const chart = "127.0.0.1:5000/charts/orgsync@sha256:2222222222222222222222222222222222222222222222222222222222222222"
	if err := os.WriteFile(result, []byte("IMAGE="+image+"\nCHART=oci://127.0.0.1:5000/charts/orgsync\nCHART_REF="+chart+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	calls := filepath.Join(dir, "calls")
	recorder := filepath.Join(dir, "cosign")
	if err := os.WriteFile(recorder, []byte("#!/bin/sh\necho \"$*\" >> "+calls+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	runMake(t, repoRoot, "sign", "COSIGN="+recorder, "RELEASE_RESULT="+result)
	got, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	want := "sign --yes --recursive " + image + "\nsign --yes " + chart + "\n"
	if string(got) != want {
		t.Errorf("cosign was called with\n%s\nwant\n%s", got, want)
	}
}

// cleanMakeEnv is the environment without the jobserver of a make that runs
// this test: the makes the test runs are separate.
func cleanMakeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAKEFLAGS=") && !strings.HasPrefix(kv, "MAKELEVEL=") && !strings.HasPrefix(kv, "MFLAGS=") {
			env = append(env, kv)
		}
	}
	return env
}
