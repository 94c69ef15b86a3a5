// Package providers turns a CloudAccount's spec and credentials into the concrete
// cloud.Provider. It is the one place that knows both the API types and the provider
// packages, so the controller depends on internal/cloud alone.
package providers

import (
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/azure"
	"github.com/orgsync/orgsync/internal/cloud/cloudfoundry"
	"github.com/orgsync/orgsync/internal/cloud/confluent"
	"github.com/orgsync/orgsync/internal/metrics"
)

// Factory builds providers. Transport is the base HTTP transport for remote calls
// (nil: Go's default); every request through it is counted in the metrics.
type Factory struct {
	Transport http.RoundTripper
}

// New implements controller.ProviderFactory. Every request of the provider it builds
// passes one origin guard: the Secret's allowed origins, checked before anything is sent.
func (f Factory) New(acct *v1alpha1.CloudAccount, secret *corev1.Secret, budget *cloud.Budget) (cloud.Provider, error) {
	creds := secret.Data
	key := func(k string) string { return string(creds[k]) }
	allowed, err := AllowedOrigins(acct.Spec.Provider, secret)
	if err != nil {
		return nil, err
	}
	client := cloud.NewHTTPClient(cloud.GuardOrigins(allowed, metrics.InstrumentTransport(string(acct.Spec.Provider), f.base())))
	switch acct.Spec.Provider {
	case v1alpha1.ProviderConfluentCloud:
		spec := acct.Spec.ConfluentCloud
		if spec == nil {
			return nil, fmt.Errorf("spec.confluentCloud is required for provider ConfluentCloud")
		}
		return confluent.New(confluent.Config{
			Endpoint:     spec.Endpoint,
			PageSize:     int(spec.PageSize),
			APIKey:       key("apiKey"),
			APISecret:    key("apiSecret"),
			Token:        key("token"),
			ClientID:     key("clientID"),
			ClientSecret: key("clientSecret"),
			TokenURL:     key("tokenURL"),
			Budget:       budget,
			HTTPClient:   client,
			// Secret keys, not spec fields: they belong to the OAuth client's set.
			IdentityPoolID: key("identityPoolID"),
			Scope:          key("scope"),
		})
	case v1alpha1.ProviderAzure:
		spec := acct.Spec.Azure
		if spec == nil {
			return nil, fmt.Errorf("spec.azure is required for provider Azure")
		}
		return azure.New(azure.Config{
			Endpoint:       spec.Endpoint,
			SubscriptionID: spec.SubscriptionID,
			ResourceGroup:  spec.ResourceGroup,
			AuthorityHost:  spec.AuthorityHost,
			TenantID:       key("tenantID"),
			ClientID:       key("clientID"),
			ClientSecret:   key("clientSecret"),
			Token:          key("token"),
			Budget:         budget,
			Transport:      client,
		})
	case v1alpha1.ProviderCloudFoundry:
		spec := acct.Spec.CloudFoundry
		if spec == nil {
			return nil, fmt.Errorf("spec.cloudFoundry is required for provider CloudFoundry")
		}
		return cloudfoundry.New(cloudfoundry.Config{
			APIURL:       spec.APIURL,
			TokenURL:     spec.TokenURL,
			APIVersion:   string(spec.APIVersion),
			Query:        spec.Query,
			PageSize:     int(spec.PageSize),
			Username:     key("username"),
			Password:     key("password"),
			ClientID:     key("clientID"),
			ClientSecret: key("clientSecret"),
			Token:        key("token"),
			Budget:       budget,
			HTTPClient:   client,
		})
	}
	return nil, fmt.Errorf("unknown provider %q", acct.Spec.Provider)
}

func (f Factory) base() http.RoundTripper {
	if f.Transport != nil {
		return f.Transport
	}
	return http.DefaultTransport.(*http.Transport).Clone()
}
