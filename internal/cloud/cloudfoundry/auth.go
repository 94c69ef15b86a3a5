package cloudfoundry

import (
	"context"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/orgsync/orgsync/internal/cloud"
)

const (
	// cfClientID is the public UAA client the cf CLI uses for the password grant; its
	// secret is empty.
	cfClientID = "cf"
	// tokenTimeout bounds one token request; UAA is outside the Requester.
	tokenTimeout = 30 * time.Second
)

// The credential sets, named by the Secret keys PRODUCT.md gives them, in the order
// of the method constants below.
var credentialSets = [][]string{{"username", "password"}, {"clientID", "clientSecret"}, {"token"}}

type method int

const (
	passwordGrant method = iota
	clientCredentials
	staticToken
)

// credentials is the one complete credential set of a Config.
type credentials struct {
	method             method
	username, password string
	clientID, secret   string
	token              string
}

func pickCredentials(cfg Config) (credentials, error) {
	present := map[string]bool{
		"username": cfg.Username != "", "password": cfg.Password != "",
		"clientID": cfg.ClientID != "", "clientSecret": cfg.ClientSecret != "",
		"token": cfg.Token != "",
	}
	set, err := cloud.PickCredentialSet(present, credentialSets...)
	if err != nil {
		return credentials{}, err
	}
	return credentials{
		method:   method(set),
		username: cfg.Username, password: cfg.Password,
		clientID: cfg.ClientID, secret: cfg.ClientSecret,
		// `cf oauth-token` prints "bearer <token>"; accept it pasted as is.
		token: trimBearer(cfg.Token),
	}, nil
}

func (c credentials) needsTokenURL() bool { return c.method != staticToken }

// authorizer returns the Authorizer for these credentials; tokenURL is UAA's token
// endpoint, unused for a static token.
func (c credentials) authorizer(tokenURL string, transport http.RoundTripper) cloud.Authorizer {
	if c.method == staticToken {
		return cloud.BearerToken(c.token)
	}
	// Token requests leave the Requester: they get their own timeout and the same
	// refusal to follow redirects, which could carry a password elsewhere.
	tokenClient := cloud.NewHTTPClient(transport)
	tokenClient.Timeout = tokenTimeout
	ctx := cloud.OAuthContext(tokenClient)
	var src oauth2.TokenSource
	if c.method == passwordGrant {
		conf := &oauth2.Config{ClientID: cfClientID,
			Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader}}
		src = passwordSource{ctx: ctx, conf: conf, username: c.username, password: c.password}
	} else {
		cc := &clientcredentials.Config{ClientID: c.clientID, ClientSecret: c.secret, TokenURL: tokenURL,
			AuthStyle: oauth2.AuthStyleInHeader}
		src = cc.TokenSource(ctx)
	}
	return cloud.TokenSourceAuth{Source: oauth2.ReuseTokenSource(nil, src)}
}

// passwordSource asks UAA for a fresh token with the password each time the cached
// one expires. It ignores refresh tokens: a client holding the password gains
// nothing from them, and an expired refresh token would otherwise need its own
// recovery path.
type passwordSource struct {
	ctx                context.Context
	conf               *oauth2.Config
	username, password string
}

func (p passwordSource) Token() (*oauth2.Token, error) {
	return p.conf.PasswordCredentialsToken(p.ctx, p.username, p.password)
}

func trimBearer(token string) string {
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		return strings.TrimSpace(token[7:])
	}
	return token
}
