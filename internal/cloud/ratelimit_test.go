package cloud

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testNow is a whole second, so epoch headers convert exactly.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func epoch(d time.Duration) string { return strconv.FormatInt(testNow.Add(d).Unix(), 10) }

func TestParseXRateLimit(t *testing.T) {
	figures := func(limit, remaining int, reset time.Time) Figures {
		return Figures{Limit: limit, Remaining: remaining, Reset: reset, Observed: testNow}
	}
	tests := []struct {
		name  string
		h     http.Header
		style ResetStyle
		want  Figures
	}{
		{"Confluent: relative seconds", header("X-RateLimit-Limit", "80", "X-RateLimit-Remaining", "5", "X-RateLimit-Reset", "30"),
			ResetRelativeSeconds, figures(80, 5, testNow.Add(30*time.Second))},
		{"Cloud Foundry: epoch seconds", header("X-RateLimit-Limit", "2000", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", epoch(120*time.Second)),
			ResetEpochSeconds, figures(2000, 0, testNow.Add(120*time.Second))},
		// The same header read with the wrong style: a relative "30" as an epoch is 1970,
		// an epoch as relative seconds is decades, capped.
		{"relative value read as epoch is in the past", header("X-RateLimit-Reset", "30"),
			ResetEpochSeconds, figures(-1, -1, testNow)},
		{"epoch value read as relative is capped", header("X-RateLimit-Reset", epoch(120*time.Second)),
			ResetRelativeSeconds, figures(-1, -1, testNow.Add(maxWait))},
		{"epoch in the past", header("X-RateLimit-Reset", epoch(-time.Hour)), ResetEpochSeconds, figures(-1, -1, testNow)},
		{"epoch far ahead is capped", header("X-RateLimit-Reset", epoch(1000*time.Hour)), ResetEpochSeconds, figures(-1, -1, testNow.Add(maxWait))},
		{"huge epoch", header("X-RateLimit-Reset", "99999999999"), ResetEpochSeconds, figures(-1, -1, testNow.Add(maxWait))},
		{"relative overflowing a Duration is capped", header("X-RateLimit-Reset", "9223372037"), ResetRelativeSeconds, figures(-1, -1, testNow.Add(maxWait))},
		{"negative relative reset ignored", header("X-RateLimit-Reset", "-5"), ResetRelativeSeconds, figures(-1, -1, time.Time{})},
		{"zero relative reset is now", header("X-RateLimit-Reset", "0"), ResetRelativeSeconds, figures(-1, -1, testNow)},
		{"whitespace", header("X-RateLimit-Remaining", " 42 "), ResetRelativeSeconds, figures(-1, 42, time.Time{})},
		{"garbage", header("X-RateLimit-Limit", "lots", "X-RateLimit-Remaining", "1.5", "X-RateLimit-Reset", "soon"),
			ResetRelativeSeconds, figures(-1, -1, time.Time{})},
		{"negative counts", header("X-RateLimit-Limit", "-1", "X-RateLimit-Remaining", "-3"), ResetRelativeSeconds, figures(-1, -1, time.Time{})},
		{"counts beyond int32", header("X-RateLimit-Limit", "99999999999"), ResetRelativeSeconds, figures(-1, -1, time.Time{})},
		{"no headers", http.Header{}, ResetEpochSeconds, UnknownFigures(testNow)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseXRateLimit(tt.h, tt.style, testNow)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		v      string
		want   time.Duration
		wantOK bool
	}{
		{"seconds", "120", 120 * time.Second, true},
		{"zero", "0", 0, true},
		{"padded", " 7 ", 7 * time.Second, true},
		{"HTTP date ahead", testNow.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"HTTP date in the past", testNow.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"RFC 850 date", "Sunday, 01-Mar-26 12:00:30 GMT", 30 * time.Second, true},
		{"asctime date", "Sun Mar  1 12:01:00 2026", time.Minute, true},
		{"huge seconds are capped", "86400", maxWait, true},
		{"seconds overflowing a Duration are capped", "9223372037", maxWait, true},
		{"seconds wrapping round to a small Duration are capped", "18446744074", maxWait, true},
		{"beyond int64", "99999999999999999999", 0, false},
		{"negative", "-1", 0, false},
		{"fraction", "1.5", 0, false},
		{"empty", "", 0, false},
		{"garbage", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseRetryAfter(tt.v, testNow)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tt.v, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestWaitFor(t *testing.T) {
	resetIn := func(d time.Duration) Figures {
		f := UnknownFigures(testNow)
		f.Reset = testNow.Add(d)
		return f
	}
	tests := []struct {
		name string
		h    http.Header
		f    Figures
		want time.Duration
	}{
		{"Retry-After seconds beat the rest", header("Retry-After", "5", "retry-after-ms", "100"), resetIn(time.Minute), 5 * time.Second},
		{"Retry-After date", header("Retry-After", testNow.Add(42*time.Second).Format(http.TimeFormat)), resetIn(time.Minute), 42 * time.Second},
		{"bad Retry-After falls through to retry-after-ms", header("Retry-After", "soon", "retry-after-ms", "1500"), resetIn(time.Minute), 1500 * time.Millisecond},
		{"retry-after-ms beats the reset", header("retry-after-ms", "250"), resetIn(time.Minute), 250 * time.Millisecond},
		{"huge retry-after-ms is capped", header("retry-after-ms", "9223372036854775"), resetIn(time.Minute), maxWait},
		{"negative retry-after-ms ignored", header("retry-after-ms", "-1"), resetIn(time.Minute), time.Minute},
		{"window reset", http.Header{}, resetIn(17 * time.Second), 17 * time.Second},
		{"reset in the past: default", http.Header{}, resetIn(-time.Second), 30 * time.Second},
		{"nothing: default", http.Header{}, UnknownFigures(testNow), 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WaitFor(tt.h, tt.f, testNow); got != tt.want {
				t.Errorf("WaitFor = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseXRateLimitSuffixAndTighter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "20000")
	h.Set("X-RateLimit-Remaining", "18000")
	h.Set("X-RateLimit-Limit-V2-API", "60")
	h.Set("X-RateLimit-Remaining-V2-API", "50")
	h.Set("X-RateLimit-Reset-V2-API", "1700000030")
	general := ParseXRateLimit(h, ResetEpochSeconds, now)
	v2 := ParseXRateLimitSuffix(h, "-V2-API", ResetEpochSeconds, now)
	if v2.Limit != 60 || v2.Remaining != 50 || !v2.Reset.Equal(now.Add(30*time.Second)) {
		t.Errorf("v2 figures = %+v", v2)
	}
	if got := Tighter(general, v2); got.Remaining != 50 {
		t.Errorf("Tighter = %+v, want the v2 limiter's", got)
	}
	if got := Tighter(v2, UnknownFigures(now)); got.Remaining != 50 {
		t.Errorf("Tighter with unknown figures = %+v, want the known ones", got)
	}
	if got := Tighter(UnknownFigures(now), general); got.Remaining != 18000 {
		t.Errorf("Tighter with unknown figures first = %+v, want the known ones", got)
	}
}
