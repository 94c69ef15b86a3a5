package confluent

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
)

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		file         string
		wantKind     error
		wantText     string
		wantRequests int
	}{
		{name: "400", status: 400, file: "error-400.json", wantKind: cloud.ErrBadRequest, wantRequests: 1,
			wantText: "bad request (HTTP 400, invalid_filter): Invalid Filter: The 'delorean' resource can't be filtered by 'num_doors'"},
		{name: "401", status: 401, file: "error-401.json", wantKind: cloud.ErrUnauthorized, wantRequests: 1,
			wantText: "unauthorized (HTTP 401, user_unauthenticated): Authentication Required: Valid authentication credentials must be provided"},
		{name: "403", status: 403, file: "error-403.json", wantKind: cloud.ErrForbidden, wantRequests: 1,
			wantText: "forbidden (HTTP 403, user_unauthorized): User Access Unauthorized: The user 'mcfly'"},
		{name: "500 is retried, then reported", status: 500, file: "error-500.json", wantKind: cloud.ErrTransient,
			wantRequests: cloudtest.FastBackoff.Tries, wantText: "(HTTP 500, out_of_gas): DeLorean Out Of Gas"},
		{name: "404 without a body", status: 404, wantKind: cloud.ErrNotFound, wantRequests: 1, wantText: "not found (HTTP 404)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				var body []byte
				if tt.file != "" {
					body = fixture(t, tt.file, "")
				}
				cloudtest.WriteJSON(w, tt.status, body)
			})
			_, err := newClient(t, srv.URL, nil).OrganizationsPage(context.Background(), "")
			cloudtest.CheckError(t, err, tt.wantKind, tt.wantText)
			srv.CheckRequests(t, tt.wantRequests)
			noSecrets(t, err)
		})
	}
}

func TestRateLimits(t *testing.T) {
	t.Run("429 blocks every list of the account", func(t *testing.T) {
		srv := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.Header().Set("X-RateLimit-Limit", "80")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "30")
			cloudtest.WriteJSON(w, http.StatusTooManyRequests, nil)
		})
		budget := cloud.NewBudget()
		c := newClient(t, srv.URL, func(c *Config) { c.Budget = budget })
		before := time.Now()
		_, err := c.OrganizationsPage(context.Background(), "")
		after := time.Now()
		rl := cloudtest.RateLimited(t, err)
		if rl.Wait != 7*time.Second {
			t.Errorf("wait %s, want Retry-After's 7s", rl.Wait)
		}
		if rl.Figures.Limit != 80 || rl.Figures.Remaining != 0 {
			t.Errorf("figures %+v, want limit 80, remaining 0", rl.Figures)
		}
		// X-RateLimit-Reset: 30 is thirty seconds from now, not 1970.
		if lo, hi := before.Add(30*time.Second), after.Add(30*time.Second); rl.Figures.Reset.Before(lo) || rl.Figures.Reset.After(hi) {
			t.Errorf("reset %s, want between %s and %s", rl.Figures.Reset, lo, hi)
		}
		_, err = c.ConnectClustersPage(context.Background(), "env-1", "")
		if _, ok := cloud.AsRateLimited(err); !ok {
			t.Errorf("connect clusters during the wait: got %v, want a rate limit", err)
		}
		srv.CheckRequests(t, 1) // the budget kept the second list from the server
	})

	t.Run("remaining 0 on a success waits for the relative reset", func(t *testing.T) {
		srv := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Limit", "80")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "20")
			cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"data":[]}`))
		})
		c := newClient(t, srv.URL, nil)
		if _, err := c.OrganizationsPage(context.Background(), ""); err != nil {
			t.Fatalf("first page: %v", err)
		}
		_, err := c.OrganizationsPage(context.Background(), "")
		rl := cloudtest.RateLimited(t, err)
		if rl.Wait < 19*time.Second || rl.Wait > 20*time.Second {
			t.Errorf("wait %s, want about 20s", rl.Wait)
		}
		srv.CheckRequests(t, 1)
	})
}

// pagedServer serves ids in pages of size, linking pages by page_size and
// page_token=<offset>.
func pagedServer(t *testing.T, ids []string, size int) *cloudtest.Recorder {
	return linkedServer(t, ids, size, func(offset int) string { return fmt.Sprintf("page_size=%d&page_token=%d", size, offset) })
}

// linkedServer serves ids in pages of size; the next link's query is link(offset),
// and the link is absent on the last page.
func linkedServer(t *testing.T, ids []string, size int, link func(offset int) string) *cloudtest.Recorder {
	return cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		offset := 0
		_, _ = fmt.Sscan(r.URL.Query().Get("page_token"), &offset) // the first page has none
		end := min(offset+size, len(ids))
		var items []string
		for _, id := range ids[offset:end] {
			items = append(items, fmt.Sprintf(`{"id":%q,"name":"n-%s"}`, id, id))
		}
		next := "null"
		if end < len(ids) {
			next = fmt.Sprintf(`"http://%s%s?%s"`, r.Host, r.URL.Path, link(end))
		}
		cloudtest.WriteJSON(w, http.StatusOK, []byte(fmt.Sprintf(`{"metadata":{"next":%s},"data":[%s]}`, next, strings.Join(items, ","))))
	})
}

func TestListingAcrossPages(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	srv := pagedServer(t, ids, 2)
	c := newClient(t, srv.URL, func(c *Config) { c.PageSize = 2 })
	if diff := cmp.Diff(ids, cloudtest.OrganizationIDs(t, c.OrganizationsPage)); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	want := []string{"page_size=2", "page_size=2&page_token=2", "page_size=2&page_token=4"}
	if diff := cmp.Diff(want, srv.Queries()); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
}

// TestNextLinksWithPageTokenOnly: the documents' next links carry page_token alone,
// with neither the environment usm/v1 requires nor page_size (default 10). Each
// follow-up request is the list's own, at the link's page_token (and page_size); the
// rest of the link is not the list's and is left out.
func TestNextLinksWithPageTokenOnly(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		name        string
		link        func(offset int) string
		environment string // "": organizations
		want        []string
	}{
		{name: "organizations", link: func(o int) string { return fmt.Sprintf("page_token=%d", o) },
			want: []string{"page_size=2", "page_size=2&page_token=2", "page_size=2&page_token=4"}},
		{name: "connect clusters", environment: "env-1", link: func(o int) string { return fmt.Sprintf("page_token=%d", o) },
			want: []string{"environment=env-1&page_size=2", "environment=env-1&page_size=2&page_token=2",
				"environment=env-1&page_size=2&page_token=4"}},
		{name: "connect clusters, link with its own page_size and more", environment: "env-1",
			link: func(o int) string { return fmt.Sprintf("page_token=%d&page_size=2&extra=x%%2Fy", o) },
			want: []string{"environment=env-1&page_size=2", "environment=env-1&page_size=2&page_token=2",
				"environment=env-1&page_size=2&page_token=4"}},
		{name: "connect clusters, link naming the same environment", environment: "env-1",
			link: func(o int) string { return fmt.Sprintf("environment=env-1&page_token=%d", o) },
			want: []string{"environment=env-1&page_size=2", "environment=env-1&page_size=2&page_token=2",
				"environment=env-1&page_size=2&page_token=4"}},
		{name: "connect clusters, link naming the same environment twice", environment: "env-1",
			link: func(o int) string { return fmt.Sprintf("environment=env-1&environment=env-1&page_token=%d", o) },
			want: []string{"environment=env-1&page_size=2", "environment=env-1&page_size=2&page_token=2",
				"environment=env-1&page_size=2&page_token=4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := linkedServer(t, ids, 2, tt.link)
			c := newClient(t, srv.URL, func(c *Config) { c.PageSize = 2 })
			if tt.environment == "" {
				if diff := cmp.Diff(ids, cloudtest.OrganizationIDs(t, c.OrganizationsPage)); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
			} else {
				l := cloud.NewListing(func(ctx context.Context, cursor string) (cloud.Page[cloud.ConnectCluster], error) {
					return c.ConnectClustersPage(ctx, tt.environment, cursor)
				}, cloud.DefaultLimits)
				var got []string
				for _, cc := range cloudtest.ReadAll(t, l) {
					got = append(got, cc.ID)
				}
				if diff := cmp.Diff(ids, got); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.want, srv.Queries()); diff != "" {
				t.Errorf("queries (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNextLinkOtherEnvironmentRefused: a next link that names another environment
// than the one asked for would list, and mirror, someone else's connect clusters.
func TestNextLinkOtherEnvironmentRefused(t *testing.T) {
	tests := []struct {
		name, query string
	}{
		{name: "another environment", query: "environment=env-2&page_token=2"},
		{name: "an empty environment", query: "environment=&page_token=2"},
		{name: "two environments", query: "environment=env-1&environment=env-2&page_token=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := linkedServer(t, []string{"a", "b", "c"}, 2, func(int) string { return tt.query })
			c := newClient(t, srv.URL, nil)
			_, err := c.ConnectClustersPage(context.Background(), "env-1", "")
			cloudtest.CheckError(t, err, cloud.ErrUnsafe, "environment")
			srv.CheckRequests(t, 1) // the link was not followed
		})
	}
}

// TestForeignNextLinkReissuedOnOrigin: a next link (or a cursor) on another host
// names a page; it is asked for on the configured endpoint, and the other host hears
// nothing.
func TestForeignNextLinkReissuedOnOrigin(t *testing.T) {
	foreign := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"data":[]}`))
	})
	link := foreign.URL + "/partner/v2/organizations?page_token=elsewhere"
	srv := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page_token") != "" {
			cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"metadata":{},"data":[{"id":"b"}]}`))
			return
		}
		cloudtest.WriteJSON(w, http.StatusOK, []byte(fmt.Sprintf(`{"metadata":{"next":%q},"data":[{"id":"a"}]}`, link)))
	})
	c := newClient(t, srv.URL, nil)
	if diff := cmp.Diff([]string{"a", "b"}, cloudtest.OrganizationIDs(t, c.OrganizationsPage)); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if _, err := c.OrganizationsPage(context.Background(), link); err != nil {
		t.Errorf("cursor handed back in: %v", err)
	}
	want := []string{"page_size=100", "page_size=100&page_token=elsewhere", "page_size=100&page_token=elsewhere"}
	if diff := cmp.Diff(want, srv.Queries()); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	if got := foreign.Seen(); len(got) != 0 {
		t.Errorf("the foreign host was reached: %+v", got)
	}
}

func TestRepeatedPageTokenRefused(t *testing.T) {
	srv := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		next := fmt.Sprintf("http://%s/partner/v2/organizations?page_token=loop", r.Host)
		cloudtest.WriteJSON(w, http.StatusOK, []byte(fmt.Sprintf(`{"metadata":{"next":%q},"data":[{"id":"a"}]}`, next)))
	})
	l := cloud.NewListing(newClient(t, srv.URL, nil).OrganizationsPage, cloud.DefaultLimits)
	err := cloudtest.NextUntilError(l, 5)
	cloudtest.CheckError(t, err, cloud.ErrUnsafe, "")
	srv.CheckRequests(t, 2) // the first page and the first repeat
}

func TestRetries(t *testing.T) {
	good := []byte(`{"data":[{"id":"a"}]}`)
	tests := []struct {
		name  string
		first func(w http.ResponseWriter)
	}{
		{name: "503 then success", first: func(w http.ResponseWriter) { cloudtest.WriteJSON(w, 503, fixture(t, "error-500.json", "")) }},
		{name: "truncated JSON then success", first: func(w http.ResponseWriter) { cloudtest.WriteJSON(w, 200, good[:len(good)/2]) }},
		{name: "connection dropped then success", first: func(w http.ResponseWriter) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					tt.first(w)
					return
				}
				cloudtest.WriteJSON(w, 200, good)
			})
			page, err := newClient(t, srv.URL, nil).OrganizationsPage(context.Background(), "")
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
