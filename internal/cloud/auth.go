package cloud

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// Authorizer adds credentials to a request. The Requester calls it only for requests
// to its own endpoint's origin, so credentials never travel anywhere else.
type Authorizer interface {
	Authorize(ctx context.Context, req *http.Request) error
}

// BasicAuth is HTTP basic authentication (a Confluent Cloud API key and secret).
type BasicAuth struct{ Username, Password string }

// Authorize implements Authorizer.
func (a BasicAuth) Authorize(_ context.Context, req *http.Request) error {
	req.SetBasicAuth(a.Username, a.Password)
	return nil
}

// BearerToken is a static bearer token.
type BearerToken string

// Authorize implements Authorizer.
func (t BearerToken) Authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer "+string(t))
	return nil
}

// TokenSourceAuth takes bearer tokens from an OAuth2 token source (client credentials,
// UAA password grant); wrap the source in oauth2.ReuseTokenSource to cache tokens.
type TokenSourceAuth struct{ Source oauth2.TokenSource }

// Authorize implements Authorizer.
func (a TokenSourceAuth) Authorize(ctx context.Context, req *http.Request) error {
	tok, err := a.Source.Token()
	if err != nil {
		if _, refused := err.(*oauth2.RetrieveError); !refused {
			logFailure(ctx, "token request", nil, err)
		}
		return TokenError(err)
	}
	tok.SetAuthHeader(req)
	return nil
}

// TokenError classifies a failed token request without echoing anything we sent. A
// throttled token endpoint is a rate limit like any other, not bad credentials.
func TokenError(err error) error {
	if oe, ok := AsOriginError(err); ok {
		return oe
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		status := re.Response.StatusCode
		if status == http.StatusTooManyRequests {
			now := time.Now()
			return &RateLimitedError{Wait: WaitFor(re.Response.Header, UnknownFigures(now), now), Figures: UnknownFigures(now)}
		}
		kind := KindForStatus(status)
		if status == http.StatusBadRequest { // OAuth answers bad client credentials with 400
			kind = ErrUnauthorized
		}
		return &APIError{Kind: kind, Status: status, Code: re.ErrorCode,
			Message: "token request refused: " + re.ErrorDescription}
	}
	// No response: the cause is a connection failure (said without quoting it), or an
	// answer oauth2 could not read.
	return &APIError{Kind: ErrTransient, Message: "token request failed: " + tokenFailure(err)}
}

// OAuthContext carries the HTTP client oauth2 uses for token requests.
func OAuthContext(client *http.Client) context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, client)
}

// tokenFailure says why a token request got no usable answer: a connection failure in
// describeFailure's words, or an answer that was not a token.
func tokenFailure(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) || errors.Is(err, errBodyTooLarge) {
		return describeFailure(err)
	}
	return "the token endpoint's answer was not a usable token"
}
