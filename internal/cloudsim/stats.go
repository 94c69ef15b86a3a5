package cloudsim

import (
	"sync"
	"time"
)

// RequestRecord is one entry of the request log.
type RequestRecord struct {
	Time     time.Time
	Endpoint Endpoint
	Provider Provider
	Method   string
	// Host is the request's Host header.
	Host string
	// RequestURI is the path and query as sent.
	RequestURI string
	// AuthScheme is the scheme word of the Authorization header ("Basic",
	// "Bearer", …) as sent, or "" when there was none.
	AuthScheme string
	// Credentials reports whether any credential was sent: an Authorization
	// header, or a client_secret, password, refresh_token or assertion form field.
	Credentials bool
	// Scope is a token request's scope form field, as sent.
	Scope  string
	Status int
}

// stats keeps the counters and the bounded request log.
type stats struct {
	mu     sync.Mutex
	limit  int
	log    []RequestRecord
	counts map[Endpoint]map[int]int
}

func newStats(limit int) *stats {
	return &stats{limit: limit, counts: map[Endpoint]map[int]int{}}
}

func (s *stats) record(r RequestRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) >= s.limit {
		s.log = append(s.log[:0], s.log[len(s.log)-s.limit/2:]...)
	}
	s.log = append(s.log, r)
	if s.counts[r.Endpoint] == nil {
		s.counts[r.Endpoint] = map[int]int{}
	}
	s.counts[r.Endpoint][r.Status]++
}

func (s *stats) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	clear(s.counts)
}

// Requests returns a copy of the request log, oldest first.
func (srv *Server) Requests() []RequestRecord {
	srv.stats.mu.Lock()
	defer srv.stats.mu.Unlock()
	return append([]RequestRecord(nil), srv.stats.log...)
}

// Count returns the number of requests answered for an endpoint.
func (srv *Server) Count(ep Endpoint) int {
	srv.stats.mu.Lock()
	defer srv.stats.mu.Unlock()
	n := 0
	for _, c := range srv.stats.counts[ep] {
		n += c
	}
	return n
}

// CountStatus returns the number of requests to an endpoint answered with status.
func (srv *Server) CountStatus(ep Endpoint, status int) int {
	srv.stats.mu.Lock()
	defer srv.stats.mu.Unlock()
	return srv.stats.counts[ep][status]
}

// Counts returns a copy of every counter: endpoint → status → requests.
func (srv *Server) Counts() map[Endpoint]map[int]int {
	srv.stats.mu.Lock()
	defer srv.stats.mu.Unlock()
	out := map[Endpoint]map[int]int{}
	for ep, m := range srv.stats.counts {
		out[ep] = map[int]int{}
		for st, n := range m {
			out[ep][st] = n
		}
	}
	return out
}

// ProviderRequests returns the number of API requests (token endpoints excluded)
// answered for a provider.
func (srv *Server) ProviderRequests(p Provider) int {
	return srv.sumCounts(func(ep Endpoint) bool { return ep.Provider() == p && !ep.IsToken() })
}

// TokenRequests returns the number of requests to a provider's token and
// OpenID configuration endpoints.
func (srv *Server) TokenRequests(p Provider) int {
	return srv.sumCounts(func(ep Endpoint) bool { return ep.Provider() == p && ep.IsToken() })
}

func (srv *Server) sumCounts(keep func(Endpoint) bool) int {
	srv.stats.mu.Lock()
	defer srv.stats.mu.Unlock()
	n := 0
	for ep, m := range srv.stats.counts {
		if keep(ep) {
			for _, c := range m {
				n += c
			}
		}
	}
	return n
}

// ResetStats clears the counters and the request log.
func (srv *Server) ResetStats() { srv.stats.reset() }
