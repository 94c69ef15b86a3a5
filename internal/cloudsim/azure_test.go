package cloudsim

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	subPath   = "/subscriptions/" + DefaultAzureSubscription
	orgsPath  = "/providers/Microsoft.Confluent/organizations"
	apiSuffix = "?api-version=" + AzureAPIVersion
)

// azureItemShape is the document's sample response plus the documented
// properties the sample leaves out (linkOrganization, offerDetail.termId).
func azureItemShape(t *testing.T) map[string]bool {
	allowed := shapeOf(fixture(t, "azure-organization-get-example.json"))
	allowed[".properties.linkOrganization"] = true
	allowed[".properties.linkOrganization.token"] = true
	allowed[".properties.offerDetail.termId"] = true
	return allowed
}

func TestAzureListWireShape(t *testing.T) {
	s := start(t, Config{})
	r := get(t, s, subPath+orgsPath+apiSuffix, azureToken).want(t, http.StatusOK)
	if diff := cmp.Diff([]string{"value"}, keys(r.body)); diff != "" {
		t.Errorf("top-level keys of the last page (-want +got):\n%s", diff)
	}
	allowed := azureItemShape(t)
	seen := map[string]bool{}
	var withUser, withLink int
	for _, item := range r.list("value") {
		m := item.(map[string]any)
		got := shapeOf(m)
		if bad := notIn(got, allowed); len(bad) > 0 {
			t.Fatalf("undocumented fields %v", bad)
		}
		for p := range got {
			seen[p] = true
		}
		props := m["properties"].(map[string]any)
		if !slices.Contains(AzureProvisioningStates, props["provisioningState"].(string)) {
			t.Errorf("provisioningState = %v", props["provisioningState"])
		}
		status := props["offerDetail"].(map[string]any)["status"].(string)
		if !slices.Contains(AzureOfferStatuses, status) {
			t.Errorf("offerDetail.status = %v", status)
		}
		if m["type"] != "Microsoft.Confluent/organizations" ||
			!strings.HasPrefix(m["id"].(string), subPath+"/resourceGroups/") ||
			!strings.HasSuffix(m["id"].(string), orgsPath+"/"+m["name"].(string)) {
			t.Errorf("type, id = %v, %v", m["type"], m["id"])
		}
		if props["userDetail"] != nil {
			withUser++
		}
		if props["linkOrganization"] != nil {
			withLink++
		}
	}
	if withUser == 0 || withLink == 0 {
		t.Errorf("items with userDetail = %d, with linkOrganization = %d; want some of each", withUser, withLink)
	}
	// Every field of the sample appears somewhere.
	if missing := notIn(shapeOf(fixture(t, "azure-organization-get-example.json")), seen); len(missing) > 0 {
		t.Errorf("sample fields never sent: %v", missing)
	}
}

// listAzure follows nextLink and returns the names and the number of pages.
func listAzure(t *testing.T, s *Server, first string) ([]string, int) {
	t.Helper()
	var ids []string
	pages := 0
	for next := first; next != ""; pages++ {
		r := get(t, s, next, azureToken).want(t, http.StatusOK)
		for _, item := range r.list("value") {
			ids = append(ids, item.(map[string]any)["id"].(string))
		}
		next = r.str("nextLink")
		if next != "" {
			u, err := url.Parse(next)
			if err != nil || !strings.HasPrefix(next, s.URL()+"/") || u.Query().Get("api-version") != AzureAPIVersion || u.Query().Get("$skipToken") == "" {
				t.Fatalf("nextLink = %q", next)
			}
		}
		if pages > 1000 {
			t.Fatal("runaway paging")
		}
	}
	return ids, pages
}

func TestAzurePagingCompleteness(t *testing.T) {
	s := start(t, Config{Azure: AzureConfig{OrganizationsPerSubscription: 10_000}})
	ids, pages := listAzure(t, s, s.URL()+subPath+orgsPath+apiSuffix)
	if pages != 100 || s.Count(EndpointAzureListBySubscription) != 100 || len(ids) != 10_000 || unique(ids) != 10_000 {
		t.Errorf("pages = %d, requests = %d, ids = %d, unique = %d; want 100, 100, 10000, 10000",
			pages, s.Count(EndpointAzureListBySubscription), len(ids), unique(ids))
	}

	// By resource group: the items of one group only, in pages of the configured size.
	s.SetAzurePageSize(1000)
	ids, pages = listAzure(t, s, s.URL()+subPath+"/resourceGroups/ORGSYNC-RG-2"+orgsPath+apiSuffix)
	if pages != 4 || len(ids) != 3333 {
		t.Errorf("resource group: pages = %d, ids = %d; want 4, 3333", pages, len(ids))
	}
	for _, id := range ids {
		if !strings.Contains(id, "/resourceGroups/orgsync-rg-2/") {
			t.Fatalf("id %s is not in orgsync-rg-2", id)
		}
	}
}

func TestAzureGet(t *testing.T) {
	s := start(t, Config{})
	r := get(t, s, subPath+"/resourceGroups/orgsync-rg-1"+orgsPath+"/confluent-org-00000"+apiSuffix, azureToken).want(t, http.StatusOK)
	if bad := notIn(shapeOf(r.body), azureItemShape(t)); len(bad) > 0 {
		t.Errorf("undocumented fields %v", bad)
	}
	if r.str("name") != "confluent-org-00000" {
		t.Errorf("name = %v", r.str("name"))
	}
	r = get(t, s, subPath+"/resourceGroups/orgsync-rg-1"+orgsPath+"/nope"+apiSuffix, azureToken).want(t, http.StatusNotFound)
	checkARMError(t, r, "ResourceNotFound")
}

func checkARMError(t *testing.T, r reply, code string) {
	t.Helper()
	if diff := cmp.Diff([]string{"error"}, keys(r.body)); diff != "" {
		t.Fatalf("error body keys (-want +got):\n%s\n%s", diff, r.raw)
	}
	e := r.path("error").(map[string]any)
	for k := range e {
		if !slices.Contains([]string{"code", "message", "target", "details"}, k) {
			t.Errorf("undocumented error field %q", k)
		}
	}
	if e["code"] != code || e["message"] == "" {
		t.Errorf("error = %v, want code %s", e, code)
	}
	if r.header.Get("x-ms-request-id") == "" || r.header.Get("x-ms-ratelimit-remaining-subscription-reads") == "" {
		t.Errorf("missing x-ms-request-id or x-ms-ratelimit-remaining-subscription-reads: %v", r.header)
	}
}

func TestAzureErrors(t *testing.T) {
	s := start(t, Config{})
	list := subPath + orgsPath
	tests := []struct {
		name   string
		url    string
		auth   auth
		status int
		code   string
	}{
		{"no token", list + apiSuffix, noAuth, 401, "AuthenticationFailed"},
		{"bad token", list + apiSuffix, bearer("nope"), 401, "InvalidAuthenticationToken"},
		{"forbidden", list + apiSuffix, bearer(DefaultAzureForbidden.Token), 403, "AuthorizationFailed"},
		{"old api-version", list + "?api-version=2023-08-22", azureToken, 400, "InvalidApiVersionParameter"},
		{"no api-version", list, azureToken, 400, "MissingApiVersionParameter"},
		{"unknown subscription", "/subscriptions/99999999-0000-0000-0000-000000000000" + orgsPath + apiSuffix, azureToken, 404, "SubscriptionNotFound"},
		{"unknown resource group", subPath + "/resourceGroups/nope" + orgsPath + apiSuffix, azureToken, 404, "ResourceGroupNotFound"},
		{"bad skip token", list + apiSuffix + "&$skipToken=%25", azureToken, 400, "InvalidSkipToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, s, tt.url, tt.auth).want(t, tt.status)
			checkARMError(t, r, tt.code)
		})
	}
}

func TestAzureThrottling(t *testing.T) {
	s := start(t, Config{Azure: AzureConfig{Throttle: TokenBucket{Capacity: 3, RefillPerSecond: 0.01}}})
	target := subPath + orgsPath + apiSuffix
	for want := 2; want >= 0; want-- {
		r := get(t, s, target, azureToken).want(t, http.StatusOK)
		if got := r.header.Get("x-ms-ratelimit-remaining-subscription-reads"); got != strconv.Itoa(want) {
			t.Errorf("remaining reads = %s, want %d", got, want)
		}
	}
	r := get(t, s, target, azureToken).want(t, http.StatusTooManyRequests)
	checkARMError(t, r, "SubscriptionRequestsThrottled")
	if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); ra < 1 {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	// The bucket is per subscription and principal: another principal still has its own.
	get(t, s, target, bearer(DefaultAzureForbidden.Token)).want(t, http.StatusForbidden)
	s.SetAzureThrottle(TokenBucket{Capacity: 10, RefillPerSecond: 1})
	get(t, s, target, azureToken).want(t, http.StatusOK)
}

func TestAzureADTokenFlow(t *testing.T) {
	s := start(t, Config{})
	c := DefaultAzureCredential
	cfg := get(t, s, "/"+c.TenantID+"/v2.0/.well-known/openid-configuration", noAuth).want(t, http.StatusOK)
	base := s.URL() + "/" + c.TenantID
	if cfg.str("issuer") != base+"/v2.0" || cfg.str("token_endpoint") != base+"/oauth2/v2.0/token" ||
		cfg.str("authorization_endpoint") != base+"/oauth2/v2.0/authorize" {
		t.Errorf("openid configuration = %s", cfg.raw)
	}
	get(t, s, "/unknown-tenant/v2.0/.well-known/openid-configuration", noAuth).want(t, http.StatusBadRequest)

	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret},
		"scope": {s.URL() + "/.default openid offline_access profile"},
	}
	tok := postForm(t, s, "/"+c.TenantID+"/oauth2/v2.0/token", form, noAuth).want(t, http.StatusOK)
	if diff := cmp.Diff([]string{"access_token", "expires_in", "ext_expires_in", "token_type"}, keys(tok.body)); diff != "" {
		t.Errorf("token keys (-want +got):\n%s", diff)
	}
	if tok.str("token_type") != "Bearer" || tok.path("expires_in") != float64(3599) {
		t.Errorf("token = %s", tok.raw)
	}
	get(t, s, subPath+orgsPath+apiSuffix, bearer(tok.str("access_token"))).want(t, http.StatusOK)

	// A token for another resource is refused by ARM.
	form.Set("scope", "https://graph.microsoft.com/.default")
	other := postForm(t, s, "/"+c.TenantID+"/oauth2/v2.0/token", form, noAuth).want(t, http.StatusOK)
	r := get(t, s, subPath+orgsPath+apiSuffix, bearer(other.str("access_token"))).want(t, http.StatusUnauthorized)
	checkARMError(t, r, "InvalidAuthenticationTokenAudience")

	form.Set("client_secret", "nope")
	bad := postForm(t, s, "/"+c.TenantID+"/oauth2/v2.0/token", form, noAuth).want(t, http.StatusUnauthorized)
	if bad.str("error") != "invalid_client" || len(bad.list("error_codes")) != 1 {
		t.Errorf("bad secret = %s", bad.raw)
	}
	form.Set("client_secret", c.ClientSecret)
	form.Set("scope", "user.read")
	postForm(t, s, "/"+c.TenantID+"/oauth2/v2.0/token", form, noAuth).want(t, http.StatusBadRequest)
	if n := s.TokenRequests(ProviderAzure); n != 6 {
		t.Errorf("token requests = %d, want 6", n)
	}
}

// TestAzureSubscriptionThrottle: with the subscription's own bucket on, every answer
// carries both remaining counts, and the smaller bucket refuses first.
func TestAzureSubscriptionThrottle(t *testing.T) {
	s := start(t, Config{Azure: AzureConfig{SubscriptionThrottle: TokenBucket{Capacity: 3, RefillPerSecond: 0.01}}})
	for i := 2; i >= 0; i-- {
		r := get(t, s, subPath+orgsPath+apiSuffix, azureToken).want(t, http.StatusOK)
		if got := r.header.Get("x-ms-ratelimit-remaining-subscription-global-reads"); got != strconv.Itoa(i) {
			t.Errorf("global reads remaining = %q, want %d", got, i)
		}
		if r.header.Get("x-ms-ratelimit-remaining-subscription-reads") == "" {
			t.Error("no per-principal remaining count")
		}
	}
	r := get(t, s, subPath+orgsPath+apiSuffix, azureToken).want(t, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}
