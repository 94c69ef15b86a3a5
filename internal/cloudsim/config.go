package cloudsim

import (
	"time"
)

// Config describes the simulated remote world. The zero value is usable: every
// field left at its zero value takes the default documented on it.
//
// Item counts follow one convention: 0 means "the default", a negative number
// means "none".
type Config struct {
	// Seed makes the generated data reproducible: the same seed gives the same items.
	Seed uint64

	// PublicURL, when set, is the origin used in every absolute link the server
	// writes (Confluent next links, ARM nextLink, CF v3 hrefs, OpenID configuration).
	// When empty, the origin the request was addressed to (scheme and Host header) is used.
	PublicURL string
	// TLSHosts are extra DNS names or IP addresses for the self-signed certificate;
	// 127.0.0.1, ::1 and localhost are always included.
	TLSHosts []string

	// TokenTTL is the lifetime of every OAuth access token issued (default 3599s).
	TokenTTL time.Duration
	// RequestLogLimit bounds the request log; the oldest entries are dropped (default 100,000).
	RequestLogLimit int

	Confluent    ConfluentConfig
	Azure        AzureConfig
	CloudFoundry CloudFoundryConfig
}

// ConfluentConfig configures the Confluent Cloud partner/v2 and usm/v1 APIs.
type ConfluentConfig struct {
	// Organizations is the number of partner/v2 organizations (default 50).
	Organizations int
	// Environments lists the environments that hold connect clusters
	// (default env-00000 and env-00001).
	Environments []string
	// ConnectClustersPerEnvironment is the number of connect clusters in each environment (default 20).
	ConnectClustersPerEnvironment int
	// Credentials are the accepted identities (default: DefaultConfluentCredential).
	Credentials []ConfluentCredential
	// Forbidden is an identity that authenticates but is refused with 403
	// (default: DefaultConfluentForbidden).
	Forbidden ConfluentCredential
	// RateLimit is the budget of each identity across the Confluent list endpoints
	// (default 1000 requests per 60s window).
	RateLimit Window
	// IdentityPools are the identity pools the STS exchanges tokens with (default
	// DefaultConfluentIdentityPool).
	IdentityPools []string
	// IdentityProviderTokensOnUSM makes usm/v1 take the OAuth endpoint's own tokens,
	// as cloudsim did before it had the STS; by default it refuses them, as Confluent
	// Cloud does, and takes STS tokens, API keys and static tokens.
	IdentityProviderTokensOnUSM bool
}

// ConfluentCredential is one Confluent identity; any of its three forms may be used.
type ConfluentCredential struct {
	// APIKey and APISecret are a Cloud API key, sent as HTTP basic auth.
	APIKey, APISecret string
	// Token is a static bearer token.
	Token string
	// ClientID and ClientSecret obtain bearer tokens from POST /oauth2/token.
	ClientID, ClientSecret string
}

// AzureConfig configures Azure AD and the ARM Microsoft.Confluent/organizations API.
type AzureConfig struct {
	// Subscriptions lists the existing subscriptions (default 00000000-0000-0000-0000-000000000000).
	Subscriptions []string
	// ResourceGroups is the number of resource groups per subscription the
	// organizations are spread over (default 3; named orgsync-rg-1 …).
	ResourceGroups int
	// OrganizationsPerSubscription is the number of organizations in each subscription (default 50).
	OrganizationsPerSubscription int
	// PageSize is the server-chosen list page size (default 100).
	PageSize int
	// APIVersions are the accepted api-version values (default 2024-07-01).
	APIVersions []string
	// Credentials are the accepted identities (default: DefaultAzureCredential).
	Credentials []AzureCredential
	// Forbidden authenticates but is refused with 403 AuthorizationFailed
	// (default: DefaultAzureForbidden).
	Forbidden AzureCredential
	// Throttle is ARM's read token bucket, per subscription and principal
	// (default 250 tokens refilled at 25 per second).
	Throttle TokenBucket
	// SubscriptionThrottle is the subscription's own read bucket, which every
	// principal draws on, reported in x-ms-ratelimit-remaining-subscription-global-reads.
	// Off unless Capacity is set.
	SubscriptionThrottle TokenBucket
}

// AzureCredential is one Azure AD service principal, or a static ARM bearer token.
type AzureCredential struct {
	TenantID, ClientID, ClientSecret string
	// Token is a static bearer token accepted by ARM.
	Token string
}

// CloudFoundryConfig configures the Cloud Controller (v2 and v3) and UAA.
type CloudFoundryConfig struct {
	// Organizations is the number of organizations (default 50).
	Organizations int
	// DisableV2 switches the /v2 API off at start (see Server.SetCFV2Enabled).
	DisableV2 bool
	// Credentials are the accepted identities (default: DefaultCFCredential).
	Credentials []CFCredential
	// Forbidden obtains tokens without the cloud_controller.read scope, so the
	// Cloud Controller answers 403 CF-NotAuthorized (default: DefaultCFForbidden).
	Forbidden CFCredential
	// PasswordClientID and PasswordClientSecret are the UAA client used with the
	// password grant (default "cf" and the empty secret, as the cf CLI uses).
	PasswordClientID, PasswordClientSecret string
	// RateLimit is the per-user budget (default 2000 requests per hour).
	RateLimit Window
	// RetryAfterEpoch makes a 429's Retry-After carry the reset time as UTC epoch
	// seconds, as some Cloud Controller releases do, instead of a number of seconds.
	RetryAfterEpoch bool
	// V2RateLimit is the v2 API's own per-user budget, counted on /v2 requests besides
	// RateLimit and reported in X-RateLimit-*-V2-API headers; its 429 says
	// CF-RateLimitV2APIExceeded. Off unless Limit is set, as on a foundation whose
	// operator did not configure it.
	V2RateLimit Window
	// ExactRemaining reports X-RateLimit-Remaining as it is. By default it is rounded
	// down to a tenth of the limit, as the Cloud Controller's limiters do.
	ExactRemaining bool
	// PlainText429 labels 429 bodies text/plain, as some routers in front of a Cloud
	// Controller do; the body is the same JSON.
	PlainText429 bool
}

// CFCredential is one Cloud Foundry identity; any of its forms may be used.
type CFCredential struct {
	// Username and Password are used with the UAA password grant.
	Username, Password string
	// ClientID and ClientSecret are used with the UAA client_credentials grant.
	ClientID, ClientSecret string
	// Token is a static bearer token.
	Token string
}

// Window is a fixed-window request budget.
type Window struct {
	// Limit is the number of requests allowed per window.
	Limit int
	// Window is the length of a window.
	Window time.Duration
	// Disabled turns the budget off; no rate-limit headers are sent then.
	Disabled bool
}

// TokenBucket is a refilling request budget, as Azure Resource Manager uses.
type TokenBucket struct {
	Capacity        int
	RefillPerSecond float64
}

// Default credentials, used when the corresponding Config field is left empty.
var (
	DefaultConfluentCredential = ConfluentCredential{
		APIKey: "CSIMAPIKEY000001", APISecret: "csim-api-secret-0000000000000001",
		Token:    "csim-confluent-token",
		ClientID: "csim-confluent-client", ClientSecret: "csim-confluent-client-secret",
	}
	DefaultConfluentIdentityPool = "pool-csim01"
	DefaultConfluentForbidden    = ConfluentCredential{
		APIKey: "CSIMFORBIDDEN001", APISecret: "csim-forbidden-secret",
		Token:    "csim-confluent-forbidden-token",
		ClientID: "csim-confluent-forbidden-client", ClientSecret: "csim-confluent-forbidden-secret",
	}
	DefaultAzureCredential = AzureCredential{
		TenantID:     "10000000-0000-0000-0000-000000000001",
		ClientID:     "20000000-0000-0000-0000-000000000001",
		ClientSecret: "csim-azure-client-secret",
		Token:        "csim-azure-token",
	}
	DefaultAzureForbidden = AzureCredential{
		TenantID:     "10000000-0000-0000-0000-000000000001",
		ClientID:     "20000000-0000-0000-0000-0000000000f0",
		ClientSecret: "csim-azure-forbidden-secret",
		Token:        "csim-azure-forbidden-token",
	}
	DefaultCFCredential = CFCredential{
		Username: "admin", Password: "csim-admin-password",
		ClientID: "csim-cf-client", ClientSecret: "csim-cf-client-secret",
		Token: "csim-cf-token",
	}
	DefaultCFForbidden = CFCredential{
		Username: "auditor", Password: "csim-auditor-password",
		ClientID: "csim-cf-forbidden-client", ClientSecret: "csim-cf-forbidden-secret",
		Token: "csim-cf-forbidden-token",
	}
)

// DefaultAzureSubscription is the subscription that exists when none are configured.
const DefaultAzureSubscription = "00000000-0000-0000-0000-000000000000"

// AzureAPIVersion is the ARM api-version accepted by default.
const AzureAPIVersion = "2024-07-01"

const defaultItems = 50

// withDefaults returns c with every unset field given its default.
func (c Config) withDefaults() Config {
	if c.TokenTTL <= 0 {
		c.TokenTTL = 3599 * time.Second
	}
	if c.RequestLogLimit <= 0 {
		c.RequestLogLimit = 100_000
	}
	c.Confluent = c.Confluent.withDefaults()
	c.Azure = c.Azure.withDefaults()
	c.CloudFoundry = c.CloudFoundry.withDefaults()
	return c
}

func (c ConfluentConfig) withDefaults() ConfluentConfig {
	c.Organizations = count(c.Organizations, defaultItems)
	if len(c.Environments) == 0 {
		c.Environments = []string{"env-00000", "env-00001"}
	}
	c.ConnectClustersPerEnvironment = count(c.ConnectClustersPerEnvironment, 20)
	if len(c.Credentials) == 0 {
		c.Credentials = []ConfluentCredential{DefaultConfluentCredential}
	}
	if c.Forbidden == (ConfluentCredential{}) {
		c.Forbidden = DefaultConfluentForbidden
	}
	c.RateLimit = c.RateLimit.withDefaults(1000, time.Minute)
	if len(c.IdentityPools) == 0 {
		c.IdentityPools = []string{DefaultConfluentIdentityPool}
	}
	return c
}

func (c AzureConfig) withDefaults() AzureConfig {
	if len(c.Subscriptions) == 0 {
		c.Subscriptions = []string{DefaultAzureSubscription}
	}
	if c.ResourceGroups <= 0 {
		c.ResourceGroups = 3
	}
	c.OrganizationsPerSubscription = count(c.OrganizationsPerSubscription, defaultItems)
	if c.PageSize <= 0 {
		c.PageSize = 100
	}
	if len(c.APIVersions) == 0 {
		c.APIVersions = []string{AzureAPIVersion}
	}
	if len(c.Credentials) == 0 {
		c.Credentials = []AzureCredential{DefaultAzureCredential}
	}
	if c.Forbidden == (AzureCredential{}) {
		c.Forbidden = DefaultAzureForbidden
	}
	c.Throttle = c.Throttle.withDefaults()
	return c
}

func (c CloudFoundryConfig) withDefaults() CloudFoundryConfig {
	c.Organizations = count(c.Organizations, defaultItems)
	if len(c.Credentials) == 0 {
		c.Credentials = []CFCredential{DefaultCFCredential}
	}
	if c.Forbidden == (CFCredential{}) {
		c.Forbidden = DefaultCFForbidden
	}
	if c.PasswordClientID == "" {
		c.PasswordClientID = "cf"
	}
	c.RateLimit = c.RateLimit.withDefaults(2000, time.Hour)
	return c
}

func (w Window) withDefaults(limit int, window time.Duration) Window {
	if w.Limit <= 0 {
		w.Limit = limit
	}
	if w.Window <= 0 {
		w.Window = window
	}
	return w
}

func (b TokenBucket) withDefaults() TokenBucket {
	if b.Capacity <= 0 {
		b.Capacity = 250
	}
	if b.RefillPerSecond <= 0 {
		b.RefillPerSecond = 25
	}
	return b
}

// count applies the item-count convention: 0 is the default, negative is none.
func count(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}
