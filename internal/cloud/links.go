package cloud

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

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

// Cursor names the query parameters of a list's next links that carry its place:
// Key must be in every next link (page, page_token, $skipToken), Extra may come with it
// (a page size the page numbers count in). Same names parameters that pick the list
// itself (usm/v1's environment): a link may repeat them only with the list's own
// value, since one naming another list has lost its place. Names match
// case-insensitively.
type Cursor struct {
	Key   string
	Extra []string
	Same  []string
}

// NextOnList turns a next link into the request for the following page on the
// configured list: list (the first page's URL, on the configured origin, with the
// list's own query) with the cursor's parameters taken from link. The link's scheme,
// host, port and path are ignored: a remote names its next page from its configured
// external domain, which need not be the address it was reached by, and nothing but
// the configured origin ever gets a request (or credentials). A link that does not
// parse, or whose cursor cannot be read (no Key, a parameter given twice or empty), is
// refused with ErrUnsafe: following it could loop back to the first page.
func NextOnList(list *url.URL, link string, cur Cursor) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("%w: next link does not parse", ErrUnsafe)
	}
	// An opaque cursor may hold what url.ParseQuery refuses elsewhere in the query (a
	// ";"): the parameters that did parse are still read.
	have, _ := url.ParseQuery(u.RawQuery)
	take := map[string]string{}
	for _, name := range append([]string{cur.Key}, cur.Extra...) {
		for k, vs := range have {
			if !strings.EqualFold(k, name) {
				continue
			}
			if _, twice := take[name]; twice || len(vs) != 1 {
				return "", fmt.Errorf("%w: next link gives %s more than once", ErrUnsafe, name)
			}
			if vs[0] == "" {
				return "", fmt.Errorf("%w: next link gives an empty %s", ErrUnsafe, name)
			}
			take[name] = vs[0]
		}
	}
	if _, ok := take[cur.Key]; !ok {
		return "", fmt.Errorf("%w: next link carries no %s to continue from", ErrUnsafe, cur.Key)
	}
	q := list.Query()
	for _, name := range cur.Same {
		for k, vs := range have {
			if strings.EqualFold(k, name) && slices.ContainsFunc(vs, func(v string) bool { return v != q.Get(name) }) {
				return "", fmt.Errorf("%w: next link asks for %s %q, not %q", ErrUnsafe, name, strings.Join(vs, ","), q.Get(name))
			}
		}
	}
	next := *list
	for k := range q {
		// The list's own spelling of a cursor parameter gives way to the link's value.
		for name := range take {
			if strings.EqualFold(k, name) {
				q.Del(k)
			}
		}
	}
	for name, v := range take {
		q.Set(name, v)
	}
	next.RawQuery = q.Encode()
	next.Fragment = ""
	return next.String(), nil
}
