package confluent

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgsync/orgsync/internal/cloud"
)

// Secrets every test client carries, so any test can check that none leaks.
const (
	testAPIKey       = "KEYabc123visible"
	testAPISecret    = "SECRETxyz789hidden"
	testToken        = "TOKENstatic456"
	testClientSecret = "CLIENTSECRETqwe"
)

var allSecrets = []string{testAPISecret, testToken, testClientSecret}

// fastBackoff keeps retries from slowing the tests down.
var fastBackoff = cloud.Backoff{Tries: 4, Base: time.Millisecond, Cap: 4 * time.Millisecond}

// seen is what one request brought to a test server.
type seen struct {
	Path, Query, Auth string
}

// server is an httptest server that records every request that reaches it.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")})
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) seen() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// fixture reads testdata/name with the documents' host replaced by base.
func fixture(t testing.TB, name, base string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(b), DefaultEndpoint, base))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// newClient returns a client of base with API-key credentials unless cfg says otherwise.
func newClient(t *testing.T, base string, edit func(*Config)) *Client {
	t.Helper()
	cfg := Config{Endpoint: base, APIKey: testAPIKey, APISecret: testAPISecret, backoff: fastBackoff}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// noSecrets fails the test when err's text holds any credential value.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range allSecrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q leaks a credential", err)
		}
	}
}

func basicHeader(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}
