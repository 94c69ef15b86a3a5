package confluent

import (
	"net/http"
	"testing"

	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
)

// Secrets every test client carries, so any test can check that none leaks.
const (
	testAPIKey       = "KEYabc123visible"
	testAPISecret    = "SECRETxyz789hidden"
	testToken        = "TOKENstatic456"
	testClientSecret = "CLIENTSECRETqwe"
)

var allSecrets = []string{testAPISecret, testToken, testClientSecret}

// fixture reads testdata/name with the documents' host replaced by base.
func fixture(t testing.TB, name, base string) []byte {
	t.Helper()
	return cloudtest.Fixture(t, name, DefaultEndpoint, base)
}

// newClient returns a client of base with a static bearer token unless edit says
// otherwise: partner/v2 takes nothing else but OAuth tokens.
func newClient(t *testing.T, base string, edit func(*Config)) *Client {
	t.Helper()
	return cloudtest.NewClient(t, New, Config{Endpoint: base, Token: testToken, backoff: cloudtest.FastBackoff}, edit)
}

// withAPIKey swaps the token for a Cloud API key, which serves connect clusters only.
func withAPIKey(c *Config) {
	c.Token = ""
	c.APIKey, c.APISecret = testAPIKey, testAPISecret
}

// noSecrets fails the test when err's text holds any credential value.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	cloudtest.NoSecrets(t, err, allSecrets...)
}

func basicHeader(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}
