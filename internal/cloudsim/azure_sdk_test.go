package cloudsim

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/confluent/armconfluent"
)

// The real Azure SDK (azidentity's ClientSecretCredential through MSAL, and
// armconfluent's pager) must work against the simulator over TLS.
func TestAzureSDKAgainstSimulator(t *testing.T) {
	s := New(Config{Azure: AzureConfig{OrganizationsPerSubscription: 250}})
	s.StartTLS()
	t.Cleanup(s.Close)

	c := DefaultAzureCredential
	opts := policy.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: s.URL() + "/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: s.URL(), Audience: s.URL()},
			},
		},
		Transport: s.Client(),
	}
	cred, err := azidentity.NewClientSecretCredential(c.TenantID, c.ClientID, c.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	armOpts := opts
	armOpts.APIVersion = AzureAPIVersion // armconfluent v1.2.0 defaults to 2023-08-22, which is refused
	client, err := armconfluent.NewOrganizationClient(DefaultAzureSubscription, cred, &arm.ClientOptions{ClientOptions: armOpts})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var names []string
	pager := client.NewListBySubscriptionPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Value {
			names = append(names, *o.Name)
			if o.Properties == nil || o.Properties.ProvisioningState == nil || o.Properties.OfferDetail == nil {
				t.Fatalf("organization %s lacks properties", *o.Name)
			}
		}
	}
	if len(names) != 250 || unique(names) != 250 {
		t.Errorf("listed %d organizations (%d unique), want 250", len(names), unique(names))
	}
	if n := s.Count(EndpointAzureListBySubscription); n != 3 {
		t.Errorf("list requests = %d, want 3", n)
	}
	if s.Count(EndpointAzureOpenIDConfig) != 1 || s.Count(EndpointAzureToken) != 1 {
		t.Errorf("discovery, token requests = %d, %d; want 1, 1", s.Count(EndpointAzureOpenIDConfig), s.Count(EndpointAzureToken))
	}

	got, err := client.Get(ctx, "orgsync-rg-1", "confluent-org-00000", nil)
	if err != nil || *got.Name != "confluent-org-00000" {
		t.Fatalf("Get = %v, %v", got, err)
	}

	// A 404 arrives as an *azcore.ResponseError carrying the ARM error code.
	_, err = client.Get(ctx, "orgsync-rg-1", "nope", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound || re.ErrorCode != "ResourceNotFound" {
		t.Errorf("Get(nope) error = %v", err)
	}

	// A wrong secret fails in azidentity.
	bad, err := azidentity.NewClientSecretCredential(c.TenantID, c.ClientID, "nope",
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{s.URL() + "/.default"}}); err == nil {
		t.Error("GetToken with a wrong secret succeeded")
	}
}
