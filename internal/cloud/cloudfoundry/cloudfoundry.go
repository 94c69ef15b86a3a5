// Package cloudfoundry reads a Cloud Foundry foundation's organizations from the Cloud
// Controller, through v2 or its successor v3. There is no maintained Go client that
// speaks both and honours rate limits, so this is a small one on internal/cloud's
// Requester; UAA tokens come from golang.org/x/oauth2.
package cloudfoundry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orgsync/orgsync/internal/cloud"
)

// API versions a Config may name.
const (
	V2 = "v2"
	V3 = "v3"
)

// The largest page each API version serves: v2's results-per-page stops at 100, v3's
// per_page at 5000. A client asks for the largest its version allows unless told
// otherwise, since a foundation's rate budget counts requests, not items.
const (
	MaxPageSizeV2 = 100
	MaxPageSizeV3 = 5000
)

// Config says where to read from and how to authenticate. Exactly one credential set
// must be complete: Username+Password (UAA password grant as the cf CLI's client),
// ClientID+ClientSecret (UAA client credentials), or Token (a static bearer token).
type Config struct {
	// APIURL is the Cloud Controller's URL, such as https://api.sys.example.com.
	APIURL string
	// TokenURL is UAA's token endpoint; discovered from the API when empty.
	TokenURL string
	// APIVersion is V2, V3, or "" to discover: v3 when the foundation offers it and it
	// can express Query, else v2.
	APIVersion string
	// Query holds v2 q filters (name:x, name IN a,b, status:active, ...). On v3 only a
	// single name filter can be expressed.
	Query []string
	// PageSize is the page size asked for; when zero, the largest the API version
	// allows (MaxPageSizeV2 or MaxPageSizeV3). Above MaxPageSizeV2 it needs v3: with
	// APIVersion V2 it is refused, and when discovery settles on v2 it is lowered to
	// v2's largest page.
	PageSize int

	Username     string
	Password     string
	ClientID     string
	ClientSecret string
	Token        string

	// Budget is the account's rate budget; a budget of the client's own when nil.
	Budget *cloud.Budget
	// HTTPClient lends its transport (custom TLS, tests). Redirects are refused
	// whatever its own policy says.
	HTTPClient *http.Client

	// backoff overrides the retry backoff, so tests need not wait for it.
	backoff cloud.Backoff
}

// Client lists one foundation's organizations.
type Client struct {
	cfg     Config
	apiURL  *url.URL
	filters []filter
	creds   credentials
	// public reads the unauthenticated discovery documents (the API root, /v2/info).
	public *cloud.Requester

	mu   sync.Mutex
	sess *session
}

// session is what discovery settled: the API version and an authenticated Requester.
type session struct {
	version   string
	api       *cloud.Requester
	firstPage *url.URL
}

var _ cloud.Provider = (*Client)(nil)

// New checks cfg and returns a client. It makes no request: discovery happens on the
// first list, where it has a context and shares the account's budget.
func New(cfg Config) (*Client, error) {
	apiURL, err := cloud.ParseEndpoint(cfg.APIURL)
	if err != nil {
		return nil, fmt.Errorf("cloud foundry apiURL: %w", err)
	}
	if cfg.TokenURL != "" {
		if _, err := cloud.ParseEndpoint(cfg.TokenURL); err != nil {
			return nil, fmt.Errorf("cloud foundry tokenURL: %w", err)
		}
	}
	if limit := maxPageSize(cfg.APIVersion); cfg.PageSize < 0 || cfg.PageSize > limit {
		return nil, fmt.Errorf("cloud foundry page size %d is outside 1..%d", cfg.PageSize, limit)
	}
	filters, err := parseFilters(cfg.Query)
	if err != nil {
		return nil, fmt.Errorf("cloud foundry query: %w", err)
	}
	switch cfg.APIVersion {
	case "", V2:
	case V3:
		if _, err := v3Names(filters); err != nil {
			return nil, fmt.Errorf("cloud foundry query: %w", err)
		}
	default:
		return nil, fmt.Errorf("cloud foundry API version %q is neither %q, %q nor empty", cfg.APIVersion, V2, V3)
	}
	creds, err := pickCredentials(cfg)
	if err != nil {
		return nil, fmt.Errorf("cloud foundry credentials: %w", err)
	}
	if cfg.Budget == nil {
		cfg.Budget = cloud.NewBudget()
	}
	c := &Client{cfg: cfg, apiURL: apiURL, filters: filters, creds: creds}
	c.public = c.requester(nil)
	return c, nil
}

// OrganizationsPage returns one page of organizations.
func (c *Client) OrganizationsPage(ctx context.Context, cursor string) (cloud.Page[cloud.Organization], error) {
	s, err := c.session(ctx)
	if err != nil {
		return cloud.Page[cloud.Organization]{}, fmt.Errorf("list organizations: %w", err)
	}
	page, err := c.organizationsPage(ctx, s, cursor)
	if errors.Is(err, cloud.ErrNotFound) || errors.Is(err, cloud.ErrUnauthorized) {
		// A foundation may switch v2 off, or revoke a token, under a running client:
		// the next call discovers afresh and asks for a new token. This call still
		// fails — a 404 is never an empty list.
		c.forget(s)
	}
	if err != nil {
		return cloud.Page[cloud.Organization]{}, fmt.Errorf("list %s organizations: %w", s.version, err)
	}
	return page, nil
}

func (c *Client) organizationsPage(ctx context.Context, s *session, cursor string) (cloud.Page[cloud.Organization], error) {
	target := s.firstPage.String()
	if cursor != "" {
		// Read when its page was decoded; read again because cursors outlive clients
		// (and sessions: a cursor of the other version has no place on this list).
		// A cursor is always a page of a session's list; after a rediscovery that
		// settled on the other version, its page number counts other pages.
		if u, err := url.Parse(cursor); err != nil || strings.TrimPrefix(u.Path, "/") != strings.TrimPrefix(s.firstPage.Path, "/") {
			return cloud.Page[cloud.Organization]{}, fmt.Errorf("%w: the cursor is not a page of the %s list", cloud.ErrUnsafe, s.version)
		}
		var err error
		if target, err = cloud.NextOnList(s.firstPage, cursor, s.cursor()); err != nil {
			return cloud.Page[cloud.Organization]{}, err
		}
	}
	// The Requester checks the body is JSON (and retries when it is not); decoding
	// stays a pure function of the bytes so that it can be fuzzed.
	var body json.RawMessage
	if err := s.api.GetJSON(ctx, target, &body); err != nil {
		return cloud.Page[cloud.Organization]{}, err
	}
	if s.version == V2 {
		return decodeV2Page(body, s.firstPage)
	}
	return decodeV3Page(body, s.firstPage)
}

// ConnectClustersPage is not something Cloud Foundry has.
func (c *Client) ConnectClustersPage(context.Context, string, string) (cloud.Page[cloud.ConnectCluster], error) {
	return cloud.Page[cloud.ConnectCluster]{}, fmt.Errorf("cloud foundry connect clusters: %w", cloud.ErrUnsupported)
}

// session returns the settled session, discovering it first if need be. Failed
// discoveries are not kept, so a later call tries again.
func (c *Client) session(ctx context.Context) (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil {
		return c.sess, nil
	}
	s, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	c.sess = s
	return s, nil
}

func (c *Client) forget(s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == s {
		c.sess = nil
	}
}

// newSession builds the authenticated Requester and the first page's URL.
func (c *Client) newSession(version, tokenURL string) (*session, error) {
	var u *url.URL
	q := url.Values{}
	switch version {
	case V2:
		u = c.apiURL.JoinPath("v2/organizations")
		q.Set("results-per-page", strconv.Itoa(pageSize(c.cfg.PageSize, version)))
		q.Set("order-direction", "asc")
		for _, f := range c.filters {
			q.Add("q", f.raw)
		}
	default:
		u = c.apiURL.JoinPath("v3/organizations")
		q.Set("per_page", strconv.Itoa(pageSize(c.cfg.PageSize, version)))
		names, err := v3Names(c.filters)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", cloud.ErrBadRequest, err)
		}
		if len(names) > 0 {
			q.Set("names", strings.Join(names, ","))
		}
	}
	u.RawQuery = q.Encode()
	return &session{version: version, api: c.requester(c.creds.authorizer(tokenURL, c.transport())), firstPage: u}, nil
}

func (s *session) cursor() cloud.Cursor {
	if s.version == V2 {
		return v2Cursor
	}
	return v3Cursor
}

// maxPageSize is the largest page a configured version allows; "" (discover) allows
// v3's, since a foundation that turns out to be v2-only lowers it (pageSize).
func maxPageSize(version string) int {
	if version == V2 {
		return MaxPageSizeV2
	}
	return MaxPageSizeV3
}

// pageSize is the page size to ask the settled version for: the configured one, or
// the version's largest when none is, never above what the version serves.
func pageSize(configured int, version string) int {
	limit := maxPageSize(version)
	if configured == 0 {
		return limit
	}
	return min(configured, limit)
}

// requester makes a Requester for the API's origin; auth nil for the public documents.
func (c *Client) requester(auth cloud.Authorizer) *cloud.Requester {
	hc := cloud.NewHTTPClient(c.transport())
	hc.Transport = epochRetryAfter{base: hc.Transport, now: time.Now}
	return cloud.NewRequester(cloud.RequesterConfig{
		Endpoint:    c.apiURL,
		Auth:        auth,
		Budget:      c.cfg.Budget,
		Figures:     figures,
		ErrorDetail: errorDetail,
		HTTPClient:  hc,
		Backoff:     c.cfg.backoff,
	})
}

func (c *Client) transport() http.RoundTripper {
	if c.cfg.HTTPClient == nil {
		return nil
	}
	return c.cfg.HTTPClient.Transport
}
