package cloud

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ResetStyle says how a provider's X-RateLimit-Reset header counts.
type ResetStyle int

const (
	// ResetRelativeSeconds: seconds from now (Confluent Cloud).
	ResetRelativeSeconds ResetStyle = iota
	// ResetEpochSeconds: a UTC Unix time (Cloud Foundry).
	ResetEpochSeconds
)

// maxWait caps any wait a header asks for: a broken or hostile header must not stall
// an account for days.
const maxWait = time.Hour

// ParseXRateLimit reads the X-RateLimit-Limit/-Remaining/-Reset trio.
func ParseXRateLimit(h http.Header, style ResetStyle, now time.Time) Figures {
	return ParseXRateLimitSuffix(h, "", style, now)
}

// ParseXRateLimitSuffix reads a trio whose names carry suffix, such as Cloud
// Foundry's X-RateLimit-Limit-V2-API (suffix "-V2-API") from its v2 limiter.
func ParseXRateLimitSuffix(h http.Header, suffix string, style ResetStyle, now time.Time) Figures {
	f := UnknownFigures(now)
	f.Limit = parseCount(h.Get("X-RateLimit-Limit" + suffix))
	f.Remaining = parseCount(h.Get("X-RateLimit-Remaining" + suffix))
	if v, ok := parseInt(h.Get("X-RateLimit-Reset" + suffix)); ok {
		switch style {
		case ResetRelativeSeconds:
			if v >= 0 {
				f.Reset = now.Add(capUnits(v, time.Second))
			}
		case ResetEpochSeconds:
			if t := time.Unix(v, 0); t.After(now) {
				f.Reset = now.Add(capWait(t.Sub(now)))
			} else {
				f.Reset = now
			}
		}
	}
	return f
}

// Tighter returns the figures with less left: a request counted by two limiters (Cloud
// Foundry's general and v2 ones, ARM's per-principal and subscription-wide buckets) is
// refused by whichever runs out first. Unknown figures give way to known ones.
func Tighter(a, b Figures) Figures {
	switch {
	case b.Remaining < 0:
		return a
	case a.Remaining < 0:
		return b
	case b.Remaining < a.Remaining:
		return b
	}
	return a
}

// ParseRetryAfter reads Retry-After as delay-seconds or as an HTTP date (RFC 9110).
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, ok := parseInt(v); ok {
		if n < 0 {
			return 0, false
		}
		return capUnits(n, time.Second), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return capWait(max(t.Sub(now), 0)), true
}

// WaitFor decides how long to wait after a 429: Retry-After first, then the window
// reset, then a conservative default.
func WaitFor(h http.Header, f Figures, now time.Time) time.Duration {
	if d, ok := ParseRetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	if ms, ok := parseInt(h.Get("retry-after-ms")); ok && ms >= 0 {
		return capUnits(ms, time.Millisecond)
	}
	if !f.Reset.IsZero() && f.Reset.After(now) {
		return f.Reset.Sub(now)
	}
	return 30 * time.Second
}

func capWait(d time.Duration) time.Duration { return min(d, maxWait) }

// capUnits is n units capped at maxWait, checked before multiplying: a header such as
// "Retry-After: 9223372037" would otherwise overflow into a negative or tiny wait.
func capUnits(n int64, unit time.Duration) time.Duration {
	if n > int64(maxWait/unit) {
		return maxWait
	}
	return time.Duration(n) * unit
}

func parseInt(v string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil
}

func parseCount(v string) int {
	n, ok := parseInt(v)
	if !ok || n < 0 || n > 1<<31-1 {
		return -1
	}
	return int(n)
}
