package cloudfoundry

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
)

// rootWith renders an API root linking only the named services, at base.
func rootWith(base string, links ...string) []byte {
	hrefs := map[string]string{
		"cloud_controller_v2": base + "/v2",
		"cloud_controller_v3": base + "/v3",
		"uaa":                 base + "/uaa",
	}
	doc := map[string]map[string]any{"links": {"self": map[string]string{"href": base}}}
	for _, l := range links {
		doc["links"][l] = map[string]string{"href": hrefs[l]}
	}
	b, _ := json.Marshal(doc)
	return b
}

func emptyPage(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+issuedToken {
		cloudtest.WriteJSON(w, http.StatusUnauthorized, []byte(`{"description":"Authentication error","error_code":"CF-NotAuthenticated","code":10002}`))
		return
	}
	cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"resources":[]}`))
}

func TestDiscovery(t *testing.T) {
	tests := []struct {
		name      string
		root      func(base string) []byte // nil: the foundation has no API root
		info      bool                     // serve /v2/info
		edit      func(*Config)
		wantPaths []string
		wantErr   error
	}{
		{name: "v2 and v3 offered: v3", root: func(b string) []byte { return fixture(t, "root.json", b) },
			edit:      withPassword,
			wantPaths: []string{"/", "/uaa/oauth/token", "/v3/organizations"}},
		{name: "a query only v2 can express: v2", root: func(b string) []byte { return fixture(t, "root.json", b) },
			edit:      func(c *Config) { withClient(c); c.Query = []string{"status:active"} },
			wantPaths: []string{"/", "/uaa/oauth/token", "/v2/organizations"}},
		{name: "only v2 offered", root: func(b string) []byte { return rootWith(b, "cloud_controller_v2", "uaa") },
			edit:      withPassword,
			wantPaths: []string{"/", "/uaa/oauth/token", "/v2/organizations"}},
		{name: "no API root: v2, token endpoint from /v2/info", info: true,
			edit:      withPassword,
			wantPaths: []string{"/", "/v2/info", "/uaa/oauth/token", "/v2/organizations"}},
		{name: "root without uaa link: token endpoint from /v2/info", info: true,
			root:      func(b string) []byte { return rootWith(b, "cloud_controller_v2") },
			edit:      withClient,
			wantPaths: []string{"/", "/v2/info", "/uaa/oauth/token", "/v2/organizations"}},
		{name: "configured token URL: no token discovery", root: func(b string) []byte { return rootWith(b, "cloud_controller_v3") },
			edit:      func(c *Config) { withPassword(c); c.TokenURL = c.APIURL + "/uaa/oauth/token" },
			wantPaths: []string{"/", "/uaa/oauth/token", "/v3/organizations"}},
		{name: "only v3 offered, and the query needs v2", root: func(b string) []byte { return rootWith(b, "cloud_controller_v3", "uaa") },
			edit:      func(c *Config) { withPassword(c); c.Query = []string{"status:active"} },
			wantPaths: []string{"/"}, wantErr: cloud.ErrBadRequest},
		{name: "a root that is not a Cloud Controller's", root: func(b string) []byte { return []byte(`{"links":{}}`) },
			edit: withPassword, wantPaths: []string{"/"}, wantErr: cloud.ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := withUAA(newServer(t))
			if tt.root != nil {
				srv.Serve("/", tt.root(srv.URL))
			}
			if tt.info {
				srv.Serve("/v2/info", fixture(t, "v2-info.json", srv.URL))
			}
			srv.Handle("/v2/organizations", emptyPage)
			srv.Handle("/v3/organizations", emptyPage)
			_, err := newClient(t, srv.URL, tt.edit).OrganizationsPage(context.Background(), "")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			noSecrets(t, err)
			if diff := cmp.Diff(tt.wantPaths, srv.Paths()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			// Discovery reads public documents: no credentials go there.
			for _, s := range srv.Seen() {
				if (s.Path == "/" || s.Path == "/v2/info") && s.Auth != "" {
					t.Errorf("%s was sent credentials", s.Path)
				}
			}
		})
	}
}

func TestDiscoveryHappensOnce(t *testing.T) {
	srv := withUAA(newServer(t))
	srv.Serve("/", fixture(t, "root.json", srv.URL))
	srv.Handle("/v3/organizations", emptyPage)
	c := newClient(t, srv.URL, withPassword)
	for range 3 {
		if _, err := c.OrganizationsPage(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"/", "/uaa/oauth/token", "/v3/organizations", "/v3/organizations", "/v3/organizations"}
	if diff := cmp.Diff(want, srv.Paths()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestV2SwitchedOff: a 404 from /v2 is an error, never an empty list, and the next call
// discovers afresh and finds v3.
func TestV2SwitchedOff(t *testing.T) {
	srv := withUAA(newServer(t))
	srv.Serve("/", rootWith(srv.URL, "cloud_controller_v2", "uaa"))
	c := newClient(t, srv.URL, withPassword)
	_, err := c.OrganizationsPage(context.Background(), "")
	if !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	srv.Serve("/", rootWith(srv.URL, "cloud_controller_v3", "uaa"))
	srv.Handle("/v3/organizations", emptyPage)
	if _, err := c.OrganizationsPage(context.Background(), ""); err != nil {
		t.Fatalf("after the switch: %v", err)
	}
	want := []string{"/", "/uaa/oauth/token", "/v2/organizations", "/", "/uaa/oauth/token", "/v3/organizations"}
	if diff := cmp.Diff(want, srv.Paths()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestExplicitV2NotFound(t *testing.T) {
	srv := newServer(t) // serves nothing: every path is 404
	_, err := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V2 }).OrganizationsPage(context.Background(), "")
	if !errors.Is(err, cloud.ErrNotFound) || !strings.Contains(err.Error(), "CF-NotFound") {
		t.Errorf("got %v, want ErrNotFound with CF-NotFound", err)
	}
}

func TestTokenURLFrom(t *testing.T) {
	api, _ := url.Parse("http://api.example.org")
	tests := []struct {
		name, base, want string
		wantErr          error
	}{
		{name: "https elsewhere", base: "https://uaa.example.org", want: "https://uaa.example.org/oauth/token"},
		{name: "https with a path and a slash", base: "https://example.org/uaa/", want: "https://example.org/uaa/oauth/token"},
		{name: "http on the API's origin", base: "http://api.example.org/uaa", want: "http://api.example.org/uaa/oauth/token"},
		{name: "http on loopback", base: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080/oauth/token"},
		{name: "http on localhost", base: "http://localhost:9", want: "http://localhost:9/oauth/token"},
		{name: "http on another host", base: "http://uaa.example.org", wantErr: cloud.ErrUnsafe},
		{name: "http on the API's host, other port", base: "http://api.example.org:8080", wantErr: cloud.ErrUnsafe},
		{name: "user info", base: "https://u:p@uaa.example.org", wantErr: cloud.ErrUnsafe},
		{name: "relative", base: "/uaa", wantErr: cloud.ErrUnsafe},
		{name: "other scheme", base: "ftp://uaa.example.org", wantErr: cloud.ErrUnsafe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tokenURLFrom(tt.base, api)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestUnsafeDiscoveredTokenEndpoint: the password never leaves for plain http elsewhere.
func TestUnsafeDiscoveredTokenEndpoint(t *testing.T) {
	srv := newServer(t)
	srv.Serve("/", []byte(`{"links":{"cloud_controller_v3":{"href":"x"},"uaa":{"href":"http://uaa.example.org"}}}`))
	_, err := newClient(t, srv.URL, withPassword).OrganizationsPage(context.Background(), "")
	if !errors.Is(err, cloud.ErrUnsafe) {
		t.Fatalf("got %v, want ErrUnsafe", err)
	}
	if diff := cmp.Diff([]string{"/"}, srv.Paths()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestUAA(t *testing.T) {
	uaa := withUAA(newServer(t)) // its own origin: plain http, allowed as loopback
	tests := []struct {
		name     string
		edit     func(*Config)
		wantErr  error
		wantText string
	}{
		{name: "password grant", edit: withPassword},
		{name: "client credentials", edit: withClient},
		{name: "wrong password", edit: func(c *Config) { c.Username, c.Password = testUser, testPassword+"x" },
			wantErr: cloud.ErrUnauthorized, wantText: "Bad credentials"},
		{name: "wrong client secret", edit: func(c *Config) { c.ClientID, c.ClientSecret = testClientID, testClientSecret+"x" },
			wantErr: cloud.ErrUnauthorized, wantText: "Bad credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Serve("/", []byte(`{"links":{"cloud_controller_v3":{"href":"x"},"uaa":{"href":"`+uaa.URL+`/uaa"}}}`))
			srv.Handle("/v3/organizations", emptyPage)
			_, err := newClient(t, srv.URL, tt.edit).OrganizationsPage(context.Background(), "")
			if !errors.Is(err, tt.wantErr) || (err != nil && !strings.Contains(err.Error(), tt.wantText)) {
				t.Fatalf("got %v, want %v with %q", err, tt.wantErr, tt.wantText)
			}
			noSecrets(t, err)
			wantPaths := []string{"/", "/v3/organizations"}
			if tt.wantErr != nil {
				wantPaths = []string{"/"} // no API request without a token
			}
			if diff := cmp.Diff(wantPaths, srv.Paths()); diff != "" {
				t.Errorf("API requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStaticTokenPastedFromCF(t *testing.T) {
	srv := newServer(t)
	srv.Handle("/v3/organizations", emptyPage)
	c := newClient(t, srv.URL, func(c *Config) { c.Token, c.APIVersion = "bearer "+issuedToken, V3 })
	if _, err := c.OrganizationsPage(context.Background(), ""); err != nil {
		t.Fatalf("OrganizationsPage: %v", err)
	}
}
