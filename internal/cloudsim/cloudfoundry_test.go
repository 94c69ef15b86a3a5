package cloudsim

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func TestCFV2WireShape(t *testing.T) {
	s := start(t, Config{})
	r := get(t, s, "/v2/organizations?results-per-page=100", cfToken).want(t, http.StatusOK)
	doc := fixture(t, "cf-v2-organizations-example.json")
	if diff := cmp.Diff(keys(doc), keys(r.body)); diff != "" {
		t.Errorf("top-level keys (-doc +got):\n%s", diff)
	}
	if diff := cmp.Diff(shapeOf(doc), shapeOf(r.body)); diff != "" {
		t.Errorf("field paths (-doc +got):\n%s", diff)
	}
	if r.path("prev_url") != nil || r.path("next_url") != nil || r.path("total_results") != float64(50) || r.path("total_pages") != float64(1) {
		t.Errorf("paging fields = %v %v %v %v", r.path("prev_url"), r.path("next_url"), r.path("total_results"), r.path("total_pages"))
	}
	statuses := map[any]int{}
	for _, item := range r.list("resources") {
		e := item.(map[string]any)["entity"].(map[string]any)
		statuses[e["status"]]++
		guid := item.(map[string]any)["metadata"].(map[string]any)["guid"].(string)
		if e["spaces_url"] != "/v2/organizations/"+guid+"/spaces" {
			t.Errorf("spaces_url = %v", e["spaces_url"])
		}
	}
	if statuses["active"] == 0 || statuses["suspended"] == 0 || len(statuses) != 2 {
		t.Errorf("statuses = %v; want active and suspended only", statuses)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json;charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

// listCFV2 follows next_url, which is relative, and returns the guids and pages.
func listCFV2(t *testing.T, s *Server, first string) ([]string, int) {
	t.Helper()
	var ids []string
	pages := 0
	for next := first; next != ""; pages++ {
		r := get(t, s, next, cfToken).want(t, http.StatusOK)
		for _, item := range r.list("resources") {
			ids = append(ids, item.(map[string]any)["metadata"].(map[string]any)["guid"].(string))
		}
		next = r.str("next_url")
		if next != "" && !strings.HasPrefix(next, "/v2/organizations?") {
			t.Fatalf("next_url %q is not relative", next)
		}
		if pages > 1000 {
			t.Fatal("runaway paging")
		}
	}
	return ids, pages
}

func TestCFPagingCompleteness(t *testing.T) {
	s := start(t, Config{CloudFoundry: CloudFoundryConfig{Organizations: 10_000}})
	ids, pages := listCFV2(t, s, "/v2/organizations?results-per-page=100")
	if pages != 100 || s.Count(EndpointCFV2Organizations) != 100 || len(ids) != 10_000 || unique(ids) != 10_000 {
		t.Errorf("v2: pages = %d, requests = %d, ids = %d, unique = %d; want 100, 100, 10000, 10000",
			pages, s.Count(EndpointCFV2Organizations), len(ids), unique(ids))
	}
	r := get(t, s, "/v2/organizations?results-per-page=100&page=2", cfToken)
	if want := "/v2/organizations?order-direction=asc&page=3&results-per-page=100"; r.str("next_url") != want {
		t.Errorf("next_url = %q, want %q", r.str("next_url"), want)
	}
	if want := "/v2/organizations?order-direction=asc&page=1&results-per-page=100"; r.str("prev_url") != want {
		t.Errorf("prev_url = %q, want %q", r.str("prev_url"), want)
	}

	var v3 []string
	pages = 0
	for next := s.URL() + "/v3/organizations?per_page=100"; next != ""; pages++ {
		r := get(t, s, next, cfToken).want(t, http.StatusOK)
		for _, item := range r.list("resources") {
			v3 = append(v3, item.(map[string]any)["guid"].(string))
		}
		next, _ = r.path("pagination.next.href").(string)
	}
	if pages != 100 || len(v3) != 10_000 || unique(v3) != 10_000 {
		t.Errorf("v3: pages = %d, ids = %d, unique = %d; want 100, 10000, 10000", pages, len(v3), unique(v3))
	}
	if diff := cmp.Diff(ids, v3); diff != "" {
		t.Errorf("v2 and v3 order differ")
	}
}

func TestCFV2QueryFilters(t *testing.T) {
	s := start(t, Config{CloudFoundry: CloudFoundryConfig{Organizations: -1}})
	s.CFOrganizations().Add(
		CFOrganization{Name: "alpha", Status: "active"},
		CFOrganization{Name: "alpha-dev", Status: "suspended"},
		CFOrganization{Name: "beta", Status: "active"},
		CFOrganization{Name: "gamma", Status: "suspended"},
	)
	tests := []struct {
		name string
		q    []string
		want []string
	}{
		{"equal", []string{"name:alpha"}, []string{"alpha"}},
		{"at least", []string{"name>=alpha-dev"}, []string{"alpha-dev", "beta", "gamma"}},
		{"at most", []string{"name<=alpha-dev"}, []string{"alpha", "alpha-dev"}},
		{"less", []string{"name<beta"}, []string{"alpha", "alpha-dev"}},
		{"greater", []string{"name>beta"}, []string{"gamma"}},
		{"in", []string{"name IN beta,gamma,delta"}, []string{"beta", "gamma"}},
		{"status", []string{"status:suspended"}, []string{"alpha-dev", "gamma"}},
		{"two q parameters are ANDed", []string{"status:active", "name>=b"}, []string{"beta"}},
		{"semicolons are ANDed", []string{"status:suspended;name<b"}, []string{"alpha-dev"}},
		{"relation filters match nothing here", []string{"user_guid:123"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{"q": tt.q, "results-per-page": {"1"}}
			var got []string
			next := "/v2/organizations?" + v.Encode()
			for next != "" {
				r := get(t, s, next, cfToken).want(t, http.StatusOK)
				for _, item := range r.list("resources") {
					got = append(got, item.(map[string]any)["entity"].(map[string]any)["name"].(string))
				}
				next = r.str("next_url")
				if next != "" {
					if u, _ := url.Parse(next); cmp.Diff(tt.q, u.Query()["q"]) != "" {
						t.Fatalf("next_url %q does not carry q %v", next, tt.q)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
	desc := get(t, s, "/v2/organizations?order-direction=desc", cfToken).want(t, http.StatusOK)
	if first := desc.list("resources")[0].(map[string]any)["entity"].(map[string]any)["name"]; first != "gamma" {
		t.Errorf("first of desc = %v, want gamma", first)
	}
}

func TestCFBadRequests(t *testing.T) {
	s := start(t, Config{})
	for _, u := range []string{
		"/v2/organizations?results-per-page=101",
		"/v2/organizations?page=0",
		"/v2/organizations?order-direction=up",
		"/v2/organizations?q=colour:blue",
		"/v2/organizations?q=name",
	} {
		r := get(t, s, u, cfToken).want(t, http.StatusBadRequest)
		if r.str("error_code") != "CF-BadQueryParameter" || r.path("code") != float64(1001) || r.str("description") == "" {
			t.Errorf("%s: body %s", u, r.raw)
		}
	}
	for _, u := range []string{"/v3/organizations?per_page=5001", "/v3/organizations?page=0", "/v3/organizations?colour=blue"} {
		r := get(t, s, u, cfToken).want(t, http.StatusBadRequest)
		if e, _ := r.list("errors")[0].(map[string]any); e["title"] != "CF-BadQueryParameter" {
			t.Errorf("%s: body %s", u, r.raw)
		}
	}
	get(t, s, "/v3/organizations?per_page=5000", cfToken).want(t, http.StatusOK)
}

func TestCFV3WireShape(t *testing.T) {
	s := start(t, Config{})
	r := get(t, s, "/v3/organizations?per_page=20&page=2", cfToken).want(t, http.StatusOK)
	if diff := cmp.Diff([]string{"pagination", "resources"}, keys(r.body)); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	p := r.path("pagination").(map[string]any)
	if diff := cmp.Diff([]string{"first", "last", "next", "previous", "total_pages", "total_results"}, keys(p)); diff != "" {
		t.Errorf("pagination keys (-want +got):\n%s", diff)
	}
	if r.str("pagination.last.href") != s.URL()+"/v3/organizations?page=3&per_page=20" ||
		r.str("pagination.previous.href") != s.URL()+"/v3/organizations?page=1&per_page=20" {
		t.Errorf("pagination = %v", p)
	}
	o := r.list("resources")[0].(map[string]any)
	want := map[string]bool{
		".guid": true, ".created_at": true, ".updated_at": true, ".name": true, ".suspended": true,
		".relationships": true, ".relationships.quota": true, ".relationships.quota.data": true, ".relationships.quota.data.guid": true,
		".metadata": true, ".metadata.labels": true, ".metadata.annotations": true,
		".links": true, ".links.self": true, ".links.self.href": true, ".links.domains": true, ".links.domains.href": true,
		".links.default_domain": true, ".links.default_domain.href": true, ".links.quota": true, ".links.quota.href": true,
	}
	got := shapeOf(o)
	for k := range got { // label keys vary
		if strings.HasPrefix(k, ".metadata.labels.") || strings.HasPrefix(k, ".metadata.annotations.") {
			delete(got, k)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resource fields (-want +got):\n%s", diff)
	}
	last := get(t, s, r.str("pagination.last.href"), cfToken).want(t, http.StatusOK)
	if last.path("pagination.next") != nil || len(last.list("resources")) != 10 {
		t.Errorf("last page: next = %v, %d resources", last.path("pagination.next"), len(last.list("resources")))
	}
	named := get(t, s, "/v3/organizations?names=platform-00000,data-00002", cfToken).want(t, http.StatusOK)
	if named.path("pagination.total_results") != float64(2) {
		t.Errorf("names filter: %s", named.raw)
	}
}

func TestCFRootAndV2Switch(t *testing.T) {
	s := start(t, Config{})
	root := get(t, s, "/", noAuth).want(t, http.StatusOK)
	for _, k := range []string{"self", "cloud_controller_v2", "cloud_controller_v3", "login", "uaa"} {
		if root.str("links."+k+".href") == "" {
			t.Errorf("root lacks links.%s.href: %s", k, root.raw)
		}
	}
	if root.str("links.cloud_controller_v2.meta.version") == "" {
		t.Errorf("no v2 version: %s", root.raw)
	}
	info := get(t, s, "/v2/info", noAuth).want(t, http.StatusOK)
	if info.str("token_endpoint") != s.URL() || info.str("authorization_endpoint") != s.URL() || info.str("api_version") == "" {
		t.Errorf("info = %s", info.raw)
	}

	s.SetCFV2Enabled(false)
	root = get(t, s, "/", noAuth).want(t, http.StatusOK)
	if root.path("links.cloud_controller_v2") != nil || root.str("links.cloud_controller_v3.href") == "" {
		t.Errorf("root with v2 off = %s", root.raw)
	}
	for _, u := range []string{"/v2/organizations", "/v2/info", "/v2/spaces"} {
		r := get(t, s, u, cfToken).want(t, http.StatusNotFound)
		if r.str("error_code") != "CF-NotFound" || r.path("code") != float64(10000) {
			t.Errorf("%s: %s", u, r.raw)
		}
	}
	get(t, s, "/v3/organizations", cfToken).want(t, http.StatusOK)
}

func TestCFAuthentication(t *testing.T) {
	s := start(t, Config{})
	tests := []struct {
		name   string
		auth   auth
		status int
		code   string
	}{
		{"no token", noAuth, 401, "CF-NotAuthenticated"},
		{"bad token", bearer("nope"), 401, "CF-InvalidAuthToken"},
		{"basic auth", basic("admin", "csim-admin-password"), 401, "CF-InvalidAuthToken"},
		{"forbidden", bearer(DefaultCFForbidden.Token), 403, "CF-NotAuthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v2 := get(t, s, "/v2/organizations", tt.auth).want(t, tt.status)
			if v2.str("error_code") != tt.code {
				t.Errorf("v2 body %s", v2.raw)
			}
			v3 := get(t, s, "/v3/organizations", tt.auth).want(t, tt.status)
			if e, _ := v3.list("errors")[0].(map[string]any); e["title"] != tt.code {
				t.Errorf("v3 body %s", v3.raw)
			}
		})
	}
}

func TestCFRateLimit(t *testing.T) {
	s := start(t, Config{CloudFoundry: CloudFoundryConfig{RateLimit: Window{Limit: 2, Window: time.Minute}}})
	before := time.Now().Unix()
	for i := 1; i >= 0; i-- {
		r := get(t, s, "/v2/organizations", cfToken).want(t, http.StatusOK)
		reset, _ := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
		// UTC epoch seconds, not relative.
		if reset < before+59 || reset > before+62 {
			t.Errorf("X-RateLimit-Reset = %d, want about %d", reset, before+60)
		}
		if r.header.Get("X-RateLimit-Limit") != "2" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(i) {
			t.Errorf("limit, remaining = %s, %s", r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"))
		}
	}
	v3 := get(t, s, "/v3/organizations", cfToken).want(t, http.StatusTooManyRequests)
	want := map[string]any{"errors": []any{map[string]any{"code": float64(10013), "title": "CF-RateLimitExceeded", "detail": "Rate Limit Exceeded"}}}
	if diff := cmp.Diff(want, v3.body); diff != "" {
		t.Errorf("v3 429 body (-want +got):\n%s", diff)
	}
	if ra, _ := strconv.Atoi(v3.header.Get("Retry-After")); ra < 1 || ra > 60 {
		t.Errorf("Retry-After = %q", v3.header.Get("Retry-After"))
	}
	v2 := get(t, s, "/v2/organizations", cfToken).want(t, http.StatusTooManyRequests)
	if v2.str("error_code") != "CF-RateLimitExceeded" || v2.path("code") != float64(10013) {
		t.Errorf("v2 429 body %s", v2.raw)
	}
	s.SetCFRateLimit(Window{Disabled: true})
	if r := get(t, s, "/v2/organizations", cfToken).want(t, http.StatusOK); r.header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("rate-limit headers while disabled: %v", r.header)
	}
}

func TestUAA(t *testing.T) {
	s := start(t, Config{})
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.Client())
	cfg := oauth2.Config{ClientID: "cf", Endpoint: oauth2.Endpoint{TokenURL: s.URL() + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}

	tok, err := cfg.PasswordCredentialsToken(ctx, DefaultCFCredential.Username, DefaultCFCredential.Password)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.Expiry.IsZero() {
		t.Errorf("token = %+v", tok)
	}
	get(t, s, "/v2/organizations", bearer(tok.AccessToken)).want(t, http.StatusOK)
	rec := s.Requests()
	if last := rec[len(rec)-2]; last.Endpoint != EndpointUAAToken || last.AuthScheme != "Basic" || !last.Credentials {
		t.Errorf("token request record = %+v", last)
	}

	// The refresh token yields a new access token after the old one expired.
	s.ExpireTokens()
	if _, err := cfg.PasswordCredentialsToken(ctx, "admin", "wrong"); err == nil {
		t.Error("wrong password accepted")
	}
	tok2, err := cfg.PasswordCredentialsToken(ctx, DefaultCFCredential.Username, DefaultCFCredential.Password)
	if err != nil {
		t.Fatal(err)
	}
	tok2.Expiry = time.Now().Add(-time.Minute)
	fresh, err := cfg.TokenSource(ctx, tok2).Token()
	if err != nil || fresh.AccessToken == tok2.AccessToken {
		t.Fatalf("refresh = %v, %v", fresh, err)
	}
	get(t, s, "/v3/organizations", bearer(fresh.AccessToken)).want(t, http.StatusOK)

	cc := clientcredentials.Config{ClientID: DefaultCFCredential.ClientID, ClientSecret: DefaultCFCredential.ClientSecret, TokenURL: s.URL() + "/oauth/token"}
	ctok, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	get(t, s, "/v2/organizations", bearer(ctok.AccessToken)).want(t, http.StatusOK)

	bad := postForm(t, s, "/oauth/token", url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {"x"}}, basic("cf", "")).
		want(t, http.StatusUnauthorized)
	if diff := cmp.Diff(map[string]any{"error": "unauthorized", "error_description": "Bad credentials"}, bad.body); diff != "" {
		t.Errorf("bad credentials body (-want +got):\n%s", diff)
	}
	f := DefaultCFForbidden
	ft, err := cfg.PasswordCredentialsToken(ctx, f.Username, f.Password)
	if err != nil {
		t.Fatal(err)
	}
	get(t, s, "/v2/organizations", bearer(ft.AccessToken)).want(t, http.StatusForbidden)
}

// TestCFV2RateLimit: the v2 limiter counts /v2 requests only, reports in -V2-API
// headers, and refuses with CF-RateLimitV2APIExceeded; with PlainText429 the body is
// labelled text/plain.
func TestCFV2RateLimit(t *testing.T) {
	s := start(t, Config{CloudFoundry: CloudFoundryConfig{
		RateLimit:    Window{Limit: 2000, Window: time.Hour},
		V2RateLimit:  Window{Limit: 2, Window: time.Minute},
		PlainText429: true,
	}})
	for i := 1; i >= 0; i-- {
		r := get(t, s, "/v2/organizations", cfToken).want(t, http.StatusOK)
		if r.header.Get("X-RateLimit-Limit-V2-API") != "2" || r.header.Get("X-RateLimit-Remaining-V2-API") != strconv.Itoa(i) {
			t.Errorf("v2 limit, remaining = %s, %s", r.header.Get("X-RateLimit-Limit-V2-API"), r.header.Get("X-RateLimit-Remaining-V2-API"))
		}
		if r.header.Get("X-RateLimit-Reset-V2-API") == "" {
			t.Error("no X-RateLimit-Reset-V2-API")
		}
	}
	if r := get(t, s, "/v3/organizations", cfToken).want(t, http.StatusOK); r.header.Get("X-RateLimit-Limit-V2-API") != "" {
		t.Errorf("v3 answered with the v2 limiter's headers: %v", r.header)
	}
	r := get(t, s, "/v2/organizations", cfToken).want(t, http.StatusTooManyRequests)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("429 Content-Type = %q, want text/plain", r.header.Get("Content-Type"))
	}
	if !strings.Contains(string(r.raw), `"error_code":"CF-RateLimitV2APIExceeded"`) || !strings.Contains(string(r.raw), `"code":10018`) {
		t.Errorf("v2 limiter's 429 body %s", r.raw)
	}
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

// TestCFRemainingRounded: X-RateLimit-Remaining is rounded down to a tenth of the
// limit, as the Cloud Controller reports it, unless ExactRemaining.
func TestCFRemainingRounded(t *testing.T) {
	for _, exact := range []bool{false, true} {
		s := start(t, Config{CloudFoundry: CloudFoundryConfig{RateLimit: Window{Limit: 100, Window: time.Hour}, ExactRemaining: exact}})
		var got []string
		for range 12 {
			got = append(got, get(t, s, "/v3/organizations", cfToken).want(t, http.StatusOK).header.Get("X-RateLimit-Remaining"))
		}
		want := []string{"90", "90", "90", "90", "90", "90", "90", "90", "90", "90", "80", "80"}
		if exact {
			want = []string{"99", "98", "97", "96", "95", "94", "93", "92", "91", "90", "89", "88"}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("exact=%v: remaining (-want +got):\n%s", exact, diff)
		}
	}
}
