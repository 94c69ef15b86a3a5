package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// testServer answers with handle(n) for its n-th request (1-based) and counts them.
type testServer struct {
	*httptest.Server
	n    atomic.Int32
	auth sync.Map // request number -> Authorization header
}

func newTestServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *testServer {
	t.Helper()
	s := &testServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.n.Add(1))
		s.auth.Store(n, r.Header.Get("Authorization"))
		handle(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *testServer) requests() int { return int(s.n.Load()) }

// countingAuth is a bearer token that counts its uses.
type countingAuth struct{ calls atomic.Int32 }

func (a *countingAuth) Authorize(_ context.Context, req *http.Request) error {
	a.calls.Add(1)
	req.Header.Set("Authorization", "Bearer tok")
	return nil
}

func confluentErrorDetail(body []byte) (code, message string) {
	var e struct {
		Errors []struct{ Code, Detail string } `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return "", ""
	}
	return e.Errors[0].Code, e.Errors[0].Detail
}

func newTestRequester(t *testing.T, srv *testServer, mutate func(*RequesterConfig)) (*Requester, *countingAuth, *Budget) {
	t.Helper()
	auth := &countingAuth{}
	budget := NewBudget()
	cfg := RequesterConfig{
		Endpoint: mustURL(t, srv.URL),
		Auth:     auth,
		Budget:   budget,
		Figures: func(h http.Header, now time.Time) Figures {
			return ParseXRateLimit(h, ResetRelativeSeconds, now)
		},
		ErrorDetail: confluentErrorDetail,
		Backoff:     Backoff{Tries: 4, Base: time.Millisecond, Cap: 4 * time.Millisecond},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	return NewRequester(cfg), auth, budget
}

type doc struct {
	Data []string `json:"data"`
}

func TestRequesterRetriesServerErrors(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			w.WriteHeader(http.StatusBadGateway)
		default:
			fmt.Fprint(w, `{"data":["a"]}`)
		}
	})
	r, _, _ := newTestRequester(t, srv, nil)
	var out doc
	if err := r.GetJSON(t.Context(), srv.URL+"/x", &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc{Data: []string{"a"}}, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if srv.requests() != 3 {
		t.Errorf("%d requests, want 3", srv.requests())
	}
}

func TestRequesterGivesUpAfterTries(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"errors":[{"status":"500","code":"internal","detail":"boom"}]}`)
	})
	r, _, _ := newTestRequester(t, srv, nil)
	err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{})
	want := APIError{Kind: ErrTransient, Status: 500, Code: "internal", Message: "boom"}
	if diff := cmp.Diff(want, asAPIError(t, err), cmpopts.EquateErrors()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if srv.requests() != 4 {
		t.Errorf("%d requests, want 4", srv.requests())
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Tries: 6, Base: 100 * time.Millisecond, Cap: time.Second}
	tests := []struct {
		n    int
		step time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond}, {4, 800 * time.Millisecond}, {5, time.Second}, {40, time.Second}}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := b.Delay(tt.n)
			if d < tt.step/2 || d > tt.step {
				t.Fatalf("Delay(%d) = %s, want within [%s, %s]", tt.n, d, tt.step/2, tt.step)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("Delay(%d) has no jitter", tt.n)
		}
	}
}

func TestRequesterRateLimited(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"Retry-After", header("Retry-After", "7", "X-RateLimit-Reset", "60"), 7 * time.Second},
		{"reset only", header("X-RateLimit-Limit", "80", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "42"), 42 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.WriteHeader(http.StatusTooManyRequests)
			})
			r, _, _ := newTestRequester(t, srv, nil)
			start := time.Now()
			err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{})
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("GetJSON took %s", d)
			}
			rl, ok := AsRateLimited(err)
			if !ok {
				t.Fatalf("err = %v, want a RateLimitedError", err)
			}
			if d := tt.want - rl.Wait; d < 0 || d > time.Second {
				t.Errorf("Wait = %s, want about %s", rl.Wait, tt.want)
			}
			if srv.requests() != 1 {
				t.Errorf("%d requests, want 1 (a 429 is not retried)", srv.requests())
			}
			// The budget is blocked now: nothing more is sent.
			if _, ok := AsRateLimited(r.GetJSON(t.Context(), srv.URL+"/x", &doc{})); !ok || srv.requests() != 1 {
				t.Errorf("second call: rate limited %v after %d requests, want true after 1", ok, srv.requests())
			}
		})
	}
}

func TestRequesterObservesRemainingZero(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("X-RateLimit-Limit", "80")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "60")
		fmt.Fprint(w, `{"data":[]}`)
	})
	r, _, budget := newTestRequester(t, srv, nil)
	if err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{}); err != nil {
		t.Fatal(err)
	}
	if f, _ := budget.Figures(); f.Limit != 80 || f.Remaining != 0 {
		t.Errorf("figures = %+v", f)
	}
	if _, ok := AsRateLimited(r.GetJSON(t.Context(), srv.URL+"/x", &doc{})); !ok || srv.requests() != 1 {
		t.Errorf("after Remaining 0: rate limited %v after %d requests, want true after 1", ok, srv.requests())
	}
}

func TestRequesterBodyCap(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		fmt.Fprintf(w, `{"data":["%s"]}`, strings.Repeat("a", 2048))
	})
	r, _, _ := newTestRequester(t, srv, func(c *RequesterConfig) { c.MaxBodyBytes = 1024 })
	if err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("err = %v, want ErrUnsafe", err)
	}
	if srv.requests() != 1 {
		t.Errorf("%d requests, want 1", srv.requests())
	}
}

func TestRequesterRefusesRedirects(t *testing.T) {
	target := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { fmt.Fprint(w, `{}`) })
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, target.URL+"/stolen", http.StatusFound)
	})
	r, auth, _ := newTestRequester(t, srv, nil)
	if err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("err = %v, want ErrUnsafe", err)
	}
	if target.requests() != 0 {
		t.Errorf("the redirect target received %d requests", target.requests())
	}
	if srv.requests() != 1 || auth.calls.Load() != 1 {
		t.Errorf("%d requests, %d authorizations; want 1 and 1", srv.requests(), auth.calls.Load())
	}
}

func TestRequesterRefusesOtherOrigins(t *testing.T) {
	other := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { fmt.Fprint(w, `{}`) })
	srv := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { fmt.Fprint(w, `{"data":[]}`) })
	r, auth, _ := newTestRequester(t, srv, nil)

	for _, target := range []string{other.URL + "/x", "https://" + strings.TrimPrefix(srv.URL, "http://") + "/x", "%zz"} {
		if err := r.GetJSON(t.Context(), target, &doc{}); !errors.Is(err, ErrUnsafe) {
			t.Errorf("GetJSON(%q) = %v, want ErrUnsafe", target, err)
		}
	}
	if other.requests() != 0 || auth.calls.Load() != 0 {
		t.Errorf("other origin got %d requests, %d authorizations made; want none", other.requests(), auth.calls.Load())
	}
	// The endpoint itself is authorized.
	if err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{}); err != nil {
		t.Fatal(err)
	}
	if a, _ := srv.auth.Load(1); auth.calls.Load() != 1 || a != "Bearer tok" {
		t.Errorf("authorizations %d, header %q; want 1 and the token", auth.calls.Load(), a)
	}
}

func TestRequesterRetriesTruncatedJSON(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			fmt.Fprint(w, `{"data":["a"`)
			return
		}
		fmt.Fprint(w, `{"data":["a"]}`)
	})
	r, _, _ := newTestRequester(t, srv, nil)
	var out doc
	if err := r.GetJSON(t.Context(), srv.URL+"/x", &out); err != nil {
		t.Fatal(err)
	}
	if srv.requests() != 2 || len(out.Data) != 1 {
		t.Errorf("%d requests, %v; want 2 and one item", srv.requests(), out)
	}

	always := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { fmt.Fprint(w, `{"data":`) })
	r, _, _ = newTestRequester(t, always, nil)
	if err := r.GetJSON(t.Context(), always.URL+"/x", &doc{}); !errors.Is(err, ErrTransient) {
		t.Errorf("always truncated: err = %v, want ErrTransient", err)
	}
}

// A request that used up its timeout comes back as a transient error at once, for
// the caller to retry later; the next call, with the remote answering again, works.
func TestRequesterLeavesTimeoutsToTheCaller(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		fmt.Fprint(w, `{"data":[]}`)
	})
	r, _, _ := newTestRequester(t, srv, func(c *RequesterConfig) { c.Timeout = 50 * time.Millisecond })
	start := time.Now()
	err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{})
	if !errors.Is(err, ErrTransient) {
		t.Fatalf("err = %v, want a transient error", err)
	}
	if srv.requests() != 1 || time.Since(start) > 2*time.Second {
		t.Errorf("%d requests in %s, want 1 without waiting for retries", srv.requests(), time.Since(start))
	}
	if err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{}); err != nil {
		t.Fatalf("the call after the timeout: %v", err)
	}
}

// The same holds when the headers come at once and the body stalls.
func TestRequesterLeavesStalledBodiesToTheCaller(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"data":[`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	r, _, _ := newTestRequester(t, srv, func(c *RequesterConfig) { c.Timeout = 50 * time.Millisecond })
	start := time.Now()
	if err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{}); !errors.Is(err, ErrTransient) {
		t.Fatalf("err = %v, want a transient error", err)
	}
	if srv.requests() != 1 || time.Since(start) > 2*time.Second {
		t.Errorf("%d requests in %s, want 1 without waiting for retries", srv.requests(), time.Since(start))
	}
}

// A connection that breaks without an answer is retried at once.
func TestRequesterRetriesBrokenConnections(t *testing.T) {
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		fmt.Fprint(w, `{"data":[]}`)
	})
	r, _, _ := newTestRequester(t, srv, nil)
	if err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{}); err != nil {
		t.Fatal(err)
	}
	if srv.requests() != 2 {
		t.Errorf("%d requests, want 2", srv.requests())
	}
}

func TestRequesterClassifiesErrors(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{http.StatusUnauthorized, ErrUnauthorized},
		{http.StatusForbidden, ErrForbidden},
		{http.StatusNotFound, ErrNotFound},
		{http.StatusBadRequest, ErrBadRequest},
		{http.StatusConflict, ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, `{"errors":[{"status":"%d","code":"c%d","detail":"d%d"}]}`, tt.status, tt.status, tt.status)
			})
			r, _, _ := newTestRequester(t, srv, nil)
			err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{})
			want := APIError{Kind: tt.want, Status: tt.status, Code: fmt.Sprintf("c%d", tt.status), Message: fmt.Sprintf("d%d", tt.status)}
			if diff := cmp.Diff(want, asAPIError(t, err), cmpopts.EquateErrors()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if srv.requests() != 1 {
				t.Errorf("%d requests, want 1 (not retried)", srv.requests())
			}
		})
	}
}

func TestKindForStatus(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{401, ErrUnauthorized}, {403, ErrForbidden}, {404, ErrNotFound}, {408, ErrTransient},
		{400, ErrBadRequest}, {409, ErrBadRequest}, {422, ErrBadRequest},
		{500, ErrTransient}, {502, ErrTransient}, {503, ErrTransient}, {504, ErrTransient},
	}
	for _, tt := range tests {
		if got := KindForStatus(tt.status); got != tt.want {
			t.Errorf("KindForStatus(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func asAPIError(t *testing.T, err error) APIError {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T), want an *APIError", err, err)
	}
	return *ae
}

// A throttled token endpoint is a rate limit for the whole account, with the wait it
// asked for; it is not bad credentials, and the list endpoint is not asked meanwhile.
func TestRequesterTokenEndpointRateLimited(t *testing.T) {
	var tokenCalls atomic.Int32
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.URL.Path == "/token" {
			tokenCalls.Add(1)
			w.Header().Set("Retry-After", "7")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":"too_many_requests"}`)
			return
		}
		fmt.Fprint(w, `{"data":[]}`)
	})
	source := (&clientcredentials.Config{ClientID: "id", ClientSecret: "SECRETvalue", TokenURL: srv.URL + "/token",
		AuthStyle: oauth2.AuthStyleInHeader}). // auto-detection would ask twice
		TokenSource(OAuthContext(srv.Client()))
	r, _, budget := newTestRequester(t, srv, func(c *RequesterConfig) { c.Auth = TokenSourceAuth{Source: source} })

	err := r.GetJSON(t.Context(), srv.URL+"/x", &doc{})
	rl, ok := AsRateLimited(err)
	if !ok {
		t.Fatalf("err = %v, want a RateLimitedError", err)
	}
	if errors.Is(err, ErrUnauthorized) || rl.Wait != 7*time.Second {
		t.Errorf("err = %v (wait %s), want a 7s rate limit and not unauthorized", err, rl.Wait)
	}
	if _, until := budget.Figures(); time.Until(until) < 6*time.Second {
		t.Errorf("budget blocked until %s, want about 7s from now", until)
	}
	if _, ok := AsRateLimited(r.GetJSON(t.Context(), srv.URL+"/x", &doc{})); !ok {
		t.Error("second call was not held back by the blocked budget")
	}
	if srv.requests() != 1 || tokenCalls.Load() != 1 {
		t.Errorf("%d requests (%d to the token endpoint), want only the 1 refused token request", srv.requests(), tokenCalls.Load())
	}
}

func TestTokenErrorClassifies(t *testing.T) {
	refused := func(status int) error {
		return &oauth2.RetrieveError{Response: &http.Response{StatusCode: status, Header: http.Header{}}, ErrorCode: "x"}
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"bad client credentials (400)", refused(http.StatusBadRequest), ErrUnauthorized},
		{"401", refused(http.StatusUnauthorized), ErrUnauthorized},
		{"403", refused(http.StatusForbidden), ErrForbidden},
		{"503", refused(http.StatusServiceUnavailable), ErrTransient},
		{"no response", errors.New("oauth2: cannot parse json: unexpected end"), ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TokenError(tt.err)
			if !errors.Is(got, tt.want) {
				t.Errorf("TokenError = %v, want %v", got, tt.want)
			}
			if strings.Contains(got.Error(), "<nil>") {
				t.Errorf("message %q says <nil>", got)
			}
		})
	}
	if _, ok := AsRateLimited(TokenError(refused(http.StatusTooManyRequests))); !ok {
		t.Error("a 429 from the token endpoint is not a rate limit")
	}
}
