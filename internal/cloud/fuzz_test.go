package cloud

import (
	"net/http"
	"net/url"
	"testing"
)

func FuzzParseXRateLimit(f *testing.F) {
	f.Add("80", "5", "30", false)          // Confluent, relative
	f.Add("2000", "0", "1767268800", true) // Cloud Foundry, epoch
	f.Add("", "", "", false)
	f.Add("-1", "99999999999", "9223372037", false)
	f.Add("x", " 7 ", "-9223372036854775808", true)
	f.Fuzz(func(t *testing.T, limit, remaining, reset string, epochStyle bool) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-Reset", reset)
		style := ResetRelativeSeconds
		if epochStyle {
			style = ResetEpochSeconds
		}
		f := ParseXRateLimit(h, style, testNow)
		if f.Limit < -1 || f.Remaining < -1 {
			t.Fatalf("negative counts %+v", f)
		}
		if !f.Reset.IsZero() && (f.Reset.Before(testNow) || f.Reset.After(testNow.Add(maxWait))) {
			t.Fatalf("reset %s outside [now, now+%s] for %q", f.Reset, maxWait, reset)
		}
		if w := WaitFor(h, f, testNow); w < 0 || w > maxWait {
			t.Fatalf("WaitFor = %s", w)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{
		"120", "0", "-1", "", "soon", "1.5",
		"Wed, 21 Oct 2015 07:28:00 GMT", "Sunday, 01-Mar-26 12:00:30 GMT", "Sun Mar  1 12:01:00 2026",
		"9223372037", "18446744074", "99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, testNow)
		if d < 0 || d > maxWait {
			t.Fatalf("ParseRetryAfter(%q) = %s, outside [0, %s]", v, d, maxWait)
		}
		if !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %s but not ok", v, d)
		}
		h := http.Header{}
		h.Set("Retry-After", v)
		h.Set("retry-after-ms", v)
		if w := WaitFor(h, UnknownFigures(testNow), testNow); w < 0 || w > maxWait {
			t.Fatalf("WaitFor(%q) = %s", v, w)
		}
	})
}

// FuzzNextOnList: never panics, and an accepted link becomes a request for the list
// itself: its origin, its path, and its own query but for the cursor's parameters.
func FuzzNextOnList(f *testing.F) {
	for _, link := range []string{
		"https://api.sys.example.com/v3/organizations?page=2&per_page=5000",
		"/v2/organizations?order-direction=asc&page=2&results-per-page=100",
		"https://evil.example/x?page=2&page=3",
		"string",
		"//evil.example/x?PAGE=2&names=b",
		"https://api.example.org/%zz?page=2",
		"?page=&per_page=1",
	} {
		f.Add(link)
	}
	list, _ := url.Parse("https://10.0.0.1:8443/v3/organizations?names=a&per_page=50")
	cur := Cursor{Key: "page", Extra: []string{"per_page"}, Same: []string{"names"}}
	f.Fuzz(func(t *testing.T, link string) {
		got, err := NextOnList(list, link, cur)
		if err != nil {
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("NextOnList(%q) = %q, which does not parse: %v", link, got, err)
		}
		if !SameOrigin(list, u) || u.User != nil || u.Path != list.Path || u.Fragment != "" {
			t.Fatalf("NextOnList(%q) = %q, not the list %s", link, got, list)
		}
		q := u.Query()
		if q.Get("page") == "" || q.Get("names") != "a" || len(q) > 3 {
			t.Fatalf("NextOnList(%q) = %q: query %v", link, got, q)
		}
	})
}
