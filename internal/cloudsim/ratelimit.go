package cloudsim

import (
	"math"
	"sync"
	"time"
)

// budget is what a limiter says about one request.
type budget struct {
	enabled   bool
	allowed   bool
	limit     int
	remaining int
	// reset is when the window ends (fixed window) or when one more request
	// becomes possible (token bucket).
	reset time.Time
}

// fixedWindow counts requests per key in windows that start at a key's first request.
type fixedWindow struct {
	mu      sync.Mutex
	cfg     Window
	windows map[string]*windowState
}

type windowState struct {
	start time.Time
	used  int
}

func newFixedWindow(cfg Window) *fixedWindow {
	return &fixedWindow{cfg: cfg, windows: map[string]*windowState{}}
}

// take spends one request of key's budget if any is left; peek only reports.
func (f *fixedWindow) take(key string, now time.Time) budget { return f.spend(key, now, true) }
func (f *fixedWindow) peek(key string, now time.Time) budget { return f.spend(key, now, false) }

func (f *fixedWindow) spend(key string, now time.Time, take bool) budget {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg.Disabled {
		return budget{allowed: true}
	}
	w, ok := f.windows[key]
	if !ok || !now.Before(w.start.Add(f.cfg.Window)) {
		w = &windowState{start: now}
		if take {
			f.windows[key] = w
		}
	}
	b := budget{enabled: true, limit: f.cfg.Limit, reset: w.start.Add(f.cfg.Window)}
	if w.used >= f.cfg.Limit {
		return b
	}
	b.allowed = true
	if take {
		w.used++
	}
	b.remaining = f.cfg.Limit - w.used
	return b
}

// tokenBucket is Azure Resource Manager's read budget per subscription and principal.
type tokenBucket struct {
	mu      sync.Mutex
	cfg     TokenBucket
	buckets map[string]*bucketState
}

type bucketState struct {
	tokens float64
	last   time.Time
}

func newTokenBucket(cfg TokenBucket) *tokenBucket {
	return &tokenBucket{cfg: cfg, buckets: map[string]*bucketState{}}
}

func (t *tokenBucket) take(key string, now time.Time) budget { return t.spend(key, now, true) }
func (t *tokenBucket) peek(key string, now time.Time) budget { return t.spend(key, now, false) }

func (t *tokenBucket) spend(key string, now time.Time, take bool) budget {
	t.mu.Lock()
	defer t.mu.Unlock()
	capacity := float64(t.cfg.Capacity)
	b, ok := t.buckets[key]
	if !ok {
		b = &bucketState{tokens: capacity, last: now}
		if take {
			t.buckets[key] = b
		}
	}
	tokens := math.Min(capacity, b.tokens+now.Sub(b.last).Seconds()*t.cfg.RefillPerSecond)
	out := budget{enabled: true, limit: t.cfg.Capacity}
	if tokens >= 1 {
		out.allowed = true
		if take {
			tokens--
		}
	}
	if take {
		b.tokens, b.last = tokens, now
	}
	out.remaining = int(math.Floor(tokens))
	if tokens < 1 {
		wait := (1 - tokens) / t.cfg.RefillPerSecond
		out.reset = now.Add(time.Duration(wait * float64(time.Second)))
	} else {
		out.reset = now
	}
	return out
}

// secondsUntil rounds the time to t up to whole seconds, at least 1.
func secondsUntil(t, now time.Time) int {
	s := int(math.Ceil(t.Sub(now).Seconds()))
	return max(s, 1)
}

// limiter is a request budget keyed by principal (and subscription, for ARM).
type limiter interface {
	take(key string, now time.Time) budget
	peek(key string, now time.Time) budget
}

func (s *Server) limiter(p Provider) limiter {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	switch p {
	case ProviderConfluent:
		return s.confluentLimit
	case ProviderCloudFoundry:
		return s.cfLimit
	}
	return s.azureLimit
}

// SetConfluentRateLimit replaces the Confluent budget; every window starts afresh.
func (s *Server) SetConfluentRateLimit(w Window) {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	s.confluentLimit = newFixedWindow(w.withDefaults(1000, time.Minute))
}

// SetCFRateLimit replaces the Cloud Foundry budget; every window starts afresh.
func (s *Server) SetCFRateLimit(w Window) {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	s.cfLimit = newFixedWindow(w.withDefaults(2000, time.Hour))
}

// SetAzureThrottle replaces ARM's token buckets; every bucket starts full.
func (s *Server) SetAzureThrottle(b TokenBucket) {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	s.azureLimit = newTokenBucket(b.withDefaults())
}

// ResetRateLimits refills every budget of every provider.
func (s *Server) ResetRateLimits() {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	s.confluentLimit = newFixedWindow(s.confluentLimit.cfg)
	s.cfLimit = newFixedWindow(s.cfLimit.cfg)
	s.azureLimit = newTokenBucket(s.azureLimit.cfg)
}
