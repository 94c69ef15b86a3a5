package cloud

import (
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string // "" accepts
	}{
		{"https://api.confluent.cloud", ""},
		{"https://api.example.org:8443/base", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://[::1]:8080", ""},
		{"http://localhost:9000", ""},
		{"http://api.example.org", "must use https"},
		{"http://10.0.0.5:8080", "must use https"},
		{"ftp://api.example.org", "not an absolute http(s) URL"},
		{"/relative/path", "not an absolute http(s) URL"},
		{"https://user:SECRETpw@api.example.org", "must not carry user info"},
		{"https://api.example.org?key=v", "must not carry user info, a query"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseEndpoint(tt.in)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ParseEndpoint: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("ParseEndpoint error = %v, want one containing %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "SECRETpw"):
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}
