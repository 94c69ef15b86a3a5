package cloudsim

import (
	"net/http"
	"slices"
	"strconv"
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
	c.rec.Scope = c.r.PostForm.Get("scope")
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

// The token exchange's fixed form values (sts/v1, RFC 8693).
const (
	stsGrantType          = "urn:ietf:params:oauth:grant-type:token-exchange"
	stsSubjectTokenType   = "urn:ietf:params:oauth:token-type:jwt"
	stsRequestedTokenType = "urn:ietf:params:oauth:token-type:access_token"
	stsMaxLifetime        = 900
)

// stsReply is sts.v1.TokenExchangeReply.
type stsReply struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int    `json:"expires_in"`
}

// confluentSTSToken serves POST /sts/v1/oauth2/token: an identity provider's token
// (one /oauth2/token issued) and an identity pool id in, a Confluent STS token out.
// Errors use Confluent's {"errors":[...]} shape, as the sts/v1 document gives them.
func (s *Server) confluentSTSToken(c *call) {
	c.w.Header().Set("X-Request-Id", newUUID())
	c.w.Header().Set("Cache-Control", "no-store")
	if err := c.r.ParseForm(); err != nil {
		c.confluentFail(http.StatusBadRequest, "invalid_request", "Invalid Request", "The request body is not a valid form", "")
		return
	}
	if c.r.PostForm.Get("subject_token") != "" {
		c.rec.Credentials = true
	}
	if !c.gate(0, func(wait time.Duration) { c.confluentInjected429(wait) }, func(status int) {
		c.confluentFail(status, "server_error", "Oops, something went wrong!", "", "")
	}) {
		return
	}
	form := c.r.PostForm
	for _, f := range []struct{ name, want string }{
		{"grant_type", stsGrantType},
		{"subject_token_type", stsSubjectTokenType},
		{"requested_token_type", stsRequestedTokenType},
	} {
		if form.Get(f.name) != f.want {
			c.confluentFail(http.StatusBadRequest, "invalid_request", "Invalid Request", f.name+" must be "+f.want, f.name)
			return
		}
	}
	ttl := min(s.cfg.TokenTTL, stsMaxLifetime*time.Second)
	if v := form.Get("expires_in"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > stsMaxLifetime {
			c.confluentFail(http.StatusBadRequest, "invalid_request", "Invalid Request", "expires_in must be between 1 and 900", "expires_in")
			return
		}
		ttl = min(ttl, time.Duration(n)*time.Second)
	}
	subject, ok := s.tokens.lookup(ProviderConfluent, form.Get("subject_token"), false)
	if !ok || subject.sts {
		c.confluentFail(http.StatusUnauthorized, "invalid_token", "Authentication Required",
			"The subject token is not a valid token of a trusted identity provider", "")
		return
	}
	if !slices.Contains(s.cfg.Confluent.IdentityPools, form.Get("identity_pool_id")) {
		c.confluentFail(http.StatusBadRequest, "invalid_identity_pool", "Invalid Identity Pool",
			"The identity pool '"+form.Get("identity_pool_id")+"' does not exist or does not admit this identity", "identity_pool_id")
		return
	}
	subject.sts = true
	token := s.tokens.issue(subject, ttl, c.origin(), "", false)
	c.writeJSON(http.StatusOK, "application/json", stsReply{AccessToken: token, IssuedTokenType: stsRequestedTokenType,
		TokenType: "Bearer", ExpiresIn: int(ttl.Seconds())})
}
