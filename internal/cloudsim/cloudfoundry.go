package cloudsim

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"
)

const (
	cfV2Version    = "2.251.0"
	cfV3Version    = "3.186.0"
	cfContentType  = "application/json;charset=utf-8"
	cfGrantedScope = "cloud_controller.read cloud_controller.write openid"
)

// SetCFV2Enabled switches the Cloud Controller /v2 API on or off. Off, every
// /v2 path answers 404 CF-NotFound and the root document omits cloud_controller_v2.
func (s *Server) SetCFV2Enabled(on bool) { s.cfV2.Store(on) }

type cfLink struct {
	Href string            `json:"href"`
	Meta map[string]string `json:"meta,omitempty"`
}

// cfRoot serves GET /, the v3-style API root.
func (s *Server) cfRoot(c *call) {
	c.cfHeaders()
	if !c.gate(0, c.cfV3TooMany, c.cfV3ServerError) {
		return
	}
	o := c.origin()
	// A Cloud Controller names UAA by its configured address, like its links: a client
	// that reached the API by another address discovers the external UAA.
	uaa := c.linkOrigin()
	links := map[string]any{
		"bits_service":        nil,
		"cloud_controller_v3": cfLink{Href: o + "/v3", Meta: map[string]string{"version": cfV3Version}},
		"credhub":             nil,
		"login":               cfLink{Href: uaa},
		"uaa":                 cfLink{Href: uaa},
	}
	links["self"] = cfLink{Href: o}
	if s.cfV2.Load() {
		links["cloud_controller_v2"] = cfLink{Href: o + "/v2", Meta: map[string]string{"version": cfV2Version}}
	}
	c.writeJSON(http.StatusOK, cfContentType, map[string]any{"links": links})
}

// cfInfo serves GET /v2/info; token_endpoint is UAA's base URL.
func (s *Server) cfInfo(c *call) {
	c.cfHeaders()
	if !s.cfV2.Load() {
		c.cfV2Fail(http.StatusNotFound, 10000, "CF-NotFound", "Unknown request")
		return
	}
	if !c.gate(0, c.cfV2TooMany, c.cfV2ServerError) {
		return
	}
	c.writeJSON(http.StatusOK, cfContentType, map[string]any{
		"name":                        "cloudsim",
		"build":                       "cloudsim",
		"support":                     "",
		"version":                     0,
		"description":                 "Cloud Foundry simulator",
		"authorization_endpoint":      c.linkOrigin(),
		"token_endpoint":              c.linkOrigin(),
		"min_cli_version":             nil,
		"min_recommended_cli_version": nil,
		"api_version":                 cfV2Version,
		"osbapi_version":              "2.15",
	})
}

func (s *Server) cfV2NotFound(c *call) {
	c.cfHeaders()
	c.cfV2Fail(http.StatusNotFound, 10000, "CF-NotFound", "Unknown request")
}

func (s *Server) cfV3NotFound(c *call) {
	c.cfHeaders()
	c.cfV3Fail(http.StatusNotFound, 10010, "CF-ResourceNotFound", "Unknown request")
}

func (c *call) cfHeaders() {
	h := c.w.Header()
	h.Set("X-VCAP-Request-ID", newUUID())
	h.Set("X-Content-Type-Options", "nosniff")
}

// cfAdmit authenticates the bearer token and spends one request of the user's
// budget. v3 selects the error shape. It writes the answer and returns false
// when the request is refused.
func (c *call) cfAdmit(v3 bool) bool {
	fail := c.cfV2Fail
	if v3 {
		fail = func(status, code int, title, detail string) { c.cfV3Fail(status, code, title, detail) }
	}
	id, status := c.s.cfIdentity(c)
	switch status {
	case http.StatusUnauthorized:
		if c.r.Header.Get("Authorization") == "" {
			fail(status, 10002, "CF-NotAuthenticated", "Authentication error")
		} else {
			fail(status, 1000, "CF-InvalidAuthToken", "Invalid Auth Token")
		}
		return false
	case http.StatusForbidden:
		fail(status, 10003, "CF-NotAuthorized", "You are not authorized to perform the requested action")
		return false
	}
	c.id = id
	now := time.Now()
	b := c.s.limiter(ProviderCloudFoundry).take(id.principal, now)
	c.cfRateHeaders(b, "")
	if !b.allowed {
		c.cfRetryAfter(b.reset)
		c.cfPlain429()
		fail(http.StatusTooManyRequests, 10013, "CF-RateLimitExceeded", "Rate Limit Exceeded")
		return false
	}
	if !v3 {
		b := c.s.cfV2Limit.take(id.principal, now)
		c.cfRateHeaders(b, "-V2-API")
		if !b.allowed {
			c.cfRetryAfter(b.reset)
			c.cfPlain429()
			fail(http.StatusTooManyRequests, 10018, "CF-RateLimitV2APIExceeded", "Rate Limit of V2 API Exceeded. Please consider using the V3 API")
			return false
		}
	}
	return true
}

// cfPlain429 marks the coming 429 to be labelled text/plain, where configured.
func (c *call) cfPlain429() {
	if c.s.cfg.CloudFoundry.PlainText429 {
		c.plain = true
	}
}

// cfRateHeaders sets X-RateLimit-*<suffix>; Reset is UTC epoch seconds. Remaining is
// rounded down to a tenth of the limit unless ExactRemaining says otherwise.
func (c *call) cfRateHeaders(b budget, suffix string) {
	if !b.enabled {
		return
	}
	remaining := b.remaining
	if step := b.limit / 10; step > 1 && !c.s.cfg.CloudFoundry.ExactRemaining {
		remaining = remaining / step * step
	}
	h := c.w.Header()
	h.Set("X-RateLimit-Limit"+suffix, strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining"+suffix, strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset"+suffix, strconv.FormatInt(epochCeil(b.reset), 10))
}

func (c *call) cfRetryAfter(reset time.Time) {
	v := strconv.Itoa(secondsUntil(reset, time.Now()))
	if c.s.cfg.CloudFoundry.RetryAfterEpoch {
		v = strconv.FormatInt(epochCeil(reset), 10)
	}
	c.w.Header().Set("Retry-After", v)
}

// cfInjected429 gives a fault's 429 a coherent budget: nothing left until Retry-After.
func (c *call) cfInjected429(wait time.Duration) {
	reset := time.Now().Add(time.Duration(secondsUntil(time.Now().Add(wait), time.Now())) * time.Second)
	h := c.w.Header()
	if h.Get("X-RateLimit-Limit") != "" {
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(epochCeil(reset), 10))
	}
	c.cfRetryAfter(reset)
}

func (c *call) cfV2TooMany(wait time.Duration) {
	c.cfInjected429(wait)
	c.cfPlain429()
	c.cfV2Fail(http.StatusTooManyRequests, 10013, "CF-RateLimitExceeded", "Rate Limit Exceeded")
}

func (c *call) cfV3TooMany(wait time.Duration) {
	c.cfInjected429(wait)
	c.cfPlain429()
	c.cfV3Fail(http.StatusTooManyRequests, 10013, "CF-RateLimitExceeded", "Rate Limit Exceeded")
}

func (c *call) cfV2ServerError(status int) {
	c.cfV2Fail(status, 10001, "UnknownError", "An unknown error occurred.")
}

func (c *call) cfV3ServerError(status int) {
	c.cfV3Fail(status, 10001, "UnknownError", "An unknown error occurred.")
}

// cfV2Fail writes the v2 error shape.
func (c *call) cfV2Fail(status, code int, errorCode, description string) {
	c.writeJSON(status, c.cfErrorType(), map[string]any{"description": description, "error_code": errorCode, "code": code})
}

// cfV3Fail writes the v3 error shape.
func (c *call) cfV3Fail(status, code int, title, detail string) {
	c.writeJSON(status, c.cfErrorType(), map[string]any{
		"errors": []map[string]any{{"detail": detail, "title": title, "code": code}},
	})
}

// cfErrorType is an error body's Content-Type: JSON, or text/plain for a 429 so marked.
func (c *call) cfErrorType() string {
	if c.plain {
		return "text/plain; charset=utf-8"
	}
	return cfContentType
}

// cfIdentity checks the bearer token; it returns 401 or 403 when refused.
func (s *Server) cfIdentity(c *call) (identity, int) {
	token, ok := c.bearer()
	if !ok {
		return identity{}, http.StatusUnauthorized
	}
	match := func(a string) bool { return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(token)) == 1 }
	cfg := s.cfg.CloudFoundry
	for _, cred := range cfg.Credentials {
		if match(cred.Token) {
			return identity{provider: ProviderCloudFoundry, principal: cfPrincipal(cred)}, 0
		}
	}
	if match(cfg.Forbidden.Token) {
		return identity{}, http.StatusForbidden
	}
	return s.tokens.bearerStatus(ProviderCloudFoundry, token)
}

func cfPrincipal(c CFCredential) string {
	switch {
	case c.Username != "":
		return c.Username
	case c.ClientID != "":
		return c.ClientID
	}
	return staticTokenPrincipal(c.Token)
}

func epochCeil(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
