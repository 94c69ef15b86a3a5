package confluent

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
)

func TestOrganizationsPage(t *testing.T) {
	created := time.Date(2006, 1, 2, 22, 4, 5, 0, time.UTC)
	srv := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		cloudtest.WriteJSON(w, http.StatusOK, fixture(t, "organizations.json", "http://"+r.Host))
	})
	tests := []struct {
		name      string
		edit      func(*Config)
		wantQuery string
		wantAuth  string
	}{
		{name: "static token, default page size", wantQuery: "page_size=100", wantAuth: "Bearer " + testToken},
		{name: "smaller pages", wantQuery: "page_size=25", wantAuth: "Bearer " + testToken,
			edit: func(c *Config) { c.PageSize = 25 }},
	}
	want := cloud.Page[cloud.Organization]{
		Items: []cloud.Organization{{
			ID: "dlz-f3a90de", DisplayName: "Acme Organization", State: cloud.StateDeleted, RawState: "deleted",
			SSOURL:       "https://confluent.cloud/login/sso/AzureAD-OIDC-Conn",
			ResourceName: "crn://confluent.cloud/kafka=lkc-f3a90de",
			CreatedAt:    created, UpdatedAt: created, DeletedAt: created,
			Details: map[string]string{"ssoKind": "AzureSSOConfig", "ssoTenantID": "b3a17773-05cc-4431-9560-433fb4613da8"},
		}, {
			ID: "org-live", DisplayName: "Live Organization", State: cloud.StateSucceeded,
			ResourceName: "crn://confluent.cloud/organization=org-live", CreatedAt: created, UpdatedAt: created,
		}, {
			ID: "org-leaving", DisplayName: "Leaving Organization", State: cloud.StateDeleting, RawState: "deleted",
			ResourceName: "crn://confluent.cloud/organization=org-leaving", CreatedAt: created, UpdatedAt: created,
			DeletedAt: time.Date(2999, 1, 2, 15, 4, 5, 0, time.UTC),
		}},
		// The list's own query, at the link's page_token.
		Total: 123, // metadata.total_size
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want.Next = srv.URL + "/partner/v2/organizations?" + tt.wantQuery + "&page_token=UvmDWOB1iwfAIBPj6EYb"
			before := len(srv.Seen())
			got, err := newClient(t, srv.URL, tt.edit).OrganizationsPage(context.Background(), "")
			if err != nil {
				t.Fatalf("OrganizationsPage: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			wantSeen := []cloudtest.Seen{{Path: "/partner/v2/organizations", Query: tt.wantQuery, Auth: tt.wantAuth}}
			if diff := cmp.Diff(wantSeen, srv.Seen()[before:]); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConnectClustersPage(t *testing.T) {
	srv := cloudtest.NewRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		cloudtest.WriteJSON(w, http.StatusOK, fixture(t, "connect-clusters.json", "http://"+r.Host))
	})
	c := newClient(t, srv.URL, withAPIKey) // usm/v1 takes a Cloud API key
	got, err := c.ConnectClustersPage(context.Background(), "env-00000", "")
	if err != nil {
		t.Fatalf("ConnectClustersPage: %v", err)
	}
	want := cloud.Page[cloud.ConnectCluster]{
		Items: []cloud.ConnectCluster{{
			ID: "dlz-f3a90de", Environment: "env-00000",
			EnvironmentResourceName:    srv.URL + "/organization=9bb441c4-edef-46ac-8a41-c49e44a3fd9a/environment=env-00000",
			ConfluentPlatformClusterID: "connect-group-xyz123", KafkaClusterID: "4k0R9d1GTS5tI9f4Y2xZ0Q",
			USMKafkaClusterID: "usmkc-00000", Cloud: "AWS", Region: "us-east-1",
		}},
		Next: srv.URL + "/usm/v1/connect-clusters?environment=env-00000&page_size=100&page_token=UvmDWOB1iwfAIBPj6EYb",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
	wantSeen := []cloudtest.Seen{{Path: "/usm/v1/connect-clusters", Query: "environment=env-00000&page_size=100",
		Auth: basicHeader(testAPIKey, testAPISecret)}}
	if diff := cmp.Diff(wantSeen, srv.Seen()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	if _, err := c.ConnectClustersPage(context.Background(), "", ""); !errors.Is(err, cloud.ErrBadRequest) {
		t.Errorf("no environment: got %v, want ErrBadRequest", err)
	}
}

// TestDecodeRejects covers answers that must not read as a (possibly empty) page.
func TestDecodeRejects(t *testing.T) {
	endpoint, _ := url.Parse(DefaultEndpoint)
	tests := []struct {
		name string
		body string
		want error
	}{
		{name: "empty object is not an empty list", body: `{}`, want: cloud.ErrTransient},
		{name: "null data", body: `{"data":null}`, want: cloud.ErrTransient},
		{name: "item without id", body: `{"data":[{"name":"x"}]}`, want: cloud.ErrTransient},
		{name: "bad timestamp", body: `{"data":[{"id":"a","metadata":{"created_at":"yesterday"}}]}`, want: cloud.ErrTransient},
		{name: "next without a page_token", body: `{"data":[],"metadata":{"next":"https://api.confluent.cloud/x?page_size=10"}}`, want: cloud.ErrUnsafe},
		{name: "next with an empty page_token", body: `{"data":[],"metadata":{"next":"https://api.confluent.cloud/x?page_token="}}`, want: cloud.ErrUnsafe},
		{name: "next that does not parse", body: `{"data":[],"metadata":{"next":"https://api.confluent.cloud/%zz?page_token=t"}}`, want: cloud.ErrUnsafe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeOrganizationsPage([]byte(tt.body), endpoint, time.Now())
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestErrorDetail(t *testing.T) {
	tests := []struct {
		name              string
		body              []byte
		wantCode, wantMsg string
	}{
		{name: "400 example", body: fixture(t, "error-400.json", ""), wantCode: "invalid_filter",
			wantMsg: "Invalid Filter: The 'delorean' resource can't be filtered by 'num_doors'"},
		{name: "two errors", body: []byte(`{"errors":[{"code":"a","title":"A"},{"code":"b","detail":"B"}]}`),
			wantCode: "a", wantMsg: "A; B"},
		{name: "not JSON", body: []byte(`<html>bad gateway</html>`)},
		{name: "error_code and message items", body: []byte(`{"errors":[{"error_code":40301,"message":"Request is not authorized"}]}`),
			wantCode: "40301", wantMsg: "Request is not authorized"},
		{name: "a string error_code beside a title", body: []byte(`{"errors":[{"error_code":"quota_exceeded","title":"Quota","detail":"over","message":"ignored"}]}`),
			wantCode: "quota_exceeded", wantMsg: "Quota: over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := errorDetail(tt.body)
			if diff := cmp.Diff([]string{tt.wantCode, tt.wantMsg}, []string{code, msg}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
