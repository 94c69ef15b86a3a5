package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestMirrorName(t *testing.T) {
	tests := []struct {
		name    string
		account string
		parts   []string
		want    string
	}{
		{name: "clean id kept readable", account: "prod", parts: []string{"dlz-f3a90de"}, want: "prod.dlz-f3a90de"},
		{name: "environment and id", account: "prod", parts: []string{"env-00000", "lcc-1"}, want: "prod.env-00000.lcc-1"},
		{name: "uuid kept", account: "cf", parts: []string{"a7aff246-5f5b-4cf8-87d8-f316053e4a20"}, want: "cf.a7aff246-5f5b-4cf8-87d8-f316053e4a20"},
		{name: "altered id hashed", account: "az", parts: []string{"rg1/My_Org"}, want: "az.rg1-my-org--" + hashOf("az", "rg1/My_Org")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MirrorName(tt.account, tt.parts...); got != tt.want {
				t.Errorf("MirrorName() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMirrorNameAlwaysValidAndDistinct(t *testing.T) {
	inputs := [][2]string{
		{"a", "ABC"}, {"a", "abc"}, {"a", "a b c"}, {"a", "a-b-c"}, {"a", "a_b_c"},
		{"a", "rg1/org"}, {"a", "rg1-org"}, {"a", "RG1/org"}, {"a.b", "c"}, {"a", "b.c"},
		{"a", ""}, {"a", "---"}, {"a", strings.Repeat("x", 400)}, {"a", strings.Repeat("x", 401)},
		// An unaltered id shaped like the hashed name of an altered one.
		{"a", "abc--" + MirrorName("a", "ABC")[len("a.abc--"):]},
		{"a", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myResourceGroup/providers/Microsoft.Confluent/organizations/myOrganization"},
	}
	seen := map[string][2]string{}
	for _, in := range inputs {
		name := MirrorName(in[0], in[1])
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			t.Errorf("MirrorName(%q, %q) = %q is not a DNS-1123 subdomain: %v", in[0], in[1], name, errs)
		}
		if prev, dup := seen[name]; dup {
			t.Errorf("MirrorName collision: %v and %v both give %q", prev, in, name)
		}
		seen[name] = in
		if again := MirrorName(in[0], in[1]); again != name {
			t.Errorf("MirrorName(%q, %q) not stable: %q then %q", in[0], in[1], name, again)
		}
	}
}

func hashOf(account string, parts ...string) string {
	sum := sha256.Sum256([]byte(account + "\x00" + strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])[:hashLength]
}
