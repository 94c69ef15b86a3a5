package providers

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
)

func secretWith(annotations map[string]string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: annotations}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func allows(t *testing.T, o cloud.Origins, raw string) bool {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return o.Allows(u)
}

// Without an annotation, only the provider's documented public endpoints: the
// requests a default Confluent or Azure public-cloud account makes all pass.
func TestDefaultOrigins(t *testing.T) {
	tests := []struct {
		provider v1alpha1.Provider
		url      string
		want     bool
	}{
		{v1alpha1.ProviderConfluentCloud, "https://api.confluent.cloud/partner/v2/organizations?page_size=100", true},
		{v1alpha1.ProviderConfluentCloud, "https://api.confluent.cloud/usm/v1/connect-clusters?environment=env-1", true},
		{v1alpha1.ProviderConfluentCloud, "https://api.confluent.cloud/sts/v1/oauth2/token", true},
		{v1alpha1.ProviderConfluentCloud, "http://api.confluent.cloud/partner/v2/organizations", false},
		{v1alpha1.ProviderConfluentCloud, "https://api.confluent.cloud.example.net/", false},
		{v1alpha1.ProviderConfluentCloud, "https://management.azure.com/", false},
		{v1alpha1.ProviderAzure, "https://management.azure.com/subscriptions/s/providers/Microsoft.Confluent/organizations?api-version=2024-07-01", true},
		{v1alpha1.ProviderAzure, "https://login.microsoftonline.com/tenant/oauth2/v2.0/token", true},
		{v1alpha1.ProviderAzure, "https://login.microsoftonline.com/common/discovery/instance?api-version=1.1", true},
		{v1alpha1.ProviderAzure, "https://management.chinacloudapi.cn/", false}, // sovereign clouds are named, not assumed
		{v1alpha1.ProviderAzure, "https://api.confluent.cloud/", false},
		{v1alpha1.ProviderCloudFoundry, "https://api.example.com/v3/organizations", false},
		{v1alpha1.ProviderCloudFoundry, "https://login.example.com/oauth/token", false},
	}
	for _, tt := range tests {
		allowed, err := AllowedOrigins(tt.provider, secretWith(nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := allows(t, allowed, tt.url); got != tt.want {
			t.Errorf("%s without annotation: Allows(%s) = %v, want %v", tt.provider, tt.url, got, tt.want)
		}
	}
}

func TestAllowedOriginsFromTheSecret(t *testing.T) {
	// Named origins replace the defaults.
	named := secretWith(map[string]string{v1alpha1.AnnotationOrigins: "https://api.sys.example.com, https://uaa.sys.example.com"}, nil)
	allowed, err := AllowedOrigins(v1alpha1.ProviderAzure, named)
	if err != nil {
		t.Fatal(err)
	}
	if allows(t, allowed, "https://management.azure.com/") || !allows(t, allowed, "https://uaa.sys.example.com/oauth/token") {
		t.Error("named origins do not replace the defaults")
	}

	// An empty annotation names nothing: the defaults hold.
	allowed, err = AllowedOrigins(v1alpha1.ProviderConfluentCloud, secretWith(map[string]string{v1alpha1.AnnotationOrigins: " "}, nil))
	if err != nil || !allows(t, allowed, "https://api.confluent.cloud/x") {
		t.Errorf("empty annotation: err %v, want the defaults", err)
	}

	// A Confluent Secret's own tokenURL is its owner's word: that URL is allowed, not its whole host.
	oauth := secretWith(nil, map[string]string{"clientID": "id", "clientSecret": "s", "tokenURL": "https://idp.example.com/oauth2/v1/token"})
	allowed, err = AllowedOrigins(v1alpha1.ProviderConfluentCloud, oauth)
	if err != nil {
		t.Fatal(err)
	}
	if !allows(t, allowed, "https://idp.example.com/oauth2/v1/token") || allows(t, allowed, "https://idp.example.com/other") ||
		!allows(t, allowed, "https://api.confluent.cloud/partner/v2/organizations") {
		t.Error("the Secret's tokenURL is not allowed alongside the defaults, or allows more than itself")
	}
	// Not for another provider, where a token URL is the account's (spec) to say.
	allowed, _ = AllowedOrigins(v1alpha1.ProviderCloudFoundry, oauth)
	if allows(t, allowed, "https://idp.example.com/oauth2/v1/token") {
		t.Error("a tokenURL key allows an origin for Cloud Foundry")
	}

	// A malformed annotation allows nothing, says so without quoting it.
	_, err = AllowedOrigins(v1alpha1.ProviderCloudFoundry, secretWith(map[string]string{v1alpha1.AnnotationOrigins: "https://ok.example.com, secret-host.internal"}, nil))
	if !errors.Is(err, cloud.ErrOriginNotAllowed) || strings.Contains(err.Error(), "internal") || !strings.Contains(err.Error(), "entry 2 of 2") {
		t.Errorf("malformed annotation: err = %v", err)
	}
}
