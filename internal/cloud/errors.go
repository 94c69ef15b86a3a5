package cloud

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinels callers branch on with errors.Is. Every error a Provider returns for a
// remote answer wraps exactly one of them (or is a *RateLimitedError).
var (
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrNotFound     = errors.New("not found")
	ErrBadRequest   = errors.New("bad request")
	ErrTransient    = errors.New("transient remote failure")
	// ErrUnsafe marks answers the client refuses to follow: a next link to another
	// origin, a repeated page token, a response or listing beyond the caps.
	ErrUnsafe = errors.New("unsafe remote answer")
	// ErrCredentials marks credentials a provider cannot use as given: a Secret that
	// lacks keys, or mixes keys of two methods. Nothing was sent.
	ErrCredentials = errors.New("unusable credentials")
)

// CredentialsErrorf formats an error that matches ErrCredentials, keeping its own text.
func CredentialsErrorf(format string, args ...any) error {
	return credentialsError{fmt.Errorf(format, args...)}
}

type credentialsError struct{ error }

func (e credentialsError) Unwrap() error      { return e.error }
func (credentialsError) Is(target error) bool { return target == ErrCredentials }

// APIError is a non-2xx answer from a remote API, classified by Kind.
type APIError struct {
	Kind    error // one of the sentinels above
	Status  int
	Code    string // the provider's own error code, if any
	Message string // the provider's message; never contains our credentials
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s (HTTP %d", e.Kind, e.Status)
	if e.Code != "" {
		msg += ", " + e.Code
	}
	msg += ")"
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

func (e *APIError) Unwrap() error { return e.Kind }

// KindForStatus maps an HTTP status to the sentinel callers branch on.
func KindForStatus(status int) error {
	switch {
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusRequestTimeout, status >= 500:
		return ErrTransient
	default:
		return ErrBadRequest
	}
}

// RateLimitedError says the remote API refused (or would refuse) a request for now.
// Callers requeue after Wait instead of sleeping.
type RateLimitedError struct {
	Wait    time.Duration
	Figures Figures
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limited: retry in %s", e.Wait.Round(time.Millisecond))
}

// AsRateLimited reports whether err is a rate limit, and its wait.
func AsRateLimited(err error) (*RateLimitedError, bool) {
	var rl *RateLimitedError
	ok := errors.As(err, &rl)
	return rl, ok
}
