package azure_test

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/azure"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

// These tests run the client against the simulator over TLS, with azidentity's client
// secret credential talking to the simulator's Entra ID endpoints.

// simConfig is the account configuration a user would write for the simulator; the
// transport trusts the simulator's certificate and nothing else.
func simConfig(sim *cloudsim.Server, budget *cloud.Budget) azure.Config {
	cred := cloudsim.DefaultAzureCredential
	return azure.Config{
		Endpoint:       sim.URL(),
		AuthorityHost:  sim.URL(),
		SubscriptionID: cloudsim.DefaultAzureSubscription,
		TenantID:       cred.TenantID,
		ClientID:       cred.ClientID,
		ClientSecret:   cred.ClientSecret,
		Budget:         budget,
		Transport: &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: sim.CertPool(), MinVersion: tls.VersionTLS12},
		}},
	}
}

// listAll reads a whole listing; on a rate limit it waits as told (a test may sleep;
// a worker would requeue) and resumes.
func listAll(t *testing.T, c *azure.Client) (items []cloud.Organization, limits []*cloud.RateLimitedError) {
	t.Helper()
	listing := cloud.NewListing(c.OrganizationsPage, cloud.DefaultLimits)
	for !listing.Done() {
		page, err := listing.Next(t.Context())
		if rl, ok := cloud.AsRateLimited(err); ok {
			limits = append(limits, rl)
			if len(limits) > 10 {
				t.Fatal("rate limited more than 10 times")
			}
			time.Sleep(rl.Wait)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, page...)
	}
	return items, limits
}

func TestSimulatorTenThousandOrganizations(t *testing.T) {
	sim := cloudtest.StartSimTLS(t, cloudsim.Config{Seed: 7, Azure: cloudsim.AzureConfig{OrganizationsPerSubscription: 10000}})
	budget := cloud.NewBudget()
	c, err := azure.New(simConfig(sim, budget))
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	items, limits := listAll(t, c)
	t.Logf("listed %d organizations in %s", len(items), time.Since(start))
	if len(limits) != 0 {
		t.Errorf("rate limited %d times", len(limits))
	}

	ids := map[string]bool{}
	for _, o := range items {
		if ids[o.ID] {
			t.Errorf("duplicate ID %q", o.ID)
		}
		ids[o.ID] = true
		if o.DisplayName == "" || o.ResourceName == "" || o.RawState == "" || o.CreatedAt.IsZero() {
			t.Fatalf("incomplete organization %+v", o)
		}
	}
	if len(ids) != 10000 {
		t.Errorf("%d distinct organizations, want 10000", len(ids))
	}
	if n := sim.Count(cloudsim.EndpointAzureListBySubscription); n != 100 {
		t.Errorf("%d list requests, want 100", n)
	}
	if n := sim.CountStatus(cloudsim.EndpointAzureListBySubscription, http.StatusOK); n != 100 {
		t.Errorf("%d list requests answered 200, want 100", n)
	}
	// One discovery and one token for the whole listing: the token is cached.
	if d, tok := sim.Count(cloudsim.EndpointAzureOpenIDConfig), sim.Count(cloudsim.EndpointAzureToken); d != 1 || tok != 1 {
		t.Errorf("%d discovery and %d token requests, want 1 and 1", d, tok)
	}
	for _, r := range sim.Requests() {
		if r.Endpoint == cloudsim.EndpointAzureListBySubscription && !strings.Contains(r.RequestURI, "api-version="+azure.APIVersion) {
			t.Errorf("request without api-version %s: %s", azure.APIVersion, r.RequestURI)
		}
	}
	f, _ := budget.Figures()
	if f.Limit != 250 || f.Remaining <= 0 || f.Remaining >= 250 || f.RefillPerSecond != 25 {
		t.Errorf("budget figures %+v, want ARM's remaining reads", f)
	}

	// Personal data and link tokens the simulator served appear nowhere in what we
	// produced for the organization that carried them.
	secrets := map[string][]string{}
	var planted int
	for _, o := range sim.AzureOrganizations(cloudsim.DefaultAzureSubscription).Items() {
		key := strings.ToLower(o.ResourceGroup + "/" + o.Name)
		if u := o.UserDetail; u != nil {
			secrets[key] = append(secrets[key], u.AADEmail, u.EmailAddress, u.UserPrincipalName, u.FirstName+" "+u.LastName)
		}
		if o.LinkOrganizationToken != "" {
			secrets[key] = append(secrets[key], o.LinkOrganizationToken)
		}
		planted += len(secrets[key])
	}
	if planted == 0 {
		t.Fatal("the simulator served no userDetail or link token; the check below proves nothing")
	}
	for _, o := range items {
		out, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets[o.ID] {
			if strings.Contains(string(out), s) {
				t.Fatalf("%q was copied into %s", s, out)
			}
		}
	}
	if strings.Contains(fmt.Sprint(items), "@contoso.com") {
		t.Error("an e-mail address was copied")
	}
}

func TestSimulatorRateLimitBurstResumesAtTheRefusedPage(t *testing.T) {
	sim := cloudtest.StartSimTLS(t, cloudsim.Config{Seed: 7, Azure: cloudsim.AzureConfig{OrganizationsPerSubscription: 1000}})
	fault := sim.AddFault(cloudsim.Fault{
		Kind: cloudsim.FaultTooManyRequests, Endpoint: cloudsim.EndpointAzureListBySubscription,
		Page: 4, Times: 2, RetryAfter: time.Second,
	})
	c, err := azure.New(simConfig(sim, cloud.NewBudget()))
	if err != nil {
		t.Fatal(err)
	}

	listing := cloud.NewListing(c.OrganizationsPage, cloud.DefaultLimits)
	var items []cloud.Organization
	var limited int
	for !listing.Done() {
		start := time.Now()
		page, err := listing.Next(t.Context())
		if d := time.Since(start); d > time.Second {
			t.Errorf("a page took %s", d)
		}
		if rl, ok := cloud.AsRateLimited(err); ok {
			limited++
			if rl.Wait != time.Second {
				t.Errorf("wait %s, want the simulator's Retry-After of 1s", rl.Wait)
			}
			// The account stays blocked: asking again sends nothing.
			before := sim.Count(cloudsim.EndpointAzureListBySubscription)
			if _, err := listing.Next(t.Context()); !isRateLimited(err) {
				t.Errorf("while blocked: err = %v, want a rate limit", err)
			}
			if after := sim.Count(cloudsim.EndpointAzureListBySubscription); after != before {
				t.Errorf("%d requests sent while blocked", after-before)
			}
			time.Sleep(rl.Wait)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, page...)
	}

	if limited != 2 || sim.FaultFired(fault) != 2 {
		t.Errorf("rate limited %d times, fault fired %d times; want 2 and 2", limited, sim.FaultFired(fault))
	}
	if len(items) != 1000 {
		t.Errorf("%d organizations, want 1000", len(items))
	}
	// Ten pages plus the two refusals of page 4, each retried at page 4.
	var uris []string
	for _, r := range sim.Requests() {
		if r.Endpoint == cloudsim.EndpointAzureListBySubscription {
			uris = append(uris, r.RequestURI)
		}
	}
	if len(uris) != 12 {
		t.Fatalf("%d list requests, want 12", len(uris))
	}
	if uris[3] != uris[4] || uris[4] != uris[5] || uris[2] == uris[3] {
		t.Errorf("page 4 was not re-requested as refused: %q", uris[2:6])
	}
}

func TestSimulatorAccounts(t *testing.T) {
	sim := cloudtest.StartSimTLS(t, cloudsim.Config{Seed: 7})
	forbidden := cloudsim.DefaultAzureForbidden
	tests := []struct {
		name    string
		mutate  func(*azure.Config)
		wantErr error
		check   func(t *testing.T, items []cloud.Organization)
	}{
		{"static token", func(c *azure.Config) {
			c.TenantID, c.ClientID, c.ClientSecret = "", "", ""
			c.Token = cloudsim.DefaultAzureCredential.Token
		}, nil, nil},
		{"by resource group", func(c *azure.Config) { c.ResourceGroup = "orgsync-rg-1" }, nil,
			func(t *testing.T, items []cloud.Organization) {
				for _, o := range items {
					if !strings.EqualFold(o.Details["resourceGroup"], "orgsync-rg-1") {
						t.Errorf("%s is not in orgsync-rg-1", o.ResourceName)
					}
				}
			}},
		{"wrong secret", func(c *azure.Config) { c.ClientSecret = "not-the-secret" }, cloud.ErrUnauthorized, nil},
		{"forbidden principal", func(c *azure.Config) {
			c.TenantID, c.ClientID, c.ClientSecret = forbidden.TenantID, forbidden.ClientID, forbidden.ClientSecret
		}, cloud.ErrForbidden, nil},
		{"unknown subscription", func(c *azure.Config) { c.SubscriptionID = "99999999-9999-9999-9999-999999999999" }, cloud.ErrNotFound, nil},
		{"unknown resource group", func(c *azure.Config) { c.ResourceGroup = "nope" }, cloud.ErrNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := simConfig(sim, cloud.NewBudget())
			tt.mutate(&cfg)
			c, err := azure.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			page, err := c.OrganizationsPage(t.Context(), "")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), cfg.ClientSecret) && cfg.ClientSecret != "" {
					t.Errorf("the error shows the client secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) == 0 {
				t.Fatal("no organizations")
			}
			if tt.check != nil {
				tt.check(t, page.Items)
			}
		})
	}
}

// TestSimulatorForeignNextLink: the page a nextLink on another origin names is read
// from the endpoint; every organization is listed.
func TestSimulatorForeignNextLink(t *testing.T) {
	sim := cloudtest.StartSimTLS(t, cloudsim.Config{Seed: 7, Azure: cloudsim.AzureConfig{OrganizationsPerSubscription: 300}})
	foreign := cloudtest.StartSim(t, cloudsim.Config{})
	sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultForeignNext, Endpoint: cloudsim.EndpointAzureListBySubscription, Page: 2, ForeignOrigin: foreign.URL()})
	c, err := azure.New(simConfig(sim, cloud.NewBudget()))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := cloudtest.Collect(cloud.NewListing(c.OrganizationsPage, cloud.DefaultLimits), cloudtest.OrganizationID, &ids); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 300 {
		t.Errorf("%d organizations, want 300", len(ids))
	}
	if n := sim.Count(cloudsim.EndpointAzureListBySubscription); n != 3 {
		t.Errorf("%d list requests, want 3", n)
	}
	if got := foreign.Requests(); len(got) != 0 {
		t.Errorf("the foreign origin was reached: %+v", got)
	}
}

func isRateLimited(err error) bool {
	_, ok := cloud.AsRateLimited(err)
	return ok
}
