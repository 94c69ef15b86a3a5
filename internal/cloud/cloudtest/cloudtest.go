// Package cloudtest is test support for the provider packages under internal/cloud
// (azure, cloudfoundry, confluent): the simulator started for one test, a recording
// HTTP server, fixtures, and the checks their tests share. Only tests import it; it is
// an ordinary package rather than a _test file so that several packages' tests can.
package cloudtest

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
	"github.com/orgsync/orgsync/internal/cloudsim"
)

// FastBackoff keeps the clients' retries from slowing the tests down.
var FastBackoff = cloud.Backoff{Tries: 4, Base: time.Millisecond, Cap: 4 * time.Millisecond}

// NewClient builds a provider's client with newClient from cfg as edit leaves it (a
// nil edit leaves it alone), stopping the test when the configuration is refused.
func NewClient[Config, Client any](t testing.TB, newClient func(Config) (Client, error), cfg Config, edit func(*Config)) Client {
	t.Helper()
	if edit != nil {
		edit(&cfg)
	}
	c, err := newClient(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// StartSim runs a plain-HTTP simulator for the rest of the test.
func StartSim(t testing.TB, cfg cloudsim.Config) *cloudsim.Server {
	t.Helper()
	return startSim(t, cfg, (*cloudsim.Server).Start)
}

// StartSimTLS runs the simulator over TLS for the rest of the test; clients trust it
// through sim.CertPool().
func StartSimTLS(t testing.TB, cfg cloudsim.Config) *cloudsim.Server {
	t.Helper()
	return startSim(t, cfg, (*cloudsim.Server).StartTLS)
}

func startSim(t testing.TB, cfg cloudsim.Config, start func(*cloudsim.Server)) *cloudsim.Server {
	t.Helper()
	sim := cloudsim.New(cfg)
	start(sim)
	t.Cleanup(sim.Close)
	return sim
}

// Seen is what one request brought to a Recorder.
type Seen struct {
	Path, Query, Auth string
}

// Recorder is an httptest server that records every request reaching it, so a test
// can say what was sent, and what was not. A request goes to the handler of its path
// (Handle), else to the fallback.
type Recorder struct {
	*httptest.Server
	mu       sync.Mutex
	seen     []Seen
	routes   map[string]http.HandlerFunc
	fallback http.HandlerFunc
}

// NewRecorder starts a Recorder that answers every request with h, closed when the
// test ends.
func NewRecorder(t testing.TB, h http.HandlerFunc) *Recorder {
	t.Helper()
	s := &Recorder{routes: map[string]http.HandlerFunc{}, fallback: h}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, Seen{Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")})
		route := s.routes[r.URL.Path]
		s.mu.Unlock()
		if route == nil {
			route = s.fallback
		}
		route(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// NewRouter starts a Recorder that routes by path (Handle, Serve); a path without a
// handler answers 404 with notFound, the way the provider's API words it.
func NewRouter(t testing.TB, notFound []byte) *Recorder {
	t.Helper()
	return NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusNotFound, notFound)
	})
}

// Handle routes path to h; a nil h removes the route.
func (s *Recorder) Handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.routes, path)
		return
	}
	s.routes[path] = h
}

// Serve routes path to a fixed JSON answer.
func (s *Recorder) Serve(path string, body []byte) {
	s.Handle(path, func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, http.StatusOK, body) })
}

// Seen returns a copy of the requests so far, in order of arrival.
func (s *Recorder) Seen() []Seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Seen(nil), s.seen...)
}

// CheckRequests fails the test unless want requests have reached the server so far.
func (s *Recorder) CheckRequests(t testing.TB, want int) {
	t.Helper()
	if got := len(s.Seen()); got != want {
		t.Errorf("%d requests, want %d", got, want)
	}
}

// Paths returns the paths of the requests so far, in order of arrival.
func (s *Recorder) Paths() []string {
	var p []string
	for _, r := range s.Seen() {
		p = append(p, r.Path)
	}
	return p
}

// Queries returns the raw queries of the requests so far, in order of arrival.
func (s *Recorder) Queries() []string {
	var q []string
	for _, r := range s.Seen() {
		q = append(q, r.Query)
	}
	return q
}

// WriteJSON answers with status and body as application/json.
func WriteJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Fixture reads testdata/name with each old string replaced by its new one (pairs, as
// strings.NewReplacer takes them): the documents name the provider's real hosts, and a
// test points them at its own server.
func Fixture(t testing.TB, name string, oldnew ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(oldnew...).Replace(string(b)))
}
