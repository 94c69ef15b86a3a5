// Package argocd holds Argo CD health checks for the orgsync kinds, in the layout of
// Argo CD's own resource_customizations, and tests them in the Lua VM Argo CD embeds.
package argocd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

const group = "resource_customizations/cloud.orgsync.io"

// healthTests is the health_test.yaml format of Argo CD's repository.
type healthTests struct {
	Tests []struct {
		HealthStatus struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"healthStatus"`
		InputPath string `json:"inputPath"`
	} `json:"tests"`
}

func TestHealthChecks(t *testing.T) {
	for _, kind := range []string{"CloudAccount", "Organization", "ConnectCluster"} {
		dir := filepath.Join(group, kind)
		script, err := os.ReadFile(filepath.Join(dir, "health.lua"))
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var suite healthTests
		if err := yaml.UnmarshalStrict(data, &suite); err != nil {
			t.Fatalf("%s/health_test.yaml: %v", kind, err)
		}
		if len(suite.Tests) == 0 {
			t.Fatalf("%s/health_test.yaml has no tests", kind)
		}
		for _, tc := range suite.Tests {
			t.Run(kind+"/"+tc.InputPath, func(t *testing.T) {
				obj := readObject(t, filepath.Join(dir, tc.InputPath))
				status, message := evaluate(t, string(script), obj)
				if status != tc.HealthStatus.Status || message != tc.HealthStatus.Message {
					t.Errorf("health = %s %q, want %s %q", status, message, tc.HealthStatus.Status, tc.HealthStatus.Message)
				}
			})
		}
	}
}

// Every file under testdata is a case, so no exported state goes untested.
func TestEveryTestdataFileIsACase(t *testing.T) {
	for _, kind := range []string{"CloudAccount", "Organization", "ConnectCluster"} {
		dir := filepath.Join(group, kind)
		data, _ := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
		var suite healthTests
		if err := yaml.Unmarshal(data, &suite); err != nil {
			t.Fatal(err)
		}
		listed := map[string]bool{}
		for _, tc := range suite.Tests {
			listed[tc.InputPath] = true
		}
		files, _ := filepath.Glob(filepath.Join(dir, "testdata", "*.yaml"))
		for _, f := range files {
			if rel := "testdata/" + filepath.Base(f); !listed[rel] {
				t.Errorf("%s/%s is not a case in health_test.yaml", kind, rel)
			}
		}
	}
}

// Argo CD keeps one script per kind; the two mirror kinds share one meaning.
func TestMirrorScriptsAreTheSame(t *testing.T) {
	org, _ := os.ReadFile(filepath.Join(group, "Organization", "health.lua"))
	cc, _ := os.ReadFile(filepath.Join(group, "ConnectCluster", "health.lua"))
	if len(org) == 0 || !bytes.Equal(org, cc) {
		t.Error("Organization/health.lua and ConnectCluster/health.lua differ")
	}
}

// The states the exported data may not hold, as small objects: no status yet, an
// unobserved generation, a Ready condition from an older generation.
func TestHealthOfObjectsWithoutStatus(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(group, "Organization", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	account, err := os.ReadFile(filepath.Join(group, "CloudAccount", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, script, obj, status, message string
	}{
		{"mirror without status", string(script), `{"metadata":{"generation":1}}`, "Progressing", "Waiting for the operator to report the remote state"},
		{"mirror of an older generation", string(script),
			`{"metadata":{"generation":2},"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True","reason":"Succeeded","observedGeneration":1}]}}`,
			"Progressing", "Waiting for the operator to observe generation 2"},
		{"mirror whose Ready is from an older generation", string(script),
			`{"metadata":{"generation":2},"status":{"observedGeneration":2,"conditions":[{"type":"Ready","status":"True","reason":"Succeeded","observedGeneration":1}]}}`,
			"Progressing", "Waiting for the operator to observe generation 2"},
		{"account before its first sync", string(account), `{"metadata":{"generation":1},"spec":{}}`, "Progressing", "Waiting for the first sync"},
		{"account rate-limited after a good sync", string(account),
			`{"metadata":{"generation":1},"spec":{},"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True","reason":"Synced","message":"mirrored 3 organizations"},{"type":"RateLimited","status":"True","reason":"RateLimited","message":"waiting 30s"}]}}`,
			"Healthy", "mirrored 3 organizations; waiting 30s"},
		{"account retrying a remote failure", string(account),
			`{"metadata":{"generation":1},"spec":{},"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"False","reason":"RemoteError","message":"HTTP 503"}]}}`,
			"Degraded", "HTTP 503"},
		{"account paused mid-sync", string(account),
			`{"metadata":{"generation":1},"spec":{},"status":{"observedGeneration":1,"conditions":[{"type":"Reconciling","status":"True","reason":"Syncing","message":"page 3"},{"type":"Ready","status":"Unknown","reason":"Syncing"}]}}`,
			"Progressing", "page 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(c.obj), &obj); err != nil {
				t.Fatal(err)
			}
			status, message := evaluate(t, c.script, obj)
			if status != c.status || message != c.message {
				t.Errorf("health = %s %q, want %s %q", status, message, c.status, c.message)
			}
		})
	}
}

func readObject(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// evaluate runs a health script as Argo CD does: a fresh VM with only the base,
// table and package libraries (and an os module of time and date alone), the
// object as the global obj, and the table the chunk returns read as the health.
func evaluate(t *testing.T, script string, obj map[string]any) (status, message string) {
	t.Helper()
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		l.Push(l.NewFunction(lib.open))
		l.Push(lua.LString(lib.name))
		l.Call(1, 0)
	}
	preloadSafeOS(l)

	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		t.Fatalf("script failed: %v", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("script returned %s, want a table", l.Get(-1).Type())
	}
	return lua.LVAsString(ret.RawGetString("status")), lua.LVAsString(ret.RawGetString("message"))
}

// preloadSafeOS makes require("os") give time and date only, as Argo CD's VM does.
func preloadSafeOS(l *lua.LState) {
	l.Push(l.NewFunction(lua.OpenOs))
	l.Push(lua.LString(lua.OsLibName))
	l.Call(1, 0)
	full := l.GetGlobal(lua.OsLibName).(*lua.LTable)
	safe := l.NewTable()
	safe.RawSetString("time", full.RawGetString("time"))
	safe.RawSetString("date", full.RawGetString("date"))
	l.SetGlobal(lua.OsLibName, lua.LNil)
	// OpenOs also registered the full module as loaded; require must find the preload.
	loaded := l.GetField(l.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable)
	loaded.RawSetString(lua.OsLibName, lua.LNil)
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(safe)
		return 1
	})
}

// toLua converts decoded JSON into Lua values: objects and arrays become tables
// (arrays from index 1), numbers LNumber.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := l.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(l, e))
		}
		return t
	case []any:
		t := l.NewTable()
		for _, e := range v {
			t.Append(toLua(l, e))
		}
		return t
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	default:
		return lua.LNil
	}
}

// The VM must be as poor as Argo CD's, or a script could pass here and fail there.
func TestVMHasNoStringOrMathLibrary(t *testing.T) {
	status, message := evaluate(t, `local os = require("os")
local hs = {}
hs.status = type(string) .. " " .. type(math) .. " " .. type(io)
hs.message = type(os.time) .. " " .. type(os.execute)
return hs`, map[string]any{})
	if status != "nil nil nil" || message != "function nil" {
		t.Errorf("libraries: %q, os: %q; want only base, table, package and os.time/date", status, message)
	}
}

// hack/argocd-cm-patch.sh must carry each script whole, under Argo CD's key.
func TestArgoCDConfigMapPatch(t *testing.T) {
	out, err := exec.Command("../../hack/argocd-cm-patch.sh").Output()
	if err != nil {
		t.Fatal(err)
	}
	var patch struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.UnmarshalStrict(out, &patch); err != nil {
		t.Fatalf("patch is not YAML: %v\n%s", err, out)
	}
	for _, kind := range []string{"CloudAccount", "Organization", "ConnectCluster"} {
		script, _ := os.ReadFile(filepath.Join(group, kind, "health.lua"))
		if got := patch.Data["resource.customizations.health.cloud.orgsync.io_"+kind]; got != string(script) {
			t.Errorf("patch for %s differs from its health.lua", kind)
		}
	}
}
