// Package confluent reads Confluent Cloud's partner/v2 organizations and usm/v1 connect
// clusters. Both lists share one wire shape ({metadata{next}, data[]}) and one
// error shape, so one small client serves them; paging, rate limits and retries are
// internal/cloud's.
package confluent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/orgsync/orgsync/internal/cloud"
)

const (
	// DefaultEndpoint is Confluent Cloud's public API.
	DefaultEndpoint = "https://api.confluent.cloud"
	// MaxPageSize is the largest page_size both lists accept.
	MaxPageSize = 100

	organizationsPath   = "partner/v2/organizations"
	connectClustersPath = "usm/v1/connect-clusters"
)

// Config says where to read from and how to authenticate. Exactly one credential set
// must be complete: APIKey+APISecret (HTTP basic), Token (a static bearer token), or
// ClientID+ClientSecret+TokenURL (OAuth2 client credentials). partner/v2 organizations
// accept OAuth bearer tokens only; an API key serves connect clusters alone.
type Config struct {
	// Endpoint is the API's origin; DefaultEndpoint when empty.
	Endpoint string
	// PageSize is the page_size asked for; MaxPageSize when zero.
	PageSize int

	APIKey       string
	APISecret    string
	Token        string
	ClientID     string
	ClientSecret string
	TokenURL     string
	// IdentityPoolID is the Confluent identity pool an OAuth client's token is
	// exchanged with at Confluent's STS, for usm/v1 connect clusters.
	IdentityPoolID string
	// Scope overrides the OAuth scope asked for (space-separated): DefaultScope for
	// partner/v2, none for the token exchanged at the STS.
	Scope string

	// Budget is the account's rate budget, shared by all of its lists; a budget of
	// the client's own when nil.
	Budget *cloud.Budget
	// HTTPClient lends its transport (custom TLS, tests). Redirects are refused
	// whatever its own policy says.
	HTTPClient *http.Client

	// backoff overrides the retry backoff, so tests need not wait for it.
	backoff cloud.Backoff
}

// Client lists one Confluent Cloud account's organizations and connect clusters.
type Client struct {
	req *cloud.Requester
	// clusters reads usm/v1 with its own credentials (an STS token for OAuth); nil
	// when the credentials cannot serve it.
	clusters *cloud.Requester
	pageSize int
	now      func() time.Time
	// renew drops a cached OAuth token after a 401; nil for static credentials.
	renew func()
	// apiKey is set when the credentials are a Cloud API key (HTTP basic), which
	// partner/v2 refuses.
	apiKey bool
}

// errAPIKeyOrganizations is why an API key lists no organizations: partner/v2 takes
// OAuth bearer tokens only, so sending the key would just earn a 401 on every sync.
var errAPIKeyOrganizations = fmt.Errorf("%w: partner/v2 organizations need an OAuth bearer token "+
	"(Secret key token, or clientID+clientSecret+tokenURL); an API key (apiKey+apiSecret) "+
	"works only for connect clusters (set spec.confluentCloud.organizations: false)", cloud.ErrBadRequest)

// errNoIdentityPool is why an OAuth client without an identity pool lists no connect
// clusters: usm/v1 refuses the identity provider's own token, so sending it would
// just earn a 401 on every sync.
var errNoIdentityPool = fmt.Errorf("%w: usm/v1 connect clusters take a Cloud API key or a Confluent STS token, "+
	"not the identity provider's token: add identityPoolID to the Secret so that the token is exchanged at "+
	"Confluent's STS, or use apiKey+apiSecret", cloud.ErrBadRequest)

var _ cloud.Provider = (*Client)(nil)

// New checks cfg and returns a client. It makes no request.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultEndpoint
	}
	endpoint, err := cloud.ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("confluent endpoint: %w", err)
	}
	switch {
	case cfg.PageSize == 0:
		cfg.PageSize = MaxPageSize
	case cfg.PageSize < 0 || cfg.PageSize > MaxPageSize:
		return nil, fmt.Errorf("confluent page size %d is outside 1..%d", cfg.PageSize, MaxPageSize)
	}
	var transport http.RoundTripper
	if cfg.HTTPClient != nil {
		transport = cfg.HTTPClient.Transport
	}
	a, err := authorizers(cfg, endpoint, transport)
	if err != nil {
		return nil, fmt.Errorf("confluent credentials: %w", err)
	}
	if cfg.Budget == nil {
		cfg.Budget = cloud.NewBudget()
	}
	requester := func(auth cloud.Authorizer) *cloud.Requester {
		return cloud.NewRequester(cloud.RequesterConfig{
			Endpoint: endpoint,
			Auth:     auth,
			Budget:   cfg.Budget,
			Figures: func(h http.Header, now time.Time) cloud.Figures {
				// Confluent's X-RateLimit-Reset counts seconds from now, not an epoch.
				return cloud.ParseXRateLimit(h, cloud.ResetRelativeSeconds, now)
			},
			ErrorDetail: errorDetail,
			HTTPClient:  cloud.NewHTTPClient(transport),
			Backoff:     cfg.backoff,
		})
	}
	c := &Client{req: requester(a.organizations), pageSize: cfg.PageSize, now: time.Now, renew: a.renew}
	if a.clusters != nil {
		c.clusters = requester(a.clusters)
	}
	_, c.apiKey = a.organizations.(cloud.BasicAuth)
	return c, nil
}

// OrganizationsPage returns one page of partner/v2 organizations. With an API key it
// sends nothing and fails with ErrBadRequest.
func (c *Client) OrganizationsPage(ctx context.Context, cursor string) (cloud.Page[cloud.Organization], error) {
	if c.apiKey {
		return cloud.Page[cloud.Organization]{}, fmt.Errorf("list organizations: %w", errAPIKeyOrganizations)
	}
	target, err := c.target(cursor, organizationsPath, url.Values{})
	if err != nil {
		return cloud.Page[cloud.Organization]{}, fmt.Errorf("list organizations: %w", err)
	}
	body, err := c.get(ctx, c.req, target)
	if err != nil {
		return cloud.Page[cloud.Organization]{}, fmt.Errorf("list organizations: %w", err)
	}
	page, err := decodeOrganizationsPage(body, c.firstPage(organizationsPath, url.Values{}), c.now())
	if err != nil {
		return cloud.Page[cloud.Organization]{}, fmt.Errorf("list organizations: %w", err)
	}
	return page, nil
}

// ConnectClustersPage returns one page of the usm/v1 connect clusters of environment.
func (c *Client) ConnectClustersPage(ctx context.Context, environment, cursor string) (cloud.Page[cloud.ConnectCluster], error) {
	if environment == "" {
		return cloud.Page[cloud.ConnectCluster]{}, fmt.Errorf("list connect clusters: %w: an environment is required", cloud.ErrBadRequest)
	}
	if c.clusters == nil {
		return cloud.Page[cloud.ConnectCluster]{}, fmt.Errorf("list connect clusters: %w", errNoIdentityPool)
	}
	query := url.Values{environmentParam: {environment}}
	target, err := c.target(cursor, connectClustersPath, query)
	if err != nil {
		return cloud.Page[cloud.ConnectCluster]{}, fmt.Errorf("list connect clusters of %s: %w", environment, err)
	}
	body, err := c.get(ctx, c.clusters, target)
	if err != nil {
		return cloud.Page[cloud.ConnectCluster]{}, fmt.Errorf("list connect clusters of %s: %w", environment, err)
	}
	page, err := decodeConnectClustersPage(body, c.firstPage(connectClustersPath, query))
	if err != nil {
		return cloud.Page[cloud.ConnectCluster]{}, fmt.Errorf("list connect clusters of %s: %w", environment, err)
	}
	for i := range page.Items {
		if page.Items[i].Environment == "" {
			page.Items[i].Environment = environment
		}
	}
	return page, nil
}

// target is the first page's URL, or the page a cursor names on it. Confluent's next
// links may carry page_token alone, although usm/v1 requires environment and page_size
// defaults to 10: the page is always asked for with the list's own query, at the
// link's page_token (and page_size, when it names one). A cursor is read again
// because cursors outlive clients.
func (c *Client) target(cursor, path string, query url.Values) (string, error) {
	first := c.firstPage(path, query)
	if cursor == "" {
		return first.String(), nil
	}
	return cloud.NextOnList(first, cursor, pageCursor)
}

// pageCursor names the parameters of a next link that carry the place in a list. A
// link naming another environment would list someone else's connect clusters.
var pageCursor = cloud.Cursor{Key: "page_token", Extra: []string{"page_size"}, Same: []string{environmentParam}}

// environmentParam is usm/v1's required query parameter naming the environment.
const environmentParam = "environment"

func (c *Client) firstPage(path string, query url.Values) *url.URL {
	u := c.req.Endpoint().JoinPath(path)
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("page_size", strconv.Itoa(c.pageSize))
	u.RawQuery = q.Encode()
	return u
}

// get returns the raw body so decoding stays a pure, fuzzable function; the Requester
// still checks that it is JSON, and retries when it is not.
func (c *Client) get(ctx context.Context, req *cloud.Requester, target string) ([]byte, error) {
	var raw json.RawMessage
	if err := req.GetJSON(ctx, target, &raw); err != nil {
		if c.renew != nil && errors.Is(err, cloud.ErrUnauthorized) {
			c.renew()
		}
		return nil, err
	}
	return raw, nil
}
