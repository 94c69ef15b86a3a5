package confluent

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/orgsync/orgsync/internal/cloud"
)

// tokenTimeout bounds one token request; the token endpoint is outside the Requester.
const tokenTimeout = 30 * time.Second

// The credential sets, named by the Secret keys PRODUCT.md gives them.
var (
	apiKeySet      = []string{"apiKey", "apiSecret"}
	tokenSet       = []string{"token"}
	oauthClientSet = []string{"clientID", "clientSecret", "tokenURL"}
)

// DefaultScope is the OAuth scope partner/v2 organizations name (security: oauth,
// marketplace::describe); Config.Scope overrides it.
const DefaultScope = "marketplace::describe"

// auths are the Authorizers of each list, and for OAuth a renew func that drops the
// cached tokens. clusters is nil when the credentials cannot serve usm/v1.
type auths struct {
	organizations, clusters cloud.Authorizer
	renew                   func()
}

// authorizers builds the Authorizers of the one complete credential set in cfg. With
// OAuth, partner/v2 gets the identity provider's token (scope DefaultScope unless
// cfg.Scope says otherwise) and usm/v1 a Confluent STS token exchanged for it with
// cfg.IdentityPoolID: usm/v1 refuses the identity provider's own token.
func authorizers(cfg Config, endpoint *url.URL, transport http.RoundTripper) (auths, error) {
	present := map[string]bool{
		"apiKey": cfg.APIKey != "", "apiSecret": cfg.APISecret != "",
		"token":    cfg.Token != "",
		"clientID": cfg.ClientID != "", "clientSecret": cfg.ClientSecret != "", "tokenURL": cfg.TokenURL != "",
	}
	set, err := cloud.PickCredentialSet(present, apiKeySet, tokenSet, oauthClientSet)
	if err != nil {
		return auths{}, err
	}
	if set != 2 && (cfg.IdentityPoolID != "" || cfg.Scope != "") {
		return auths{}, cloud.CredentialsErrorf("identityPoolID and scope go with clientID+clientSecret+tokenURL, not with %s",
			strings.Join([][]string{apiKeySet, tokenSet}[set], "+"))
	}
	switch set {
	case 0:
		key := cloud.BasicAuth{Username: cfg.APIKey, Password: cfg.APISecret}
		return auths{organizations: key, clusters: key}, nil
	case 1:
		// A static token is the caller's choice: an identity provider's token for
		// partner/v2, or an STS token renewed elsewhere for usm/v1.
		return auths{organizations: cloud.BearerToken(cfg.Token), clusters: cloud.BearerToken(cfg.Token)}, nil
	}
	if _, err := cloud.ParseEndpoint(cfg.TokenURL); err != nil {
		return auths{}, fmt.Errorf("tokenURL: %w", err)
	}
	// Token requests leave the Requester, so they get their own timeout and the same
	// refusal to follow redirects: a redirect could carry the client secret elsewhere.
	tokenClient := cloud.NewHTTPClient(transport)
	tokenClient.Timeout = tokenTimeout
	ctx := cloud.OAuthContext(tokenClient)
	idp := func(scopes []string) func() oauth2.TokenSource {
		cc := &clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL, Scopes: scopes}
		return func() oauth2.TokenSource { return oauth2.ReuseTokenSource(nil, cc.TokenSource(ctx)) }
	}
	scopes := strings.Fields(cfg.Scope)
	orgScopes := scopes
	if len(orgScopes) == 0 {
		orgScopes = []string{DefaultScope}
	}
	orgs := &renewingAuth{newSource: idp(orgScopes)}
	out := auths{organizations: orgs}
	renewers := []*renewingAuth{orgs}
	if cfg.IdentityPoolID != "" {
		// The subject token asks for the configured scope only: which identities an
		// identity pool admits is its own filter's business.
		subject := idp(scopes)
		clusters := &renewingAuth{newSource: func() oauth2.TokenSource {
			return oauth2.ReuseTokenSource(nil, newSTSSource(tokenClient, endpoint, cfg.IdentityPoolID, subject()))
		}}
		out.clusters = clusters
		renewers = append(renewers, clusters)
	}
	out.renew = func() {
		for _, r := range renewers {
			r.renew()
		}
	}
	out.renew()
	return out, nil
}

// renewingAuth can drop its cached token. A token revoked before it expires then costs
// one refused page, not every sync until its expiry.
type renewingAuth struct {
	newSource func() oauth2.TokenSource
	mu        sync.Mutex
	current   cloud.TokenSourceAuth
}

func (a *renewingAuth) Authorize(ctx context.Context, req *http.Request) error {
	a.mu.Lock()
	current := a.current
	a.mu.Unlock()
	return current.Authorize(ctx, req)
}

func (a *renewingAuth) renew() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.current = cloud.TokenSourceAuth{Source: a.newSource()}
}
