package cloudsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// call is one request in flight.
type call struct {
	s    *Server
	r    *http.Request
	w    *recorder
	ep   Endpoint
	vars map[string]string
	rec  RequestRecord
	// plain labels an error body text/plain (cfPlain429).
	plain bool
	id    identity
	dec   decision
}

// recorder counts a request the moment its status is written, before the
// client can see any of the answer, so counters are exact when a response arrives.
type recorder struct {
	http.ResponseWriter
	status   int
	onStatus func(status int)
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		r.onStatus(code)
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

// writeJSON sends v. A truncate fault cuts the body in half, leaving invalid JSON.
func (c *call) writeJSON(status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("cloudsim: encode response: " + err.Error())
	}
	body := buf.Bytes()
	h := c.w.Header()
	h.Set("Content-Type", contentType)
	if c.dec.truncate {
		body = body[:len(body)/2]
	} else {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

// origin is the scheme and host absolute links are built on.
func (c *call) origin() string {
	if c.s.cfg.PublicURL != "" {
		return strings.TrimSuffix(c.s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host
}

// linkOrigin is the origin a list's links name: the external URL when one is set.
func (c *call) linkOrigin() string {
	if ext := c.s.externalURL.Load(); ext != nil {
		return *ext
	}
	return c.origin()
}

// gate evaluates the faults for this request and answers for them; it returns
// false when a fault (or the client going away during a delay) ended the request.
func (c *call) gate(page int, tooMany func(retryAfter time.Duration), fail func(status int)) bool {
	c.dec = c.s.faults.decide(c.ep, page)
	if c.dec.delay > 0 {
		t := time.NewTimer(c.dec.delay)
		select {
		case <-t.C:
		case <-c.r.Context().Done():
			t.Stop()
			return false
		}
	}
	if f := c.dec.status; f != nil {
		if f.Kind == FaultTooManyRequests {
			tooMany(f.RetryAfter)
		} else {
			fail(f.Status)
		}
		return false
	}
	return true
}

// bearer returns the token of an "Authorization: Bearer …" header (scheme
// compared case-insensitively, as UAA issues "bearer").
func (c *call) bearer() (string, bool) {
	scheme, token, ok := strings.Cut(c.r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// formCredentials notes credentials sent in a token request's form.
func (c *call) formCredentials() {
	for _, k := range []string{"client_secret", "password", "refresh_token", "client_assertion"} {
		if c.r.PostForm.Get(k) != "" {
			c.rec.Credentials = true
		}
	}
}

// clientAuth returns the OAuth client id and secret from HTTP basic auth
// (form-url-decoded, RFC 6749 2.3.1) or from the form.
func (c *call) clientAuth() (id, secret string) {
	if u, p, ok := c.r.BasicAuth(); ok {
		if du, err := url.QueryUnescape(u); err == nil {
			u = du
		}
		if dp, err := url.QueryUnescape(p); err == nil {
			p = dp
		}
		return u, p
	}
	return c.r.PostForm.Get("client_id"), c.r.PostForm.Get("client_secret")
}

// pageToken is the opaque continuation of a keyset-paged list: the page number
// it leads to and the key of the last item already returned.
type pageToken struct {
	page  int
	after string
}

func (t pageToken) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + strconv.Itoa(t.page) + ":" + t.after))
}

func decodePageToken(s string) (pageToken, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageToken{}, false
	}
	v, rest, ok := strings.Cut(string(raw), ":")
	if !ok || v != "v1" {
		return pageToken{}, false
	}
	p, after, ok := strings.Cut(rest, ":")
	n, err := strconv.Atoi(p)
	if !ok || err != nil || n < 1 {
		return pageToken{}, false
	}
	return pageToken{page: n, after: after}, true
}

// replaceOrigin points an absolute or relative link at another origin.
func replaceOrigin(link, origin string) string {
	u, err := url.Parse(link)
	if err != nil {
		return origin + link
	}
	return origin + u.RequestURI()
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
