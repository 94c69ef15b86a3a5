package cloud

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Figures are the rate-limit facts a provider last reported. Unknown numbers are -1.
type Figures struct {
	Limit     int
	Remaining int
	// Reset is when the provider's window resets (zero if it did not say).
	Reset time.Time
	// RefillPerSecond is the token-bucket refill rate, for providers that publish one
	// (Azure Resource Manager) instead of a window.
	RefillPerSecond float64
	// Granularity is the step Remaining is rounded down to, 0 when it is exact. Cloud
	// Foundry rounds down to a tenth of the limit, so its 0 means "fewer than a tenth
	// left", not "none": pacing then assumes half a step is left (see Observe).
	Granularity int
	Observed    time.Time
}

// UnknownFigures is what a response without rate-limit headers tells.
func UnknownFigures(now time.Time) Figures {
	return Figures{Limit: -1, Remaining: -1, Observed: now}
}

const (
	// lowWaterFraction of the window's limit is where pacing starts.
	lowWaterFraction = 0.1
	// maxInlineWait is the longest pause taken inside a request; anything longer
	// becomes a RateLimitedError so the caller requeues instead of parking a worker.
	maxInlineWait = time.Second
	// exhaustedPause is how long to hold off after "Remaining: 0" from a provider that
	// gave no reset still ahead (none at all, "0", or an epoch a skewed clock puts in
	// the past): the next request would most likely be refused.
	exhaustedPause = time.Second
)

// Budget is one account's share of a remote API's rate limit. Every list of the
// account goes through the same Budget, so a 429 on one pauses them all.
type Budget struct {
	mu           sync.Mutex
	now          func() time.Time
	blockedUntil time.Time
	figures      Figures
	pace         *rate.Limiter
}

// NewBudget returns a budget that admits everything until a provider says otherwise.
func NewBudget() *Budget {
	return &Budget{now: time.Now, figures: UnknownFigures(time.Time{}), pace: rate.NewLimiter(rate.Inf, 1)}
}

// Admit is called before each request. It returns a *RateLimitedError while the
// budget is blocked or when pacing would need more than a short pause.
func (b *Budget) Admit(ctx context.Context) error {
	b.mu.Lock()
	now := b.now()
	if wait := b.blockedUntil.Sub(now); wait > 0 {
		f := b.figures
		b.mu.Unlock()
		return &RateLimitedError{Wait: wait, Figures: f}
	}
	r := b.pace.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay > maxInlineWait {
		r.CancelAt(now)
		f := b.figures
		b.mu.Unlock()
		return &RateLimitedError{Wait: delay, Figures: f}
	}
	b.mu.Unlock()
	if delay <= 0 {
		return nil
	}
	return sleep(ctx, delay)
}

// Observe records the figures of a response and adjusts pacing: once the remaining
// budget drops under a tenth of the limit, spread what is left over the time until
// the reset (or pace at the refill rate), and block outright when nothing is left:
// until the reset, or for a short pause when the provider gave none.
func (b *Budget) Observe(f Figures) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.figures = f
	now := f.Observed
	if now.IsZero() {
		now = b.now()
	}
	if f.Remaining == 0 && f.Granularity > 1 {
		// A rounded 0: somewhere under one step is left. Pacing spreads half a step
		// over the time to the reset instead of stopping until it; if that guess is
		// high, the 429 that follows still stops everything until the reset.
		f.Remaining = f.Granularity / 2
	}
	switch {
	case f.Remaining == 0 && f.Reset.After(now):
		b.blockUntilLocked(f.Reset)
		b.pace.SetLimitAt(now, rate.Inf)
	case f.Remaining >= 0 && f.RefillPerSecond > 0 && f.Remaining <= lowWater(f):
		b.pace.SetLimitAt(now, rate.Limit(f.RefillPerSecond))
	case f.Remaining == 0:
		b.blockUntilLocked(now.Add(exhaustedPause))
		b.pace.SetLimitAt(now, rate.Inf)
	case f.Remaining > 0 && f.Reset.After(now) && f.Remaining <= lowWater(f):
		b.pace.SetLimitAt(now, rate.Limit(float64(f.Remaining)/f.Reset.Sub(now).Seconds()))
	default:
		b.pace.SetLimitAt(now, rate.Inf)
	}
}

// Throttled records a refusal (HTTP 429) with the wait the provider asked for.
func (b *Budget) Throttled(wait time.Duration, f Figures) *RateLimitedError {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if f.Observed.IsZero() {
		f.Observed = now
	}
	b.figures = f
	b.blockUntilLocked(now.Add(wait))
	return &RateLimitedError{Wait: wait, Figures: f}
}

func (b *Budget) blockUntilLocked(t time.Time) {
	if t.After(b.blockedUntil) {
		b.blockedUntil = t
	}
}

// Figures returns the last figures seen and until when the budget is blocked.
func (b *Budget) Figures() (Figures, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.figures, b.blockedUntil
}

func lowWater(f Figures) int {
	if f.Limit <= 0 {
		return 1
	}
	return max(1, int(float64(f.Limit)*lowWaterFraction))
}
