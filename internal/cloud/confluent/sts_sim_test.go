package confluent

// The STS exchange against internal/cloudsim: usm/v1 refuses the identity
// provider's token and partner/v2 the STS token, so a client that sent the wrong one
// to either list would fail here.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

// withSimPool adds sim's identity pool to the OAuth client credentials.
func withSimPool(sim *cloudsim.Server) func(*Config) {
	return func(c *Config) {
		withSimOAuth(sim)(c)
		c.IdentityPoolID = sim.Config().Confluent.IdentityPools[0]
	}
}

func connectClusters(t *testing.T, c *Client, env string) []string {
	t.Helper()
	l := cloud.NewListing(func(ctx context.Context, cursor string) (cloud.Page[cloud.ConnectCluster], error) {
		return c.ConnectClustersPage(ctx, env, cursor)
	}, cloud.DefaultLimits)
	var ids []string
	for _, cc := range cloudtest.ReadAll(t, l) {
		ids = append(ids, cc.ID)
	}
	return ids
}

// TestSimSTSExchange: both lists with one OAuth client. partner/v2 gets the identity
// provider's token with scope marketplace::describe, usm/v1 the STS token exchanged
// for it once and reused on every page and environment.
func TestSimSTSExchange(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{Confluent: cloudsim.ConfluentConfig{Organizations: 30, ConnectClustersPerEnvironment: 23}})
	c := simClient(t, sim, func(c *Config) { withSimPool(sim)(c); c.PageSize = 10 })
	orgs := cloudtest.OrganizationIDs(t, c.OrganizationsPage)
	if len(orgs) != 30 {
		t.Errorf("%d organizations, want 30", len(orgs))
	}
	for _, env := range sim.Config().Confluent.Environments {
		if got := connectClusters(t, c, env); len(got) != 23 {
			t.Errorf("%s: %d connect clusters, want 23", env, len(got))
		}
	}
	counts := []int{sim.Count(cloudsim.EndpointConfluentToken), sim.Count(cloudsim.EndpointConfluentSTSToken),
		sim.CountStatus(cloudsim.EndpointConfluentConnectClusters, 200), sim.CountStatus(cloudsim.EndpointConfluentOrganizations, 200)}
	// Token requests: one for partner/v2 (its scope), one as the STS exchange's subject.
	if diff := cmp.Diff([]int{2, 1, 6, 3}, counts); diff != "" {
		t.Errorf("token, STS, connect-cluster and organization requests (-want +got):\n%s", diff)
	}
	var scopes []string
	for _, r := range sim.Requests() {
		if r.Endpoint == cloudsim.EndpointConfluentSTSToken && !r.Credentials {
			t.Errorf("the STS exchange carried no subject token: %+v", r)
		}
		if r.Endpoint == cloudsim.EndpointConfluentToken {
			scopes = append(scopes, r.Scope)
		}
	}
	if strings.Join(scopes, "|") != "marketplace::describe|" && strings.Join(scopes, "|") != "|marketplace::describe" {
		t.Errorf("token requests' scopes = %q, want marketplace::describe for partner/v2 and none for the STS subject", scopes)
	}
}

// TestSimIdentityProviderTokenRefusedOnUSM: cloudsim refuses the identity provider's
// token on usm/v1 and the STS token on partner/v2, as Confluent Cloud does.
func TestSimIdentityProviderTokenRefusedOnUSM(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{})
	cred := sim.Config().Confluent.Credentials[0]
	idp := bearerFrom(t, sim, "/oauth2/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {cred.ClientID}, "client_secret": {cred.ClientSecret}})
	sts := bearerFrom(t, sim, "/sts/v1/oauth2/token", url.Values{
		"grant_type": {grantTokenExchange}, "subject_token": {idp}, "subject_token_type": {tokenTypeJWT},
		"requested_token_type": {tokenTypeAccessToken}, "identity_pool_id": {cloudsim.DefaultConfluentIdentityPool}})
	if sts == idp {
		t.Fatal("the STS issued the token it was given")
	}
	for _, tt := range []struct {
		path, token string
		want        int
	}{
		{"/usm/v1/connect-clusters?environment=env-00000", idp, 401},
		{"/usm/v1/connect-clusters?environment=env-00000", sts, 200},
		{"/partner/v2/organizations", sts, 401},
		{"/partner/v2/organizations", idp, 200},
	} {
		if got := statusWith(t, sim, tt.path, tt.token); got != tt.want {
			t.Errorf("GET %s with the %s token: %d, want %d", tt.path, map[bool]string{true: "STS", false: "identity provider's"}[tt.token == sts], got, tt.want)
		}
	}
}

// TestNoIdentityPoolListsNoConnectClusters: OAuth without an identity pool cannot
// serve usm/v1; nothing is sent, and the error says what to add.
func TestNoIdentityPoolListsNoConnectClusters(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{})
	c := simClient(t, sim, withSimOAuth(sim))
	_, err := c.ConnectClustersPage(context.Background(), "env-00000", "")
	cloudtest.CheckError(t, err, cloud.ErrBadRequest, "add identityPoolID")
	if n := len(sim.Requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// TestSimSTSRefusals: an unknown identity pool and a revoked subject are refused by
// the STS as bad credentials, with Confluent's error text, and no secret in it.
func TestSimSTSRefusals(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{})
	c := simClient(t, sim, func(c *Config) { withSimPool(sim)(c); c.IdentityPoolID = "pool-nope" })
	_, err := c.ConnectClustersPage(context.Background(), "env-00000", "")
	cloudtest.CheckError(t, err, cloud.ErrUnauthorized, "Invalid Identity Pool")
	noSimSecrets(t, sim, err)
	if n := sim.Count(cloudsim.EndpointConfluentConnectClusters); n != 0 {
		t.Errorf("%d connect-cluster requests, want none", n)
	}
}

// TestSimSTSTokenRenewedAfterRevocation: a revoked STS token costs one refused page;
// the next page exchanges a new one.
func TestSimSTSTokenRenewedAfterRevocation(t *testing.T) {
	sim := cloudtest.StartSim(t, cloudsim.Config{Confluent: cloudsim.ConfluentConfig{ConnectClustersPerEnvironment: 30}})
	c := simClient(t, sim, func(c *Config) { withSimPool(sim)(c); c.PageSize = 10 })
	if _, err := c.ConnectClustersPage(context.Background(), "env-00000", ""); err != nil {
		t.Fatal(err)
	}
	sim.ExpireTokens()
	_, err := c.ConnectClustersPage(context.Background(), "env-00000", "")
	cloudtest.CheckError(t, err, cloud.ErrUnauthorized, "")
	if got := connectClusters(t, c, "env-00000"); len(got) != 30 {
		t.Errorf("%d connect clusters after renewal, want 30", len(got))
	}
	if n := sim.Count(cloudsim.EndpointConfluentSTSToken); n != 2 {
		t.Errorf("%d STS exchanges, want 2", n)
	}
}

// bearerFrom posts form to sim's path and returns the access_token it answers with.
func bearerFrom(t *testing.T, sim *cloudsim.Server, path string, form url.Values) string {
	t.Helper()
	resp, err := http.PostForm(sim.URL()+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("POST %s: %d, %v", path, resp.StatusCode, err)
	}
	return tok.AccessToken
}

// statusWith is the status sim answers GET path with token.
func statusWith(t *testing.T, sim *cloudsim.Server, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, sim.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}
