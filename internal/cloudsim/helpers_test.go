package cloudsim

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// start runs a plain-HTTP server for the test.
func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s := New(cfg)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// auth sets one Authorization header on a request.
type auth func(*http.Request)

func basic(user, pass string) auth { return func(r *http.Request) { r.SetBasicAuth(user, pass) } }
func bearer(token string) auth {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}
func noAuth(*http.Request) {}

var (
	confluentToken  = bearer(DefaultConfluentCredential.Token)
	confluentAPIKey = basic(DefaultConfluentCredential.APIKey, DefaultConfluentCredential.APISecret) // usm/v1 only
	azureToken      = bearer(DefaultAzureCredential.Token)
	cfToken         = bearer(DefaultCFCredential.Token)
)

type reply struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// get sends one GET and decodes a JSON object body, when there is one.
func get(t *testing.T, s *Server, url string, a auth) reply {
	t.Helper()
	if strings.HasPrefix(url, "/") {
		url = s.URL() + url
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	a(req)
	return do(t, s, req)
}

func do(t *testing.T, s *Server, req *http.Request) reply {
	t.Helper()
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (r reply) want(t *testing.T, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	return r
}

// path reads a nested value: "metadata.next", "data".
func (r reply) path(p string) any {
	var v any = r.body
	for _, k := range strings.Split(p, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func (r reply) str(p string) string {
	s, _ := r.path(p).(string)
	return s
}

func (r reply) list(p string) []any {
	l, _ := r.path(p).([]any)
	return l
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shape lists every key path of a JSON value, array elements merged under "[]".
func shape(v any, prefix string, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := prefix + "." + k
			into[p] = true
			shape(e, p, into)
		}
	case []any:
		for _, e := range x {
			shape(e, prefix+"[]", into)
		}
	}
}

func shapeOf(v any) map[string]bool {
	m := map[string]bool{}
	shape(v, "", m)
	return m
}

// fixture reads a JSON example copied from the api-reference documents.
func fixture(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// subset returns the paths of got missing from allowed.
func notIn(got, allowed map[string]bool) []string {
	var out []string
	for p := range got {
		if !allowed[p] {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
