package cloudsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const orgsPage = "/partner/v2/organizations?page_size=10"

// pageURL returns the URL of page n (1-based) of Confluent organizations.
func pageURL(t *testing.T, s *Server, n int) string {
	t.Helper()
	u := s.URL() + orgsPage
	for i := 1; i < n; i++ {
		u = get(t, s, u, confluentToken).want(t, http.StatusOK).str("metadata.next")
	}
	return u
}

func TestFaultTooManyRequestsBurstAtPage(t *testing.T) {
	s := start(t, Config{})
	id := s.AddFault(Fault{Kind: FaultTooManyRequests, Endpoint: EndpointConfluentOrganizations, Page: 3, Times: 2, RetryAfter: 7 * time.Second})
	third := pageURL(t, s, 3)
	for range 2 {
		r := get(t, s, third, confluentToken).want(t, http.StatusTooManyRequests)
		checkConfluentFailure(t, r, "429")
		if r.header.Get("Retry-After") != "7" || r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Reset") != "7" {
			t.Errorf("headers = %v", r.header)
		}
	}
	get(t, s, third, confluentToken).want(t, http.StatusOK)
	if s.FaultFired(id) != 2 || s.CountStatus(EndpointConfluentOrganizations, 429) != 2 {
		t.Errorf("fired %d, counted %d; want 2", s.FaultFired(id), s.CountStatus(EndpointConfluentOrganizations, 429))
	}
}

func TestFaultTooManyRequestsAtRequest(t *testing.T) {
	tests := []struct {
		name string
		url  string
		ep   Endpoint
		auth auth
		body func(t *testing.T, r reply)
	}{
		{"azure", subPath + orgsPath + apiSuffix, EndpointAzureListBySubscription, azureToken, func(t *testing.T, r reply) {
			checkARMError(t, r, "TooManyRequests")
		}},
		{"cf v3", "/v3/organizations", EndpointCFV3Organizations, cfToken, func(t *testing.T, r reply) {
			if e, _ := r.list("errors")[0].(map[string]any); e["title"] != "CF-RateLimitExceeded" {
				t.Errorf("body %s", r.raw)
			}
		}},
		{"cf v2", "/v2/organizations", EndpointCFV2Organizations, cfToken, func(t *testing.T, r reply) {
			if r.str("error_code") != "CF-RateLimitExceeded" {
				t.Errorf("body %s", r.raw)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Config{})
			s.AddFault(Fault{Kind: FaultTooManyRequests, Endpoint: tt.ep, AtRequest: 2, Times: 3, RetryAfter: 2 * time.Second})
			var got []int
			for range 6 {
				r := get(t, s, tt.url, tt.auth)
				got = append(got, r.status)
				if r.status == http.StatusTooManyRequests {
					tt.body(t, r)
					if r.header.Get("Retry-After") != "2" {
						t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
					}
				}
			}
			if diff := cmp.Diff([]int{200, 429, 429, 429, 200, 200}, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFaultServerError(t *testing.T) {
	s := start(t, Config{})
	s.AddFault(Fault{Kind: FaultServerError, Status: 503, Page: 2, Times: 1})
	second := pageURL(t, s, 2)
	r := get(t, s, second, confluentToken).want(t, http.StatusServiceUnavailable)
	checkConfluentFailure(t, r, "503")
	get(t, s, second, confluentToken).want(t, http.StatusOK)

	// Without Times it fires on every matching request.
	s.ClearFaults()
	id := s.AddFault(Fault{Kind: FaultServerError, Endpoint: EndpointCFV2Organizations})
	for range 3 {
		r := get(t, s, "/v2/organizations", cfToken).want(t, http.StatusInternalServerError)
		if r.str("error_code") != "UnknownError" {
			t.Errorf("body %s", r.raw)
		}
	}
	s.RemoveFault(id)
	get(t, s, "/v2/organizations", cfToken).want(t, http.StatusOK)
}

func TestFaultSlow(t *testing.T) {
	s := start(t, Config{})
	s.AddFault(Fault{Kind: FaultSlow, Endpoint: EndpointAzureListBySubscription, Delay: 300 * time.Millisecond, Times: 1})
	began := time.Now()
	get(t, s, subPath+orgsPath+apiSuffix, azureToken).want(t, http.StatusOK)
	if d := time.Since(began); d < 300*time.Millisecond {
		t.Errorf("slow response took %v", d)
	}
	began = time.Now()
	get(t, s, subPath+orgsPath+apiSuffix, azureToken).want(t, http.StatusOK)
	if d := time.Since(began); d > 250*time.Millisecond {
		t.Errorf("second response took %v", d)
	}
}

func TestFaultTruncate(t *testing.T) {
	s := start(t, Config{})
	s.AddFault(Fault{Kind: FaultTruncate, Page: 1, Times: 1})
	r := get(t, s, "/v3/organizations", cfToken).want(t, http.StatusOK)
	var v any
	if err := json.Unmarshal(r.raw, &v); err == nil || len(r.raw) < 100 {
		t.Errorf("truncated body decoded (%d bytes): %v", len(r.raw), err)
	}
	r = get(t, s, "/v3/organizations", cfToken).want(t, http.StatusOK)
	if err := json.Unmarshal(r.raw, &v); err != nil {
		t.Errorf("second body: %v", err)
	}
}

// listLinks are each list's first page and where its next link is.
var listLinks = []struct {
	name string
	url  string
	auth auth
	next string
}{
	{"confluent", orgsPage, confluentToken, "metadata.next"},
	{"azure", subPath + orgsPath + apiSuffix, azureToken, "nextLink"},
	{"cf v2", "/v2/organizations?results-per-page=10", cfToken, "next_url"},
	{"cf v3", "/v3/organizations?per_page=10", cfToken, "pagination.next.href"},
}

func TestFaultPlaceholderNext(t *testing.T) {
	for _, tt := range listLinks {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Config{})
			s.SetAzurePageSize(10)
			s.AddFault(Fault{Kind: FaultPlaceholderNext, Page: 1})
			r := get(t, s, tt.url, tt.auth).want(t, http.StatusOK)
			if next := r.str(tt.next); next != "string" {
				t.Errorf("next = %q, want the examples' placeholder", next)
			}
		})
	}
}

// TestExternalURL: the lists' links name the external URL, whatever address the
// request came to; discovery and token endpoints do not.
func TestExternalURL(t *testing.T) {
	const external = "https://api.sys.example.com"
	for _, tt := range listLinks {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Config{})
			s.SetAzurePageSize(10)
			s.SetExternalURL(external + "/")
			r := get(t, s, tt.url, tt.auth).want(t, http.StatusOK)
			next := r.str(tt.next)
			if tt.name == "cf v2" {
				// v2's next_url is a path; it has no origin to change.
				if !strings.HasPrefix(next, "/v2/organizations?") {
					t.Errorf("next = %q", next)
				}
				return
			}
			if !strings.HasPrefix(next, external+"/") {
				t.Errorf("next = %q, want it on %s", next, external)
			}
			s.SetExternalURL("")
			r = get(t, s, tt.url, tt.auth).want(t, http.StatusOK)
			if next := r.str(tt.next); !strings.HasPrefix(next, s.URL()+"/") {
				t.Errorf("after SetExternalURL(\"\"): next = %q, want it on %s", next, s.URL())
			}
		})
	}
	s := start(t, Config{})
	s.SetExternalURL(external)
	// A Cloud Controller names its configured UAA, not the address it was reached by.
	if uaa := get(t, s, "/", func(*http.Request) {}).want(t, http.StatusOK).str("links.uaa.href"); uaa != external {
		t.Errorf("root links.uaa = %q, want the external %s", uaa, external)
	}
}

func TestFaultForeignNext(t *testing.T) {
	tests := []struct {
		name string
		url  string
		auth auth
		next string
	}{
		{"confluent", orgsPage, confluentToken, "metadata.next"},
		{"azure", subPath + orgsPath + apiSuffix, azureToken, "nextLink"},
		{"cf v2", "/v2/organizations?results-per-page=10", cfToken, "next_url"},
		{"cf v3", "/v3/organizations?per_page=10", cfToken, "pagination.next.href"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Config{})
			s.SetAzurePageSize(10)
			s.AddFault(Fault{Kind: FaultForeignNext, Page: 1})
			r := get(t, s, tt.url, tt.auth).want(t, http.StatusOK)
			if next := r.str(tt.next); !strings.HasPrefix(next, "http://evil.example:1/") {
				t.Errorf("next = %q", next)
			}
		})
	}
}

func TestFaultLoop(t *testing.T) {
	s := start(t, Config{})
	s.AddFault(Fault{Kind: FaultLoop, Endpoint: EndpointConfluentOrganizations, Page: 3, LoopTo: 2})
	second := pageURL(t, s, 2)
	third := get(t, s, second, confluentToken).str("metadata.next")
	r := get(t, s, third, confluentToken).want(t, http.StatusOK)
	if got := r.str("metadata.next"); got != second {
		t.Errorf("page 3 next = %q, want page 2 %q", got, second)
	}

	s.AddFault(Fault{Kind: FaultLoop, Endpoint: EndpointCFV2Organizations, Page: 2})
	cf := get(t, s, "/v2/organizations?results-per-page=10&page=2", cfToken).want(t, http.StatusOK)
	if want := "/v2/organizations?order-direction=asc&page=1&results-per-page=10"; cf.str("next_url") != want {
		t.Errorf("cf next_url = %q, want %q", cf.str("next_url"), want)
	}
}

// Keyset page tokens: items added or removed between calls neither repeat nor
// hide items that were there all along.
func TestPagingUnderMutation(t *testing.T) {
	s := start(t, Config{Confluent: ConfluentConfig{Organizations: 100}})
	orgs := s.ConfluentOrganizations()
	before := orgs.Keys()
	r := get(t, s, orgsPage, confluentToken).want(t, http.StatusOK)
	seen := map[string]bool{}
	for _, item := range r.list("data") {
		seen[item.(map[string]any)["id"].(string)] = true
	}
	// Remove one listed and one unlisted item, add one before and one after the cursor.
	removedLater := before[50]
	orgs.Remove(before[0], removedLater)
	orgs.Add(ConfluentOrganization{ID: "00000000-0000-0000-0000-000000000000", Name: "Early"},
		ConfluentOrganization{ID: "ffffffff-ffff-ffff-ffff-ffffffffffff", Name: "Late"})
	ids, _ := listConfluent(t, s, r.str("metadata.next"), confluentToken)
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("id %s listed twice", id)
		}
		seen[id] = true
	}
	for _, id := range before[10:] {
		if id != removedLater && !seen[id] {
			t.Errorf("id %s, present throughout, was skipped", id)
		}
	}
	if seen[removedLater] || !seen["ffffffff-ffff-ffff-ffff-ffffffffffff"] || seen["00000000-0000-0000-0000-000000000000"] {
		t.Errorf("removed listed: %v, late addition listed: %v, early addition listed: %v",
			seen[removedLater], seen["ffffffff-ffff-ffff-ffff-ffffffffffff"], seen["00000000-0000-0000-0000-000000000000"])
	}
	if total := get(t, s, orgsPage, confluentToken).path("metadata.total_size"); total != float64(100) {
		t.Errorf("total_size = %v, want 100", total)
	}
}

func TestMutators(t *testing.T) {
	s := start(t, Config{})
	az := s.AzureOrganizations(DefaultAzureSubscription)
	key := AzureKey("orgsync-rg-1", "confluent-org-00000")
	if !az.Update(strings.ToUpper(key), func(o *AzureOrganization) { o.ProvisioningState = "Deleting" }) {
		t.Fatal("update of an existing organization failed")
	}
	r := get(t, s, subPath+"/resourceGroups/orgsync-rg-1"+orgsPath+"/confluent-org-00000"+apiSuffix, azureToken).want(t, http.StatusOK)
	if r.str("properties.provisioningState") != "Deleting" {
		t.Errorf("provisioningState = %q", r.str("properties.provisioningState"))
	}
	if lm, _ := time.Parse(time.RFC3339, r.str("systemData.lastModifiedAt")); time.Since(lm) > time.Minute {
		t.Errorf("lastModifiedAt = %s, want now", r.str("systemData.lastModifiedAt"))
	}

	// A new subscription and resource group come into being with their first item.
	s.AzureOrganizations("11111111-0000-0000-0000-000000000000").Add(AzureOrganization{Name: "fresh", ResourceGroup: "new-rg", Location: "West US"})
	r = get(t, s, "/subscriptions/11111111-0000-0000-0000-000000000000/resourceGroups/new-rg"+orgsPath+apiSuffix, azureToken).want(t, http.StatusOK)
	if n := len(r.list("value")); n != 1 {
		t.Errorf("got %d items, want 1", n)
	}

	cc := s.ConnectClusters("env-new")
	cc.Add(ConnectCluster{Environment: "env-new", Cloud: "AWS", Region: "us-east-1"})
	if r := get(t, s, "/usm/v1/connect-clusters?environment=env-new", confluentToken); r.path("metadata.total_size") != float64(1) {
		t.Errorf("new environment: %s", r.raw)
	}
	if s.CFOrganizations().Remove("not-a-guid") != 0 || s.CFOrganizations().Update("not-a-guid", func(*CFOrganization) {}) {
		t.Error("mutators accepted an unknown key")
	}
}

func TestDeterministicData(t *testing.T) {
	a, b, c := New(Config{Seed: 7}), New(Config{Seed: 7}), New(Config{Seed: 8})
	if diff := cmp.Diff(a.ConfluentOrganizations().Items(), b.ConfluentOrganizations().Items()); diff != "" {
		t.Errorf("same seed, different data:\n%s", diff)
	}
	if diff := cmp.Diff(a.CFOrganizations().Items(), b.CFOrganizations().Items()); diff != "" {
		t.Errorf("same seed, different CF data:\n%s", diff)
	}
	if cmp.Equal(a.ConfluentOrganizations().Keys(), c.ConfluentOrganizations().Keys()) {
		t.Error("different seeds gave the same data")
	}
}

func TestRequestLog(t *testing.T) {
	s := start(t, Config{})
	get(t, s, orgsPage, confluentToken)
	get(t, s, "/v2/organizations?page=1", noAuth)
	got := s.Requests()
	want := []RequestRecord{
		{Endpoint: EndpointConfluentOrganizations, Provider: ProviderConfluent, Method: "GET", Host: strings.TrimPrefix(s.URL(), "http://"),
			RequestURI: orgsPage, AuthScheme: "Bearer", Credentials: true, Status: 200},
		{Endpoint: EndpointCFV2Organizations, Provider: ProviderCloudFoundry, Method: "GET", Host: strings.TrimPrefix(s.URL(), "http://"),
			RequestURI: "/v2/organizations?page=1", Status: 401},
	}
	if diff := cmp.Diff(want, got, cmpIgnoreTime); diff != "" {
		t.Errorf("request log (-want +got):\n%s", diff)
	}
	s.ResetStats()
	if len(s.Requests()) != 0 || s.Count(EndpointConfluentOrganizations) != 0 {
		t.Error("ResetStats left data")
	}
}

var cmpIgnoreTime = cmp.Comparer(func(a, b time.Time) bool { return true })

func TestParseFault(t *testing.T) {
	tests := []struct {
		spec    string
		want    Fault
		wantErr bool
	}{
		{"429,endpoint=confluent.organizations,page=3,times=5,retry-after=2s",
			Fault{Kind: FaultTooManyRequests, Endpoint: EndpointConfluentOrganizations, Page: 3, Times: 5, RetryAfter: 2 * time.Second}, false},
		{"kind=5xx,status=503,at=10,times=1", Fault{Kind: FaultServerError, Status: 503, AtRequest: 10, Times: 1}, false},
		{"slow,delay=1500ms", Fault{Kind: FaultSlow, Delay: 1500 * time.Millisecond}, false},
		{"foreign-next,origin=http://other:9,page=2", Fault{Kind: FaultForeignNext, ForeignOrigin: "http://other:9", Page: 2}, false},
		{"loop,page=4,loop-to=2", Fault{Kind: FaultLoop, Page: 4, LoopTo: 2}, false},
		{"truncate", Fault{Kind: FaultTruncate}, false},
		{"short-page,endpoint=cf.v3.organizations,page=2", Fault{Kind: FaultShortPage, Endpoint: EndpointCFV3Organizations, Page: 2}, false},
		{"wrong-total,extra=5", Fault{Kind: FaultWrongTotal, ExtraTotal: 5}, false},
		{"duplicate,page=3,times=1", Fault{Kind: FaultDuplicate, Page: 3, Times: 1}, false},
		{"not-found,endpoint=azure.get", Fault{Kind: FaultNotFound, Endpoint: EndpointAzureGet}, false},
		{"wrong-total,extra=many", Fault{}, true},
		{"explode", Fault{}, true},
		{"page=3", Fault{}, true},
		{"429,page=three", Fault{}, true},
		{"429,colour=red", Fault{}, true},
		{"5xx,endpoint=cf.v3-organizations", Fault{}, true}, // a misspelt endpoint would never fire
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseFault(tt.spec)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestChurnKeepsListsValid(t *testing.T) {
	s := start(t, Config{})
	before := s.CFOrganizations().Len()
	s.Churn()
	if s.CFOrganizations().Len() != before {
		t.Errorf("CF organizations %d → %d; churn adds one and removes one", before, s.CFOrganizations().Len())
	}
	ids, _ := listConfluent(t, s, s.URL()+"/partner/v2/organizations?page_size=100", confluentToken)
	if len(ids) != 50 {
		t.Errorf("listed %d organizations after churn, want 50", len(ids))
	}
}

// Mutators are safe while the server answers; run with -race.
func TestConcurrentMutation(t *testing.T) {
	s := start(t, Config{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 50 {
			s.Churn()
		}
	}()
	for range 20 {
		listConfluent(t, s, s.URL()+orgsPage, confluentToken)
		listCFV2(t, s, "/v2/organizations?results-per-page=10")
		listAzure(t, s, s.URL()+subPath+orgsPath+apiSuffix)
	}
	<-done
	if n := s.ConfluentOrganizations().Len(); n != 50 {
		t.Errorf("organizations after churn = %d, want 50", n)
	}
}
