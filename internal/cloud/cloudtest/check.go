package cloudtest

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/orgsync/orgsync/internal/cloud"
)

// NoSecrets fails the test when err's text holds any of the non-empty secrets.
func NoSecrets(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q leaks a credential", err)
		}
	}
}

// CheckError stops the test unless err is kind, and fails it when text is not empty
// and err's text does not contain it.
func CheckError(t testing.TB, err, kind error, text string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want %v", err, kind)
	}
	if text != "" && !strings.Contains(err.Error(), text) {
		t.Errorf("error %q does not contain %q", err, text)
	}
}

// CheckErrorText stops the test unless err contains want, or, for an empty want, unless
// err is nil: the shape of the providers' configuration tables.
func CheckErrorText(t testing.TB, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
}

// RateLimited stops the test unless err is a rate limit, and returns it.
func RateLimited(t testing.TB, err error) *cloud.RateLimitedError {
	t.Helper()
	rl, ok := cloud.AsRateLimited(err)
	if !ok {
		t.Fatalf("got %v, want a rate limit", err)
	}
	return rl
}

// CheckNext fails when a next link that a decoder accepted leaves endpoint's origin
// or carries user info; "" (no next page) passes.
func CheckNext(t testing.TB, endpoint *url.URL, next string) {
	t.Helper()
	if next == "" {
		return
	}
	u, err := url.Parse(next)
	if err != nil || !cloud.SameOrigin(endpoint, u) || u.User != nil {
		t.Fatalf("accepted next link %q is off the endpoint's origin", next)
	}
}
