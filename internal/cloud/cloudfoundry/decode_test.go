package cloudfoundry

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
)

func TestV2Page(t *testing.T) {
	srv := newServer(t)
	srv.Serve("/v2/organizations", fixture(t, "v2-organizations.json", srv.URL))
	tests := []struct {
		name      string
		query     []string
		wantQuery string
	}{
		{name: "no filter", wantQuery: "order-direction=asc&results-per-page=100"},
		{name: "two filters", query: []string{"name IN a,b", "status:active"},
			wantQuery: "order-direction=asc&q=name+IN+a%2Cb&q=status%3Aactive&results-per-page=100"},
	}
	want := cloud.Page[cloud.Organization]{Items: []cloud.Organization{{
		ID: "a7aff246-5f5b-4cf8-87d8-f316053e4a20", DisplayName: "the-system_domain-org-name",
		State: cloud.StateSucceeded, RawState: "active",
		ResourceName: "/v2/organizations/a7aff246-5f5b-4cf8-87d8-f316053e4a20",
		CreatedAt:    time.Date(2016, 6, 8, 16, 41, 33, 0, time.UTC),
		UpdatedAt:    time.Date(2016, 6, 8, 16, 41, 26, 0, time.UTC),
		Details:      map[string]string{"billingEnabled": "false", "quotaDefinitionGUID": "dcb680a9-b190-4838-a3d2-b84aa17517a6"},
	}}, Total: 1} // total_results
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Seen())
			c := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion, c.Query = V2, tt.query })
			got, err := c.OrganizationsPage(context.Background(), "")
			if err != nil {
				t.Fatalf("OrganizationsPage: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			// A configured version and a static token need no discovery at all.
			wantSeen := []cloudtest.Seen{{Path: "/v2/organizations", Query: tt.wantQuery, Auth: "Bearer " + testToken}}
			if diff := cmp.Diff(wantSeen, srv.Seen()[before:]); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestV3Page(t *testing.T) {
	srv := newServer(t)
	srv.Serve("/v3/organizations", fixture(t, "v3-organizations.json", srv.URL))
	tests := []struct {
		name      string
		query     []string
		wantQuery string
		wantNext  string // the next page's query: the list's own, at the link's page
	}{
		{name: "no filter", wantQuery: "per_page=5000", wantNext: "page=2&per_page=2"},
		{name: "name IN", query: []string{"name IN org1,org2"}, wantQuery: "names=org1%2Corg2&per_page=5000",
			wantNext: "names=org1%2Corg2&page=2&per_page=2"},
		{name: "name", query: []string{"name:org1"}, wantQuery: "names=org1&per_page=5000", wantNext: "names=org1&page=2&per_page=2"},
	}
	quota := "b7887f5c-34bb-40c5-9778-577572e4fb2d"
	want := cloud.Page[cloud.Organization]{
		Items: []cloud.Organization{{
			ID: "885735b5-aea4-4cf5-8e44-961af0e41920", DisplayName: "org1", State: cloud.StateSucceeded, RawState: "active",
			ResourceName: srv.URL + "/v3/organizations/885735b5-aea4-4cf5-8e44-961af0e41920",
			CreatedAt:    time.Date(2017, 2, 1, 1, 33, 58, 0, time.UTC), UpdatedAt: time.Date(2017, 2, 1, 1, 33, 58, 0, time.UTC),
			Details: map[string]string{"quotaDefinitionGUID": quota},
		}, {
			ID: "d4c91047-7b29-4fda-b7f9-04033e5c9c9f", DisplayName: "org2", State: cloud.StateSuspended, RawState: "suspended",
			ResourceName: srv.URL + "/v3/organizations/d4c91047-7b29-4fda-b7f9-04033e5c9c9f",
			CreatedAt:    time.Date(2017, 2, 2, 0, 14, 30, 0, time.UTC), UpdatedAt: time.Date(2017, 2, 2, 0, 14, 30, 0, time.UTC),
			Details: map[string]string{"quotaDefinitionGUID": quota},
		}},
		Total: 3, // pagination.total_results
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want.Next = srv.URL + "/v3/organizations?" + tt.wantNext
			before := len(srv.Seen())
			c := newClient(t, srv.URL, func(c *Config) { withToken(c); c.APIVersion, c.Query = V3, tt.query })
			got, err := c.OrganizationsPage(context.Background(), "")
			if err != nil {
				t.Fatalf("OrganizationsPage: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			wantSeen := []cloudtest.Seen{{Path: "/v3/organizations", Query: tt.wantQuery, Auth: "Bearer " + testToken}}
			if diff := cmp.Diff(wantSeen, srv.Seen()[before:]); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStates(t *testing.T) {
	tests := []struct {
		raw  string
		want cloud.State
	}{
		{raw: "active", want: cloud.StateSucceeded},
		{raw: "suspended", want: cloud.StateSuspended},
		{raw: "ACTIVE", want: cloud.StateUnknown},
		{raw: "", want: cloud.StateUnknown},
	}
	for _, tt := range tests {
		if got := stateOf(tt.raw); got != tt.want {
			t.Errorf("stateOf(%q) = %s, want %s", tt.raw, got, tt.want)
		}
	}
}

// TestDecodeRejects covers answers that must not read as a (possibly empty) page.
func TestDecodeRejects(t *testing.T) {
	endpoint, _ := url.Parse("https://api.example.org")
	tests := []struct {
		name   string
		decode func([]byte, *url.URL) (cloud.Page[cloud.Organization], error)
		body   string
		want   error
	}{
		{name: "v2 empty object is not an empty list", decode: decodeV2Page, body: `{}`, want: cloud.ErrTransient},
		{name: "v3 empty object is not an empty list", decode: decodeV3Page, body: `{"pagination":{}}`, want: cloud.ErrTransient},
		{name: "v2 item without guid", decode: decodeV2Page, body: `{"resources":[{"entity":{"name":"x"}}]}`, want: cloud.ErrTransient},
		{name: "v3 bad timestamp", decode: decodeV3Page, body: `{"resources":[{"guid":"g","created_at":"soon"}]}`, want: cloud.ErrTransient},
		{name: "v2 next_url without a page", decode: decodeV2Page, body: `{"resources":[],"next_url":"/v2/organizations?results-per-page=100"}`, want: cloud.ErrUnsafe},
		{name: "v3 next naming the page twice", decode: decodeV3Page, body: `{"resources":[],"pagination":{"next":{"href":"https://api.example.org/v3/organizations?page=2&page=3"}}}`, want: cloud.ErrUnsafe},
		{name: "v3 next that does not parse", decode: decodeV3Page, body: `{"resources":[],"pagination":{"next":{"href":"https://api.example.org/%zz?page=2"}}}`, want: cloud.ErrUnsafe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.decode([]byte(tt.body), endpoint); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestNextOnAnotherOrigin: a Cloud Controller builds its links from its configured
// external domain; the page they name is asked for on the configured API URL.
func TestNextOnAnotherOrigin(t *testing.T) {
	list, _ := url.Parse("https://10.0.0.1:8443/v3/organizations?per_page=5000")
	for _, href := range []string{
		"https://api.sys.example.com/v3/organizations?page=2&per_page=5000",
		"http://api.sys.example.com/v3/organizations?page=2&per_page=5000",
		"//api.sys.example.com:443/cf/v3/organizations?page=2&per_page=5000",
	} {
		page, err := decodeV3Page([]byte(`{"resources":[],"pagination":{"next":{"href":"`+href+`"}}}`), list)
		if err != nil {
			t.Fatalf("%s: %v", href, err)
		}
		if want := "https://10.0.0.1:8443/v3/organizations?page=2&per_page=5000"; page.Next != want {
			t.Errorf("%s: next %q, want %q", href, page.Next, want)
		}
	}
}

func TestRelativeNextURL(t *testing.T) {
	endpoint, _ := url.Parse("https://api.example.org/v2/organizations?order-direction=asc&results-per-page=100")
	body := `{"resources":[],"next_url":"/v2/organizations?order-direction=asc&page=2&results-per-page=100"}`
	page, err := decodeV2Page([]byte(body), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://api.example.org/v2/organizations?order-direction=asc&page=2&results-per-page=100"; page.Next != want {
		t.Errorf("next %q, want %q", page.Next, want)
	}
}

func TestErrorDetail(t *testing.T) {
	tests := []struct {
		name              string
		body              string
		wantCode, wantMsg string
	}{
		{name: "v2", body: `{"description":"Authentication error","error_code":"CF-NotAuthenticated","code":10002}`,
			wantCode: "CF-NotAuthenticated", wantMsg: "Authentication error"},
		{name: "v2 numeric code only", body: `{"description":"Unknown request","code":10000}`, wantCode: "10000", wantMsg: "Unknown request"},
		{name: "v3", body: `{"errors":[{"detail":"You are not authorized to perform the requested action","title":"CF-NotAuthorized","code":10003}]}`,
			wantCode: "CF-NotAuthorized", wantMsg: "You are not authorized to perform the requested action"},
		{name: "UAA", body: `{"error":"unauthorized","error_description":"Bad credentials"}`, wantCode: "unauthorized", wantMsg: "Bad credentials"},
		{name: "a field of the wrong type", body: `{"description":"d","error_code":7}`, wantMsg: "d"},
		{name: "not JSON", body: `<html>502 Bad Gateway</html>`},
		{name: "long", body: `{"description":"` + strings.Repeat("é", 400) + `"}`, wantMsg: strings.Repeat("é", 256) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := errorDetail([]byte(tt.body))
			if diff := cmp.Diff([]string{tt.wantCode, tt.wantMsg}, []string{code, msg}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueryFilters(t *testing.T) {
	tests := []struct {
		name      string
		query     []string
		wantErr   string // from parsing, for v2
		wantNames []string
		wantV3Err string
	}{
		{name: "none"},
		{name: "name", query: []string{"name:org1"}, wantNames: []string{"org1"}},
		{name: "name IN", query: []string{"name IN a,b"}, wantNames: []string{"a", "b"}},
		{name: "status", query: []string{"status:active"}, wantV3Err: `filter "status:active" has no v3 equivalent`},
		{name: "name range", query: []string{"name>=m"}, wantV3Err: `filter "name>=m" has no v3 equivalent`},
		{name: "two filters", query: []string{"name:a", "name:b"}, wantV3Err: "one name filter, not several"},
		{name: "name with a comma", query: []string{"name:a,b"}, wantV3Err: "cannot hold an empty name or a comma"},
		{name: "unknown filter", query: []string{"label:x"}, wantErr: `"label" is not one of name, space_guid`},
		{name: "no operator", query: []string{"name=x"}, wantErr: "the operator is not one of"},
		{name: "no value", query: []string{"status:"}, wantErr: "has no value"},
		{name: "no field", query: []string{":x"}, wantErr: "is not <filter><op><value>"},
		{name: "field only", query: []string{"name"}, wantErr: "is not <filter><op><value>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			filters, err := parseFilters(tt.query)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFilters: %v", err)
			}
			names, err := v3Names(filters)
			if tt.wantV3Err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantV3Err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantV3Err)
				}
				return
			}
			if err != nil {
				t.Fatalf("v3Names: %v", err)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

// TestV3DocsExample: the v3 documentation's list example, whose items carry neither
// suspended, relationships nor links, decodes as two active organizations and the
// last page.
func TestV3DocsExample(t *testing.T) {
	list, _ := url.Parse("https://10.0.0.1/v3/organizations?per_page=5000")
	page, err := decodeV3Page(fixture(t, "v3-organizations-docs.json", "https://api.example.org"), list)
	if err != nil {
		t.Fatal(err)
	}
	want := cloud.Page[cloud.Organization]{
		Items: []cloud.Organization{{
			ID: "885735b5-aea4-4cf5-8e44-961af0e41920", DisplayName: "org1", State: cloud.StateSucceeded, RawState: "active",
			CreatedAt: time.Date(2017, 2, 1, 1, 33, 58, 0, time.UTC), UpdatedAt: time.Date(2017, 2, 1, 1, 33, 58, 0, time.UTC),
		}, {
			ID: "d4c91047-7b29-4fda-b7f9-04033e5c9c9f", DisplayName: "org2", State: cloud.StateSucceeded, RawState: "active",
			CreatedAt: time.Date(2017, 2, 2, 0, 14, 30, 0, time.UTC), UpdatedAt: time.Date(2017, 2, 2, 0, 14, 30, 0, time.UTC),
		}},
		Total: 2,
	}
	if diff := cmp.Diff(want, page); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
}
