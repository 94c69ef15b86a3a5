// Package azure lists Microsoft.Confluent organizations through Azure Resource Manager.
//
// Requests go through azcore's ARM pipeline (bearer tokens, api-version, retries of
// 408/5xx) with armconfluent's models for the wire format. The generated pager cannot
// start mid-list, and a listing must resume at the page a rate limit refused, so each
// page is fetched on its own with runtime.FetcherForNextLink and the nextLink is the
// cursor.
package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/orgsync/orgsync/internal/cloud"
)

const (
	// APIVersion is the Microsoft.Confluent api-version every request (nextLink pages
	// included) is sent with; armconfluent v1.2.0 itself would ask for 2023-08-22.
	APIVersion = "2024-07-01"
	// DefaultEndpoint is Azure Resource Manager in the public cloud.
	DefaultEndpoint = "https://management.azure.com"
	// DefaultAuthorityHost is Microsoft Entra ID in the public cloud.
	DefaultAuthorityHost = "https://login.microsoftonline.com/"

	moduleName    = "github.com/orgsync/orgsync/internal/cloud/azure"
	moduleVersion = "v0.1.0"

	tryTimeout   = 30 * time.Second
	maxBodyBytes = 16 << 20
)

// Config says where and as whom to list. Exactly one of Credential, Token and the
// TenantID/ClientID/ClientSecret triple must be set.
type Config struct {
	// Endpoint is the Resource Manager base URL (default DefaultEndpoint). Plain http is
	// accepted only for loopback hosts, for tests and local simulators.
	Endpoint string
	// Audience is the token audience for Endpoint. It defaults to the public cloud's
	// for the public endpoint, the sovereign clouds' for theirs, and to Endpoint itself
	// otherwise.
	Audience       string
	SubscriptionID string
	// ResourceGroup, when set, lists that resource group instead of the subscription.
	ResourceGroup string
	// AuthorityHost is the Microsoft Entra ID host (default DefaultAuthorityHost).
	AuthorityHost string

	TenantID     string
	ClientID     string
	ClientSecret string
	// Token is a static bearer token, used as is until it expires.
	Token string
	// Credential is any other identity (workload identity, a test fake).
	Credential azcore.TokenCredential

	// Budget is the account's rate budget, shared by all its lists (default: a new one).
	Budget *cloud.Budget
	// Transport carries both the Resource Manager and the token requests (default: a
	// client that refuses redirects). An *http.Client is copied with redirects refused.
	Transport policy.Transporter
}

// Client lists one account's Microsoft.Confluent organizations. It implements
// cloud.Provider.
type Client struct {
	endpoint      *url.URL
	subscription  string
	resourceGroup string
	firstPath     string
	subPrefix     string
	// firstPage is the list's first page: the endpoint, the list's path, api-version.
	firstPage *url.URL
	budget    *cloud.Budget
	arm       *arm.Client
	// tokenRefused is the origin guard's refusal of a token request, if any.
	tokenRefused *atomic.Pointer[cloud.OriginError]
}

var _ cloud.Provider = (*Client)(nil)

// retryOptions retry 408 and 5xx a few times with short pauses. 429 is left out on
// purpose: a throttled request comes back at once and becomes a RateLimitedError, so
// the caller requeues for as long as Retry-After says instead of a worker sleeping.
var retryOptions = policy.RetryOptions{
	MaxRetries:    2,
	RetryDelay:    250 * time.Millisecond,
	MaxRetryDelay: 2 * time.Second,
	TryTimeout:    tryTimeout,
	StatusCodes: []int{
		http.StatusRequestTimeout,
		http.StatusInternalServerError,
		http.StatusBadGateway,
		http.StatusServiceUnavailable,
		http.StatusGatewayTimeout,
	},
}

// New validates cfg and builds the client. Errors never contain the credentials.
func New(cfg Config) (*Client, error) {
	return newClient(cfg, retryOptions)
}

func newClient(cfg Config, retry policy.RetryOptions) (*Client, error) {
	endpoint, err := parseBaseURL("endpoint", cfg.Endpoint, DefaultEndpoint)
	if err != nil {
		return nil, err
	}
	authority, err := parseBaseURL("authority host", cfg.AuthorityHost, DefaultAuthorityHost)
	if err != nil {
		return nil, err
	}
	sub := strings.TrimSpace(cfg.SubscriptionID)
	if sub == "" || strings.ContainsAny(sub, "/?#%") {
		return nil, errors.New("azure: a subscription ID is required (a UUID)")
	}
	rg := strings.TrimSpace(cfg.ResourceGroup)
	if len(rg) > 90 || strings.ContainsAny(rg, "/?#%") {
		return nil, errors.New("azure: the resource group name is not valid")
	}
	budget := cfg.Budget
	if budget == nil {
		budget = cloud.NewBudget()
	}
	transport := noRedirects(cfg.Transport)
	tokenRefused := &atomic.Pointer[cloud.OriginError]{}
	cred, err := credential(cfg, authority, refusalMemo{next: transport, refused: tokenRefused})
	if err != nil {
		return nil, err
	}

	subPrefix := "/subscriptions/" + url.PathEscape(sub) + "/"
	firstPath := subPrefix + "providers/Microsoft.Confluent/organizations"
	if rg != "" {
		firstPath = subPrefix + "resourceGroups/" + url.PathEscape(rg) + "/providers/Microsoft.Confluent/organizations"
	}
	c := &Client{endpoint: endpoint, subscription: sub, resourceGroup: rg, firstPath: firstPath, subPrefix: subPrefix, budget: budget, tokenRefused: tokenRefused}
	c.firstPage = endpoint.JoinPath(firstPath)
	c.firstPage.RawQuery = url.Values{"api-version": {APIVersion}}.Encode()

	base := strings.TrimSuffix(endpoint.String(), "/")
	opts := &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			APIVersion: APIVersion,
			Cloud: azcloud.Configuration{
				ActiveDirectoryAuthorityHost: authority.String(),
				Services: map[azcloud.ServiceName]azcloud.ServiceConfiguration{
					azcloud.ResourceManager: {Endpoint: base, Audience: audience(cfg.Audience, endpoint)},
				},
			},
			Retry:                           retry,
			PerRetryPolicies:                []policy.Policy{figuresPolicy{budget: budget}},
			Transport:                       &guardedTransport{origin: endpoint, next: transport},
			InsecureAllowCredentialWithHTTP: endpoint.Scheme == "http",
			Telemetry:                       policy.TelemetryOptions{ApplicationID: "orgsync"},
		},
		// Registering the resource provider is a write the operator must never make.
		DisableRPRegistration: true,
	}
	c.arm, err = arm.NewClient(moduleName, moduleVersion, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("azure: building the Resource Manager client: %w", err)
	}
	return c, nil
}

// OrganizationsPage implements cloud.Provider. The cursor is the page the nextLink of
// the page before named, on the configured list; it is read again before use.
func (c *Client) OrganizationsPage(ctx context.Context, cursor string) (cloud.Page[cloud.Organization], error) {
	var none cloud.Page[cloud.Organization]
	next := ""
	if cursor != "" {
		var err error
		if next, err = c.nextPage(cursor); err != nil {
			return none, err
		}
	}
	if err := c.budget.Admit(ctx); err != nil {
		return none, err
	}
	resp, err := runtime.FetcherForNextLink(ctx, c.arm.Pipeline(), next, c.firstPageRequest, nil)
	if err != nil {
		return none, c.classify(ctx, err)
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return none, &cloud.APIError{Kind: cloud.ErrTransient, Status: resp.StatusCode, Message: "reading the organization list failed"}
	}
	list, err := decodeList(body)
	if err != nil {
		return none, err
	}
	items, err := c.organizations(list.Value)
	if err != nil {
		return none, err
	}
	page := cloud.Page[cloud.Organization]{Items: items}
	if list.NextLink != nil && *list.NextLink != "" {
		if page.Next, err = c.nextPage(*list.NextLink); err != nil {
			return none, err
		}
	}
	return page, nil
}

// ConnectClustersPage implements cloud.Provider: Azure has no connect clusters.
func (c *Client) ConnectClustersPage(context.Context, string, string) (cloud.Page[cloud.ConnectCluster], error) {
	return cloud.Page[cloud.ConnectCluster]{}, fmt.Errorf("azure connect clusters: %w", cloud.ErrUnsupported)
}

func (c *Client) firstPageRequest(ctx context.Context) (*policy.Request, error) {
	req, err := runtime.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(c.endpoint.String(), c.firstPath))
	if err != nil {
		return nil, err
	}
	q := req.Raw().URL.Query()
	q.Set("api-version", APIVersion)
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header.Set("Accept", "application/json")
	return req, nil
}

// skipToken carries the place in an ARM list; ARM spells it $skipToken or $skiptoken.
var skipToken = cloud.Cursor{Key: "$skipToken"}

// nextPage is the request for the page a nextLink names: the account's own list on
// the endpoint, at the link's skip token. The link's host and path are not followed,
// so a link into another subscription cannot read it under this account's name.
func (c *Client) nextPage(link string) (string, error) {
	return cloud.NextOnList(c.firstPage, link, skipToken)
}

// parseBaseURL accepts https, or http for loopback hosts only.
func parseBaseURL(what, raw, def string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("azure: the %s must be an absolute URL", what)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("azure: the %s must be a bare origin (scheme, host, port)", what)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !cloud.IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("azure: the %s must use https (plain http only for loopback hosts)", what)
		}
	default:
		return nil, fmt.Errorf("azure: the %s must use https", what)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Path = "/"
	return u, nil
}

// knownClouds pairs the Resource Manager endpoints of Azure's clouds with their token
// audiences and authority hosts (where instance discovery works).
var knownClouds = []struct{ endpoint, audience, authority string }{
	{"https://management.azure.com", "https://management.core.windows.net/", azcloud.AzurePublic.ActiveDirectoryAuthorityHost},
	{"https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn/", azcloud.AzureChina.ActiveDirectoryAuthorityHost},
	{"https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net/", azcloud.AzureGovernment.ActiveDirectoryAuthorityHost},
}

func audience(configured string, endpoint *url.URL) string {
	if configured = strings.TrimSpace(configured); configured != "" {
		return configured
	}
	base := strings.TrimSuffix(endpoint.String(), "/")
	for _, k := range knownClouds {
		if strings.EqualFold(base, k.endpoint) {
			return k.audience
		}
	}
	return base
}

func knownAuthority(authority *url.URL) bool {
	for _, k := range knownClouds {
		if strings.EqualFold(authority.String(), k.authority) {
			return true
		}
	}
	return false
}

// credential picks the one identity cfg names.
func credential(cfg Config, authority *url.URL, transport policy.Transporter) (azcore.TokenCredential, error) {
	secret := cfg.TenantID != "" || cfg.ClientID != "" || cfg.ClientSecret != ""
	n := 0
	for _, set := range []bool{cfg.Credential != nil, cfg.Token != "", secret} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, cloud.CredentialsErrorf("azure: configure exactly one of tenantID+clientID+clientSecret, token, or a credential")
	}
	switch {
	case cfg.Credential != nil:
		return cfg.Credential, nil
	case cfg.Token != "":
		return staticToken(cfg.Token), nil
	}
	if cfg.TenantID == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, cloud.CredentialsErrorf("azure: tenantID, clientID and clientSecret are all required")
	}
	opts := &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     azcloud.Configuration{ActiveDirectoryAuthorityHost: authority.String()},
			Transport: transport,
			Retry: policy.RetryOptions{
				MaxRetries: 1, RetryDelay: 250 * time.Millisecond, MaxRetryDelay: 2 * time.Second, TryTimeout: tryTimeout,
			},
		},
		// Instance discovery asks the public cloud's authority; a private or simulated
		// authority has to be trusted as configured.
		DisableInstanceDiscovery: !knownAuthority(authority),
	}
	cred, err := azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret, opts)
	if err != nil {
		// azidentity's validation messages name the invalid field, never the secret.
		return nil, fmt.Errorf("azure: client secret credential: %w", err)
	}
	return cred, nil
}

// staticToken is a bearer token handed to us as is.
type staticToken string

// GetToken implements azcore.TokenCredential. The expiry is unknown; an hour ahead
// keeps azcore from refreshing on every request, and a 401 expires it anyway.
func (t staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// noRedirects returns t with redirects refused: following one could carry the bearer
// token to another origin.
func noRedirects(t policy.Transporter) policy.Transporter {
	switch hc := t.(type) {
	case nil:
		return cloud.NewHTTPClient(nil)
	case *http.Client:
		c := *hc
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return &c
	default:
		return t
	}
}

// refusalMemo carries token requests and remembers the origin guard's refusal of one:
// azidentity keeps only the text of the errors it wraps, and a refused authority must
// stall the account, not be retried as an unreachable one.
type refusalMemo struct {
	next    policy.Transporter
	refused *atomic.Pointer[cloud.OriginError]
}

func (m refusalMemo) Do(req *http.Request) (*http.Response, error) {
	resp, err := m.next.Do(req)
	if oe, ok := cloud.AsOriginError(err); ok {
		m.refused.Store(oe)
	}
	return resp, err
}
