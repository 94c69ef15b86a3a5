package confluent

import (
	"net/url"
	"testing"
	"time"

	"github.com/orgsync/orgsync/internal/cloud"
)

// fuzzEndpoint is the origin every accepted next link must stay on.
var fuzzEndpoint, _ = url.Parse(DefaultEndpoint)

func seedPages(f *testing.F, files ...string) {
	for _, name := range files {
		f.Add(fixture(f, name, DefaultEndpoint))
	}
	f.Add([]byte(`{"data":[],"metadata":{"next":"/partner/v2/organizations?page_token=x"}}`))
	f.Add([]byte(`{"data":[],"metadata":{"next":"https://api.confluent.cloud:443/x"}}`))
	f.Add([]byte(`{"data":[],"metadata":{"next":"//evil.example/x"}}`))
	f.Add([]byte(`{}`))
}

// checkNext fails when an accepted page links off the endpoint's origin.
func checkNext(t *testing.T, next string) {
	if next == "" {
		return
	}
	u, err := url.Parse(next)
	if err != nil || !cloud.SameOrigin(fuzzEndpoint, u) || u.User != nil {
		t.Fatalf("accepted next link %q is off the endpoint's origin", next)
	}
}

func FuzzDecodeOrganizationsPage(f *testing.F) {
	seedPages(f, "organizations.json", "connect-clusters.json")
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := decodeOrganizationsPage(body, fuzzEndpoint, now)
		if err == nil {
			checkNext(t, page.Next)
		}
	})
}

func FuzzDecodeConnectClustersPage(f *testing.F) {
	seedPages(f, "connect-clusters.json", "organizations.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := decodeConnectClustersPage(body, fuzzEndpoint)
		if err == nil {
			checkNext(t, page.Next)
		}
	})
}
