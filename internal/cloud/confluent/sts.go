package confluent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// The Security Token Service exchange (sts/v1, RFC 8693's token exchange): usm/v1
// takes a token Confluent issued, not the identity provider's own.
const (
	stsPath              = "sts/v1/oauth2/token"
	grantTokenExchange   = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
	tokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	// stsLifetime is the longest life sts/v1 grants (expires_in, at most 900 s).
	stsLifetime = 900
	// maxSTSReply caps the exchange's answer; a token reply is a few kilobytes.
	maxSTSReply = 1 << 20
)

// stsSource exchanges the identity provider's token for a Confluent STS token at
// endpoint's sts/v1. Wrap it in oauth2.ReuseTokenSource: the token is then reused
// until shortly before it expires.
type stsSource struct {
	client   *http.Client // from the account's transport, so every check applies
	url      string
	pool     string
	identity oauth2.TokenSource // the identity provider's token, the subject
	now      func() time.Time
}

// stsReply is sts.v1.TokenExchangeReply.
type stsReply struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
}

func newSTSSource(client *http.Client, endpoint *url.URL, pool string, identity oauth2.TokenSource) *stsSource {
	return &stsSource{client: client, url: endpoint.JoinPath(stsPath).String(), pool: pool, identity: identity, now: time.Now}
}

// Token implements oauth2.TokenSource. A refused exchange comes back as an
// *oauth2.RetrieveError, so that cloud.TokenError classifies it as it does any
// token endpoint's answer.
func (s *stsSource) Token() (*oauth2.Token, error) {
	subject, err := s.identity.Token()
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"grant_type":           {grantTokenExchange},
		"subject_token":        {subject.AccessToken},
		"subject_token_type":   {tokenTypeJWT},
		"requested_token_type": {tokenTypeAccessToken},
		"identity_pool_id":     {s.pool},
		"expires_in":           {fmt.Sprint(stsLifetime)},
	}
	ctx, cancel := context.WithTimeout(context.Background(), tokenTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("sts exchange: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sts exchange: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSTSReply))
	if err != nil {
		return nil, fmt.Errorf("sts exchange: reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		code, message := errorDetail(body)
		return nil, &oauth2.RetrieveError{Response: resp, Body: body, ErrorCode: code,
			ErrorDescription: "Confluent STS: " + message}
	}
	var r stsReply
	if err := json.Unmarshal(body, &r); err != nil || r.AccessToken == "" {
		return nil, fmt.Errorf("sts exchange: %w", errors.New("the answer holds no access_token"))
	}
	if !strings.EqualFold(r.TokenType, "bearer") {
		return nil, fmt.Errorf("sts exchange: %w", fmt.Errorf("token_type %q is not Bearer", r.TokenType))
	}
	tok := &oauth2.Token{AccessToken: r.AccessToken, TokenType: "Bearer"}
	if r.ExpiresIn > 0 {
		tok.Expiry = s.now().Add(time.Duration(min(r.ExpiresIn, 24*3600)) * time.Second)
	}
	return tok, nil
}
