package cloudsim

import (
	"net/http"
	"time"
)

const uaaContentType = "application/json;charset=UTF-8"

// uaaToken serves POST /oauth/token: the password grant (client "cf" with an
// empty secret, as the cf CLI sends it), client_credentials and refresh_token.
func (s *Server) uaaToken(c *call) {
	h := c.w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if err := c.r.ParseForm(); err != nil {
		c.writeJSON(http.StatusBadRequest, uaaContentType, oauthError{"invalid_request", "The request body is not a valid form"})
		return
	}
	c.formCredentials()
	if !c.gate(0, func(wait time.Duration) {
		c.cfInjected429(wait)
		c.writeJSON(http.StatusTooManyRequests, uaaContentType, oauthError{"too_many_requests", "Rate limit exceeded"})
	}, func(status int) {
		c.writeJSON(status, uaaContentType, oauthError{"server_error", "Internal Server Error"})
	}) {
		return
	}
	form := c.r.PostForm
	clientID, clientSecret := c.clientAuth()
	badCredentials := func() {
		h.Set("WWW-Authenticate", `Bearer realm="UAA/oauth", error="unauthorized", error_description="Bad credentials"`)
		c.writeJSON(http.StatusUnauthorized, uaaContentType, oauthError{"unauthorized", "Bad credentials"})
	}
	cfg := s.cfg.CloudFoundry
	all := append([]CFCredential{cfg.Forbidden}, cfg.Credentials...)
	forbidden := func(cred CFCredential) bool { return cred == cfg.Forbidden }

	var who identity
	refresh := false
	switch gt := form.Get("grant_type"); gt {
	case "password":
		if clientID != cfg.PasswordClientID || clientSecret != cfg.PasswordClientSecret {
			badCredentials()
			return
		}
		user, pass := form.Get("username"), form.Get("password")
		found := false
		for _, cred := range all {
			if user != "" && cred.Username == user && cred.Password == pass {
				who, found = identity{provider: ProviderCloudFoundry, principal: cfPrincipal(cred), forbidden: forbidden(cred)}, true
				break
			}
		}
		if !found {
			badCredentials()
			return
		}
		refresh = true
	case "client_credentials":
		found := false
		for _, cred := range all {
			if clientID != "" && cred.ClientID == clientID && cred.ClientSecret == clientSecret {
				who, found = identity{provider: ProviderCloudFoundry, principal: cfPrincipal(cred), forbidden: forbidden(cred)}, true
				break
			}
		}
		if !found {
			badCredentials()
			return
		}
	case "refresh_token":
		id, ok := s.tokens.lookup(ProviderCloudFoundry, form.Get("refresh_token"), true)
		if !ok {
			c.writeJSON(http.StatusUnauthorized, uaaContentType, oauthError{"invalid_token", "Invalid refresh token"})
			return
		}
		who, refresh = id, true
	default:
		c.writeJSON(http.StatusBadRequest, uaaContentType, oauthError{"unsupported_grant_type", "Unsupported grant type: " + gt})
		return
	}

	scope := cfGrantedScope
	if who.forbidden {
		scope = "openid"
	}
	ttl := s.cfg.TokenTTL
	issuer := c.origin() + "/oauth/token"
	out := oauthToken{
		AccessToken: s.tokens.issue(who, ttl, issuer, scope, false),
		TokenType:   "bearer",
		ExpiresIn:   int(ttl.Seconds()),
		Scope:       scope,
		JTI:         randomHex(16),
	}
	if refresh {
		out.RefreshToken = s.tokens.issue(who, 30*24*time.Hour, issuer, scope, true)
	}
	c.writeJSON(http.StatusOK, uaaContentType, out)
}
