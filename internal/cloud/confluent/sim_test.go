package confluent

// The client against internal/cloudsim: whole listings at scale, faults mid-listing,
// and the request log as the witness of what was (and was not) sent.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

// simClient returns a client of sim with its static token, unless edit says otherwise.
func simClient(t *testing.T, sim *cloudsim.Server, edit func(*Config)) *Client {
	t.Helper()
	cred := sim.Config().Confluent.Credentials[0]
	return newClient(t, sim.URL(), func(c *Config) {
		c.Token = cred.Token
		if edit != nil {
			edit(c)
		}
	})
}

// withSimAPIKey swaps the token for sim's Cloud API key (connect clusters only).
func withSimAPIKey(sim *cloudsim.Server) func(*Config) {
	cred := sim.Config().Confluent.Credentials[0]
	return func(c *Config) {
		c.Token = ""
		c.APIKey, c.APISecret = cred.APIKey, cred.APISecret
	}
}

// withSimOAuth swaps the token for sim's OAuth client credentials.
func withSimOAuth(sim *cloudsim.Server) func(*Config) {
	cred := sim.Config().Confluent.Credentials[0]
	return func(c *Config) {
		c.Token = ""
		c.ClientID, c.ClientSecret, c.TokenURL = cred.ClientID, cred.ClientSecret, sim.URL()+"/oauth2/token"
	}
}

// noSimSecrets fails the test when err's text holds any of sim's secrets.
func noSimSecrets(t *testing.T, sim *cloudsim.Server, err error) {
	t.Helper()
	var secrets []string
	for _, c := range append(sim.Config().Confluent.Credentials, sim.Config().Confluent.Forbidden) {
		secrets = append(secrets, c.APISecret, c.Token, c.ClientSecret)
	}
	cloudtest.NoSecrets(t, err, secrets...)
}

func TestSimTenThousandOrganizations(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{Confluent: cloudsim.ConfluentConfig{Organizations: 10_000}})
	// What the mapping must make of the sim's items: name, state from deleted_at, SSO.
	type view struct {
		ID, Name, SSOURL, TenantID string
		State                      cloud.State
	}
	now := time.Now()
	var want []view
	for _, o := range sim.ConfluentOrganizations().Items() {
		v := view{ID: o.ID, Name: o.Name, SSOURL: o.SSOURL, TenantID: o.SSOTenantID, State: cloud.StateSucceeded}
		switch {
		case o.DeletedAt.IsZero():
		case o.DeletedAt.After(now):
			v.State = cloud.StateDeleting
		default:
			v.State = cloud.StateDeleted
		}
		want = append(want, v)
	}
	tests := []struct {
		name       string
		edit       func(*Config)
		wantTokens int
	}{
		{name: "static token", wantTokens: 0},
		{name: "oauth client credentials", edit: withSimOAuth(sim), wantTokens: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.ResetStats()
			l := cloud.NewListing(simClient(t, sim, tt.edit).OrganizationsPage, cloud.DefaultLimits)
			var got []view
			for _, o := range cloudtest.ReadAll(t, l) {
				got = append(got, view{ID: o.ID, Name: o.DisplayName, SSOURL: o.SSOURL, TenantID: o.Details["ssoTenantID"], State: o.State})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("organizations (-want +got):\n%s", diff)
			}
			counts := []int{sim.Count(cloudsim.EndpointConfluentOrganizations), sim.CountStatus(cloudsim.EndpointConfluentOrganizations, 200),
				sim.TokenRequests(cloudsim.ProviderConfluent)}
			if diff := cmp.Diff([]int{100, 100, tt.wantTokens}, counts); diff != "" {
				t.Errorf("list requests, of them 200, token requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSimConnectClusters(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{Confluent: cloudsim.ConfluentConfig{ConnectClustersPerEnvironment: 23}})
	c := simClient(t, sim, func(c *Config) { withSimAPIKey(sim)(c); c.PageSize = 5 }) // usm/v1 takes an API key
	l := cloud.NewListing(func(ctx context.Context, cursor string) (cloud.Page[cloud.ConnectCluster], error) {
		return c.ConnectClustersPage(ctx, "env-00001", cursor)
	}, cloud.DefaultLimits)
	var got []string
	if err := cloudtest.Collect(l, func(cc cloud.ConnectCluster) string { return cc.Environment + "/" + cc.ID }, &got); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, id := range sim.ConnectClusters("env-00001").Keys() {
		want = append(want, "env-00001/"+id)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connect clusters (-want +got):\n%s", diff)
	}
	if n := sim.Count(cloudsim.EndpointConfluentConnectClusters); n != 5 {
		t.Errorf("%d list requests, want 5", n)
	}
}

// TestSimRateLimitBurstResumes: a burst of 429s on page 4 is waited out as told, and
// the same Listing resumes at page 4, not at page 1.
func TestSimRateLimitBurstResumes(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{Confluent: cloudsim.ConfluentConfig{Organizations: 1000}})
	sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultTooManyRequests, Endpoint: cloudsim.EndpointConfluentOrganizations,
		Page: 4, Times: 2, RetryAfter: time.Second})
	c := simClient(t, sim, nil)
	l := cloud.NewListing(c.OrganizationsPage, cloud.DefaultLimits)
	var ids []string
	refusals := 0
	// The wait is what is under test: CollectWaiting sleeps it out.
	cloudtest.CollectWaiting(t, l, cloudtest.OrganizationID, &ids, func(rl *cloud.RateLimitedError) {
		refusals++
		if rl.Wait != time.Second || rl.Figures.Remaining != 0 {
			t.Errorf("wait %s, remaining %d; want Retry-After's 1s and 0", rl.Wait, rl.Figures.Remaining)
		}
		// One budget per account: its other list waits too, without a request.
		before := sim.Count(cloudsim.EndpointConfluentConnectClusters)
		if _, err := c.ConnectClustersPage(context.Background(), "env-00000", ""); err == nil {
			t.Error("connect clusters were listed during the wait")
		}
		if sim.Count(cloudsim.EndpointConfluentConnectClusters) != before {
			t.Error("a connect-cluster request was sent during the wait")
		}
	})
	if refusals != 2 {
		t.Errorf("%d refusals, want 2", refusals)
	}
	if diff := cmp.Diff(sim.ConfluentOrganizations().Keys(), ids); diff != "" {
		t.Errorf("organizations (-want +got):\n%s", diff)
	}
	cloudtest.CheckResumed(t, sim, cloudsim.EndpointConfluentOrganizations, []int{200, 200, 200, 429, 429, 200, 200, 200, 200, 200, 200, 200})
}

func TestSimFaults(t *testing.T) {
	foreign := cloudtest.StartSim(t, cloudsim.Config{})
	tests := []struct {
		name         string
		fault        cloudsim.Fault
		wantErr      error
		wantRequests int
	}{
		{name: "503 twice on page 3", wantRequests: 7,
			fault: cloudsim.Fault{Kind: cloudsim.FaultServerError, Status: 503, Page: 3, Times: 2}},
		{name: "truncated JSON on page 2", wantRequests: 6,
			fault: cloudsim.Fault{Kind: cloudsim.FaultTruncate, Page: 2, Times: 1}},
		{name: "page 4 links back to page 2", wantRequests: 4, wantErr: cloud.ErrUnsafe,
			fault: cloudsim.Fault{Kind: cloudsim.FaultLoop, Page: 4, LoopTo: 2}},
		// The page a foreign link names is read from the configured endpoint.
		{name: "page 2 links to another origin", wantRequests: 5,
			fault: cloudsim.Fault{Kind: cloudsim.FaultForeignNext, Page: 2, ForeignOrigin: foreign.URL()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := cloudtest.StartSim(t, cloudsim.Config{Confluent: cloudsim.ConfluentConfig{Organizations: 500}})
			tt.fault.Endpoint = cloudsim.EndpointConfluentOrganizations
			sim.AddFault(tt.fault)
			var ids []string
			err := cloudtest.Collect(cloud.NewListing(simClient(t, sim, nil).OrganizationsPage, cloud.DefaultLimits), cloudtest.OrganizationID, &ids)
			cloudtest.CheckError(t, err, tt.wantErr, "")
			noSimSecrets(t, sim, err)
			if tt.wantErr == nil {
				if diff := cmp.Diff(sim.ConfluentOrganizations().Keys(), ids); diff != "" {
					t.Errorf("organizations (-want +got):\n%s", diff)
				}
			}
			if n := sim.Count(cloudsim.EndpointConfluentOrganizations); n != tt.wantRequests {
				t.Errorf("%d list requests, want %d", n, tt.wantRequests)
			}
			if got := foreign.Requests(); len(got) != 0 {
				t.Errorf("the foreign origin was reached: %+v", got)
			}
		})
	}
}

// TestSimServerErrorThenResume: retries give up on a persistent 5xx; once it clears,
// the same Listing goes on from the failed page.
func TestSimServerErrorThenResume(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{Confluent: cloudsim.ConfluentConfig{Organizations: 500}})
	id := sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultServerError, Endpoint: cloudsim.EndpointConfluentOrganizations, Page: 3})
	l := cloud.NewListing(simClient(t, sim, nil).OrganizationsPage, cloud.DefaultLimits)
	var ids []string
	if err := cloudtest.Collect(l, cloudtest.OrganizationID, &ids); !errors.Is(err, cloud.ErrTransient) {
		t.Fatalf("got %v, want ErrTransient", err)
	}
	sim.RemoveFault(id)
	if err := cloudtest.Collect(l, cloudtest.OrganizationID, &ids); err != nil {
		t.Fatalf("after the fault cleared: %v", err)
	}
	if diff := cmp.Diff(sim.ConfluentOrganizations().Keys(), ids); diff != "" {
		t.Errorf("organizations (-want +got):\n%s", diff)
	}
	_, statuses := cloudtest.RequestURIs(sim, cloudsim.EndpointConfluentOrganizations)
	if diff := cmp.Diff([]int{200, 200, 500, 500, 500, 500, 200, 200, 200}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

// TestSimItemsChangeBetweenPages: partner/v2 pages by key, so changes between two
// pages neither repeat nor skip anything that exists throughout.
func TestSimItemsChangeBetweenPages(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{Confluent: cloudsim.ConfluentConfig{Organizations: 300}})
	orgs := sim.ConfluentOrganizations()
	before := orgs.Keys()
	l := cloud.NewListing(simClient(t, sim, nil).OrganizationsPage, cloud.DefaultLimits)
	ids := cloudtest.NextIDs(t, l, cloudtest.OrganizationID)
	listedGone, unlistedGone := before[10], before[250]
	orgs.Remove(listedGone, unlistedGone)
	orgs.Add(cloudsim.ConfluentOrganization{ID: "00000000-behind-the-cursor"}, cloudsim.ConfluentOrganization{ID: "ffffffff-ahead-of-the-cursor"})
	if err := cloudtest.Collect(l, cloudtest.OrganizationID, &ids); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, id := range before {
		if id != unlistedGone {
			want = append(want, id)
		}
	}
	want = append(want, "ffffffff-ahead-of-the-cursor")
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("organizations (-want +got):\n%s", diff)
	}
}

// TestSimRevokedToken: tokens revoked mid-listing cost one refused page; the listing
// resumes there with a new token.
func TestSimRevokedToken(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{Confluent: cloudsim.ConfluentConfig{Organizations: 300}})
	l := cloud.NewListing(simClient(t, sim, withSimOAuth(sim)).OrganizationsPage, cloud.DefaultLimits)
	ids := cloudtest.NextIDs(t, l, cloudtest.OrganizationID)
	sim.ExpireTokens()
	_, err := l.Next(context.Background())
	if !errors.Is(err, cloud.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
	noSimSecrets(t, sim, err)
	if err := cloudtest.Collect(l, cloudtest.OrganizationID, &ids); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sim.ConfluentOrganizations().Keys(), ids); diff != "" {
		t.Errorf("organizations (-want +got):\n%s", diff)
	}
	if n := sim.TokenRequests(cloudsim.ProviderConfluent); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestSimCredentialsRefused(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{})
	forbidden := sim.Config().Confluent.Forbidden
	organizations := func(c *Client) error {
		_, err := c.OrganizationsPage(context.Background(), "")
		return err
	}
	connectClusters := func(c *Client) error {
		_, err := c.ConnectClustersPage(context.Background(), "env-00000", "")
		return err
	}
	tests := []struct {
		name string
		edit func(*Config)
		list func(*Client) error
		want error
	}{
		{name: "wrong token", want: cloud.ErrUnauthorized, list: organizations,
			edit: func(c *Config) { c.Token = "wrong" }},
		{name: "forbidden token", want: cloud.ErrForbidden, list: organizations,
			edit: func(c *Config) { c.Token = forbidden.Token }},
		{name: "wrong client secret", want: cloud.ErrUnauthorized, list: organizations,
			edit: func(c *Config) { withSimOAuth(sim)(c); c.ClientSecret = "wrong" }},
		{name: "wrong API secret", want: cloud.ErrUnauthorized, list: connectClusters,
			edit: func(c *Config) { withSimAPIKey(sim)(c); c.APISecret = "wrong" }},
		{name: "forbidden API key", want: cloud.ErrForbidden, list: connectClusters,
			edit: func(c *Config) { c.Token = ""; c.APIKey, c.APISecret = forbidden.APIKey, forbidden.APISecret }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.list(simClient(t, sim, tt.edit))
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			noSimSecrets(t, sim, err)
		})
	}
}

// TestSimAPIKeyOrganizations: the client keeps an API key from partner/v2, which
// would refuse it; the same key lists connect clusters.
func TestSimAPIKeyOrganizations(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{})
	c := simClient(t, sim, withSimAPIKey(sim))
	_, err := c.OrganizationsPage(context.Background(), "")
	cloudtest.CheckError(t, err, cloud.ErrBadRequest, "need an OAuth bearer token")
	noSimSecrets(t, sim, err)
	if n := sim.Count(cloudsim.EndpointConfluentOrganizations); n != 0 {
		t.Errorf("%d organization requests, want 0", n)
	}
	if _, err := c.ConnectClustersPage(context.Background(), "env-00000", ""); err != nil {
		t.Errorf("connect clusters: %v", err)
	}
}
