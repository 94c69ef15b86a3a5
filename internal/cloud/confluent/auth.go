package confluent

import (
	"fmt"
	"net/http"
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

// authorizer builds the Authorizer of the one complete credential set in cfg.
func authorizer(cfg Config, transport http.RoundTripper) (cloud.Authorizer, error) {
	present := map[string]bool{
		"apiKey": cfg.APIKey != "", "apiSecret": cfg.APISecret != "",
		"token":    cfg.Token != "",
		"clientID": cfg.ClientID != "", "clientSecret": cfg.ClientSecret != "", "tokenURL": cfg.TokenURL != "",
	}
	set, err := cloud.PickCredentialSet(present, apiKeySet, tokenSet, oauthClientSet)
	if err != nil {
		return nil, err
	}
	switch set {
	case 0:
		return cloud.BasicAuth{Username: cfg.APIKey, Password: cfg.APISecret}, nil
	case 1:
		return cloud.BearerToken(cfg.Token), nil
	}
	if _, err := parseOrigin(cfg.TokenURL); err != nil {
		return nil, fmt.Errorf("tokenURL: %w", err)
	}
	cc := &clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL}
	// Token requests leave the Requester, so they get their own timeout and the same
	// refusal to follow redirects: a redirect could carry the client secret elsewhere.
	tokenClient := cloud.NewHTTPClient(transport)
	tokenClient.Timeout = tokenTimeout
	source := oauth2.ReuseTokenSource(nil, cc.TokenSource(cloud.OAuthContext(tokenClient)))
	return cloud.TokenSourceAuth{Source: source}, nil
}
