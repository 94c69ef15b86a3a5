package cloudfoundry

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

// Credentials of the fake foundation; the secret ones must never show in an error.
const (
	testUser         = "admin"
	testPassword     = "PASSWORDsecret123"
	testClientID     = "orgsync"
	testClientSecret = "CLIENTSECRETcf456"
	testToken        = "TOKENstatic789"
	issuedToken      = "ISSUEDuaa000"
)

var allSecrets = []string{testPassword, testClientSecret, testToken, issuedToken}

// fastBackoff keeps retries from slowing the tests down.
var fastBackoff = cloud.Backoff{Tries: 4, Base: time.Millisecond, Cap: 4 * time.Millisecond}

// seen is what one request brought to a test server.
type seen struct {
	Path, Query, Auth string
}

// server is an httptest server routing by path, recording every request that reaches
// it; unrouted paths answer 404 the way the Cloud Controller does.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []seen
	routes map[string]http.HandlerFunc
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{routes: map[string]http.HandlerFunc{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")})
		h := s.routes[r.URL.Path]
		s.mu.Unlock()
		if h == nil {
			writeJSON(w, http.StatusNotFound, []byte(`{"description":"Unknown request","error_code":"CF-NotFound","code":10000}`))
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.routes, path)
		return
	}
	s.routes[path] = h
}

// serve routes path to a fixed JSON answer.
func (s *server) serve(path string, body []byte) {
	s.handle(path, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, body) })
}

func (s *server) seen() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

func (s *server) paths() []string {
	var p []string
	for _, r := range s.seen() {
		p = append(p, r.Path)
	}
	return p
}

// withUAA serves the password and client-credentials grants under /uaa.
func (s *server) withUAA() *server {
	s.handle("/uaa/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		_ = r.ParseForm()
		var ok bool
		switch r.PostForm.Get("grant_type") {
		case "password":
			ok = id == "cf" && secret == "" && r.PostForm.Get("username") == testUser && r.PostForm.Get("password") == testPassword
		case "client_credentials":
			ok = id == testClientID && secret == testClientSecret
		}
		if !ok {
			writeJSON(w, http.StatusUnauthorized, []byte(`{"error":"unauthorized","error_description":"Bad credentials"}`))
			return
		}
		writeJSON(w, http.StatusOK, []byte(`{"access_token":"`+issuedToken+`","token_type":"bearer","expires_in":3600}`))
	})
	return s
}

// fixture reads testdata/name with the documents' hosts replaced by base.
func fixture(t testing.TB, name, base string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "https://uaa.example.org", base+"/uaa")
	return []byte(strings.ReplaceAll(s, "https://api.example.org", base))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// newClient returns a client of base; edit sets credentials and the rest.
func newClient(t *testing.T, base string, edit func(*Config)) *Client {
	t.Helper()
	cfg := Config{APIURL: base, backoff: fastBackoff}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func withToken(c *Config)    { c.Token = testToken }
func withPassword(c *Config) { c.Username, c.Password = testUser, testPassword }
func withClient(c *Config)   { c.ClientID, c.ClientSecret = testClientID, testClientSecret }

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
