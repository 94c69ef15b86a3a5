package cloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
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

// ParseEndpoint accepts an absolute http(s) URL without user info, query or fragment.
func ParseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("not an absolute http(s) URL") // the text may hold user info: not quoted
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q must not carry user info, a query or a fragment", Redacted(u))
	}
	return u, nil
}

// MaxMessage bounds the provider text kept in an error: it ends up in conditions and events.
const MaxMessage = 512

// TruncateMessage cuts s to MaxMessage bytes on a rune boundary.
func TruncateMessage(s string) string {
	if len(s) <= MaxMessage {
		return s
	}
	n := MaxMessage
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
