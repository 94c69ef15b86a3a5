package providers

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

// toSim sends every connection to the simulator, whatever host a request names: the
// public endpoints' names resolve to loopback here, so nothing leaves the machine.
func toSim(s *cloudsim.Server) http.RoundTripper {
	addr := strings.TrimPrefix(s.URL(), "https://")
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12}
	return t
}

// An account on a public cloud's default endpoints, with a Secret that names no
// origins, lists through the factory's guard; the same Secret does not reach anything
// else.
func TestFactoryDefaultsReachThePublicEndpoints(t *testing.T) {
	sim := cloudsim.New(cloudsim.Config{
		TLSHosts:  []string{"api.confluent.cloud", "management.azure.com", "confluent.example.net"},
		Confluent: cloudsim.ConfluentConfig{Organizations: 3, ConnectClustersPerEnvironment: -1},
		Azure:     cloudsim.AzureConfig{OrganizationsPerSubscription: 3},
	})
	sim.StartTLS()
	t.Cleanup(sim.Close)
	factory := Factory{Transport: toSim(sim)}
	token := func(v string) map[string][]byte { return map[string][]byte{"token": []byte(v)} }
	secret := secretWith(nil, nil)

	confluentAcct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: v1alpha1.CloudAccountSpec{
		Provider: v1alpha1.ProviderConfluentCloud, ConfluentCloud: &v1alpha1.ConfluentCloudSpec{}}}
	secret.Data = token(cloudsim.DefaultConfluentCredential.Token)
	p, err := factory.New(confluentAcct, secret, cloud.NewBudget())
	if err != nil {
		t.Fatal(err)
	}
	page, err := p.OrganizationsPage(t.Context(), "")
	if err != nil || len(page.Items) != 3 {
		t.Fatalf("Confluent at its default endpoint: %d items, %v", len(page.Items), err)
	}

	azureAcct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: v1alpha1.CloudAccountSpec{
		Provider: v1alpha1.ProviderAzure, Azure: &v1alpha1.AzureSpec{SubscriptionID: cloudsim.DefaultAzureSubscription}}}
	secret.Data = token(cloudsim.DefaultAzureCredential.Token)
	if p, err = factory.New(azureAcct, secret, cloud.NewBudget()); err != nil {
		t.Fatal(err)
	}
	if page, err = p.OrganizationsPage(t.Context(), ""); err != nil || len(page.Items) != 3 {
		t.Fatalf("Azure at its default endpoint: %d items, %v", len(page.Items), err)
	}

	// The same Secret, an endpoint it does not name: refused, and nothing reached the simulator.
	sim.ResetStats()
	confluentAcct.Spec.ConfluentCloud.Endpoint = "https://confluent.example.net"
	secret.Data = token(cloudsim.DefaultConfluentCredential.Token)
	if p, err = factory.New(confluentAcct, secret, cloud.NewBudget()); err != nil {
		t.Fatal(err)
	}
	_, err = p.OrganizationsPage(t.Context(), "")
	if !errors.Is(err, cloud.ErrOriginNotAllowed) || len(sim.Requests()) != 0 {
		t.Fatalf("another endpoint: err %v, %d requests reached the simulator", err, len(sim.Requests()))
	}
}
