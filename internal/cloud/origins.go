package cloud

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrOriginNotAllowed marks a request refused before it was sent: its origin is not
// one the credentials' owner allowed. Retrying will not change that.
var ErrOriginNotAllowed = errors.New("origin not allowed for these credentials")

// OriginError is a request the origin guard refused. It names the refused origin (the
// account's own configuration, or a link the allowed remote returned), never the
// allowed list, which belongs to the Secret's owner.
type OriginError struct {
	// Origin is scheme://host[:port] of the refused request.
	Origin string
}

func (e *OriginError) Error() string {
	return fmt.Sprintf("%s: nothing was sent to %s: the credentials Secret does not allow it "+
		"(its owner can add the origin to the Secret's origins annotation)", ErrOriginNotAllowed, e.Origin)
}

// Is makes the error match ErrOriginNotAllowed and ErrUnsafe: like a foreign next
// link, it is an address the client refuses to follow.
func (e *OriginError) Is(target error) bool {
	return target == ErrOriginNotAllowed || target == ErrUnsafe
}

// NonRetriable tells azcore's retry policy (errorinfo.NonRetriable) not to try again.
func (*OriginError) NonRetriable() {}

// AsOriginError returns the refusal inside err, if any. Callers return it rather than
// err: the wrapping *url.Error quotes the whole URL, page tokens included.
func AsOriginError(err error) (*OriginError, bool) {
	var oe *OriginError
	ok := errors.As(err, &oe)
	return oe, ok
}

// originEntry is one allowed origin, or URL prefix when path is set.
type originEntry struct {
	scheme, host, port string
	// path is "" for a whole origin, or a path prefix ending in "/" that a request's
	// path must start with (or equal without the trailing "/").
	path string
	// exact says path is one URL's whole path, not a prefix.
	exact bool
}

// Origins is the set of places credentials may be sent: whole origins
// (scheme://host[:port]) and URL prefixes (scheme://host[:port]/path/, matched on
// whole path segments, the way Argo CD matches repository credentials by URL prefix).
// The zero value allows nothing.
type Origins struct {
	entries []originEntry
}

// ParseOrigins reads a list of origins or URL prefixes separated by commas or white
// space. Each must be https, or plain http to a loopback host, without user info,
// query or fragment. Errors count entries instead of quoting them: the list is the
// Secret owner's, and they end up in a status anyone reading the account can see.
func ParseOrigins(value string) (Origins, error) {
	fields := strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	var o Origins
	for i, f := range fields {
		e, err := parseOriginEntry(f)
		if err != nil {
			return Origins{}, fmt.Errorf("entry %d of %d %w", i+1, len(fields), err)
		}
		o.entries = append(o.entries, e)
	}
	return o, nil
}

// ExactURL allows one URL and nothing under it, such as a token endpoint the
// Secret itself names.
func ExactURL(s string) (Origins, error) {
	e, err := parseOriginEntry(s)
	if err != nil {
		return Origins{}, err
	}
	u, _ := url.Parse(s) // parsed above
	e.path, e.exact = u.Path, true
	return Origins{entries: []originEntry{e}}, nil
}

// MustOrigins parses a fixed list (the providers' documented defaults).
func MustOrigins(values ...string) Origins {
	o, err := ParseOrigins(strings.Join(values, ","))
	if err != nil {
		panic(err)
	}
	return o
}

func parseOriginEntry(s string) (originEntry, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return originEntry{}, errors.New("is not an absolute URL (scheme://host[:port][/path/])")
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != schemeHTTPS && scheme != schemeHTTP:
		return originEntry{}, errors.New("is not an http(s) URL")
	case scheme == schemeHTTP && !IsLoopback(u.Hostname()):
		return originEntry{}, errors.New("uses plain http to a host that is not loopback; credentials go only over https")
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return originEntry{}, errors.New("carries user info, a query or a fragment")
	case hasDotSegment(u.Path):
		return originEntry{}, errors.New("has a . or .. path segment")
	}
	e := originEntry{scheme: scheme, host: strings.ToLower(u.Hostname()), port: effectivePort(u)}
	if p := u.Path; p != "" && p != "/" {
		e.path = strings.TrimSuffix(p, "/") + "/"
	}
	return e, nil
}

// Len is the number of entries.
func (o Origins) Len() int { return len(o.entries) }

// Union is o with more's entries added.
func (o Origins) Union(more Origins) Origins {
	return Origins{entries: append(append([]originEntry(nil), o.entries...), more.entries...)}
}

// Allows says whether a request to u may go out.
func (o Origins) Allows(u *url.URL) bool {
	for _, e := range o.entries {
		if e.matches(u) {
			return true
		}
	}
	return false
}

func (e originEntry) matches(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, e.scheme) || !strings.EqualFold(u.Hostname(), e.host) || effectivePort(u) != e.port {
		return false
	}
	if e.exact {
		return u.Path == e.path
	}
	if e.path == "" {
		return true
	}
	// A path with dot segments could climb out of the prefix on a server that cleans
	// it; u.Path is decoded, so %2e%2e and %2f are caught too. Some servers also read
	// "..;" as ".." (path parameters, as Tomcat does) or "\" as "/" (as IIS does), so
	// a prefix is never matched by a path that holds either.
	if hasDotSegment(u.Path) || strings.ContainsAny(u.Path, `;\`) {
		return false
	}
	return u.Path+"/" == e.path || strings.HasPrefix(u.Path, e.path)
}

func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// Bounds on response bodies, for every request through the guard. Token answers
// (POST) are a few kilobytes; list pages are bounded again, tighter, by their clients.
// These are the backstop for what reads bodies itself (the identity libraries).
const (
	maxTokenBodyBytes = 1 << 20
	maxPageBodyBytes  = 2 * defaultMaxBodyBytes
)

// errBodyTooLarge is a response body beyond the guard's bound.
var errBodyTooLarge = fmt.Errorf("%w: response body larger than the client accepts", ErrUnsafe)

// GuardOrigins wraps next so that a request goes out only when allowed says its
// origin may receive the credentials, and its response body is bounded. It is the one
// check every provider's requests pass (API pages, token requests, discovery): the
// refusal happens before anything is sent, whatever built the URL.
func GuardOrigins(allowed Origins, next http.RoundTripper) http.RoundTripper {
	return &originGuard{allowed: allowed, next: next}
}

type originGuard struct {
	allowed Origins
	next    http.RoundTripper
}

func (g *originGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if !g.allowed.Allows(req.URL) {
		if req.Body != nil {
			_ = req.Body.Close() // a RoundTripper closes the body even when it sends nothing
		}
		return nil, &OriginError{Origin: originOf(req.URL)}
	}
	limit := int64(maxPageBodyBytes)
	if req.Method == http.MethodPost {
		limit = maxTokenBodyBytes
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &boundedBody{ReadCloser: resp.Body, left: limit}
	return resp, nil
}

// originOf renders scheme://host[:port].
func originOf(u *url.URL) string {
	return (&url.URL{Scheme: strings.ToLower(u.Scheme), Host: u.Host}).String()
}

// boundedBody fails a read past its bound instead of handing over more.
type boundedBody struct {
	io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the bound from a longer one.
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n > 0 {
			return 0, errBodyTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
