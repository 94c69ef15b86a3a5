package cloudsim

import (
	"net/http"
	"time"
)

type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

type oauthToken struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	JTI          string `json:"jti,omitempty"`
}

// confluentToken serves POST /oauth2/token: the client_credentials grant, with
// the client authenticated by HTTP basic auth or by client_id/client_secret form fields.
func (s *Server) confluentToken(c *call) {
	c.w.Header().Set("X-Request-Id", newUUID())
	c.w.Header().Set("Cache-Control", "no-store")
	if err := c.r.ParseForm(); err != nil {
		c.writeJSON(http.StatusBadRequest, "application/json", oauthError{"invalid_request", "The request body is not a valid form"})
		return
	}
	c.formCredentials()
	if !c.gate(0, func(wait time.Duration) { c.confluentInjected429(wait) }, func(status int) {
		c.writeJSON(status, "application/json", oauthError{"server_error", "Oops, something went wrong!"})
	}) {
		return
	}
	if gt := c.r.PostForm.Get("grant_type"); gt != "client_credentials" {
		c.writeJSON(http.StatusBadRequest, "application/json", oauthError{"unsupported_grant_type", "grant_type must be client_credentials"})
		return
	}
	id, secret := c.clientAuth()
	cfg := s.cfg.Confluent
	var who *identity
	for _, cred := range cfg.Credentials {
		if cred.ClientID != "" && cred.ClientID == id && cred.ClientSecret == secret {
			who = &identity{provider: ProviderConfluent, principal: confluentPrincipal(cred)}
		}
	}
	if cfg.Forbidden.ClientID != "" && cfg.Forbidden.ClientID == id && cfg.Forbidden.ClientSecret == secret {
		who = &identity{provider: ProviderConfluent, principal: confluentPrincipal(cfg.Forbidden), forbidden: true}
	}
	if who == nil {
		c.w.Header().Set("WWW-Authenticate", `Basic realm="oauth2"`)
		c.writeJSON(http.StatusUnauthorized, "application/json", oauthError{"invalid_client", "Client authentication failed"})
		return
	}
	ttl := s.cfg.TokenTTL
	token := s.tokens.issue(*who, ttl, c.origin(), "", false)
	c.writeJSON(http.StatusOK, "application/json", oauthToken{AccessToken: token, TokenType: "Bearer", ExpiresIn: int(ttl.Seconds())})
}
