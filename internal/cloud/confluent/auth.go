package confluent

import (
	"context"
	"fmt"
	"net/http"
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

// authorizer builds the Authorizer of the one complete credential set in cfg, and for
// OAuth a renew func that drops the cached token.
func authorizer(cfg Config, transport http.RoundTripper) (cloud.Authorizer, func(), error) {
	present := map[string]bool{
		"apiKey": cfg.APIKey != "", "apiSecret": cfg.APISecret != "",
		"token":    cfg.Token != "",
		"clientID": cfg.ClientID != "", "clientSecret": cfg.ClientSecret != "", "tokenURL": cfg.TokenURL != "",
	}
	set, err := cloud.PickCredentialSet(present, apiKeySet, tokenSet, oauthClientSet)
	if err != nil {
		return nil, nil, err
	}
	switch set {
	case 0:
		return cloud.BasicAuth{Username: cfg.APIKey, Password: cfg.APISecret}, nil, nil
	case 1:
		return cloud.BearerToken(cfg.Token), nil, nil
	}
	if _, err := cloud.ParseEndpoint(cfg.TokenURL); err != nil {
		return nil, nil, fmt.Errorf("tokenURL: %w", err)
	}
	cc := &clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL}
	// Token requests leave the Requester, so they get their own timeout and the same
	// refusal to follow redirects: a redirect could carry the client secret elsewhere.
	tokenClient := cloud.NewHTTPClient(transport)
	tokenClient.Timeout = tokenTimeout
	ctx := cloud.OAuthContext(tokenClient)
	auth := &renewingAuth{newSource: func() oauth2.TokenSource { return oauth2.ReuseTokenSource(nil, cc.TokenSource(ctx)) }}
	auth.renew()
	return auth, auth.renew, nil
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
