package confluent

import (
	"net/url"
	"testing"
	"time"

	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
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

func FuzzDecodeOrganizationsPage(f *testing.F) {
	seedPages(f, "organizations.json", "connect-clusters.json")
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := decodeOrganizationsPage(body, fuzzEndpoint, now)
		if err == nil {
			cloudtest.CheckNext(t, fuzzEndpoint, page.Next)
		}
	})
}

func FuzzDecodeConnectClustersPage(f *testing.F) {
	seedPages(f, "connect-clusters.json", "organizations.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := decodeConnectClustersPage(body, fuzzEndpoint)
		if err == nil {
			cloudtest.CheckNext(t, fuzzEndpoint, page.Next)
		}
	})
}
