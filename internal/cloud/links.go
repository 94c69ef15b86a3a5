package cloud

import (
	"fmt"
	"net/url"
	"strings"
)

// ResolveNext resolves a next-page link against the configured endpoint and accepts it
// only when it stays on the endpoint's origin (scheme, host and port). A relative link
// (Cloud Foundry v2's next_url) resolves against the endpoint. Anything else could send
// our credentials to a host the user never configured.
func ResolveNext(endpoint *url.URL, next string) (string, error) {
	ref, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("%w: next link does not parse", ErrUnsafe)
	}
	u := endpoint.ResolveReference(ref)
	if !SameOrigin(endpoint, u) {
		return "", fmt.Errorf("%w: next link leaves the endpoint's origin for %s://%s", ErrUnsafe, u.Scheme, u.Host)
	}
	if u.User != nil {
		return "", fmt.Errorf("%w: next link carries user info", ErrUnsafe)
	}
	return u.String(), nil
}

// SameOrigin compares scheme, host and effective port.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case schemeHTTPS:
		return "443"
	case schemeHTTP:
		return "80"
	}
	return ""
}

// Redacted renders a URL for messages and logs: no user info, no query.
func Redacted(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}
