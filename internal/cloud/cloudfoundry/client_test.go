package cloudfoundry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
)

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" when New must succeed
	}{
		{name: "password", cfg: Config{APIURL: "https://api.example.org", Username: testUser, Password: testPassword}},
		{name: "client", cfg: Config{APIURL: "https://api.example.org", ClientID: testClientID, ClientSecret: testClientSecret}},
		{name: "token, v3, name filter", cfg: Config{APIURL: "https://api.example.org", Token: testToken, APIVersion: V3, Query: []string{"name:a"}}},
		{name: "no API URL", cfg: Config{Token: testToken}, wantErr: "apiURL: not an absolute http(s) URL"},
		{name: "API URL with user info", cfg: Config{APIURL: "https://admin:" + testPassword + "@api.example.org", Token: testToken},
			wantErr: "must not carry user info"},
		{name: "token URL relative", cfg: Config{APIURL: "https://api.example.org", TokenURL: "/oauth/token", Token: testToken},
			wantErr: "tokenURL: not an absolute http(s) URL"},
		{name: "nothing", cfg: Config{APIURL: "https://api.example.org"},
			wantErr: "no credentials: provide username+password, or clientID+clientSecret, or token"},
		{name: "password without user", cfg: Config{APIURL: "https://api.example.org", Password: testPassword},
			wantErr: "incomplete credentials: missing username"},
		{name: "two methods", cfg: Config{APIURL: "https://api.example.org", Username: testUser, Password: testPassword, Token: testToken},
			wantErr: "ambiguous credentials: username, password, token belong to different methods"},
		{name: "unknown version", cfg: Config{APIURL: "https://api.example.org", Token: testToken, APIVersion: "v4"},
			wantErr: `API version "v4" is neither`},
		{name: "v3 with a v2-only filter", cfg: Config{APIURL: "https://api.example.org", Token: testToken, APIVersion: V3, Query: []string{"status:active"}},
			wantErr: `filter "status:active" has no v3 equivalent`},
		{name: "bad filter", cfg: Config{APIURL: "https://api.example.org", Token: testToken, Query: []string{"nme:x"}},
			wantErr: `"nme" is not one of`},
		{name: "page size above v3's", cfg: Config{APIURL: "https://api.example.org", Token: testToken, PageSize: 5001},
			wantErr: "page size 5001 is outside 1..5000"},
		{name: "page size above v2's", cfg: Config{APIURL: "https://api.example.org", Token: testToken, APIVersion: V2, PageSize: 101},
			wantErr: "page size 101 is outside 1..100"},
		{name: "negative page size", cfg: Config{APIURL: "https://api.example.org", Token: testToken, PageSize: -1},
			wantErr: "page size -1 is outside 1..5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			cloudtest.CheckErrorText(t, err, tt.wantErr)
			noSecrets(t, err)
		})
	}
}

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		body         string
		wantKind     error
		wantText     string
		wantRequests int
	}{
		{name: "v2 401", status: 401, body: `{"description":"Authentication error","error_code":"CF-NotAuthenticated","code":10002}`,
			wantKind: cloud.ErrUnauthorized, wantRequests: 1, wantText: "unauthorized (HTTP 401, CF-NotAuthenticated): Authentication error"},
		{name: "v3 403", status: 403, body: `{"errors":[{"detail":"You are not authorized to perform the requested action","title":"CF-NotAuthorized","code":10003}]}`,
			wantKind: cloud.ErrForbidden, wantRequests: 1, wantText: "forbidden (HTTP 403, CF-NotAuthorized): You are not authorized"},
		{name: "v2 400", status: 400, body: `{"description":"The query parameter is invalid: q","error_code":"CF-BadQueryParameter","code":1005}`,
			wantKind: cloud.ErrBadRequest, wantRequests: 1, wantText: "CF-BadQueryParameter"},
		{name: "502 retried, then reported", status: 502, body: `<html>Bad Gateway</html>`,
			wantKind: cloud.ErrTransient, wantRequests: cloudtest.FastBackoff.Tries, wantText: "(HTTP 502)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Handle("/v2/organizations", func(w http.ResponseWriter, r *http.Request) {
				cloudtest.WriteJSON(w, tt.status, []byte(tt.body))
			})
			_, err := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V2 }).OrganizationsPage(context.Background(), "")
			cloudtest.CheckError(t, err, tt.wantKind, tt.wantText)
			srv.CheckRequests(t, tt.wantRequests)
			noSecrets(t, err)
		})
	}
}

func TestRateLimits(t *testing.T) {
	t.Run("429 with Retry-After and an epoch reset", func(t *testing.T) {
		reset := time.Now().Add(2 * time.Minute).Unix()
		srv := newServer(t)
		srv.Handle("/v2/organizations", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "9")
			w.Header().Set("X-RateLimit-Limit", "2000")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
			cloudtest.WriteJSON(w, http.StatusTooManyRequests, []byte(`{"description":"Rate Limit Exceeded","error_code":"CF-RateLimitExceeded","code":10013}`))
		})
		c := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V2 })
		_, err := c.OrganizationsPage(context.Background(), "")
		rl := cloudtest.RateLimited(t, err)
		if rl.Wait != 9*time.Second {
			t.Errorf("wait %s, want Retry-After's 9s", rl.Wait)
		}
		got := []int64{int64(rl.Figures.Limit), int64(rl.Figures.Remaining), rl.Figures.Reset.Unix()}
		if diff := cmp.Diff([]int64{2000, 0, reset}, got); diff != "" {
			t.Errorf("limit, remaining, reset (-want +got):\n%s", diff)
		}
		if _, err := c.OrganizationsPage(context.Background(), ""); err == nil {
			t.Error("the budget let a request through during the wait")
		}
		srv.CheckRequests(t, 1)
	})

	t.Run("429 with an epoch Retry-After, as the Cloud Controller sends it", func(t *testing.T) {
		reset := time.Now().Add(30 * time.Second).Unix()
		srv := newServer(t)
		srv.Handle("/v3/organizations", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", strconv.FormatInt(reset, 10))
			w.Header().Set("X-RateLimit-Limit", "2000")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
			cloudtest.WriteJSON(w, http.StatusTooManyRequests, nil)
		})
		c := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V3 })
		_, err := c.OrganizationsPage(context.Background(), "")
		rl := cloudtest.RateLimited(t, err)
		if rl.Wait < 28*time.Second || rl.Wait > 30*time.Second {
			t.Errorf("wait %s, want about 30s, not an epoch read as seconds", rl.Wait)
		}
	})

	t.Run("the v2 limiter's 429, its suffixed headers and a text/plain body", func(t *testing.T) {
		reset := time.Now().Add(50 * time.Second).Unix()
		srv := newServer(t)
		srv.Handle("/v2/organizations", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Limit-V2-API", "60")
			w.Header().Set("X-RateLimit-Remaining-V2-API", "0")
			w.Header().Set("X-RateLimit-Reset-V2-API", strconv.FormatInt(reset, 10))
			w.Header().Set("X-RateLimit-Limit", "20000")
			w.Header().Set("X-RateLimit-Remaining", "18000")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"code":10018,"description":"Rate Limit of V2 API Exceeded. Please consider using the V3 API","error_code":"CF-RateLimitV2APIExceeded"}`))
		})
		c := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V2 })
		_, err := c.OrganizationsPage(context.Background(), "")
		rl := cloudtest.RateLimited(t, err)
		if rl.Wait < 48*time.Second || rl.Wait > 50*time.Second {
			t.Errorf("wait %s, want about 50s, the v2 limiter's reset", rl.Wait)
		}
		if got := []int{rl.Figures.Limit, rl.Figures.Remaining}; !slices.Equal(got, []int{60, 0}) {
			t.Errorf("figures limit, remaining = %v, want the v2 limiter's [60 0]", got)
		}
		code, message := errorDetail([]byte(`{"code":10018,"description":"Rate Limit of V2 API Exceeded. Please consider using the V3 API","error_code":"CF-RateLimitV2APIExceeded"}`))
		if code != "CF-RateLimitV2APIExceeded" || !strings.Contains(message, "V3 API") {
			t.Errorf("errorDetail = %q, %q", code, message)
		}
	})

	t.Run("rounded remaining 0 on a success paces on half a tenth of the limit", func(t *testing.T) {
		// The Cloud Controller rounds Remaining down to a tenth of the limit: 0 of 2000
		// means fewer than 200 left. Half of that, 100, over the 100 s to the reset is
		// one request a second: the next one waits about a second, it does not stop.
		reset := time.Now().Add(100 * time.Second).Unix()
		srv := newServer(t)
		srv.Handle("/v2/organizations", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Limit-V2-API", "2000")
			w.Header().Set("X-RateLimit-Remaining-V2-API", "0")
			w.Header().Set("X-RateLimit-Reset-V2-API", strconv.FormatInt(reset, 10))
			w.Header().Set("X-RateLimit-Limit", "20000")
			w.Header().Set("X-RateLimit-Remaining", "18000")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
			cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"resources":[]}`))
		})
		c := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V2 })
		for i := range 3 {
			if _, err := c.OrganizationsPage(context.Background(), ""); err != nil {
				t.Fatalf("page %d: %v", i+1, err)
			}
		}
		srv.CheckRequests(t, 3)
		f, _ := c.cfg.Budget.Figures()
		if got := []int{f.Limit, f.Remaining, f.Granularity}; !slices.Equal(got, []int{2000, 0, 200}) {
			t.Errorf("figures limit, remaining, granularity = %v, want the v2 limiter's [2000 0 200]", got)
		}
	})

	t.Run("exact remaining 0 on a success waits for the epoch reset", func(t *testing.T) {
		reset := time.Now().Add(40 * time.Second).Unix()
		srv := newServer(t)
		srv.Handle("/v2/organizations", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Limit", "5") // under 10 there is no rounding
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
			cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"resources":[]}`))
		})
		c := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V2 })
		if _, err := c.OrganizationsPage(context.Background(), ""); err != nil {
			t.Fatalf("first page: %v", err)
		}
		_, err := c.OrganizationsPage(context.Background(), "")
		rl := cloudtest.RateLimited(t, err)
		if rl.Wait < 38*time.Second || rl.Wait > 40*time.Second {
			t.Errorf("wait %s, want about 40s", rl.Wait)
		}
	})
}

// pages serves ids in pages of size: v2 with relative next_url, v3 with absolute hrefs.
func pages(ids []string, size int, version string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		start, end := min((page-1)*size, len(ids)), min(page*size, len(ids))
		var items []string
		for _, id := range ids[start:end] {
			if version == V2 {
				items = append(items, fmt.Sprintf(`{"metadata":{"guid":%q},"entity":{"name":%q,"status":"active"}}`, id, id))
			} else {
				items = append(items, fmt.Sprintf(`{"guid":%q,"name":%q}`, id, id))
			}
		}
		next := "null"
		if end < len(ids) {
			switch version {
			case V2:
				next = fmt.Sprintf(`"/v2/organizations?order-direction=asc&page=%d&results-per-page=%d"`, page+1, size)
			default:
				next = fmt.Sprintf(`{"href":"http://%s/v3/organizations?page=%d&per_page=%d"}`, r.Host, page+1, size)
			}
		}
		body := fmt.Sprintf(`{"next_url":%s,"resources":[%s]}`, next, strings.Join(items, ","))
		if version == V3 {
			body = fmt.Sprintf(`{"pagination":{"next":%s},"resources":[%s]}`, next, strings.Join(items, ","))
		}
		cloudtest.WriteJSON(w, http.StatusOK, []byte(body))
	}
}

func TestListingAcrossPages(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		version     string
		wantQueries []string
	}{
		{version: V2, wantQueries: []string{"order-direction=asc&results-per-page=2",
			"order-direction=asc&page=2&results-per-page=2", "order-direction=asc&page=3&results-per-page=2"}},
		{version: V3, wantQueries: []string{"per_page=2", "page=2&per_page=2", "page=3&per_page=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			srv := withUAA(newServer(t))
			srv.Serve("/", fixture(t, "root.json", srv.URL))
			srv.Handle("/"+tt.version+"/organizations", pages(ids, 2, tt.version))
			c := newClient(t, srv.URL, func(c *Config) { withPassword(c); c.APIVersion, c.PageSize = tt.version, 2 })
			if diff := cmp.Diff(ids, cloudtest.OrganizationIDs(t, c.OrganizationsPage)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			var queries []string
			tokens := 0
			for _, s := range srv.Seen() {
				switch s.Path {
				case "/" + tt.version + "/organizations":
					queries = append(queries, s.Query)
				case "/uaa/oauth/token":
					tokens++
				}
			}
			if diff := cmp.Diff(tt.wantQueries, queries); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
			if tokens != 1 {
				t.Errorf("%d token requests, want 1 for the whole listing", tokens)
			}
		})
	}
}

// TestForeignNextLinkReissuedOnOrigin: a next link on another host names the page;
// the page is asked for on the configured API URL, and the other host hears nothing.
func TestForeignNextLinkReissuedOnOrigin(t *testing.T) {
	foreign := newServer(t)
	foreign.Handle("/v3/organizations", pages([]string{"x"}, 1, V3))
	tests := []struct {
		name string
		next string
	}{
		{name: "absolute", next: foreign.URL + "/v3/organizations?page=2"},
		{name: "protocol-relative", next: "//" + strings.TrimPrefix(foreign.URL, "http://") + "/v3/organizations?page=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Handle("/v3/organizations", func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("page") == "2" {
					cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"pagination":{"next":null},"resources":[{"guid":"b"}]}`))
					return
				}
				cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"pagination":{"next":{"href":"`+tt.next+`"}},"resources":[{"guid":"a"}]}`))
			})
			c := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V3 })
			if diff := cmp.Diff([]string{"a", "b"}, cloudtest.OrganizationIDs(t, c.OrganizationsPage)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if got := foreign.Seen(); len(got) != 0 {
				t.Errorf("the foreign host was reached: %+v", got)
			}
			wantSeen := []cloudtest.Seen{
				{Path: "/v3/organizations", Query: "per_page=5000", Auth: "Bearer " + testToken},
				{Path: "/v3/organizations", Query: "page=2&per_page=5000", Auth: "Bearer " + testToken},
			}
			if diff := cmp.Diff(wantSeen, srv.Seen()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCursorOfAnotherListRefused: a cursor is a page of the session's list; one of
// the other version's list (a v2 cursor after a rediscovery settled on v3) counts
// other pages and is refused without a request.
func TestCursorOfAnotherListRefused(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V3 })
	_, err := c.OrganizationsPage(context.Background(), srv.URL+"/v2/organizations?page=3&results-per-page=100")
	cloudtest.CheckError(t, err, cloud.ErrUnsafe, "the cursor is not a page of the v3 list")
	srv.CheckRequests(t, 0)
}

func TestRepeatedPageTokenRefused(t *testing.T) {
	srv := newServer(t)
	srv.Serve("/v2/organizations", []byte(`{"next_url":"/v2/organizations?page=2","resources":[{"metadata":{"guid":"a"}}]}`))
	l := cloud.NewListing(newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V2 }).OrganizationsPage, cloud.DefaultLimits)
	err := cloudtest.NextUntilError(l, 5)
	cloudtest.CheckError(t, err, cloud.ErrUnsafe, "")
	srv.CheckRequests(t, 2)
}

func TestRetries(t *testing.T) {
	good := []byte(`{"resources":[{"metadata":{"guid":"a"},"entity":{"status":"active"}}]}`)
	tests := []struct {
		name  string
		first func(w http.ResponseWriter)
	}{
		{name: "503 then success", first: func(w http.ResponseWriter) { cloudtest.WriteJSON(w, 503, nil) }},
		{name: "truncated JSON then success", first: func(w http.ResponseWriter) { cloudtest.WriteJSON(w, 200, good[:len(good)-3]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := newServer(t)
			srv.Handle("/v2/organizations", func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					tt.first(w)
					return
				}
				cloudtest.WriteJSON(w, 200, good)
			})
			page, err := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion = V2 }).OrganizationsPage(context.Background(), "")
			if err != nil {
				t.Fatalf("OrganizationsPage: %v", err)
			}
			if len(page.Items) != 1 || page.Items[0].ID != "a" {
				t.Errorf("items %+v, want [a]", page.Items)
			}
			srv.CheckRequests(t, 2)
		})
	}
}

func TestConnectClustersUnsupported(t *testing.T) {
	c := newClient(t, "https://api.example.org", withToken)
	if _, err := c.ConnectClustersPage(context.Background(), "env", ""); !errors.Is(err, cloud.ErrUnsupported) {
		t.Errorf("got %v, want ErrUnsupported", err)
	}
}
