package cloudfoundry

import (
	"net/url"
	"testing"

	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
)

const fuzzBase = "https://api.example.org"

// fuzzEndpoint is the origin every accepted next link must stay on.
var fuzzEndpoint, _ = url.Parse(fuzzBase)

func seedPages(f *testing.F) {
	for _, name := range []string{"v2-organizations.json", "v3-organizations.json", "root.json"} {
		f.Add(fixture(f, name, fuzzBase))
	}
	for _, s := range []string{
		`{"resources":[],"next_url":"/v2/organizations?page=2"}`,
		`{"resources":[],"next_url":"//evil.example/v2/organizations"}`,
		`{"resources":[],"next_url":"https://api.example.org:443/v2/organizations?page=2"}`,
		`{"resources":[],"pagination":{"next":{"href":"../v3/organizations?page=2"}}}`,
		`{"resources":[],"pagination":{"next":{"href":"HTTPS://API.EXAMPLE.ORG/v3/organizations?page=2"}}}`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
}

func FuzzDecodeV2Page(f *testing.F) {
	seedPages(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := decodeV2Page(body, fuzzEndpoint)
		if err == nil {
			cloudtest.CheckNext(t, fuzzEndpoint, page.Next)
		}
	})
}

func FuzzDecodeV3Page(f *testing.F) {
	seedPages(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := decodeV3Page(body, fuzzEndpoint)
		if err == nil {
			cloudtest.CheckNext(t, fuzzEndpoint, page.Next)
		}
	})
}
