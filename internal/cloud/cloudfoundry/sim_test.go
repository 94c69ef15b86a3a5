package cloudfoundry

// The client against internal/cloudsim: discovery and UAA grants, whole listings at
// scale, faults mid-listing, and the request log as the witness of what was (and was
// not) sent.

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

// Credential setters for the sim's default identities.
func simPassword(sim *cloudsim.Server) func(*Config) {
	cred := sim.Config().CloudFoundry.Credentials[0]
	return func(c *Config) { c.Username, c.Password = cred.Username, cred.Password }
}

func simClient(sim *cloudsim.Server) func(*Config) {
	cred := sim.Config().CloudFoundry.Credentials[0]
	return func(c *Config) { c.ClientID, c.ClientSecret = cred.ClientID, cred.ClientSecret }
}

func newSimClient(t *testing.T, sim *cloudsim.Server, edits ...func(*Config)) *Client {
	t.Helper()
	return newClient(t, sim.URL(), func(c *Config) {
		for _, e := range edits {
			e(c)
		}
	})
}

// noSimSecrets fails the test when err's text holds any of sim's secrets.
func noSimSecrets(t *testing.T, sim *cloudsim.Server, err error) {
	t.Helper()
	var secrets []string
	cf := sim.Config().CloudFoundry
	for _, c := range append(cf.Credentials, cf.Forbidden) {
		secrets = append(secrets, c.Password, c.ClientSecret, c.Token)
	}
	cloudtest.NoSecrets(t, err, secrets...)
}

// hundredAPage asks for pages of 100, for the tests of what happens on page N.
func hundredAPage(c *Config) { c.PageSize = 100 }

func listing(c *Client) *cloud.Listing[cloud.Organization] {
	return cloud.NewListing(c.OrganizationsPage, cloud.DefaultLimits)
}

func endpointOf(version string) cloudsim.Endpoint {
	if version == V2 {
		return cloudsim.EndpointCFV2Organizations
	}
	return cloudsim.EndpointCFV3Organizations
}

func TestSimTenThousandOrganizations(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 10_000}})
	type view struct {
		ID, Name, Raw string
		State         cloud.State
	}
	var want []view
	for _, o := range sim.CFOrganizations().Items() {
		want = append(want, view{ID: o.GUID, Name: o.Name, Raw: o.Status, State: stateOf(o.Status)})
	}
	tests := []struct {
		name     string
		edits    []func(*Config)
		version  string
		requests int // ceil(10,000 / the version's largest page)
	}{
		{name: "v2 by configuration, password grant", version: V2, requests: 100,
			edits: []func(*Config){simPassword(sim), func(c *Config) { c.APIVersion = V2 }}},
		{name: "v3 by discovery, client credentials", version: V3, requests: 2, edits: []func(*Config){simClient(sim)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.ResetStats()
			l := listing(newSimClient(t, sim, tt.edits...))
			var got []view
			for _, o := range cloudtest.ReadAll(t, l) {
				got = append(got, view{ID: o.ID, Name: o.DisplayName, Raw: o.RawState, State: o.State})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("organizations (-want +got):\n%s", diff)
			}
			ep := endpointOf(tt.version)
			// Discovery reads the API root once, for the token endpoint (and the version).
			counts := []int{sim.Count(ep), sim.CountStatus(ep, 200), sim.TokenRequests(cloudsim.ProviderCloudFoundry), sim.Count(cloudsim.EndpointCFRoot)}
			if diff := cmp.Diff([]int{tt.requests, tt.requests, 1, 1}, counts); diff != "" {
				t.Errorf("list requests, of them 200, token requests, root reads (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSimLargestPages: each version is asked for its largest page unless the Config
// names one, and a page size above v2's is lowered when discovery settles on v2. A
// 6,000-organization v3 foundation is two requests, not sixty.
func TestSimLargestPages(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 6000}})
	tests := []struct {
		name      string
		edit      func(*Config)
		version   string
		wantPages []string // the page-size parameter of each list request
	}{
		{name: "v3 by discovery", version: V3, edit: func(*Config) {},
			wantPages: []string{"per_page=5000", "per_page=5000"}},
		{name: "v3 by configuration, page size set", version: V3, edit: func(c *Config) { c.APIVersion, c.PageSize = V3, 2500 },
			wantPages: []string{"per_page=2500", "per_page=2500", "per_page=2500"}},
		{name: "v2 by configuration", version: V2, edit: func(c *Config) { c.APIVersion = V2 }},
		{name: "v2 by discovery, page size above v2's", version: V2,
			edit: func(c *Config) { c.PageSize = 1000; c.Query = []string{"status:active"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.ResetStats()
			orgs := cloudtest.ReadAll(t, listing(newSimClient(t, sim, simClient(sim), tt.edit)))
			if len(orgs) == 0 {
				t.Fatal("no organizations listed")
			}
			var got []string
			for _, r := range sim.Requests() {
				if r.Endpoint != endpointOf(tt.version) {
					continue
				}
				u, err := url.Parse(r.RequestURI)
				if err != nil {
					t.Fatal(err)
				}
				q := u.Query()
				if tt.version == V2 {
					got = append(got, "results-per-page="+q.Get("results-per-page"))
				} else {
					got = append(got, "per_page="+q.Get("per_page"))
				}
			}
			want := tt.wantPages
			if tt.version == V2 {
				want = slices.Repeat([]string{"results-per-page=100"}, (len(orgs)+99)/100)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("list requests' page sizes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSimExternalDomain: a foundation reached by another address than the external
// domain its links name (450 organizations, v3, as a new user would meet it). With
// tokenURL set to UAA as reached the same way, every organization is listed and the
// other domain hears nothing. Without it, discovery names UAA on the external domain,
// as a Cloud Controller does, and that is where a token would be asked for: the
// origin guard (internal/providers) refuses it unless the Secret names that origin.
func TestSimExternalDomain(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 450}})
	external := cloudtest.StartSim(t, cloudsim.Config{})
	sim.SetExternalURL(external.URL())
	sameAddress := func(c *Config) { c.TokenURL = sim.URL() + "/oauth/token" }
	for _, edit := range []func(*Config){hundredAPage, func(c *Config) { c.PageSize = 100; c.APIVersion = V2 }} {
		sim.ResetStats()
		ids := cloudtest.ReadAll(t, listing(newSimClient(t, sim, simClient(sim), sameAddress, edit)))
		if len(ids) != 450 {
			t.Errorf("%d organizations, want 450", len(ids))
		}
		if n := sim.Count(cloudsim.EndpointCFV3Organizations) + sim.Count(cloudsim.EndpointCFV2Organizations); n != 5 {
			t.Errorf("%d list requests, want 5", n)
		}
	}
	if got := external.Requests(); len(got) != 0 {
		t.Errorf("the external domain was reached: %+v", got)
	}

	// Discovered, UAA is the external domain's (here another simulator, whose token
	// this foundation refuses).
	var ids []string
	if err := cloudtest.Collect(listing(newSimClient(t, sim, simClient(sim), hundredAPage)), cloudtest.OrganizationID, &ids); err == nil {
		t.Error("a token from the external domain's UAA was accepted")
	}
	if got := external.Requests(); len(got) == 0 || !strings.Contains(got[0].RequestURI, "token") {
		t.Errorf("the token request did not go to the external UAA discovery named: %+v", got)
	}
}

// TestSimPlaceholderNext: a next link without a page (the published examples'
// placeholder) cannot be followed; the listing stops with ErrUnsafe, and no page is
// asked for twice.
func TestSimPlaceholderNext(t *testing.T) {
	for _, version := range []string{V2, V3} {
		t.Run(version, func(t *testing.T) {
			sim := cloudtest.StartSim(t, cloudsim.Config{CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 300}})
			sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultPlaceholderNext, Endpoint: endpointOf(version), Page: 2})
			var ids []string
			err := cloudtest.Collect(listing(newSimClient(t, sim, simClient(sim), hundredAPage, func(c *Config) { c.APIVersion = version })), cloudtest.OrganizationID, &ids)
			cloudtest.CheckError(t, err, cloud.ErrUnsafe, "next link carries no page")
			if n := sim.Count(endpointOf(version)); n != 2 {
				t.Errorf("%d list requests, want 2", n)
			}
		})
	}
}

// TestSimDiscoveryNeverSendsCredentials: the API root and /v2/info are public; only
// the token endpoint and the lists see credentials.
func TestSimDiscoveryNeverSendsCredentials(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{})
	for _, edits := range [][]func(*Config){{simPassword(sim)}, {simClient(sim), func(c *Config) { c.APIVersion = V2 }}} {
		if _, err := newSimClient(t, sim, edits...).OrganizationsPage(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range sim.Requests() {
		wantCreds := r.Endpoint != cloudsim.EndpointCFRoot && r.Endpoint != cloudsim.EndpointCFInfo
		if r.Credentials != wantCreds {
			t.Errorf("%s %s: credentials sent %v, want %v", r.Method, r.RequestURI, r.Credentials, wantCreds)
		}
	}
}

// TestSimRateLimitBurstResumes: a burst of 429s on page 4 is waited out as told, and
// the same Listing resumes at page 4, not at page 1.
func TestSimRateLimitBurstResumes(t *testing.T) {
	tests := []struct {
		name         string
		epoch        bool
		version      string
		wantMin, max time.Duration
	}{
		{name: "v3, Retry-After in seconds", version: V3, wantMin: time.Second, max: time.Second},
		{name: "v2, Retry-After as an epoch", version: V2, epoch: true, wantMin: time.Millisecond, max: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := cloudtest.StartSim(t, cloudsim.Config{CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 1000, RetryAfterEpoch: tt.epoch}})
			ep := endpointOf(tt.version)
			sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultTooManyRequests, Endpoint: ep, Page: 4, Times: 2, RetryAfter: time.Second})
			l := listing(newSimClient(t, sim, simPassword(sim), hundredAPage, func(c *Config) { c.APIVersion = tt.version }))
			var ids []string
			refusals := 0
			// The wait is what is under test: CollectWaiting sleeps it out.
			cloudtest.CollectWaiting(t, l, cloudtest.OrganizationID, &ids, func(rl *cloud.RateLimitedError) {
				refusals++
				if rl.Wait < tt.wantMin || rl.Wait > tt.max {
					t.Errorf("wait %s, want between %s and %s", rl.Wait, tt.wantMin, tt.max)
				}
			})
			if refusals != 2 {
				t.Errorf("%d refusals, want 2", refusals)
			}
			if diff := cmp.Diff(sim.CFOrganizations().Keys(), ids); diff != "" {
				t.Errorf("organizations (-want +got):\n%s", diff)
			}
			cloudtest.CheckResumed(t, sim, ep, []int{200, 200, 200, 429, 429, 200, 200, 200, 200, 200, 200, 200})
		})
	}
}

// TestSimV2LimiterResumes: the v2 limiter (its own budget, -V2-API headers, a
// text/plain 429 saying CF-RateLimitV2APIExceeded) pauses the listing until its
// reset, and the same Listing resumes at the refused page.
func TestSimV2LimiterResumes(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 500,
		V2RateLimit: cloudsim.Window{Limit: 3, Window: 2 * time.Second}, PlainText429: true}})
	l := listing(newSimClient(t, sim, simPassword(sim), hundredAPage, func(c *Config) { c.APIVersion = V2 }))
	var ids []string
	refusals := 0
	cloudtest.CollectWaiting(t, l, cloudtest.OrganizationID, &ids, func(rl *cloud.RateLimitedError) {
		refusals++
		if rl.Wait <= 0 || rl.Wait > 3*time.Second || rl.Figures.Limit != 3 {
			t.Errorf("wait %s, figures %+v; want the v2 limiter's", rl.Wait, rl.Figures)
		}
	})
	if refusals == 0 {
		t.Error("the v2 limiter never refused")
	}
	if diff := cmp.Diff(sim.CFOrganizations().Keys(), ids); diff != "" {
		t.Errorf("organizations (-want +got):\n%s", diff)
	}
}

func TestSimFaults(t *testing.T) {
	foreign := cloudtest.StartSim(t, cloudsim.Config{})
	tests := []struct {
		name         string
		version      string
		fault        cloudsim.Fault
		wantErr      error
		wantRequests int
	}{
		{name: "v2 503 twice on page 3", version: V2, wantRequests: 7,
			fault: cloudsim.Fault{Kind: cloudsim.FaultServerError, Status: 503, Page: 3, Times: 2}},
		{name: "v3 truncated JSON on page 2", version: V3, wantRequests: 6,
			fault: cloudsim.Fault{Kind: cloudsim.FaultTruncate, Page: 2, Times: 1}},
		{name: "v2 page 4 links back to page 2", version: V2, wantRequests: 4, wantErr: cloud.ErrUnsafe,
			fault: cloudsim.Fault{Kind: cloudsim.FaultLoop, Page: 4, LoopTo: 2}},
		{name: "v3 page 4 links back to page 1", version: V3, wantRequests: 5, wantErr: cloud.ErrUnsafe,
			fault: cloudsim.Fault{Kind: cloudsim.FaultLoop, Page: 4, LoopTo: 1}},
		// The page a foreign link names is read from the configured origin.
		{name: "v2 next_url on another origin", version: V2, wantRequests: 5,
			fault: cloudsim.Fault{Kind: cloudsim.FaultForeignNext, Page: 2, ForeignOrigin: foreign.URL()}},
		{name: "v3 next href on another origin", version: V3, wantRequests: 5,
			fault: cloudsim.Fault{Kind: cloudsim.FaultForeignNext, Page: 2, ForeignOrigin: foreign.URL()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := cloudtest.StartSim(t, cloudsim.Config{CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 500}})
			ep := endpointOf(tt.version)
			tt.fault.Endpoint = ep
			sim.AddFault(tt.fault)
			var ids []string
			err := cloudtest.Collect(listing(newSimClient(t, sim, simPassword(sim), hundredAPage, func(c *Config) { c.APIVersion = tt.version })), cloudtest.OrganizationID, &ids)
			cloudtest.CheckError(t, err, tt.wantErr, "")
			noSimSecrets(t, sim, err)
			if tt.wantErr == nil {
				if diff := cmp.Diff(sim.CFOrganizations().Keys(), ids); diff != "" {
					t.Errorf("organizations (-want +got):\n%s", diff)
				}
			}
			if n := sim.Count(ep); n != tt.wantRequests {
				t.Errorf("%d list requests, want %d", n, tt.wantRequests)
			}
			if got := foreign.Requests(); len(got) != 0 {
				t.Errorf("the foreign origin was reached: %+v", got)
			}
		})
	}
}

// TestSimV2SwitchedOff: /v2 going away mid-listing is an error, never the end of the
// list; with a query only v2 can express, the next discovery says so.
func TestSimV2SwitchedOff(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 300}})
	c := newSimClient(t, sim, simPassword(sim), func(c *Config) { c.Query = []string{"status:active"} })
	l := listing(c)
	if _, err := l.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	sim.SetCFV2Enabled(false)
	if _, err := l.Next(context.Background()); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	if l.Done() {
		t.Fatal("the listing counts as complete")
	}
	_, err := c.OrganizationsPage(context.Background(), "")
	if !errors.Is(err, cloud.ErrBadRequest) || !strings.Contains(err.Error(), `filter "status:active" has no v3 equivalent`) {
		t.Errorf("rediscovery: got %v, want ErrBadRequest naming the filter", err)
	}
}

// TestSimItemsChangeBetweenPages: Cloud Controller pages are offsets in creation
// order. Items created meanwhile come at the end and are listed; an item removed
// ahead of the cursor is simply missing. (One removed behind the cursor shifts the
// rest back by one, so an item can be skipped: a limit of offset paging itself.)
func TestSimItemsChangeBetweenPages(t *testing.T) {
	for _, version := range []string{V2, V3} {
		t.Run(version, func(t *testing.T) {
			sim := cloudtest.StartSim(t, cloudsim.Config{CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 300}})
			orgs := sim.CFOrganizations()
			before := orgs.Keys()
			l := listing(newSimClient(t, sim, simClient(sim), hundredAPage, func(c *Config) { c.APIVersion = version }))
			ids := cloudtest.NextIDs(t, l, cloudtest.OrganizationID)
			orgs.Remove(before[250])
			orgs.Add(cloudsim.CFOrganization{GUID: "created-meanwhile", Name: "created-meanwhile"})
			if err := cloudtest.Collect(l, cloudtest.OrganizationID, &ids); err != nil {
				t.Fatal(err)
			}
			want := append(slices.Delete(slices.Clone(before), 250, 251), "created-meanwhile")
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("organizations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSimRevokedToken: a revoked token costs one refused page; the listing resumes
// there after discovery and a new token.
func TestSimRevokedToken(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 300}})
	l := listing(newSimClient(t, sim, simPassword(sim), hundredAPage))
	ids := cloudtest.NextIDs(t, l, cloudtest.OrganizationID)
	sim.ExpireTokens()
	if _, err := l.Next(context.Background()); !errors.Is(err, cloud.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
	if err := cloudtest.Collect(l, cloudtest.OrganizationID, &ids); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sim.CFOrganizations().Keys(), ids); diff != "" {
		t.Errorf("organizations (-want +got):\n%s", diff)
	}
	if n := sim.TokenRequests(cloudsim.ProviderCloudFoundry); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestSimCredentialsRefused(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{})
	forbidden := sim.Config().CloudFoundry.Forbidden
	tests := []struct {
		name string
		edit func(*Config)
		want error
	}{
		{name: "wrong password", want: cloud.ErrUnauthorized,
			edit: func(c *Config) { simPassword(sim)(c); c.Password = "wrong" }},
		{name: "wrong client secret", want: cloud.ErrUnauthorized,
			edit: func(c *Config) { simClient(sim)(c); c.ClientSecret = "wrong" }},
		{name: "user without cloud_controller.read", want: cloud.ErrForbidden,
			edit: func(c *Config) { c.Username, c.Password = forbidden.Username, forbidden.Password }},
		{name: "unknown static token", want: cloud.ErrUnauthorized,
			edit: func(c *Config) { c.Token = "not-a-token" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newSimClient(t, sim, tt.edit).OrganizationsPage(context.Background(), "")
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			noSimSecrets(t, sim, err)
		})
	}
}
