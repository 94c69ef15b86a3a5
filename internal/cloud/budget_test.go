package cloud

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock is the budget's injectable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestBudget() (*Budget, *fakeClock) {
	clock := &fakeClock{t: testNow}
	b := NewBudget()
	b.now = clock.Now
	return b, clock
}

// admitWait returns the wait of the RateLimitedError Admit gives, 0 when it admits.
func admitWait(t *testing.T, b *Budget) time.Duration {
	t.Helper()
	err := b.Admit(t.Context())
	if err == nil {
		return 0
	}
	rl, ok := AsRateLimited(err)
	if !ok {
		t.Fatalf("Admit: %v, want nil or a RateLimitedError", err)
	}
	return rl.Wait
}

func TestBudgetAdmitsByDefault(t *testing.T) {
	b, _ := newTestBudget()
	for range 1000 {
		if w := admitWait(t, b); w != 0 {
			t.Fatalf("a fresh budget refused with wait %s", w)
		}
	}
}

func TestBudgetBlocksAtZeroRemainingUntilReset(t *testing.T) {
	b, clock := newTestBudget()
	b.Observe(Figures{Limit: 100, Remaining: 0, Reset: testNow.Add(10 * time.Second), Observed: testNow})

	if w := admitWait(t, b); w != 10*time.Second {
		t.Errorf("wait = %s, want 10s", w)
	}
	clock.Advance(4 * time.Second)
	if w := admitWait(t, b); w != 6*time.Second {
		t.Errorf("wait after 4s = %s, want 6s", w)
	}
	clock.Advance(6 * time.Second)
	if w := admitWait(t, b); w != 0 {
		t.Errorf("still refused at the reset (wait %s)", w)
	}
}

func TestBudgetPausesAtZeroRemainingWithoutReset(t *testing.T) {
	// No reset, a reset of "0", and an epoch reset a skewed clock puts in the past.
	for _, reset := range []time.Time{{}, testNow, testNow.Add(-time.Minute)} {
		b, clock := newTestBudget()
		b.Observe(Figures{Limit: 100, Remaining: 0, Reset: reset, Observed: testNow})
		if w := admitWait(t, b); w != exhaustedPause {
			t.Errorf("reset %v: wait = %s, want the %s pause", reset, w, exhaustedPause)
		}
		clock.Advance(exhaustedPause)
		if w := admitWait(t, b); w != 0 {
			t.Errorf("reset %v: still refused after the pause (wait %s)", reset, w)
		}
	}
	// A token bucket with a refill rate paces instead of pausing.
	b, _ := newTestBudget()
	b.Observe(Figures{Limit: 250, Remaining: 0, RefillPerSecond: 25, Observed: testNow})
	if w := admitWait(t, b); w != 0 {
		t.Errorf("an empty bucket with a refill rate blocked for %s", w)
	}
}

func TestBudgetThrottledBlocksEveryCaller(t *testing.T) {
	b, clock := newTestBudget()
	f := Figures{Limit: -1, Remaining: 0}
	rl := b.Throttled(30*time.Second, f)
	if rl.Wait != 30*time.Second || rl.Figures.Observed != testNow {
		t.Errorf("Throttled = %+v, want a 30s wait observed now", rl)
	}

	var wg sync.WaitGroup
	waits := make([]time.Duration, 8)
	for i := range waits {
		wg.Go(func() {
			if err := b.Admit(context.Background()); err != nil {
				if rl, ok := AsRateLimited(err); ok {
					waits[i] = rl.Wait
				}
			}
		})
	}
	wg.Wait()
	for i, w := range waits {
		if w != 30*time.Second {
			t.Errorf("caller %d: wait %s, want 30s", i, w)
		}
	}

	// A shorter 429 later does not shorten the block.
	_ = b.Throttled(time.Second, f)
	if w := admitWait(t, b); w != 30*time.Second {
		t.Errorf("after a shorter throttle: wait %s, want 30s", w)
	}
	if _, until := b.Figures(); !until.Equal(testNow.Add(30 * time.Second)) {
		t.Errorf("blocked until %s", until)
	}
	clock.Advance(30 * time.Second)
	if w := admitWait(t, b); w != 0 {
		t.Errorf("still refused after the wait (%s)", w)
	}
}

func TestBudgetPacingBeyondASecondIsRateLimited(t *testing.T) {
	b, clock := newTestBudget()
	// 5 requests left for the next minute: one every 12 s.
	b.Observe(Figures{Limit: 100, Remaining: 5, Reset: testNow.Add(time.Minute), Observed: testNow})

	if w := admitWait(t, b); w != 0 {
		t.Fatalf("first request refused (%s)", w)
	}
	w := admitWait(t, b)
	if w < 11*time.Second || w > 12*time.Second {
		t.Errorf("second request: wait %s, want about 12s", w)
	}
	// A refusal reserves nothing: the caller comes back later and is admitted.
	clock.Advance(12 * time.Second)
	if w := admitWait(t, b); w != 0 {
		t.Errorf("after 12s: wait %s", w)
	}
}

func TestBudgetShortPacingWaitsInline(t *testing.T) {
	b, _ := newTestBudget()
	// Azure: 10 reads left of 250, refilled at 25/s: a 40 ms pause, taken inline.
	b.Observe(Figures{Limit: 250, Remaining: 10, RefillPerSecond: 25, Observed: testNow})
	if w := admitWait(t, b); w != 0 {
		t.Fatalf("first request refused (%s)", w)
	}
	start := time.Now()
	if w := admitWait(t, b); w != 0 {
		t.Fatalf("second request refused (%s), want an inline pause", w)
	}
	if d := time.Since(start); d < 30*time.Millisecond || d > time.Second {
		t.Errorf("inline pause took %s, want about 40ms", d)
	}

	// Plenty left again: no pacing.
	b.Observe(Figures{Limit: 250, Remaining: 200, RefillPerSecond: 25, Observed: testNow})
	start = time.Now()
	for range 100 {
		if w := admitWait(t, b); w != 0 {
			t.Fatalf("refused with plenty left (%s)", w)
		}
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("100 unpaced requests took %s", d)
	}
}

func TestBudgetInlinePauseHonoursContext(t *testing.T) {
	b, _ := newTestBudget()
	b.Observe(Figures{Limit: 10, Remaining: 1, Reset: testNow.Add(time.Second), Observed: testNow})
	if err := b.Admit(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.Admit(ctx); err != context.Canceled {
		t.Errorf("Admit with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestBudgetRoundedZeroPaces: a 0 rounded down to a tenth of the limit paces on half a
// step; an exact 0 still blocks until the reset.
func TestBudgetRoundedZeroPaces(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	rounded := NewBudget()
	rounded.now = func() time.Time { return now }
	rounded.Observe(Figures{Limit: 2000, Remaining: 0, Granularity: 200, Reset: now.Add(100 * time.Second), Observed: now})
	if _, until := rounded.Figures(); !until.IsZero() {
		t.Errorf("a rounded 0 blocked the budget until %s", until)
	}
	if got := rounded.pace.Limit(); got != 1 {
		t.Errorf("pace %v a second, want 100 requests over 100 s", got)
	}
	exact := NewBudget()
	exact.now = func() time.Time { return now }
	exact.Observe(Figures{Limit: 2000, Remaining: 0, Reset: now.Add(100 * time.Second), Observed: now})
	if _, until := exact.Figures(); !until.Equal(now.Add(100 * time.Second)) {
		t.Errorf("an exact 0 blocked until %s, want the reset", until)
	}
}
