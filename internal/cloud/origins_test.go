package cloud

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func TestOriginsAllows(t *testing.T) {
	allowed, err := ParseOrigins("https://API.example.com, https://uaa.example.com:8443\n https://login.example.com/tenant-a/ http://127.0.0.1:9000")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url  string
		want bool
	}{
		{"https://api.example.com/partner/v2/organizations?page_token=x", true},
		{"https://api.example.com:443/x", true},
		{"https://Api.Example.com", true},
		{"http://api.example.com/x", false},       // another scheme is another origin
		{"https://api.example.com:8443/x", false}, // another port
		{"https://api.example.com.evil.test/x", false},
		{"https://evil.test/https://api.example.com/", false},
		{"https://uaa.example.com:8443/oauth/token", true},
		{"https://uaa.example.com/oauth/token", false},
		{"https://login.example.com/tenant-a", true},
		{"https://login.example.com/tenant-a/oauth2/v2.0/token", true},
		{"https://login.example.com/tenant-ab/oauth2/v2.0/token", false}, // whole segments only
		{"https://login.example.com/tenant-b/oauth2/v2.0/token", false},
		{"https://login.example.com/tenant-a/../tenant-b/token", false},
		{"https://login.example.com/tenant-a/%2e%2e/tenant-b/token", false},
		{"https://login.example.com/tenant-a%2f..%2ftenant-b/token", false},
		{"https://login.example.com/tenant-a/..;/tenant-b/token", false},        // Tomcat reads "..;" as ".."
		{"https://login.example.com/tenant-a/..%5ctenant-b/token", false},       // IIS reads "\" as "/"
		{"https://login.example.com/tenant-a/oauth2;jsessionid=x/token", false}, // no path parameters under a prefix
		{"https://login.example.com/", false},
		{"http://127.0.0.1:9000/v3/organizations", true},
		{"http://127.0.0.1:9001/v3/organizations", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := allowed.Allows(u); got != tt.want {
			t.Errorf("Allows(%s) = %v, want %v", tt.url, got, tt.want)
		}
	}
	if (Origins{}).Allows(mustURL(t, "https://api.example.com")) {
		t.Error("the zero Origins allows a request")
	}
}

// A token URL the Secret names is allowed as that one URL, not as a prefix.
func TestExactURLAllowsThatURLAlone(t *testing.T) {
	allowed, err := ExactURL("https://idp.example.com/oauth2/token")
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]bool{
		"https://idp.example.com/oauth2/token":                          true,
		"https://idp.example.com:443/oauth2/token":                      true,
		"https://idp.example.com/oauth2/token/partner/v2/organizations": false,
		"https://idp.example.com/oauth2/token/":                         false,
		"https://idp.example.com/oauth2":                                false,
		"https://idp.example.com/":                                      false,
		"http://idp.example.com/oauth2/token":                           false,
	} {
		if got := allowed.Allows(mustURL(t, target)); got != want {
			t.Errorf("Allows(%s) = %v, want %v", target, got, want)
		}
	}
	if _, err := ExactURL("http://idp.example.com/oauth2/token"); err == nil {
		t.Error("a plain-http token URL to a host that is not loopback was accepted")
	}
}

// Malformed entries are refused, and the error counts entries instead of quoting them.
func TestParseOriginsRefuses(t *testing.T) {
	for _, value := range []string{
		"api.example.com",                   // no scheme
		"ftp://files.example.com",           // not http(s)
		"http://10.0.0.7:8080",              // clear text off the machine
		"https://user:pass@api.example.com", // user info
		"https://api.example.com/?x=1",      // query
		"https://api.example.com/#f",        // fragment
		"https://api.example.com/a/../b/",   // dot segment
		"https://ok.example.com, https://secret-host.internal/?q",
	} {
		_, err := ParseOrigins(value)
		if err == nil {
			t.Errorf("ParseOrigins(%q) accepted it", value)
			continue
		}
		for _, word := range []string{"example", "internal", "10.0.0.7", "pass"} {
			if strings.Contains(err.Error(), word) {
				t.Errorf("ParseOrigins(%q) = %q, which quotes the annotation", value, err)
			}
		}
	}
}

// The guard refuses before anything is sent, token requests included, and its error
// says which origin was refused, never what is allowed.
func TestGuardOriginsSendsNothingElsewhere(t *testing.T) {
	allowedSrv := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) { fmt.Fprint(w, `{"data":[]}`) })
	elsewhere := newTestServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		fmt.Fprint(w, `{"access_token":"t","token_type":"bearer","expires_in":60}`)
	})
	allowed, err := ParseOrigins(allowedSrv.URL)
	if err != nil {
		t.Fatal(err)
	}
	client := NewHTTPClient(GuardOrigins(allowed, http.DefaultTransport.(*http.Transport).Clone()))

	// A page on an allowed origin goes out.
	r, _, _ := newTestRequester(t, allowedSrv, func(c *RequesterConfig) { c.HTTPClient = client })
	if err := r.GetJSON(t.Context(), allowedSrv.URL+"/x", &doc{}); err != nil {
		t.Fatalf("allowed origin: %v", err)
	}

	// An API endpoint elsewhere: refused, typed, not retried.
	r, auth, _ := newTestRequester(t, elsewhere, func(c *RequesterConfig) { c.HTTPClient = client })
	err = r.GetJSON(t.Context(), elsewhere.URL+"/x?page_token=SECRETISH", &doc{})
	if !errors.Is(err, ErrOriginNotAllowed) || !errors.Is(err, ErrUnsafe) {
		t.Fatalf("err = %v, want ErrOriginNotAllowed", err)
	}
	if auth.calls.Load() != 1 {
		t.Errorf("authorized %d times, want 1 (no retry of a refusal)", auth.calls.Load())
	}
	if strings.Contains(err.Error(), allowedSrv.URL) || strings.Contains(err.Error(), "SECRETISH") {
		t.Errorf("message %q quotes the allowed list or the URL's query", err)
	}
	if !strings.Contains(err.Error(), elsewhere.URL) {
		t.Errorf("message %q does not say which origin was refused", err)
	}

	// A token endpoint elsewhere: the client secret is not sent either.
	source := (&clientcredentials.Config{ClientID: "id", ClientSecret: "SECRETvalue", TokenURL: elsewhere.URL + "/token",
		AuthStyle: oauth2.AuthStyleInHeader}).TokenSource(OAuthContext(client))
	r, _, _ = newTestRequester(t, allowedSrv, func(c *RequesterConfig) {
		c.HTTPClient = client
		c.Auth = TokenSourceAuth{Source: source}
	})
	before := allowedSrv.requests()
	err = r.GetJSON(t.Context(), allowedSrv.URL+"/x", &doc{})
	if _, ok := AsOriginError(err); !ok {
		t.Fatalf("err = %v, want an *OriginError", err)
	}
	if elsewhere.requests() != 0 || allowedSrv.requests() != before {
		t.Errorf("%d requests elsewhere and %d more to the API, want none", elsewhere.requests(), allowedSrv.requests()-before)
	}
}

// Bodies past the guard's bound fail to read instead of filling memory; token answers
// (POST) have the tighter bound.
func TestGuardOriginsBoundsBodies(t *testing.T) {
	size := maxTokenBodyBytes + 10
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", size)))
	}))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: GuardOrigins(MustOrigins(srv.URL), http.DefaultTransport.(*http.Transport).Clone())}

	resp, err := client.Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader("grant_type=x"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if !errors.Is(err, errBodyTooLarge) || n != maxTokenBodyBytes {
		t.Errorf("POST: read %d bytes, err %v; want %d and errBodyTooLarge", n, err, maxTokenBodyBytes)
	}

	resp, err = client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	n, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != int64(size) {
		t.Errorf("GET: read %d bytes, err %v; want all %d under the page bound", n, err, size)
	}
}

// A request that gets no answer is said in words a user can act on: no dial error,
// address or port beyond the configured endpoint's.
func TestRequesterConnectionFailureSaysNoNetworkDetail(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	srv := &testServer{Server: &httptest.Server{URL: "http://" + addr}}
	r, _, _ := newTestRequester(t, srv, nil)
	err = r.GetJSON(t.Context(), srv.URL+"/x", &doc{})
	if !errors.Is(err, ErrTransient) {
		t.Fatalf("err = %v, want transient", err)
	}
	for _, word := range []string{"dial", "refused", "tcp", "connect:"} {
		if strings.Contains(err.Error(), word) {
			t.Errorf("message %q says %q", err, word)
		}
	}
	if !strings.Contains(err.Error(), failureUnreachable) {
		t.Errorf("message %q does not say the API could not be reached", err)
	}

	// An untrusted certificate says so, and what to do.
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(tlsSrv.Close)
	r, _, _ = newTestRequester(t, &testServer{Server: tlsSrv}, func(c *RequesterConfig) { c.HTTPClient = NewHTTPClient(nil) })
	err = r.GetJSON(t.Context(), tlsSrv.URL+"/x", &doc{})
	if err == nil || !strings.Contains(err.Error(), failureUntrusted) || strings.Contains(err.Error(), "x509") {
		t.Errorf("err = %v, want %q without the x509 text", err, failureUntrusted)
	}

	// A trusted certificate that names another host says that, not "add a CA": the
	// test server's certificate names 127.0.0.1 and example.com, not localhost.
	localhost := strings.Replace(tlsSrv.URL, "127.0.0.1", "localhost", 1)
	r, _, _ = newTestRequester(t, &testServer{Server: &httptest.Server{URL: localhost}},
		func(c *RequesterConfig) { c.HTTPClient = NewHTTPClient(tlsSrv.Client().Transport) })
	err = r.GetJSON(t.Context(), localhost+"/x", &doc{})
	if err == nil || !strings.Contains(err.Error(), failureWrongHost) || strings.Contains(err.Error(), "x509") {
		t.Errorf("err = %v, want %q without the x509 text", err, failureWrongHost)
	}

	// A token request that gets no answer says the same words.
	got := TokenError(&url.Error{Op: "Post", URL: "http://" + addr + "/token", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}})
	if strings.Contains(got.Error(), "dial") || strings.Contains(got.Error(), addr) || !errors.Is(got, ErrTransient) {
		t.Errorf("TokenError = %v", got)
	}
}
