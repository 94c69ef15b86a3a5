package azure

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
)

const (
	testSub    = "00000000-0000-0000-0000-000000000000"
	subPath    = "/subscriptions/" + testSub + "/providers/Microsoft.Confluent/organizations"
	rgPath     = "/subscriptions/" + testSub + "/resourceGroups/myResourceGroup/providers/Microsoft.Confluent/organizations"
	sampleFile = "testdata/organization-get.json"
)

// fastRetry keeps azcore's retries but not its pauses, so tests stay quick.
var fastRetry = func() (o policy.RetryOptions) {
	o = retryOptions
	o.RetryDelay = time.Millisecond
	o.MaxRetryDelay = 5 * time.Millisecond
	return o
}()

// recorded is what a test server saw of one request.
type recorded struct {
	Path, APIVersion, SkipToken, Authorization string
}

// armServer is a TLS Resource Manager stand-in: handle answers each request, and every
// request is recorded.
type armServer struct {
	*httptest.Server
	mu     sync.Mutex
	seen   []recorded
	handle func(w http.ResponseWriter, r *http.Request, n int)
}

func newARMServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *armServer {
	t.Helper()
	s := &armServer{handle: handle}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, recorded{
			Path:          r.URL.Path,
			APIVersion:    r.URL.Query().Get("api-version"),
			SkipToken:     r.URL.Query().Get("$skipToken"),
			Authorization: r.Header.Get("Authorization"),
		})
		n := len(s.seen)
		s.mu.Unlock()
		s.handle(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *armServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.seen...)
}

func newTestClient(t *testing.T, srv *armServer, mutate func(*Config)) (*Client, *cloud.Budget) {
	t.Helper()
	budget := cloud.NewBudget()
	cfg := Config{
		Endpoint:       srv.URL,
		SubscriptionID: testSub,
		Credential:     &fake.TokenCredential{},
		Budget:         budget,
		Transport:      srv.Client(),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := newClient(cfg, fastRetry)
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	return c, budget
}

func sample(t testing.TB) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// org is a small organization in the wire format.
func org(rg, name, state string) map[string]any {
	return map[string]any{
		"id":         "/subscriptions/" + testSub + "/resourceGroups/" + rg + "/providers/Microsoft.Confluent/organizations/" + name,
		"name":       name,
		"type":       "Microsoft.Confluent/organizations",
		"location":   "West US",
		"properties": map[string]any{"provisioningState": state, "offerDetail": map[string]any{"status": "Subscribed"}},
	}
}

func writeList(w http.ResponseWriter, next string, values ...map[string]any) {
	body := map[string]any{"value": values}
	if values == nil {
		body["value"] = []any{}
	}
	if next != "" {
		body["nextLink"] = next
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func writeARMError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q,"target":null,"details":[]}}`, code, message)
}

func TestOrganizationsPageDocumentExample(t *testing.T) {
	srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		writeList(w, "", sample(t))
	})
	c, _ := newTestClient(t, srv, nil)

	page, err := c.OrganizationsPage(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2020, 5, 9, 14, 28, 47, 284000000, time.UTC)
	want := cloud.Page[cloud.Organization]{Items: []cloud.Organization{{
		ID:           "myresourcegroup/myorganization",
		DisplayName:  "myOrganization",
		State:        cloud.State("Accepted"),
		RawState:     "Accepted",
		SSOURL:       "string",
		ResourceName: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myResourceGroup/providers/Microsoft.Confluent/organizations/myOrganization",
		CreatedAt:    at,
		UpdatedAt:    at,
		OfferStatus:  "Started",
		Details: map[string]string{
			"location":        "West US",
			"organizationID":  "string",
			"offerStatus":     "Started",
			"offerPlanID":     "string",
			"resourceGroup":   "myResourceGroup",
			"tag.Environment": "Dev",
		},
	}}}
	if diff := cmp.Diff(want, page); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
	wantReqs := []recorded{{Path: subPath, APIVersion: APIVersion, Authorization: "Bearer fake_token"}}
	if diff := cmp.Diff(wantReqs, srv.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestOrganizationFieldFallbacks(t *testing.T) {
	created := "2021-01-02T03:04:05Z"
	tests := []struct {
		name  string
		item  map[string]any
		check func(t *testing.T, o cloud.Organization)
	}{
		{
			name: "createdAt from systemData when createdTime is absent",
			item: map[string]any{
				"id":         "/subscriptions/" + testSub + "/resourceGroups/RG/providers/Microsoft.Confluent/organizations/o",
				"properties": map[string]any{},
				"systemData": map[string]any{"createdAt": created},
			},
			check: func(t *testing.T, o cloud.Organization) {
				if got := o.CreatedAt.Format(time.RFC3339); got != created {
					t.Errorf("CreatedAt = %s, want %s", got, created)
				}
				if o.State != cloud.StateUnknown || o.RawState != "" {
					t.Errorf("state = %q/%q, want Unknown/empty", o.State, o.RawState)
				}
				if o.DisplayName != "o" {
					t.Errorf("DisplayName = %q, want the name from the id", o.DisplayName)
				}
			},
		},
		{
			name: "NotSpecified is Unknown, raw state kept",
			item: org("rg", "o", "NotSpecified"),
			check: func(t *testing.T, o cloud.Organization) {
				if o.State != cloud.StateUnknown || o.RawState != "NotSpecified" {
					t.Errorf("state = %q/%q, want Unknown/NotSpecified", o.State, o.RawState)
				}
			},
		},
		{
			name: "same name in two resource groups gives two IDs",
			item: org("Other-RG", "myOrganization", "Succeeded"),
			check: func(t *testing.T, o cloud.Organization) {
				if o.ID != "other-rg/myorganization" {
					t.Errorf("ID = %q", o.ID)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { writeList(w, "", tt.item) })
			c, _ := newTestClient(t, srv, nil)
			page, err := c.OrganizationsPage(t.Context(), "")
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 {
				t.Fatalf("got %d items", len(page.Items))
			}
			tt.check(t, page.Items[0])
		})
	}
}

func TestState(t *testing.T) {
	tests := []struct {
		raw  string
		want cloud.State
	}{
		{"Accepted", cloud.State("Accepted")},
		{"Creating", cloud.State("Creating")},
		{"Updating", cloud.State("Updating")},
		{"Deleting", cloud.StateDeleting},
		{"Succeeded", cloud.StateSucceeded},
		{"succeeded", cloud.StateSucceeded},
		{"Failed", cloud.State("Failed")},
		{"Canceled", cloud.State("Canceled")},
		{"Deleted", cloud.StateDeleted},
		{"NotSpecified", cloud.StateUnknown},
		{"", cloud.StateUnknown},
		{"Suspended", cloud.StateUnknown}, // not an Azure provisioning state
		{"Moving", cloud.StateUnknown},
	}
	for _, tt := range tests {
		if got := state(tt.raw); got != tt.want {
			t.Errorf("state(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestPagingFollowsNextLinkWithAPIVersion(t *testing.T) {
	var srv *armServer
	srv = newARMServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch r.URL.Query().Get("$skipToken") {
		case "":
			// ARM's nextLinks carry the api-version of the request that produced them;
			// a stale one must be rewritten too.
			writeList(w, srv.URL+subPath+"?api-version=2023-08-22&$skipToken=p2", org("rg", "a", "Succeeded"))
		case "p2":
			// A relative link resolves against the endpoint.
			writeList(w, subPath+"?$skipToken=p3", org("rg", "b", "Creating"))
		case "p3":
			writeList(w, "", org("rg2", "c", "Failed"))
		}
	})
	c, _ := newTestClient(t, srv, nil)

	listing := cloud.NewListing(c.OrganizationsPage, cloud.DefaultLimits)
	var ids []string
	for !listing.Done() {
		items, err := listing.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range items {
			ids = append(ids, o.ID)
		}
	}
	if diff := cmp.Diff([]string{"rg/a", "rg/b", "rg2/c"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	want := []recorded{
		{Path: subPath, APIVersion: APIVersion, Authorization: "Bearer fake_token"},
		{Path: subPath, APIVersion: APIVersion, SkipToken: "p2", Authorization: "Bearer fake_token"},
		{Path: subPath, APIVersion: APIVersion, SkipToken: "p3", Authorization: "Bearer fake_token"},
	}
	if diff := cmp.Diff(want, srv.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestReturnedCursorIsAbsoluteAndSameOrigin(t *testing.T) {
	srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		writeList(w, subPath+"?$skipToken=x", org("rg", "a", "Succeeded"))
	})
	c, _ := newTestClient(t, srv, nil)
	page, err := c.OrganizationsPage(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL + subPath + "?%24skipToken=x&api-version=" + APIVersion; page.Next != want {
		t.Errorf("Next = %q, want %q", page.Next, want)
	}
}

func TestListByResourceGroup(t *testing.T) {
	srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		writeList(w, "", org("myResourceGroup", "a", "Succeeded"))
	})
	c, _ := newTestClient(t, srv, func(cfg *Config) { cfg.ResourceGroup = "myResourceGroup" })
	if _, err := c.OrganizationsPage(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	want := []recorded{{Path: rgPath, APIVersion: APIVersion, Authorization: "Bearer fake_token"}}
	if diff := cmp.Diff(want, srv.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestItemsOutsideTheScopeAreRefused(t *testing.T) {
	tests := []struct {
		name string
		rg   string // configured resource group
		item map[string]any
	}{
		{"other subscription", "", map[string]any{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Confluent/organizations/a"}},
		{"other resource group", "mine", org("theirs", "a", "Succeeded")},
		{"other resource type", "", map[string]any{"id": "/subscriptions/" + testSub + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/a"}},
		{"no id", "", map[string]any{"name": "a"}},
		{"null item", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { writeList(w, "", tt.item) })
			c, _ := newTestClient(t, srv, func(cfg *Config) { cfg.ResourceGroup = tt.rg })
			_, err := c.OrganizationsPage(t.Context(), "")
			if !errors.Is(err, cloud.ErrUnsafe) {
				t.Errorf("err = %v, want ErrUnsafe", err)
			}
		})
	}
}

func TestMalformedPages(t *testing.T) {
	tests := []struct{ name, body string }{
		{"truncated", `{"value":[{"id":"/subscriptions/`},
		{"empty body", ``},
		{"no value", `{"nextLink":null}`},
		{"value null", `{"value":null}`},
		{"wrong type", `{"value":{"id":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { fmt.Fprint(w, tt.body) })
			c, _ := newTestClient(t, srv, nil)
			_, err := c.OrganizationsPage(t.Context(), "")
			if !errors.Is(err, cloud.ErrTransient) {
				t.Errorf("err = %v, want ErrTransient", err)
			}
		})
	}
}

func TestRateLimited(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter func(now time.Time) string
		want       time.Duration
	}{
		// Above azcore's 60 s MaxRetryDelay: azcore itself would give up at once.
		{"beyond a minute", func(time.Time) string { return "120" }, 120 * time.Second},
		// Below it: azcore would sleep and retry inside the worker; we must not.
		{"a few seconds", func(time.Time) string { return "3" }, 3 * time.Second},
		// Below our own MaxRetryDelay: only leaving 429 out of the retried codes stops
		// a sleep-and-retry here.
		{"one second", func(time.Time) string { return "1" }, time.Second},
		{"HTTP date", func(now time.Time) string { return now.Add(90 * time.Second).UTC().Format(http.TimeFormat) }, 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Retry-After", tt.retryAfter(time.Now()))
				w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", "0")
				writeARMError(w, http.StatusTooManyRequests, "TooManyRequests", "Number of read requests exceeded the limit.")
			})
			// The production retry options, not the fast ones.
			budget := cloud.NewBudget()
			c, err := New(Config{Endpoint: srv.URL, SubscriptionID: testSub, Credential: &fake.TokenCredential{}, Budget: budget, Transport: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}

			start := time.Now()
			_, err = c.OrganizationsPage(t.Context(), "")
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("the call took %s; a 429 must come back at once", elapsed)
			}
			rl, ok := cloud.AsRateLimited(err)
			if !ok {
				t.Fatalf("err = %v, want a RateLimitedError", err)
			}
			if d := rl.Wait - tt.want; d > 0 || d < -2*time.Second {
				t.Errorf("Wait = %s, want about %s", rl.Wait, tt.want)
			}
			if rl.Figures.Remaining != 0 || rl.Figures.RefillPerSecond != refillPerSecond {
				t.Errorf("Figures = %+v, want Remaining 0 at the ARM refill rate", rl.Figures)
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("server saw %d requests, want 1 (no retry of a 429)", n)
			}

			// The whole account is blocked now: the next page is refused without a request.
			if _, err := c.OrganizationsPage(t.Context(), ""); err == nil {
				t.Fatal("second call succeeded while blocked")
			} else if _, ok := cloud.AsRateLimited(err); !ok {
				t.Errorf("second call: err = %v, want a RateLimitedError", err)
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("server saw %d requests while blocked, want 1", n)
			}
			if _, until := budget.Figures(); until.Before(start.Add(tt.want - 2*time.Second)) {
				t.Errorf("budget blocked until %s, want about %s from now", until, tt.want)
			}
		})
	}
}

func TestRateLimitResumesAtTheRefusedPage(t *testing.T) {
	refused := false
	srv := newARMServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch r.URL.Query().Get("$skipToken") {
		case "":
			writeList(w, subPath+"?$skipToken=2", org("rg", "a", "Succeeded"))
		case "2":
			if !refused {
				refused = true
				w.Header().Set("Retry-After", "0")
				writeARMError(w, http.StatusTooManyRequests, "TooManyRequests", "slow down")
				return
			}
			writeList(w, subPath+"?$skipToken=3", org("rg", "b", "Succeeded"))
		case "3":
			writeList(w, "", org("rg", "c", "Succeeded"))
		}
	})
	c, _ := newTestClient(t, srv, nil)
	listing := cloud.NewListing(c.OrganizationsPage, cloud.DefaultLimits)
	var ids []string
	var limited int
	for !listing.Done() {
		items, err := listing.Next(t.Context())
		if _, ok := cloud.AsRateLimited(err); ok {
			limited++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range items {
			ids = append(ids, o.ID)
		}
	}
	if limited != 1 {
		t.Errorf("rate limited %d times, want 1", limited)
	}
	if diff := cmp.Diff([]string{"rg/a", "rg/b", "rg/c"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	var tokens []string
	for _, r := range srv.requests() {
		tokens = append(tokens, r.SkipToken)
	}
	if diff := cmp.Diff([]string{"", "2", "2", "3"}, tokens); diff != "" {
		t.Errorf("skip tokens requested (-want +got):\n%s", diff)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n <= 2 {
			writeARMError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "try later")
			return
		}
		writeList(w, "", org("rg", "a", "Succeeded"))
	})
	c, _ := newTestClient(t, srv, nil)
	page, err := c.OrganizationsPage(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || len(srv.requests()) != 3 {
		t.Errorf("got %d items after %d requests, want 1 after 3", len(page.Items), len(srv.requests()))
	}
}

func TestServerErrorsGiveUpAsTransient(t *testing.T) {
	srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		writeARMError(w, http.StatusInternalServerError, "InternalServerError", "boom")
	})
	c, _ := newTestClient(t, srv, nil)
	_, err := c.OrganizationsPage(t.Context(), "")
	want := cloud.APIError{Kind: cloud.ErrTransient, Status: 500, Code: "InternalServerError", Message: "boom"}
	if diff := cmp.Diff(want, apiError(t, err), cmpopts.EquateErrors()); diff != "" {
		t.Errorf("err (-want +got):\n%s", diff)
	}
	if n := len(srv.requests()); n != 3 {
		t.Errorf("server saw %d requests, want 3 (two retries)", n)
	}
}

// The production retry options pause briefly between tries: a flaky 503 costs about a
// second, never a long sleep.
func TestProductionRetryOptionsAreShort(t *testing.T) {
	srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		writeList(w, "")
	})
	budget := cloud.NewBudget()
	c, err := New(Config{Endpoint: srv.URL, SubscriptionID: testSub, Credential: &fake.TokenCredential{}, Budget: budget, Transport: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.OrganizationsPage(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("two retries took %s", elapsed)
	}
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name            string
		status          int
		code, message   string
		wwwAuthenticate string
		want            error
	}{
		{"401", 401, "InvalidAuthenticationToken", "The access token is invalid.", "", cloud.ErrUnauthorized},
		{"401 with a challenge", 401, "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time.",
			`Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The access token has expired."`, cloud.ErrUnauthorized},
		{"403", 403, "AuthorizationFailed", "The client does not have authorization to perform action 'Microsoft.Confluent/organizations/read'.", "", cloud.ErrForbidden},
		{"404 subscription", 404, "SubscriptionNotFound", "The subscription could not be found.", "", cloud.ErrNotFound},
		{"404 resource group", 404, "ResourceGroupNotFound", "Resource group 'x' could not be found.", "", cloud.ErrNotFound},
		{"400", 400, "InvalidApiVersionParameter", "The api-version is invalid.", "", cloud.ErrBadRequest},
		{"409", 409, "MissingSubscriptionRegistration", "The subscription is not registered to use namespace 'Microsoft.Confluent'.", "", cloud.ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				if tt.wwwAuthenticate != "" {
					w.Header().Set("WWW-Authenticate", tt.wwwAuthenticate)
				}
				writeARMError(w, tt.status, tt.code, tt.message)
			})
			c, _ := newTestClient(t, srv, nil)
			_, err := c.OrganizationsPage(t.Context(), "")
			want := cloud.APIError{Kind: tt.want, Status: tt.status, Code: tt.code, Message: tt.message}
			if diff := cmp.Diff(want, apiError(t, err), cmpopts.EquateErrors()); diff != "" {
				t.Errorf("err (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.want)
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

// TestForeignLinksAreReissuedOnTheList: a nextLink on another host, scheme or path
// names a skip token; the page is read from the account's own list on the endpoint,
// and nothing is sent elsewhere.
func TestForeignLinksAreReissuedOnTheList(t *testing.T) {
	other := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { writeList(w, "") })
	var nextLink string
	srv := newARMServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Query().Get("$skipToken") != "" {
			writeList(w, "", org("rg", "b", "Succeeded"))
			return
		}
		writeList(w, nextLink, org("rg", "a", "Succeeded"))
	})
	c, _ := newTestClient(t, srv, nil)
	otherHTTP := strings.Replace(srv.URL, "https://", "http://", 1)

	tests := []struct{ name, link string }{
		{"other port (another server)", other.URL + subPath + "?$skipToken=x"},
		{"other host", "https://evil.example" + subPath + "?$skipToken=x"},
		{"other scheme", otherHTTP + subPath + "?$skipToken=x"},
		{"other subscription", srv.URL + "/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Confluent/organizations?$skipToken=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nextLink = tt.link
			before := len(srv.requests())
			var ids []string
			if err := cloudtest.Collect(cloud.NewListing(c.OrganizationsPage, cloud.DefaultLimits), cloudtest.OrganizationID, &ids); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"rg/a", "rg/b"}, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			want := []recorded{
				{Path: subPath, APIVersion: APIVersion, Authorization: "Bearer fake_token"},
				{Path: subPath, APIVersion: APIVersion, SkipToken: "x", Authorization: "Bearer fake_token"},
			}
			if diff := cmp.Diff(want, srv.requests()[before:]); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the other server received %d requests", n)
	}
}

// TestUnreadableLinksAreRefused: a nextLink without a skip token (the published
// examples' placeholder "string", a link elsewhere) cannot say where the list goes on.
func TestUnreadableLinksAreRefused(t *testing.T) {
	var nextLink string
	srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		writeList(w, nextLink, org("rg", "a", "Succeeded"))
	})
	c, _ := newTestClient(t, srv, nil)
	tests := []struct{ name, link string }{
		{"placeholder", "string"},
		{"user info, no token", strings.Replace(srv.URL, "https://", "https://u:p@", 1) + subPath},
		{"protocol-relative, no token", "//evil.example" + subPath},
		{"outside any subscription", srv.URL + "/providers/Microsoft.Confluent/operations"},
		{"empty skip token", srv.URL + subPath + "?$skipToken="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nextLink = tt.link
			before := len(srv.requests())
			if _, err := c.OrganizationsPage(t.Context(), ""); !errors.Is(err, cloud.ErrUnsafe) {
				t.Errorf("page with that nextLink: err = %v, want ErrUnsafe", err)
			}
			// A stored cursor is read again before use: nothing is sent.
			if _, err := c.OrganizationsPage(t.Context(), tt.link); !errors.Is(err, cloud.ErrUnsafe) {
				t.Errorf("that link as cursor: err = %v, want ErrUnsafe", err)
			}
			if n := len(srv.requests()) - before; n != 1 {
				t.Errorf("endpoint saw %d requests, want 1", n)
			}
		})
	}
}

func TestRedirectIsRefused(t *testing.T) {
	other := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { writeList(w, "") })
	srv := newARMServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, other.URL+subPath, http.StatusTemporaryRedirect)
	})
	c, _ := newTestClient(t, srv, nil)
	if _, err := c.OrganizationsPage(t.Context(), ""); !errors.Is(err, cloud.ErrUnsafe) {
		t.Errorf("err = %v, want ErrUnsafe", err)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the redirect target received %d requests", n)
	}
}

func TestTransportRefusesOtherOrigins(t *testing.T) {
	called := false
	tr := &guardedTransport{
		origin: mustParse(t, "https://management.azure.com/"),
		next: transporterFunc(func(*http.Request) (*http.Response, error) {
			called = true
			return nil, errors.New("sent")
		}),
	}
	for _, target := range []string{"https://login.microsoftonline.com/x", "http://management.azure.com/", "https://management.azure.com:444/"} {
		req, _ := http.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer secret")
		if _, err := tr.Do(req); !errors.Is(err, cloud.ErrUnsafe) {
			t.Errorf("%s: err = %v, want ErrUnsafe", target, err)
		}
	}
	if called {
		t.Error("a request to another origin reached the network")
	}
}

func TestBodyCap(t *testing.T) {
	srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		fmt.Fprint(w, `{"value":[],"x":"`)
		chunk := strings.Repeat("a", 1<<20)
		for range maxBodyBytes>>20 + 1 {
			fmt.Fprint(w, chunk)
		}
		fmt.Fprint(w, `"}`)
	})
	c, _ := newTestClient(t, srv, nil)
	if _, err := c.OrganizationsPage(t.Context(), ""); !errors.Is(err, cloud.ErrUnsafe) {
		t.Errorf("err = %v, want ErrUnsafe", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1 (an oversized answer is not retried)", n)
	}
}

func TestRemainingReadsAreObserved(t *testing.T) {
	srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			w.Header().Set("x-ms-ratelimit-remaining-subscription-reads", "17")
		}
		writeList(w, "")
	})
	c, budget := newTestClient(t, srv, nil)
	if _, err := c.OrganizationsPage(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	got, _ := budget.Figures()
	want := cloud.Figures{Limit: 250, Remaining: 17, RefillPerSecond: 25}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(cloud.Figures{}, "Observed")); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
	if got.Observed.IsZero() {
		t.Error("Observed not set")
	}
	// A response without the header keeps what is known.
	if _, err := c.OrganizationsPage(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if again, _ := budget.Figures(); again.Remaining != 17 {
		t.Errorf("Remaining = %d after a response without the header, want 17", again.Remaining)
	}
}

func TestFigures(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   cloud.Figures
		ok     bool
	}{
		{"reads", map[string]string{"x-ms-ratelimit-remaining-subscription-reads": "249"}, cloud.Figures{Limit: 250, Remaining: 249, RefillPerSecond: 25, Observed: now}, true},
		{"global reads", map[string]string{"x-ms-ratelimit-remaining-subscription-global-reads": "3"}, cloud.Figures{Limit: 250, Remaining: 3, RefillPerSecond: 25, Observed: now}, true},
		{"garbage", map[string]string{"x-ms-ratelimit-remaining-subscription-reads": "many"}, cloud.UnknownFigures(now), false},
		{"negative", map[string]string{"x-ms-ratelimit-remaining-subscription-reads": "-1"}, cloud.UnknownFigures(now), false},
		{"absent", nil, cloud.UnknownFigures(now), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			got, ok := figures(h, now)
			if diff := cmp.Diff(tt.want, got); diff != "" || ok != tt.ok {
				t.Errorf("figures: ok = %v (want %v), diff (-want +got):\n%s", ok, tt.ok, diff)
			}
		})
	}
}

func TestPlainHTTPLoopbackWithStaticToken(t *testing.T) {
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		writeList(w, "")
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, SubscriptionID: testSub, Token: "static-token"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OrganizationsPage(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if auth != "Bearer static-token" {
		t.Errorf("Authorization = %q", auth)
	}
}

func TestNewValidation(t *testing.T) {
	const secret = "s3cr3t-value-never-shown"
	ok := Config{SubscriptionID: testSub, Token: "t"}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string // "" for success
	}{
		{"defaults", func(*Config) {}, ""},
		{"client secret", func(c *Config) {
			c.Token, c.TenantID, c.ClientID, c.ClientSecret = "", "11111111-1111-1111-1111-111111111111", "app", secret
		}, ""},
		{"http elsewhere than loopback", func(c *Config) { c.Endpoint = "http://management.azure.com" }, "https"},
		{"http authority elsewhere", func(c *Config) { c.AuthorityHost = "http://login.example" }, "https"},
		{"http on ::1", func(c *Config) { c.Endpoint = "http://[::1]:8080" }, ""},
		{"endpoint with a path", func(c *Config) { c.Endpoint = "https://management.azure.com/x" }, "bare origin"},
		{"endpoint with user info", func(c *Config) { c.Endpoint = "https://u:p@management.azure.com" }, "bare origin"},
		{"no subscription", func(c *Config) { c.SubscriptionID = "" }, "subscription"},
		{"subscription with a slash", func(c *Config) { c.SubscriptionID = "a/b" }, "subscription"},
		{"no credentials", func(c *Config) { c.Token = "" }, "exactly one"},
		{"two credentials", func(c *Config) { c.ClientSecret = secret }, "exactly one"},
		{"partial client secret", func(c *Config) { c.Token, c.ClientID, c.ClientSecret = "", "app", secret }, "all required"},
		{"invalid tenant", func(c *Config) { c.Token, c.TenantID, c.ClientID, c.ClientSecret = "", "not a tenant!", "app", secret }, "tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mutate(&cfg)
			_, err := New(cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New: err = %v, want one mentioning %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}

func TestConnectClustersUnsupported(t *testing.T) {
	c, err := New(Config{SubscriptionID: testSub, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ConnectClustersPage(t.Context(), "env-1", ""); !errors.Is(err, cloud.ErrUnsupported) {
		t.Errorf("err = %v, want ErrUnsupported", err)
	}
}

// Personal data (userDetail) and the link token must not reach anything we produce:
// items, cursors or error messages.
func TestPersonalDataIsNeverCopied(t *testing.T) {
	markers := []string{"pd-aad@example.invalid", "pd-mail@example.invalid", "PdFirst", "PdLast", "pd-upn@example.invalid", "link-token-XYZ"}
	item := sample(t)
	props := item["properties"].(map[string]any)
	props["userDetail"] = map[string]any{
		"aadEmail": markers[0], "emailAddress": markers[1], "firstName": markers[2],
		"lastName": markers[3], "userPrincipalName": markers[4],
	}
	props["linkOrganization"] = map[string]any{"token": markers[5]}
	broken := map[string]any{}
	for k, v := range item {
		broken[k] = v
	}
	brokenProps := map[string]any{}
	for k, v := range props {
		brokenProps[k] = v
	}
	brokenProps["createdTime"] = "not a time " + markers[2]
	broken["properties"] = brokenProps

	var srv *armServer
	srv = newARMServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch r.URL.Query().Get("$skipToken") {
		case "":
			writeList(w, srv.URL+subPath+"?$skipToken=2", item)
		case "2":
			writeList(w, "", broken)
		}
	})
	c, _ := newTestClient(t, srv, nil)

	var produced []any
	page, err := c.OrganizationsPage(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	produced = append(produced, page)
	_, err = c.OrganizationsPage(t.Context(), page.Next)
	if err == nil {
		t.Fatal("a page with a malformed createdTime decoded")
	}
	produced = append(produced, err.Error())
	out, jerr := json.Marshal(produced)
	if jerr != nil {
		t.Fatal(jerr)
	}
	dump := string(out) + fmt.Sprintf("%+v %#v", page, page)
	for _, m := range markers {
		if strings.Contains(dump, m) {
			t.Errorf("%q appears in what the client produced: %s", m, dump)
		}
	}
	if len(page.Items) != 1 || page.Items[0].Details["location"] != "West US" {
		t.Errorf("the page lost ordinary fields: %+v", page)
	}
}

func apiError(t *testing.T, err error) cloud.APIError {
	t.Helper()
	var ae *cloud.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T), want a *cloud.APIError", err, err)
	}
	return *ae
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type transporterFunc func(*http.Request) (*http.Response, error)

func (f transporterFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// fakeEntra answers Microsoft Entra ID's tenant discovery and client-credentials token
// requests for tenant "contoso", accepting only the client secret "right-secret".
func fakeEntra(t *testing.T, base func() string, w http.ResponseWriter, r *http.Request, scopes *[]string) bool {
	t.Helper()
	switch r.URL.Path {
	case "/contoso/v2.0/.well-known/openid-configuration":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token_endpoint":"%[1]s/contoso/oauth2/v2.0/token","authorization_endpoint":"%[1]s/contoso/oauth2/v2.0/authorize","issuer":"%[1]s/contoso/v2.0"}`, base())
		return true
	case "/contoso/oauth2/v2.0/token":
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		*scopes = append(*scopes, r.PostForm.Get("scope"))
		w.Header().Set("Content-Type", "application/json")
		switch r.PostForm.Get("client_secret") {
		case "throttle-me":
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":"temporarily_unavailable","error_description":"AADSTS50196: throttled.","error_codes":[50196]}`)
			return true
		case "break-me":
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":"temporarily_unavailable","error_description":"AADSTS50001: unavailable.","error_codes":[50001]}`)
			return true
		}
		if r.PostForm.Get("client_id") != "app" || r.PostForm.Get("client_secret") != "right-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Trace ID: 1","error_codes":[7000215]}`)
			return true
		}
		fmt.Fprint(w, `{"token_type":"Bearer","expires_in":3600,"ext_expires_in":3600,"access_token":"entra-token"}`)
		return true
	}
	return false
}

func TestClientSecretCredential(t *testing.T) {
	tests := []struct {
		name, secret string
		wantErr      error
	}{
		{"accepted", "right-secret", nil},
		{"refused", "wrong-secret-value", cloud.ErrUnauthorized},
		{"throttled", "throttle-me", nil},
		{"unavailable", "break-me", cloud.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *armServer
			var scopes []string
			srv = newARMServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				if fakeEntra(t, func() string { return srv.URL }, w, r, &scopes) {
					return
				}
				if r.Header.Get("Authorization") != "Bearer entra-token" {
					writeARMError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "no")
					return
				}
				writeList(w, "", org("rg", "a", "Succeeded"))
			})
			c, _ := newTestClient(t, srv, func(cfg *Config) {
				cfg.Credential = nil
				cfg.AuthorityHost = srv.URL
				cfg.TenantID, cfg.ClientID, cfg.ClientSecret = "contoso", "app", tt.secret
			})
			page, err := c.OrganizationsPage(t.Context(), "")
			switch {
			case tt.secret == "throttle-me":
				if rl, ok := cloud.AsRateLimited(err); !ok || rl.Wait != 30*time.Second {
					t.Errorf("err = %v, want a 30s rate limit", err)
				}
			case tt.wantErr == cloud.ErrTransient:
				if !errors.Is(err, cloud.ErrTransient) {
					t.Errorf("err = %v, want ErrTransient", err)
				}
			case tt.wantErr == nil:
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) != 1 {
					t.Errorf("got %d items", len(page.Items))
				}
			default:
				want := cloud.APIError{Kind: tt.wantErr, Status: 401, Code: "invalid_client", Message: "token request refused (AADSTS7000215)"}
				if diff := cmp.Diff(want, apiError(t, err), cmpopts.EquateErrors()); diff != "" {
					t.Errorf("err (-want +got):\n%s", diff)
				}
				if strings.Contains(err.Error(), tt.secret) {
					t.Errorf("the error shows the secret: %v", err)
				}
			}
			// MSAL appends its OIDC scopes; the resource scope comes first.
			if len(scopes) == 0 || strings.Fields(scopes[0])[0] != srv.URL+"/.default" {
				t.Errorf("token scopes = %q, want %q first", scopes, srv.URL+"/.default")
			}
		})
	}
}

// TestFiguresPaceOnTheSmallerBucket: ARM reports the principal's bucket in the
// subscription and the subscription's own; a read is refused by whichever runs dry.
func TestFiguresPaceOnTheSmallerBucket(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name          string
		principal     string
		subscription  string
		wantRemaining int
		wantOK        bool
	}{
		{"both, the subscription's smaller", "240", "12", 12, true},
		{"both, the principal's smaller", "7", "1200", 7, true},
		{"the principal's only", "90", "", 90, true},
		{"the subscription's only", "", "33", 33, true},
		{"a broken one is skipped", "x", "44", 44, true},
		{"none", "", "", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.principal != "" {
				h.Set("x-ms-ratelimit-remaining-subscription-reads", tt.principal)
			}
			if tt.subscription != "" {
				h.Set("x-ms-ratelimit-remaining-subscription-global-reads", tt.subscription)
			}
			f, ok := figures(h, now)
			if ok != tt.wantOK || f.Remaining != tt.wantRemaining {
				t.Errorf("figures = %d, %v; want %d, %v", f.Remaining, ok, tt.wantRemaining, tt.wantOK)
			}
		})
	}
}
