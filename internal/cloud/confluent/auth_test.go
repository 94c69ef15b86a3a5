package confluent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
)

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" when New must succeed
	}{
		{name: "api key", cfg: Config{APIKey: testAPIKey, APISecret: testAPISecret}},
		{name: "token", cfg: Config{Token: testToken}},
		{name: "client credentials", cfg: Config{ClientID: "cid", ClientSecret: testClientSecret, TokenURL: "https://idp.example/token"}},
		{name: "nothing", cfg: Config{},
			wantErr: "no credentials: provide apiKey+apiSecret, or token, or clientID+clientSecret+tokenURL"},
		{name: "api secret alone", cfg: Config{APISecret: testAPISecret}, wantErr: "incomplete credentials: missing apiKey"},
		{name: "client credentials without token URL", cfg: Config{ClientID: "cid", ClientSecret: testClientSecret},
			wantErr: "incomplete credentials: missing tokenURL"},
		{name: "two methods", cfg: Config{APIKey: testAPIKey, APISecret: testAPISecret, Token: testToken},
			wantErr: "ambiguous credentials: apiKey, apiSecret, token belong to different methods"},
		{name: "token URL not a URL", cfg: Config{ClientID: "cid", ClientSecret: testClientSecret, TokenURL: "idp.example/token"},
			wantErr: "tokenURL: not an absolute http(s) URL"},
		{name: "endpoint with user info", cfg: Config{Endpoint: "https://u:" + testAPISecret + "@api.example", Token: testToken},
			wantErr: "must not carry user info"},
		{name: "endpoint not http", cfg: Config{Endpoint: "ftp://u:" + testAPISecret + "@api.example", Token: testToken},
			wantErr: "not an absolute http(s) URL"},
		{name: "page size too big", cfg: Config{PageSize: 101, Token: testToken}, wantErr: "page size 101 is outside 1..100"},
		{name: "client credentials with an identity pool and a scope", cfg: Config{ClientID: "cid", ClientSecret: testClientSecret,
			TokenURL: "https://idp.example/token", IdentityPoolID: "pool-1", Scope: "api://x/.default"}},
		{name: "identity pool with an API key", cfg: Config{APIKey: testAPIKey, APISecret: testAPISecret, IdentityPoolID: "pool-1"},
			wantErr: "identityPoolID and scope go with clientID+clientSecret+tokenURL, not with apiKey+apiSecret"},
		{name: "scope with a static token", cfg: Config{Token: testToken, Scope: "x"},
			wantErr: "identityPoolID and scope go with clientID+clientSecret+tokenURL, not with token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			cloudtest.CheckErrorText(t, err, tt.wantErr)
			noSecrets(t, err)
		})
	}
}

func TestOAuthClientCredentials(t *testing.T) {
	idp := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" ||
			id != "cid" || secret != testClientSecret {
			cloudtest.WriteJSON(w, http.StatusUnauthorized, []byte(`{"error":"invalid_client","error_description":"Bad client credentials"}`))
			return
		}
		cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"access_token":"issued-1","token_type":"Bearer","expires_in":3600}`))
	})
	api := pagedServer(t, []string{"a", "b", "c"}, 2)
	oauth := func(secret string) func(*Config) {
		return func(c *Config) {
			c.Token = ""
			c.ClientID, c.ClientSecret, c.TokenURL = "cid", secret, idp.URL+"/oauth2/token"
		}
	}

	t.Run("one token serves the whole listing", func(t *testing.T) {
		l := cloud.NewListing(newClient(t, api.URL, oauth(testClientSecret)).OrganizationsPage, cloud.DefaultLimits)
		for !l.Done() {
			if _, err := l.Next(context.Background()); err != nil {
				t.Fatalf("Next: %v", err)
			}
		}
		var auths []string
		for _, s := range api.Seen() {
			auths = append(auths, s.Auth)
		}
		if diff := cmp.Diff([]string{"Bearer issued-1", "Bearer issued-1"}, auths); diff != "" {
			t.Errorf("Authorization headers (-want +got):\n%s", diff)
		}
		if got := len(idp.Seen()); got != 1 {
			t.Errorf("%d token requests, want 1", got)
		}
	})

	t.Run("a refused token is unauthorized and reaches no API", func(t *testing.T) {
		before := len(api.Seen())
		_, err := newClient(t, api.URL, oauth(testClientSecret+"-wrong")).OrganizationsPage(context.Background(), "")
		if !errors.Is(err, cloud.ErrUnauthorized) || !strings.Contains(err.Error(), "Bad client credentials") {
			t.Errorf("got %v, want ErrUnauthorized with the IdP's description", err)
		}
		noSecrets(t, err)
		if got := len(api.Seen()) - before; got != 0 {
			t.Errorf("%d API requests without a token", got)
		}
	})

	t.Run("a token the API refuses is replaced on the next call", func(t *testing.T) {
		var issued atomic.Int32
		idp := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			cloudtest.WriteJSON(w, http.StatusOK, []byte(fmt.Sprintf(`{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, issued.Add(1))))
		})
		api := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer tok-2" { // tok-1 was revoked
				cloudtest.WriteJSON(w, http.StatusUnauthorized, fixture(t, "error-401.json", ""))
				return
			}
			cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"data":[]}`))
		})
		c := newClient(t, api.URL, func(c *Config) {
			oauth(testClientSecret)(c)
			c.TokenURL = idp.URL + "/token"
		})
		if _, err := c.OrganizationsPage(context.Background(), ""); !errors.Is(err, cloud.ErrUnauthorized) {
			t.Fatalf("first call: got %v, want ErrUnauthorized", err)
		}
		if _, err := c.OrganizationsPage(context.Background(), ""); err != nil {
			t.Fatalf("second call: %v", err)
		}
		if got := len(idp.Seen()); got != 2 {
			t.Errorf("%d token requests, want 2", got)
		}
	})

	t.Run("an unreachable token endpoint is transient", func(t *testing.T) {
		down := cloudtest.NewRecorder(t, func(http.ResponseWriter, *http.Request) {})
		down.Close()
		_, err := newClient(t, api.URL, func(c *Config) {
			oauth(testClientSecret)(c)
			c.TokenURL = down.URL + "/token"
		}).OrganizationsPage(context.Background(), "")
		if !errors.Is(err, cloud.ErrTransient) {
			t.Errorf("got %v, want ErrTransient", err)
		}
		if strings.Contains(err.Error(), "<nil>") {
			t.Errorf("error %q lost its cause", err)
		}
		noSecrets(t, err)
	})
}

// TestAPIKeyListsNoOrganizations: partner/v2 accepts OAuth bearer tokens only, so an
// API key must fail organizations at once, sending nothing, while connect clusters go on
// with it.
func TestAPIKeyListsNoOrganizations(t *testing.T) {
	srv := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"data":[]}`))
	})
	c := newClient(t, srv.URL, withAPIKey)
	for _, cursor := range []string{"", srv.URL + "/partner/v2/organizations?page_token=abc"} {
		_, err := c.OrganizationsPage(context.Background(), cursor)
		cloudtest.CheckError(t, err, cloud.ErrBadRequest, "partner/v2 organizations need an OAuth bearer token "+
			"(Secret key token, or clientID+clientSecret+tokenURL); an API key (apiKey+apiSecret) "+
			"works only for connect clusters (set spec.confluentCloud.organizations: false)")
		noSecrets(t, err)
	}
	_, err := cloud.NewListing(c.OrganizationsPage, cloud.DefaultLimits).Next(context.Background())
	cloudtest.CheckError(t, err, cloud.ErrBadRequest, "need an OAuth bearer token")
	srv.CheckRequests(t, 0)

	if _, err := c.ConnectClustersPage(context.Background(), "env-1", ""); err != nil {
		t.Fatalf("connect clusters with an API key: %v", err)
	}
	want := []cloudtest.Seen{{Path: "/usm/v1/connect-clusters", Query: "environment=env-1&page_size=100", Auth: basicHeader(testAPIKey, testAPISecret)}}
	if diff := cmp.Diff(want, srv.Seen()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
