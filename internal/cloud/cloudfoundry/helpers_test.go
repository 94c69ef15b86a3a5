package cloudfoundry

import (
	"net/http"
	"testing"

	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
)

// Credentials of the fake foundation; the secret ones must never show in an error.
const (
	testUser         = "admin"
	testPassword     = "PASSWORDsecret123"
	testClientID     = "orgsync"
	testClientSecret = "CLIENTSECRETcf456"
	testToken        = "TOKENstatic789"
	issuedToken      = "ISSUEDuaa000"
)

var allSecrets = []string{testPassword, testClientSecret, testToken, issuedToken}

// cfNotFound is the Cloud Controller's answer for a path it does not serve.
var cfNotFound = []byte(`{"description":"Unknown request","error_code":"CF-NotFound","code":10000}`)

// newServer is a recording server routing by path; unrouted paths answer 404 the way
// the Cloud Controller does.
func newServer(t *testing.T) *cloudtest.Recorder {
	t.Helper()
	return cloudtest.NewRouter(t, cfNotFound)
}

// withUAA serves the password and client-credentials grants under /uaa.
func withUAA(s *cloudtest.Recorder) *cloudtest.Recorder {
	s.Handle("/uaa/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		_ = r.ParseForm()
		var ok bool
		switch r.PostForm.Get("grant_type") {
		case "password":
			ok = id == "cf" && secret == "" && r.PostForm.Get("username") == testUser && r.PostForm.Get("password") == testPassword
		case "client_credentials":
			ok = id == testClientID && secret == testClientSecret
		}
		if !ok {
			cloudtest.WriteJSON(w, http.StatusUnauthorized, []byte(`{"error":"unauthorized","error_description":"Bad credentials"}`))
			return
		}
		cloudtest.WriteJSON(w, http.StatusOK, []byte(`{"access_token":"`+issuedToken+`","token_type":"bearer","expires_in":3600}`))
	})
	return s
}

// fixture reads testdata/name with the documents' hosts replaced by base.
func fixture(t testing.TB, name, base string) []byte {
	t.Helper()
	return cloudtest.Fixture(t, name, "https://uaa.example.org", base+"/uaa", "https://api.example.org", base)
}

// newClient returns a client of base; edit sets credentials and the rest.
func newClient(t *testing.T, base string, edit func(*Config)) *Client {
	t.Helper()
	return cloudtest.NewClient(t, New, Config{APIURL: base, backoff: cloudtest.FastBackoff}, edit)
}

func withToken(c *Config)    { c.Token = testToken }
func withPassword(c *Config) { c.Username, c.Password = testUser, testPassword }
func withClient(c *Config)   { c.ClientID, c.ClientSecret = testClientID, testClientSecret }

// noSecrets fails the test when err's text holds any credential value.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	cloudtest.NoSecrets(t, err, allSecrets...)
}
