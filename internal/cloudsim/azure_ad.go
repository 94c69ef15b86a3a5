package cloudsim

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Azure AD, as MSAL for Go (used by azidentity) calls it with a custom
// authority host and instance discovery disabled: it GETs
// {host}/{tenant}/v2.0/.well-known/openid-configuration (no query), requires
// authorization_endpoint, token_endpoint and issuer, and checks that the issuer
// has the authority's scheme and host; then it POSTs a form to token_endpoint
// with grant_type=client_credentials, client_id, client_secret and
// scope="<resource>/.default openid offline_access profile".

type aadError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri,omitempty"`
}

type aadToken struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
}

func (c *call) aadFail(status int, code string, aadsts int, description string) {
	c.writeJSON(status, "application/json; charset=utf-8", aadError{
		Error:            code,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s Trace ID: %s", aadsts, description, newUUID()),
		ErrorCodes:       []int{aadsts},
		Timestamp:        time.Now().UTC().Format("2006-01-02 15:04:05Z"),
		TraceID:          newUUID(),
		CorrelationID:    newUUID(),
		ErrorURI:         c.origin() + "/error?code=" + fmt.Sprint(aadsts),
	})
}

// knownTenant reports whether any configured Azure identity lives in tenant.
func (s *Server) knownTenant(tenant string) bool {
	for _, cred := range append([]AzureCredential{s.cfg.Azure.Forbidden}, s.cfg.Azure.Credentials...) {
		if cred.TenantID != "" && strings.EqualFold(cred.TenantID, tenant) {
			return true
		}
	}
	return false
}

// azureOpenIDConfig serves GET /{tenant}/v2.0/.well-known/openid-configuration.
func (s *Server) azureOpenIDConfig(c *call) {
	c.w.Header().Set("Cache-Control", "max-age=86400, private")
	tenant := c.vars["tenant"]
	if !s.knownTenant(tenant) {
		c.aadFail(http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf(
			"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	if !c.gate(0, c.aadTooMany, c.aadServerError) {
		return
	}
	base := c.origin() + "/" + tenant
	c.writeJSON(http.StatusOK, "application/json; charset=utf-8", map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     c.origin() + "/oidc/userinfo",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"kerberos_endpoint":                     base + "/kerberos",
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   "cloudsim",
		"cloud_graph_host_name":                 "graph.windows.net",
		"msgraph_host":                          "graph.microsoft.com",
		"rbac_url":                              "https://pas.windows.net",
	})
}

// azureToken serves POST /{tenant}/oauth2/v2.0/token (client_credentials).
func (s *Server) azureToken(c *call) {
	c.w.Header().Set("Cache-Control", "no-store, no-cache")
	if err := c.r.ParseForm(); err != nil {
		c.aadFail(http.StatusBadRequest, "invalid_request", 900144, "The request body must be a form.")
		return
	}
	c.formCredentials()
	if !c.gate(0, c.aadTooMany, c.aadServerError) {
		return
	}
	tenant := c.vars["tenant"]
	form := c.r.PostForm
	if gt := form.Get("grant_type"); gt != "client_credentials" {
		c.aadFail(http.StatusBadRequest, "unsupported_grant_type", 70003,
			fmt.Sprintf("The app requested an unsupported grant type '%s'.", gt))
		return
	}
	audience, ok := defaultScope(form.Get("scope"))
	if form.Get("scope") == "" {
		c.aadFail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
		return
	}
	if !ok {
		c.aadFail(http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf(
			"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
			form.Get("scope")))
		return
	}
	clientID, secret := c.clientAuth()
	cred, forbidden, found := s.azureClient(tenant, clientID)
	if !found {
		c.aadFail(http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory '%s'.", clientID, tenant))
		return
	}
	if secret == "" || secret != cred.ClientSecret {
		c.aadFail(http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. "+
			"Ensure the secret being sent in the request is the client secret value, not the client secret ID, "+
			"for a secret added to app '"+clientID+"'.")
		return
	}
	ttl := s.cfg.TokenTTL
	id := identity{provider: ProviderAzure, principal: cred.ClientID, forbidden: forbidden, audience: audience}
	token := s.tokens.issue(id, ttl, c.origin()+"/"+tenant+"/v2.0", "", false)
	secs := int(ttl.Seconds())
	c.writeJSON(http.StatusOK, "application/json; charset=utf-8", aadToken{TokenType: "Bearer", ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: token})
}

// azureClient finds a configured client of the tenant.
func (s *Server) azureClient(tenant, clientID string) (AzureCredential, bool, bool) {
	if clientID == "" {
		return AzureCredential{}, false, false
	}
	for _, cred := range s.cfg.Azure.Credentials {
		if cred.ClientID == clientID && strings.EqualFold(cred.TenantID, tenant) {
			return cred, false, true
		}
	}
	f := s.cfg.Azure.Forbidden
	if f.ClientID == clientID && strings.EqualFold(f.TenantID, tenant) {
		return f, true, true
	}
	return AzureCredential{}, false, false
}

// defaultScope returns the resource of the one "<resource>/.default" scope;
// the OpenID scopes MSAL adds are allowed beside it.
func defaultScope(scope string) (string, bool) {
	resource := ""
	for _, sc := range strings.Fields(scope) {
		switch {
		case sc == "openid" || sc == "offline_access" || sc == "profile":
		case strings.HasSuffix(sc, "/.default") && resource == "":
			resource = strings.TrimSuffix(sc, "/.default")
		default:
			return "", false
		}
	}
	return resource, resource != ""
}

func (c *call) aadTooMany(wait time.Duration) {
	c.w.Header().Set("Retry-After", fmt.Sprint(secondsUntil(time.Now().Add(wait), time.Now())))
	c.aadFail(http.StatusTooManyRequests, "temporarily_unavailable", 50196, "The server is temporarily throttling requests.")
}

func (c *call) aadServerError(status int) {
	c.aadFail(status, "temporarily_unavailable", 50001, "The service is temporarily unavailable.")
}
