package cloud

import (
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestResolveNext(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		next     string
		want     string // "" means refused with ErrUnsafe
	}{
		{"relative path (Cloud Foundry next_url)", "https://api.example.com", "/v2/organizations?order-direction=asc&page=2&results-per-page=100",
			"https://api.example.com/v2/organizations?order-direction=asc&page=2&results-per-page=100"},
		{"relative query only", "https://api.example.com/v2/organizations", "?page=2", "https://api.example.com/v2/organizations?page=2"},
		{"absolute, same origin (Confluent metadata.next)", "https://api.confluent.cloud",
			"https://api.confluent.cloud/partner/v2/organizations?page_size=100&page_token=UvmDWOB1iwfAIBPj6EYb",
			"https://api.confluent.cloud/partner/v2/organizations?page_size=100&page_token=UvmDWOB1iwfAIBPj6EYb"},
		{"host in another case", "https://api.example.com", "https://API.Example.COM/x", "https://API.Example.COM/x"},
		{"explicit default https port on the link", "https://api.example.com", "https://api.example.com:443/x", "https://api.example.com:443/x"},
		{"explicit default port on the endpoint", "https://api.example.com:443", "https://api.example.com/x", "https://api.example.com/x"},
		{"explicit default http port", "http://127.0.0.1", "http://127.0.0.1:80/x", "http://127.0.0.1:80/x"},
		{"same non-default port", "https://127.0.0.1:8443", "https://127.0.0.1:8443/x", "https://127.0.0.1:8443/x"},
		{"dot segments stay on the origin", "https://api.example.com/v2/", "../../../x", "https://api.example.com/x"},

		{"other host", "https://api.example.com", "https://evil.example/x", ""},
		{"suffix host", "https://api.example.com", "https://api.example.com.evil.example/x", ""},
		{"trailing-dot host", "https://api.example.com", "https://api.example.com./x", ""},
		{"other port", "https://api.example.com", "https://api.example.com:8443/x", ""},
		{"default port of the other scheme", "https://api.example.com", "https://api.example.com:80/x", ""},
		{"other scheme", "https://api.example.com", "http://api.example.com/x", ""},
		{"other scheme, same port", "https://api.example.com:443", "http://api.example.com:443/x", ""},
		{"user info", "https://api.example.com", "https://user:pass@api.example.com/x", ""},
		{"user info hiding another host", "https://api.example.com", "https://api.example.com@evil.example/x", ""},
		{"protocol-relative", "https://api.example.com", "//evil.example/x", ""},
		{"opaque", "https://api.example.com", "javascript:alert(1)", ""},
		{"backslashes", "https://api.example.com", `https:\\evil.example\x`, ""},
		{"does not parse", "https://api.example.com", "https://api.example.com/%zz", ""},
		{"control character", "https://api.example.com", "https://api.example.com/\x00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveNext(mustURL(t, tt.endpoint), tt.next)
			if tt.want == "" {
				if !errors.Is(err, ErrUnsafe) {
					t.Fatalf("ResolveNext(%q) = %q, %v; want ErrUnsafe", tt.next, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ResolveNext(%q): %v", tt.next, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	got := Redacted(mustURL(t, "https://user:pass@api.example.com/v2/organizations?page_token=secret#frag"))
	if want := "https://api.example.com/v2/organizations"; got != want {
		t.Errorf("Redacted = %q, want %q", got, want)
	}
}
