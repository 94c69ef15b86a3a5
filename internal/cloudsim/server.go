package cloudsim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the simulator. Create it with New, then Start, StartTLS or StartAt.
type Server struct {
	cfg    Config
	data   *dataset
	tokens *tokenStore
	faults *faultSet
	stats  *stats

	limMu          sync.Mutex
	confluentLimit *fixedWindow
	cfLimit        *fixedWindow
	cfV2Limit      *fixedWindow
	azureLimit     *tokenBucket
	azureSubLimit  *tokenBucket // nil when Azure.SubscriptionThrottle is off

	cfV2          atomic.Bool
	azurePageSize atomic.Int64
	// externalURL is the origin the lists' links name, nil for origin().
	externalURL atomic.Pointer[string]

	life   sync.Mutex
	ln     net.Listener
	srv    *http.Server
	url    string
	cert   *selfSigned
	client *http.Client
}

// New builds a server and its data set; it does not listen yet.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:            cfg,
		data:           newDataset(cfg),
		tokens:         newTokenStore(),
		faults:         newFaultSet(),
		stats:          newStats(cfg.RequestLogLimit),
		confluentLimit: newFixedWindow(cfg.Confluent.RateLimit),
		cfLimit:        newFixedWindow(cfg.CloudFoundry.RateLimit),
		cfV2Limit:      newFixedWindow(Window{Limit: cfg.CloudFoundry.V2RateLimit.Limit, Window: cfg.CloudFoundry.V2RateLimit.Window, Disabled: cfg.CloudFoundry.V2RateLimit.Limit <= 0}),
		azureLimit:     newTokenBucket(cfg.Azure.Throttle),
	}
	if cfg.Azure.SubscriptionThrottle.Capacity > 0 {
		b := cfg.Azure.SubscriptionThrottle
		if b.RefillPerSecond <= 0 {
			b.RefillPerSecond = float64(b.Capacity) / 10
		}
		s.azureSubLimit = newTokenBucket(b)
	}
	s.cfV2.Store(!cfg.CloudFoundry.DisableV2)
	s.azurePageSize.Store(int64(cfg.Azure.PageSize))
	return s
}

// Config returns the configuration in effect, defaults filled in; its
// credentials are the ones the server accepts.
func (s *Server) Config() Config { return s.cfg }

// Start listens on a free port of 127.0.0.1 with plain HTTP. It panics on failure.
func (s *Server) Start() {
	if err := s.StartAt("127.0.0.1:0", false); err != nil {
		panic(err)
	}
}

// StartTLS listens on a free port of 127.0.0.1 with HTTPS and a self-signed
// certificate (see Client and CertPool). It panics on failure.
func (s *Server) StartTLS() {
	if err := s.StartAt("127.0.0.1:0", true); err != nil {
		panic(err)
	}
}

// StartAt listens on addr, with HTTPS when useTLS is set, and serves in the background.
func (s *Server) StartAt(addr string, useTLS bool) error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.ln != nil {
		return errors.New("cloudsim: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	scheme := "http"
	if useTLS {
		cert, err := newSelfSigned(s.cfg.TLSHosts)
		if err != nil {
			ln.Close()
			return err
		}
		s.cert = cert
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert.cert}, NextProtos: []string{"h2", "http/1.1"}})
		transport.TLSClientConfig = &tls.Config{RootCAs: cert.pool}
		scheme = "https"
	}
	s.ln = ln
	s.url = scheme + "://" + ln.Addr().String()
	s.client = &http.Client{Transport: transport, Timeout: 30 * time.Second}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// URL returns the server's origin, e.g. https://127.0.0.1:34567.
func (s *Server) URL() string {
	s.life.Lock()
	defer s.life.Unlock()
	return s.url
}

// Client returns an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client {
	s.life.Lock()
	defer s.life.Unlock()
	return s.client
}

// CertPool returns a pool holding the server's self-signed certificate (nil without TLS).
func (s *Server) CertPool() *x509.CertPool {
	s.life.Lock()
	defer s.life.Unlock()
	if s.cert == nil {
		return nil
	}
	return s.cert.pool
}

// CertificatePEM returns the server's certificate in PEM form (nil without TLS).
func (s *Server) CertificatePEM() []byte {
	s.life.Lock()
	defer s.life.Unlock()
	if s.cert == nil {
		return nil
	}
	return s.cert.pem
}

// Close stops the server and drops open connections.
func (s *Server) Close() {
	s.life.Lock()
	defer s.life.Unlock()
	if s.srv != nil {
		_ = s.srv.Close()
	}
	if s.client != nil {
		s.client.CloseIdleConnections()
	}
}

// Shutdown stops the server gracefully.
func (s *Server) Shutdown(ctx context.Context) error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}

// ServeHTTP answers one request; the server is its own http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep, method, handle, vars := route(r.URL.Path)
	c := &call{s: s, r: r, ep: ep, vars: vars}
	c.rec = RequestRecord{
		Time: time.Now(), Endpoint: ep, Provider: ep.Provider(),
		Method: r.Method, Host: r.Host, RequestURI: r.RequestURI,
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		c.rec.AuthScheme, _, _ = strings.Cut(auth, " ")
		c.rec.Credentials = true
	}
	c.w = &recorder{ResponseWriter: w, onStatus: func(status int) {
		c.rec.Status = status
		s.stats.record(c.rec)
	}}
	switch {
	case handle == nil:
		http.NotFound(c.w, r)
	case method != "" && r.Method != method:
		c.w.Header().Set("Allow", method)
		http.Error(c.w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		handle(s, c)
	}
	if c.w.status == 0 {
		c.w.WriteHeader(499) // the client went away before an answer was written
	}
}

type handler func(*Server, *call)

// route maps a path to its endpoint, method, handler and path parameters.
// ARM paths are matched case-insensitively, as ARM does.
func route(path string) (Endpoint, string, handler, map[string]string) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	is := func(want ...string) bool {
		if len(seg) != len(want) {
			return false
		}
		for i, w := range want {
			if w != "*" && !strings.EqualFold(seg[i], w) {
				return false
			}
		}
		return true
	}
	switch {
	case path == "/":
		return EndpointCFRoot, http.MethodGet, (*Server).cfRoot, nil
	case is("partner", "v2", "organizations"):
		return EndpointConfluentOrganizations, http.MethodGet, (*Server).confluentOrganizations, nil
	case is("partner", "v2", "organizations", "*"):
		return EndpointConfluentOrganization, http.MethodGet, (*Server).confluentOrganization, map[string]string{"id": seg[3]}
	case is("usm", "v1", "connect-clusters"):
		return EndpointConfluentConnectClusters, http.MethodGet, (*Server).confluentConnectClusters, nil
	case is("oauth2", "token"):
		return EndpointConfluentToken, http.MethodPost, (*Server).confluentToken, nil
	case is("sts", "v1", "oauth2", "token"):
		return EndpointConfluentSTSToken, http.MethodPost, (*Server).confluentSTSToken, nil
	case is("oauth", "token"):
		return EndpointUAAToken, http.MethodPost, (*Server).uaaToken, nil
	case is("subscriptions", "*", "providers", "Microsoft.Confluent", "organizations"):
		return EndpointAzureListBySubscription, http.MethodGet, (*Server).azureList,
			map[string]string{"sub": seg[1]}
	case is("subscriptions", "*", "resourceGroups", "*", "providers", "Microsoft.Confluent", "organizations"):
		return EndpointAzureListByResourceGroup, http.MethodGet, (*Server).azureList,
			map[string]string{"sub": seg[1], "rg": seg[3]}
	case is("subscriptions", "*", "resourceGroups", "*", "providers", "Microsoft.Confluent", "organizations", "*"):
		return EndpointAzureGet, http.MethodGet, (*Server).azureGet,
			map[string]string{"sub": seg[1], "rg": seg[3], "name": seg[7]}
	case len(seg) == 4 && seg[1] == "v2.0" && seg[2] == ".well-known" && seg[3] == "openid-configuration":
		return EndpointAzureOpenIDConfig, http.MethodGet, (*Server).azureOpenIDConfig, map[string]string{"tenant": seg[0]}
	case len(seg) == 4 && seg[1] == "oauth2" && seg[2] == "v2.0" && seg[3] == "token":
		return EndpointAzureToken, http.MethodPost, (*Server).azureToken, map[string]string{"tenant": seg[0]}
	case seg[0] == "v2":
		if is("v2", "info") {
			return EndpointCFInfo, http.MethodGet, (*Server).cfInfo, nil
		}
		if is("v2", "organizations") {
			return EndpointCFV2Organizations, http.MethodGet, (*Server).cfV2Organizations, nil
		}
		return EndpointCFOther, "", (*Server).cfV2NotFound, nil
	case seg[0] == "v3":
		if is("v3", "organizations") {
			return EndpointCFV3Organizations, http.MethodGet, (*Server).cfV3Organizations, nil
		}
		return EndpointCFOther, "", (*Server).cfV3NotFound, nil
	}
	return EndpointUnknown, "", nil, nil
}
