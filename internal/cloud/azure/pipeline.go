package azure

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/orgsync/orgsync/internal/cloud"
)

// Resource Manager's read budget is a token bucket of 250 per subscription and
// principal, refilled at 25 a second; every response says what is left.
const (
	bucketSize      = 250
	refillPerSecond = 25
)

// readsHeaders are the remaining-reads headers: the bucket of this principal in the
// subscription, and the subscription's own, which every principal draws on.
var readsHeaders = []string{
	"x-ms-ratelimit-remaining-subscription-reads",
	"x-ms-ratelimit-remaining-subscription-global-reads",
}

// figures reads the remaining-reads headers and paces on the smaller count: a read is
// refused by whichever bucket runs dry first. ok is false when the response has none.
func figures(h http.Header, now time.Time) (f cloud.Figures, ok bool) {
	f = cloud.UnknownFigures(now)
	for _, name := range readsHeaders {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			continue
		}
		f = cloud.Tighter(f, cloud.Figures{Limit: bucketSize, Remaining: n, RefillPerSecond: refillPerSecond, Observed: now})
		ok = true
	}
	return f, ok
}

// figuresPolicy feeds every response's remaining-reads figure, retries included, to the
// account's budget. Responses without the header (a gateway's 502, say) leave the last
// figures alone rather than erase what is known.
type figuresPolicy struct{ budget *cloud.Budget }

func (p figuresPolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if resp != nil {
		if f, ok := figures(resp.Header, time.Now()); ok {
			p.budget.Observe(f)
		}
	}
	return resp, err
}

// guardedTransport is the pipeline's last step. It refuses any request that would leave
// the endpoint's origin before anything is sent (the bearer token is already attached by
// then), and bounds response bodies.
type guardedTransport struct {
	origin *url.URL
	next   policy.Transporter
}

func (t *guardedTransport) Do(req *http.Request) (*http.Response, error) {
	if !cloud.SameOrigin(t.origin, req.URL) {
		return nil, nonRetriable{fmt.Errorf("%w: refusing a request outside %s", cloud.ErrUnsafe, cloud.Redacted(t.origin))}
	}
	resp, err := t.next.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	if len(body) > maxBodyBytes {
		return nil, nonRetriable{fmt.Errorf("%w: response larger than %d bytes", cloud.ErrUnsafe, maxBodyBytes)}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// nonRetriable tells azcore's retry policy not to try again (errorinfo.NonRetriable).
type nonRetriable struct{ error }

func (nonRetriable) NonRetriable() {}

func (e nonRetriable) Unwrap() error { return e.error }
