package cloudsim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const (
	confluentDefaultPageSize = 10
	confluentMaxPageSize     = 100
	usmMaxPageToken          = 255
)

// confluentOrganizations serves GET /partner/v2/organizations.
func (s *Server) confluentOrganizations(c *call) {
	if !c.confluentAdmit(false) {
		return
	}
	size, tok, ok := c.confluentPaging(0)
	if !ok {
		return
	}
	if !c.gate(tok.page, c.confluentInjected429, c.confluentServerError) {
		return
	}
	coll := s.data.confluentOrgs
	all := func(*ConfluentOrganization) bool { return true }
	p := coll.pageAfter(tok.after, size, all)
	coll.misbehave(&p, tok.after, c.dec)
	data := make([]confluentOrgJSON, 0, len(p.items))
	for _, o := range p.items {
		data = append(data, c.confluentOrgJSON(o))
	}
	q := url.Values{}
	c.confluentRespond("partner/v2", "OrganizationList", "/partner/v2/organizations", q, size, tok, p.more, p.lastKey, p.total, data,
		func(page int) string { return coll.keyBefore(page, size, all) })
}

// confluentOrganization serves GET /partner/v2/organizations/{id}, where an
// item's metadata.self points.
func (s *Server) confluentOrganization(c *call) {
	if !c.confluentAdmit(false) {
		return
	}
	if !c.gate(0, c.confluentInjected429, c.confluentServerError) {
		return
	}
	o, found := s.data.confluentOrgs.Get(c.vars["id"])
	if !found {
		c.confluentFail(http.StatusNotFound, "resource_not_found", "Not Found",
			"The organization '"+c.vars["id"]+"' was not found", "")
		return
	}
	c.writeJSON(http.StatusOK, "application/json", c.confluentOrgJSON(o))
}

// confluentConnectClusters serves GET /usm/v1/connect-clusters?environment=….
func (s *Server) confluentConnectClusters(c *call) {
	if !c.confluentAdmit(true) {
		return
	}
	env := c.r.URL.Query().Get("environment")
	if env == "" {
		c.confluentFail(http.StatusBadRequest, "invalid_input", "Missing Required Parameter",
			"Missing required query parameter: environment", "environment")
		return
	}
	size, tok, ok := c.confluentPaging(usmMaxPageToken)
	if !ok {
		return
	}
	if !c.gate(tok.page, c.confluentInjected429, c.confluentServerError) {
		return
	}
	coll, found := s.data.lookupConnectClusters(env)
	if !found {
		coll = newConnectClusters() // an unknown environment filters everything out
	}
	all := func(*ConnectCluster) bool { return true }
	p := coll.pageAfter(tok.after, size, all)
	coll.misbehave(&p, tok.after, c.dec)
	data := make([]connectClusterJSON, 0, len(p.items))
	for _, cc := range p.items {
		data = append(data, c.connectClusterJSON(cc))
	}
	q := url.Values{"environment": {env}}
	c.confluentRespond("usm/v1", "ConnectClusterList", "/usm/v1/connect-clusters", q, size, tok, p.more, p.lastKey, p.total, data,
		func(page int) string { return coll.keyBefore(page, size, all) })
}

// confluentRespond writes a list page with its first and next links. The first
// link repeats the query (q and page_size); a next link carries page_token alone,
// as the documents' examples show, so a client must add environment and page_size
// itself. keyBefore gives the keyset position of a page, for a looping next link.
func (c *call) confluentRespond(apiVersion, kind, path string, q url.Values, size int, tok pageToken,
	more bool, lastKey string, total int, data any, keyBefore func(page int) string) {
	link := func(t *pageToken) string {
		if t != nil {
			return c.linkOrigin() + path + "?" + url.Values{"page_token": {t.encode()}}.Encode()
		}
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page_size", strconv.Itoa(size))
		return c.linkOrigin() + path + "?" + v.Encode()
	}
	meta := confluentListMeta{First: link(nil), TotalSize: total}
	if more {
		meta.Next = link(&pageToken{page: tok.page + 1, after: lastKey})
	}
	if c.dec.loopTo > 0 {
		meta.Next = link(&pageToken{page: c.dec.loopTo, after: keyBefore(c.dec.loopTo)})
	}
	if c.dec.foreign != "" {
		if meta.Next == "" {
			meta.Next = link(&pageToken{page: tok.page + 1, after: lastKey})
		}
		meta.Next = replaceOrigin(meta.Next, c.dec.foreign)
	}
	if c.dec.placeholder {
		meta.Next = placeholderNext
	}
	c.writeJSON(http.StatusOK, "application/json", confluentList{APIVersion: apiVersion, Kind: kind, Metadata: meta, Data: data})
}

// confluentPaging reads page_size and page_token; maxToken bounds the token length (0: none).
func (c *call) confluentPaging(maxToken int) (int, pageToken, bool) {
	q := c.r.URL.Query()
	size := confluentDefaultPageSize
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > confluentMaxPageSize {
			c.confluentBadParam("page_size", fmt.Sprintf("page_size must be an integer between 1 and %d", confluentMaxPageSize))
			return 0, pageToken{}, false
		}
		size = n
	}
	tok := pageToken{page: 1}
	if v := q.Get("page_token"); v != "" {
		if maxToken > 0 && len(v) > maxToken {
			c.confluentBadParam("page_token", fmt.Sprintf("page_token must be at most %d characters", maxToken))
			return 0, pageToken{}, false
		}
		t, ok := decodePageToken(v)
		if !ok {
			c.confluentBadParam("page_token", "The page token is invalid")
			return 0, pageToken{}, false
		}
		tok = t
	}
	return size, tok, true
}

// confluentAdmit authenticates the request and spends one request of the
// caller's budget; it writes the answer and returns false when refused.
// apiKeyOK says whether the endpoint takes a Cloud API key (HTTP basic):
// usm/v1 does, partner/v2 (security: oauth) takes bearer tokens only.
func (c *call) confluentAdmit(apiKeyOK bool) bool {
	c.w.Header().Set("X-Request-Id", newUUID())
	id, status := c.s.confluentIdentity(c, apiKeyOK)
	idpTokenTaken := apiKeyOK && c.s.cfg.Confluent.IdentityProviderTokensOnUSM
	if status == 0 && !id.static && id.sts != apiKeyOK && !idpTokenTaken {
		// usm/v1 (the list that takes API keys) takes STS tokens, partner/v2 the
		// identity provider's: the other kind of token is refused.
		c.confluentRateHeaders(c.s.limiter(ProviderConfluent).peek("anonymous", time.Now()))
		detail := "partner/v2 takes an OAuth token from the identity provider, not a Confluent STS token"
		if apiKeyOK {
			detail = "usm/v1 takes a Cloud API key or a Confluent STS access token, not the identity provider's token"
		}
		c.confluentFail(http.StatusUnauthorized, "user_unauthenticated", "Authentication Required", detail, "")
		return false
	}
	if status != 0 {
		c.confluentRateHeaders(c.s.limiter(ProviderConfluent).peek("anonymous", time.Now()))
		if status == http.StatusForbidden {
			c.confluentFail(status, "user_unauthorized", "User Access Unauthorized",
				"The principal '"+id.principal+"' is not allowed to access the resource", "")
		} else {
			c.confluentFail(status, "user_unauthenticated", "Authentication Required",
				"Valid authentication credentials must be provided", "")
		}
		return false
	}
	c.id = id
	now := time.Now()
	b := c.s.limiter(ProviderConfluent).take(id.principal, now)
	c.confluentRateHeaders(b)
	if !b.allowed {
		c.confluentTooMany(b.reset.Sub(now))
		return false
	}
	return true
}

// confluentRateHeaders sets the X-RateLimit-* headers; Reset is relative seconds.
func (c *call) confluentRateHeaders(b budget) {
	if !b.enabled {
		return
	}
	h := c.w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(b.remaining))
	h.Set("X-RateLimit-Reset", strconv.Itoa(secondsUntil(b.reset, time.Now())))
}

// confluentInjected429 answers a fault's 429 with a coherent budget: nothing
// left until Retry-After.
func (c *call) confluentInjected429(wait time.Duration) {
	h := c.w.Header()
	if h.Get("X-RateLimit-Limit") != "" {
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", strconv.Itoa(secondsUntil(time.Now().Add(wait), time.Now())))
	}
	c.confluentTooMany(wait)
}

// confluentIdentity checks HTTP basic (API key, where apiKeyOK) or bearer
// credentials. It returns a status of 401 or 403 when they are refused; basic
// auth where no API key is taken is 401, whatever the key.
func (s *Server) confluentIdentity(c *call, apiKeyOK bool) (identity, int) {
	cfg := s.cfg.Confluent
	match := func(a, b string) bool { return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	if key, secret, ok := c.r.BasicAuth(); ok {
		if !apiKeyOK {
			return identity{}, http.StatusUnauthorized
		}
		for _, cred := range cfg.Credentials {
			if match(cred.APIKey, key) && match(cred.APISecret, secret) {
				return identity{provider: ProviderConfluent, principal: confluentPrincipal(cred), static: true}, 0
			}
		}
		if match(cfg.Forbidden.APIKey, key) && match(cfg.Forbidden.APISecret, secret) {
			return identity{principal: confluentPrincipal(cfg.Forbidden)}, http.StatusForbidden
		}
		return identity{}, http.StatusUnauthorized
	}
	token, ok := c.bearer()
	if !ok {
		return identity{}, http.StatusUnauthorized
	}
	for _, cred := range cfg.Credentials {
		if match(cred.Token, token) {
			return identity{provider: ProviderConfluent, principal: confluentPrincipal(cred), static: true}, 0
		}
	}
	if match(cfg.Forbidden.Token, token) {
		return identity{principal: confluentPrincipal(cfg.Forbidden)}, http.StatusForbidden
	}
	return s.tokens.bearerStatus(ProviderConfluent, token)
}

// confluentPrincipal names a credential for budgets and logs: every form of
// one credential is the same principal.
func confluentPrincipal(c ConfluentCredential) string {
	switch {
	case c.APIKey != "":
		return c.APIKey
	case c.ClientID != "":
		return c.ClientID
	}
	return staticTokenPrincipal(c.Token)
}
