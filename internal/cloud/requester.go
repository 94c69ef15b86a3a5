package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// Backoff is capped exponential backoff with jitter for 5xx answers and timeouts.
type Backoff struct {
	Tries int
	Base  time.Duration
	Cap   time.Duration
}

// DefaultBackoff tries four times, waiting about 0.25s, 0.5s and 1s in between.
var DefaultBackoff = Backoff{Tries: 4, Base: 250 * time.Millisecond, Cap: 4 * time.Second}

// Delay before retry number n (1-based): a random point in the upper half of the
// exponential step, so clients that failed together do not retry together.
func (b Backoff) Delay(n int) time.Duration {
	d := b.Base
	for i := 1; i < n && d < b.Cap; i++ { // doubling, not Base<<(n-1), which overflows
		d *= 2
	}
	d = min(d, b.Cap)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

const (
	defaultTimeout      = 30 * time.Second
	defaultMaxBodyBytes = 16 << 20
)

// RequesterConfig configures a Requester. Endpoint, Budget and Figures are required.
type RequesterConfig struct {
	// Endpoint is the only origin requests (and credentials) may go to.
	Endpoint *url.URL
	Auth     Authorizer
	Budget   *Budget
	// Figures reads the provider's rate-limit headers.
	Figures func(h http.Header, now time.Time) Figures
	// ErrorDetail extracts the provider's error code and message from an error body.
	ErrorDetail  func(body []byte) (code, message string)
	HTTPClient   *http.Client
	Timeout      time.Duration
	MaxBodyBytes int64
	Backoff      Backoff
}

// Requester performs JSON GETs against one origin with the shared mechanics: budget,
// per-request timeout, bounded bodies, retries and typed errors.
type Requester struct {
	cfg RequesterConfig
}

// NewRequester fills in defaults. Redirects are never followed: a list API has no
// reason to redirect, and following one could carry credentials elsewhere.
func NewRequester(cfg RequesterConfig) *Requester {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = NewHTTPClient(nil)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = defaultMaxBodyBytes
	}
	if cfg.Backoff.Tries == 0 {
		cfg.Backoff = DefaultBackoff
	}
	return &Requester{cfg: cfg}
}

// NewHTTPClient returns a client that refuses redirects, over base (or a clone of the
// default transport).
func NewHTTPClient(base http.RoundTripper) *http.Client {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &http.Client{
		Transport: base,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Endpoint is the configured origin.
func (r *Requester) Endpoint() *url.URL { return r.cfg.Endpoint }

// GetJSON fetches target (which must be on the endpoint's origin) and decodes it.
func (r *Requester) GetJSON(ctx context.Context, target string, out any) error {
	u, err := url.Parse(target)
	if err != nil || !SameOrigin(r.cfg.Endpoint, u) {
		return fmt.Errorf("%w: refusing a request outside %s", ErrUnsafe, Redacted(r.cfg.Endpoint))
	}
	var lastErr error
	for attempt := 1; attempt <= r.cfg.Backoff.Tries; attempt++ {
		if attempt > 1 {
			if err := sleep(ctx, r.cfg.Backoff.Delay(attempt-1)); err != nil {
				return err
			}
		}
		if err := r.cfg.Budget.Admit(ctx); err != nil {
			return err
		}
		retry, err := r.once(ctx, u, out)
		if err == nil || !retry {
			return err
		}
		lastErr = err
	}
	return lastErr
}

// once makes one request; retry says whether a failure is worth another try.
func (r *Requester) once(ctx context.Context, u *url.URL, out any) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	if r.cfg.Auth != nil {
		if err := r.cfg.Auth.Authorize(ctx, req); err != nil {
			if rl, ok := AsRateLimited(err); ok { // the token endpoint's limit pauses the account too
				return false, r.cfg.Budget.Throttled(rl.Wait, rl.Figures)
			}
			return errors.Is(err, ErrTransient), err
		}
	}
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		if oe, ok := AsOriginError(err); ok {
			return false, oe
		}
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return false, ctx.Err()
		}
		// A connection error is worth another try at once. A request that used up its
		// whole timeout is not: trying again inline would hold the caller's worker for
		// minutes, and the caller retries the same page later with its own backoff.
		timedOut := ctx.Err() != nil
		logFailure(ctx, "GET", u, err)
		return !timedOut, &APIError{Kind: ErrTransient, Message: fmt.Sprintf("GET %s: %s", Redacted(u), describeFailure(err))}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.cfg.MaxBodyBytes+1))
	if err != nil { // a body cut short is retried at once; one that used up the timeout is not
		logFailure(ctx, "reading the response", u, err)
		return ctx.Err() == nil, &APIError{Kind: ErrTransient, Status: resp.StatusCode, Message: "reading the response: " + describeFailure(err)}
	}
	if int64(len(body)) > r.cfg.MaxBodyBytes {
		return false, fmt.Errorf("%w: response from %s larger than %d bytes", ErrUnsafe, Redacted(u), r.cfg.MaxBodyBytes)
	}
	now := time.Now()
	figures := r.cfg.Figures(resp.Header, now)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return false, r.cfg.Budget.Throttled(WaitFor(resp.Header, figures, now), figures)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.cfg.Budget.Observe(figures)
		return false, fmt.Errorf("%w: redirect (HTTP %d) from %s refused", ErrUnsafe, resp.StatusCode, Redacted(u))
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		r.cfg.Budget.Observe(figures)
		if err := json.Unmarshal(body, out); err != nil {
			return true, &APIError{Kind: ErrTransient, Status: resp.StatusCode, Message: "malformed JSON: " + err.Error()}
		}
		return false, nil
	default:
		r.cfg.Budget.Observe(figures)
		apiErr := &APIError{Kind: KindForStatus(resp.StatusCode), Status: resp.StatusCode}
		if r.cfg.ErrorDetail != nil {
			apiErr.Code, apiErr.Message = r.cfg.ErrorDetail(body)
		}
		return errors.Is(apiErr, ErrTransient), apiErr
	}
}

// sleep waits for d, or until ctx is done. Only short waits belong here (pacing, the
// backoff between inline tries): a long one must become a requeue instead.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
