package cloudsim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Documented fields of partner/v2 and usm/v1 lists (api-reference/confluent-*.txt).
var (
	confluentListKeys = []string{"api_version", "data", "kind", "metadata"}
	docListMeta       = map[string]bool{"first": true, "last": true, "prev": true, "next": true, "total_size": true}
	confluentOrgShape = map[string]bool{
		".api_version": true, ".kind": true, ".id": true, ".metadata": true, ".name": true, ".sso_url": true, ".sso_config": true,
		".metadata.self": true, ".metadata.resource_name": true, ".metadata.created_at": true,
		".metadata.updated_at": true, ".metadata.deleted_at": true,
		".sso_config.kind": true, ".sso_config.tenant_id": true,
	}
	connectClusterShape = map[string]bool{
		".api_version": true, ".kind": true, ".id": true, ".confluent_platform_connect_cluster_id": true,
		".kafka_cluster_id": true, ".usm_kafka_cluster_id": true, ".cloud": true, ".region": true, ".environment": true,
		".environment.id": true, ".environment.related": true, ".environment.resource_name": true,
	}
)

func TestConfluentOrganizationsWireShape(t *testing.T) {
	s := start(t, Config{})
	r := get(t, s, "/partner/v2/organizations?page_size=100", confluentToken).want(t, http.StatusOK)

	if diff := cmp.Diff(confluentListKeys, keys(r.body)); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	if r.str("api_version") != "partner/v2" || r.str("kind") != "OrganizationList" {
		t.Errorf("api_version, kind = %q, %q", r.str("api_version"), r.str("kind"))
	}
	for _, k := range keys(r.path("metadata").(map[string]any)) {
		if !docListMeta[k] {
			t.Errorf("undocumented metadata key %q", k)
		}
	}
	if _, ok := r.path("metadata.next").(string); ok {
		t.Errorf("next link on the only page: %v", r.path("metadata.next"))
	}
	if got := r.path("metadata.total_size"); got != float64(50) {
		t.Errorf("total_size = %v, want 50", got)
	}
	var deleting, withoutSSO int
	for _, item := range r.list("data") {
		m := item.(map[string]any)
		if bad := notIn(shapeOf(m), confluentOrgShape); len(bad) > 0 {
			t.Fatalf("undocumented item fields %v", bad)
		}
		meta := m["metadata"].(map[string]any)
		for _, k := range []string{"self", "resource_name", "created_at", "updated_at"} {
			if meta[k] == nil {
				t.Fatalf("item metadata lacks %s: %v", k, m)
			}
		}
		if m["kind"] != "Organization" || m["api_version"] != "partner/v2" || m["id"] == "" || m["name"] == "" {
			t.Fatalf("item = %v", m)
		}
		if !strings.HasPrefix(meta["self"].(string), s.URL()+"/partner/v2/organizations/") {
			t.Errorf("self = %v", meta["self"])
		}
		if meta["deleted_at"] != nil {
			deleting++
		}
		if m["sso_config"] == nil {
			withoutSSO++
		} else if sc := m["sso_config"].(map[string]any); sc["kind"] != "AzureSSOConfig" || sc["tenant_id"] == "" {
			t.Errorf("sso_config = %v", sc)
		}
	}
	if deleting == 0 || withoutSSO == 0 {
		t.Errorf("want some items with deleted_at (%d) and some without sso_config (%d)", deleting, withoutSSO)
	}
}

func TestConfluentConnectClustersWireShape(t *testing.T) {
	s := start(t, Config{})
	r := get(t, s, "/usm/v1/connect-clusters?environment=env-00001&page_size=100", confluentToken).want(t, http.StatusOK)
	if diff := cmp.Diff(confluentListKeys, keys(r.body)); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	if r.str("api_version") != "usm/v1" || r.str("kind") != "ConnectClusterList" {
		t.Errorf("api_version, kind = %q, %q", r.str("api_version"), r.str("kind"))
	}
	data := r.list("data")
	if len(data) != 20 {
		t.Fatalf("got %d connect clusters, want 20", len(data))
	}
	for _, item := range data {
		m := item.(map[string]any)
		got := shapeOf(m)
		if bad := notIn(got, connectClusterShape); len(bad) > 0 {
			t.Fatalf("undocumented fields %v", bad)
		}
		if missing := notIn(connectClusterShape, got); len(missing) > 0 {
			t.Fatalf("missing fields %v", missing)
		}
		if env := m["environment"].(map[string]any); env["id"] != "env-00001" {
			t.Errorf("environment = %v", env)
		}
		if c := m["cloud"]; c != "AWS" && c != "GCP" && c != "AZURE" {
			t.Errorf("cloud = %v", c)
		}
	}
}

// listConfluent follows next links from first and returns the ids and the number of
// pages. Next links carry page_token alone, so it adds first's other parameters
// (environment, page_size) to each, as a client must.
func listConfluent(t *testing.T, s *Server, first string, a auth) ([]string, int) {
	t.Helper()
	f, err := url.Parse(first)
	if err != nil {
		t.Fatal(err)
	}
	carry := f.Query()
	carry.Del("page_token")
	var ids []string
	pages := 0
	for next := first; next != ""; {
		r := get(t, s, next, a).want(t, http.StatusOK)
		pages++
		for _, item := range r.list("data") {
			ids = append(ids, item.(map[string]any)["id"].(string))
		}
		next = r.str("metadata.next")
		if next == "" {
			break
		}
		if !strings.HasPrefix(next, s.URL()+"/") {
			t.Fatalf("next link %q is not absolute on this server", next)
		}
		u, err := url.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if len(q) != 1 || q.Get("page_token") == "" {
			t.Fatalf("next link %q carries more or less than page_token", next)
		}
		for k, vs := range carry {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		next = u.String()
		if pages > 1000 {
			t.Fatal("runaway paging")
		}
	}
	return ids, pages
}

func TestConfluentPagingCompleteness(t *testing.T) {
	s := start(t, Config{Confluent: ConfluentConfig{Organizations: 10_000, Environments: []string{"env-big"}, ConnectClustersPerEnvironment: 1_000}})
	ids, pages := listConfluent(t, s, s.URL()+"/partner/v2/organizations?page_size=100", confluentToken)
	if pages != 100 || s.Count(EndpointConfluentOrganizations) != 100 {
		t.Errorf("pages = %d, requests = %d; want 100", pages, s.Count(EndpointConfluentOrganizations))
	}
	if n := unique(ids); n != 10_000 || len(ids) != 10_000 {
		t.Errorf("got %d ids, %d unique; want 10000", len(ids), n)
	}

	ids, pages = listConfluent(t, s, s.URL()+"/usm/v1/connect-clusters?environment=env-big", confluentToken)
	if pages != 100 || unique(ids) != 1_000 {
		t.Errorf("connect clusters at the default page size 10: %d pages, %d unique ids; want 100, 1000", pages, unique(ids))
	}
}

func unique(ids []string) int {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	return len(seen)
}

// TestConfluentNextLinkCarriesOnlyPageToken: next links look like the documents'
// examples (…/connect-clusters?page_token=UvmDWOB1iwfAIBPj6EYb): no environment, which
// usm/v1 requires, and no page_size, which then defaults to 10.
func TestConfluentNextLinkCarriesOnlyPageToken(t *testing.T) {
	s := start(t, Config{})
	keys := s.ConnectClusters("env-00000").Keys()
	r := get(t, s, "/usm/v1/connect-clusters?environment=env-00000&page_size=7", confluentToken).want(t, http.StatusOK)
	if first := r.str("metadata.first"); first != s.URL()+"/usm/v1/connect-clusters?environment=env-00000&page_size=7" {
		t.Errorf("first = %s", first)
	}
	next, err := url.Parse(r.str("metadata.next"))
	if err != nil {
		t.Fatal(err)
	}
	q := next.Query()
	if len(q) != 1 || q.Get("page_token") == "" || next.Path != "/usm/v1/connect-clusters" {
		t.Fatalf("next = %s, want page_token alone", next)
	}
	orgs := get(t, s, "/partner/v2/organizations?page_size=7", confluentToken).want(t, http.StatusOK)
	if on, _ := url.Parse(orgs.str("metadata.next")); on == nil || len(on.Query()) != 1 || on.Query().Get("page_token") == "" {
		t.Errorf("organizations next = %s, want page_token alone", orgs.str("metadata.next"))
	}

	// Followed as it is, the link lacks the required environment.
	bad := get(t, s, next.String(), confluentToken).want(t, http.StatusBadRequest)
	checkConfluentFailure(t, bad, "400")
	if e := bad.list("errors")[0].(map[string]any); e["source"].(map[string]any)["parameter"] != "environment" {
		t.Errorf("error = %v, want source.parameter environment", e)
	}

	idsOf := func(r reply) []string {
		var ids []string
		for _, item := range r.list("data") {
			ids = append(ids, item.(map[string]any)["id"].(string))
		}
		return ids
	}
	// With the environment added, page_size defaults to 10; with both, it is as asked.
	q.Set("environment", "env-00000")
	next.RawQuery = q.Encode()
	if diff := cmp.Diff(keys[7:17], idsOf(get(t, s, next.String(), confluentToken).want(t, http.StatusOK))); diff != "" {
		t.Errorf("page 2 at the default size (-want +got):\n%s", diff)
	}
	q.Set("page_size", "7")
	next.RawQuery = q.Encode()
	if diff := cmp.Diff(keys[7:14], idsOf(get(t, s, next.String(), confluentToken).want(t, http.StatusOK))); diff != "" {
		t.Errorf("page 2 at size 7 (-want +got):\n%s", diff)
	}
}

func TestConfluentBadRequests(t *testing.T) {
	s := start(t, Config{})
	tests := []struct {
		name, url, param string
	}{
		{"page_size over 100", "/partner/v2/organizations?page_size=101", "page_size"},
		{"page_size zero", "/partner/v2/organizations?page_size=0", "page_size"},
		{"page_size not a number", "/partner/v2/organizations?page_size=ten", "page_size"},
		{"garbage page token", "/partner/v2/organizations?page_token=%25%25", "page_token"},
		{"environment missing", "/usm/v1/connect-clusters", "environment"},
		{"usm page token over 255", "/usm/v1/connect-clusters?environment=env-00000&page_token=" + strings.Repeat("a", 256), "page_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, s, tt.url, confluentToken).want(t, http.StatusBadRequest)
			checkConfluentFailure(t, r, "400")
			e := r.list("errors")[0].(map[string]any)
			if src, _ := e["source"].(map[string]any); src["parameter"] != tt.param {
				t.Errorf("source = %v, want parameter %s", e["source"], tt.param)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

// checkConfluentFailure checks the documented Failure shape.
func checkConfluentFailure(t *testing.T, r reply, status string) {
	t.Helper()
	if diff := cmp.Diff([]string{"errors"}, keys(r.body)); diff != "" {
		t.Fatalf("failure keys (-want +got):\n%s", diff)
	}
	errs := r.list("errors")
	if len(errs) != 1 {
		t.Fatalf("errors = %v", errs)
	}
	e := errs[0].(map[string]any)
	allowed := map[string]bool{"id": true, "status": true, "code": true, "title": true, "detail": true, "source": true, "error_code": true, "message": true}
	for k := range e {
		if !allowed[k] {
			t.Errorf("undocumented error field %q", k)
		}
	}
	if e["status"] != status || e["id"] == "" || e["code"] == "" || e["title"] == "" {
		t.Errorf("error = %v", e)
	}
}

// TestConfluentAuthentication: partner/v2 takes OAuth bearer tokens only (security:
// oauth), so it answers any API key with 401; usm/v1 takes an API key or a token.
func TestConfluentAuthentication(t *testing.T) {
	s := start(t, Config{})
	c := DefaultConfluentCredential
	f := DefaultConfluentForbidden
	const orgs, clusters = "/partner/v2/organizations", "/usm/v1/connect-clusters?environment=env-00000"
	tests := []struct {
		name     string
		auth     auth
		wantOrgs int
		wantUSM  int
	}{
		{"api key", basic(c.APIKey, c.APISecret), 401, 200},
		{"static token", bearer(c.Token), 200, 200},
		{"no credentials", noAuth, 401, 401},
		{"wrong secret", basic(c.APIKey, "nope"), 401, 401},
		{"unknown token", bearer("nope"), 401, 401},
		{"forbidden api key", basic(f.APIKey, f.APISecret), 401, 403},
		{"forbidden token", bearer(f.Token), 403, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for path, want := range map[string]int{orgs: tt.wantOrgs, orgs + "/nope": tt.wantOrgs, clusters: tt.wantUSM} {
				if path == orgs+"/nope" && want == 200 {
					want = 404 // admitted, but no such organization
				}
				r := get(t, s, path, tt.auth).want(t, want)
				if r.header.Get("X-Request-Id") == "" || r.header.Get("X-RateLimit-Limit") == "" {
					t.Errorf("%s: missing X-Request-Id or X-RateLimit-Limit: %v", path, r.header)
				}
				if want == 200 {
					continue
				}
				checkConfluentFailure(t, r, strconv.Itoa(want))
				www := r.header.Get("WWW-Authenticate")
				if want == 401 && www != `Basic error="invalid_key", error_description="The API Key is invalid"` {
					t.Errorf("%s: WWW-Authenticate = %q", path, www)
				}
			}
		})
	}
}

func TestConfluentOAuthToken(t *testing.T) {
	s := start(t, Config{})
	c := DefaultConfluentCredential
	token := postForm(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basic(c.ClientID, c.ClientSecret)).
		want(t, http.StatusOK)
	if token.str("token_type") != "Bearer" || token.path("expires_in") != float64(3599) {
		t.Errorf("token = %s", token.raw)
	}
	get(t, s, "/partner/v2/organizations", bearer(token.str("access_token"))).want(t, http.StatusOK)

	// Client secret in the form works too; a wrong one does not.
	postForm(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, noAuth).
		want(t, http.StatusOK)
	bad := postForm(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basic(c.ClientID, "nope")).
		want(t, http.StatusUnauthorized)
	if bad.str("error") != "invalid_client" {
		t.Errorf("error = %s", bad.raw)
	}

	// A token of the forbidden client is refused by the API.
	f := DefaultConfluentForbidden
	ft := postForm(t, s, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basic(f.ClientID, f.ClientSecret)).
		want(t, http.StatusOK)
	get(t, s, "/partner/v2/organizations", bearer(ft.str("access_token"))).want(t, http.StatusForbidden)

	// Tokens expire; static ones do not.
	s.ExpireTokens()
	get(t, s, "/partner/v2/organizations", bearer(token.str("access_token"))).want(t, http.StatusUnauthorized)
	get(t, s, "/partner/v2/organizations", bearer(c.Token)).want(t, http.StatusOK)
	if n := s.TokenRequests(ProviderConfluent); n != 4 {
		t.Errorf("token requests = %d, want 4", n)
	}
	if n := s.ProviderRequests(ProviderConfluent); n != 4 {
		t.Errorf("API requests = %d, want 4", n)
	}
}

func postForm(t *testing.T, s *Server, path string, form url.Values, a auth) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	a(req)
	return do(t, s, req)
}

func TestConfluentRateLimit(t *testing.T) {
	other := ConfluentCredential{APIKey: "OTHERKEY", APISecret: "other-secret", Token: "other-token"}
	s := start(t, Config{Confluent: ConfluentConfig{
		Credentials: []ConfluentCredential{DefaultConfluentCredential, other},
		RateLimit:   Window{Limit: 3, Window: 30 * time.Second},
	}})
	for i := 2; i >= 0; i-- {
		r := get(t, s, "/partner/v2/organizations", confluentToken).want(t, http.StatusOK)
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(i) {
			t.Errorf("limit, remaining = %s, %s; want 3, %d", r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"), i)
		}
		// Relative seconds, not an epoch time.
		if reset, _ := strconv.Atoi(r.header.Get("X-RateLimit-Reset")); reset < 1 || reset > 30 {
			t.Errorf("X-RateLimit-Reset = %q, want 1..30 seconds", r.header.Get("X-RateLimit-Reset"))
		}
	}
	r := get(t, s, "/usm/v1/connect-clusters?environment=env-00000", confluentToken).want(t, http.StatusTooManyRequests)
	checkConfluentFailure(t, r, "429")
	if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); ra < 1 || ra > 30 {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	if r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("X-RateLimit-Remaining = %q", r.header.Get("X-RateLimit-Remaining"))
	}
	// The budget is per credential: the API key is the same credential, the other token is not.
	get(t, s, "/usm/v1/connect-clusters?environment=env-00000", confluentAPIKey).want(t, http.StatusTooManyRequests)
	get(t, s, "/partner/v2/organizations", bearer(other.Token)).want(t, http.StatusOK)
	s.ResetRateLimits()
	get(t, s, "/partner/v2/organizations", confluentToken).want(t, http.StatusOK)
}

func TestConfluentOrganizationSelfLink(t *testing.T) {
	s := start(t, Config{})
	first := get(t, s, "/partner/v2/organizations", confluentToken).list("data")[0].(map[string]any)
	self := first["metadata"].(map[string]any)["self"].(string)
	r := get(t, s, self, confluentToken).want(t, http.StatusOK)
	if diff := cmp.Diff(first, r.body); diff != "" {
		t.Errorf("self differs from the listed item (-list +self):\n%s", diff)
	}
	checkConfluentFailure(t, get(t, s, "/partner/v2/organizations/nope", confluentToken).want(t, http.StatusNotFound), "404")
}
