package cloudfoundry

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orgsync/orgsync/internal/cloud"
)

// figures reads the Cloud Controller's two limiters: the general one
// (X-RateLimit-Limit/-Remaining/-Reset) and, on /v2, the v2 one (the same names with
// -V2-API). A /v2 request counts against both, so the tighter one paces. Resets are UTC
// epoch seconds. Remaining is rounded down to a tenth of the limit (the Cloud
// Controller's rate_limit middleware does so, and its documents say requests may still
// pass at 0), which Granularity tells the budget.
func figures(h http.Header, now time.Time) cloud.Figures {
	f := cloud.Tighter(cloud.ParseXRateLimit(h, cloud.ResetEpochSeconds, now),
		cloud.ParseXRateLimitSuffix(h, "-V2-API", cloud.ResetEpochSeconds, now))
	if f.Limit >= 10 {
		f.Granularity = f.Limit / 10
	}
	return f
}

// epochFloor separates the two readings of an integer Retry-After: no API asks a
// client to wait 31 years, so from here on the number is a UTC epoch time.
const epochFloor = 1_000_000_000

// epochRetryAfter rewrites a 429's Retry-After from UTC epoch seconds to the delay in
// seconds RFC 9110 defines. The Cloud Controller's rate limiter copies
// X-RateLimit-Reset (an epoch) into Retry-After, and its service-broker limiter sends
// an absolute time too; read as a delay, either would park the account for the cap.
type epochRetryAfter struct {
	base http.RoundTripper
	now  func() time.Time
}

func (t epochRetryAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		return resp, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("Retry-After")), 10, 64)
	if err != nil || v < epochFloor {
		return resp, nil
	}
	wait := max(time.Unix(v, 0).Sub(t.now()), 0)
	resp.Header.Set("Retry-After", strconv.FormatInt(int64((wait+time.Second-1)/time.Second), 10))
	return resp, nil
}
