package cloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Helpers for decoding remote answers, shared by the providers that decode JSON
// themselves.

// Malformed is a page the API should not have sent. It is classed transient: the
// next sync may well get a sound page, and nothing is pruned meanwhile.
func Malformed(format string, args ...any) error {
	return fmt.Errorf("%w: malformed page: %s", ErrTransient, fmt.Sprintf(format, args...))
}

// Timestamp reads an RFC 3339 date-time into UTC; null or "" leave it zero.
type Timestamp struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t.Time = time.Time{}
	if s == nil || *s == "" {
		return nil
	}
	v, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		return errors.New("timestamp is not RFC 3339")
	}
	t.Time = v.UTC()
	return nil
}

// The URL schemes an endpoint may have.
const (
	schemeHTTPS = "https"
	schemeHTTP  = "http"
)

// ParseEndpoint accepts an absolute URL without user info, query or fragment, for an
// address credentials are sent to: https, or plain http only to a loopback host (tests
// and local simulators), so a secret never crosses a network in clear.
func ParseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != schemeHTTPS && u.Scheme != schemeHTTP) || u.Host == "" {
		return nil, errors.New("not an absolute http(s) URL") // the text may hold user info: not quoted
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q must not carry user info, a query or a fragment", Redacted(u))
	}
	if u.Scheme == schemeHTTP && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%q must use https: credentials go there (plain http only for loopback hosts)", Redacted(u))
	}
	return u, nil
}

// IsLoopback says whether host names this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MaxMessage bounds the provider text kept in an error: it ends up in conditions and events.
const MaxMessage = 512

// TruncateMessage cuts s to MaxMessage bytes on a rune boundary.
func TruncateMessage(s string) string { return Truncate(s, MaxMessage) }

// Truncate cuts s to at most limit bytes on a rune boundary, marking the cut with an
// ellipsis; the result is at most limit bytes plus the ellipsis's three.
func Truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
