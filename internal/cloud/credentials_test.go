package cloud

import (
	"errors"
	"strings"
	"testing"
)

func TestPickCredentialSet(t *testing.T) {
	sets := [][]string{{"apiKey", "apiSecret"}, {"token"}, {"clientID", "clientSecret", "tokenURL"}}
	tests := []struct {
		name    string
		present []string
		want    int
		wantErr string
	}{
		{name: "first set", present: []string{"apiKey", "apiSecret"}, want: 0},
		{name: "last set", present: []string{"clientID", "clientSecret", "tokenURL"}, want: 2},
		{name: "none", want: -1, wantErr: "no credentials: provide apiKey+apiSecret, or token, or clientID+clientSecret+tokenURL"},
		{name: "incomplete", present: []string{"clientSecret"}, want: -1, wantErr: "incomplete credentials: missing clientID, tokenURL"},
		{name: "two sets", present: []string{"apiKey", "token"}, want: -1, wantErr: "ambiguous credentials: apiKey, token belong"},
		{name: "a complete set and a stray key", present: []string{"token", "tokenURL"}, want: -1, wantErr: "ambiguous credentials: token, tokenURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			present := map[string]bool{}
			for _, k := range tt.present {
				present[k] = true
			}
			got, err := PickCredentialSet(present, sets...)
			if got != tt.want {
				t.Errorf("set %d, want %d", got, tt.want)
			}
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrCredentials) {
				t.Errorf("error %v does not match ErrCredentials", err)
			}
		})
	}
}
