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

func TestRedacted(t *testing.T) {
	got := Redacted(mustURL(t, "https://user:pass@api.example.com/v2/organizations?page_token=secret#frag"))
	if want := "https://api.example.com/v2/organizations"; got != want {
		t.Errorf("Redacted = %q, want %q", got, want)
	}
}

func TestNextOnList(t *testing.T) {
	cfV3 := Cursor{Key: "page", Extra: []string{"per_page"}}
	confluent := Cursor{Key: "page_token", Extra: []string{"page_size"}}
	azure := Cursor{Key: "$skipToken"}
	tests := []struct {
		name string
		list string
		link string
		cur  Cursor
		want string // "" means refused with ErrUnsafe
	}{
		{"same origin", "https://api.example.com/v3/organizations?per_page=5000",
			"https://api.example.com/v3/organizations?page=2&per_page=5000", cfV3,
			"https://api.example.com/v3/organizations?page=2&per_page=5000"},
		{"external domain: only the cursor is kept", "https://10.0.0.1:8443/v3/organizations?names=a&per_page=5000",
			"https://api.sys.example.com/v3/organizations?names=a&page=2&per_page=5000", cfV3,
			"https://10.0.0.1:8443/v3/organizations?names=a&page=2&per_page=5000"},
		{"another path and query on the link", "https://api.example.com/v3/organizations?names=a&per_page=50",
			"https://evil.example/elsewhere?names=b&page=3&label_selector=x", cfV3,
			"https://api.example.com/v3/organizations?names=a&page=3&per_page=50"},
		{"relative link", "https://api.example.com/v2/organizations?order-direction=asc&results-per-page=100",
			"/v2/organizations?order-direction=desc&page=2&results-per-page=100", Cursor{Key: "page", Extra: []string{"results-per-page"}},
			"https://api.example.com/v2/organizations?order-direction=asc&page=2&results-per-page=100"},
		{"user info and fragment on the link are dropped", "https://api.confluent.cloud/partner/v2/organizations?page_size=100",
			"https://user:pass@other.example/x?page_token=UvmDWOB1iwfAIBPj6EYb#f", confluent,
			"https://api.confluent.cloud/partner/v2/organizations?page_size=100&page_token=UvmDWOB1iwfAIBPj6EYb"},
		{"a page_size the link names wins", "https://api.confluent.cloud/usm/v1/connect-clusters?environment=env-1&page_size=100",
			"https://api.confluent.cloud/usm/v1/connect-clusters?page_token=t&page_size=10", confluent,
			"https://api.confluent.cloud/usm/v1/connect-clusters?environment=env-1&page_size=10&page_token=t"},
		{"name in another case, opaque token kept", "https://management.azure.com/subscriptions/s/providers/Microsoft.Confluent/organizations?api-version=2024-07-01",
			"https://management.azure.com/subscriptions/s/providers/Microsoft.Confluent/organizations?api-version=2023-01-01&$skiptoken=a%2Bb%3D%3D", azure,
			"https://management.azure.com/subscriptions/s/providers/Microsoft.Confluent/organizations?%24skipToken=a%2Bb%3D%3D&api-version=2024-07-01"},
		{"a query part that does not parse beside the cursor", "https://api.example.com/l",
			"https://api.example.com/l?x=%zz&page_token=abc", confluent, "https://api.example.com/l?page_token=abc"},

		{"no cursor (a placeholder link)", "https://api.example.com/l", "string", azure, ""},
		{"only the extra parameter", "https://api.example.com/l", "https://api.example.com/l?per_page=10", cfV3, ""},
		{"empty cursor", "https://api.example.com/l", "https://api.example.com/l?page_token=", confluent, ""},
		{"cursor twice", "https://api.example.com/l", "https://api.example.com/l?page=2&page=3", cfV3, ""},
		{"cursor twice in two spellings", "https://api.example.com/l", "https://api.example.com/l?$skipToken=a&$SKIPTOKEN=b", azure, ""},
		{"does not parse", "https://api.example.com/l", "https://api.example.com/%zz?page=2", cfV3, ""},
		{"control character", "https://api.example.com/l", "https://api.example.com/\x00?page=2", cfV3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NextOnList(mustURL(t, tt.list), tt.link, tt.cur)
			if tt.want == "" {
				if !errors.Is(err, ErrUnsafe) {
					t.Fatalf("NextOnList(%q) = %q, %v; want ErrUnsafe", tt.link, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NextOnList(%q): %v", tt.link, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// A cursor is read the same way again on resumption: the result is stable.
			again, err := NextOnList(mustURL(t, tt.list), got, tt.cur)
			if err != nil || again != got {
				t.Errorf("again: %q, %v; want %q", again, err, got)
			}
		})
	}
}
