package azure_test

import (
	"errors"
	"testing"

	"github.com/orgsync/orgsync/internal/cloud"
	"github.com/orgsync/orgsync/internal/cloud/azure"
	"github.com/orgsync/orgsync/internal/cloud/cloudtest"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

func TestSimulatorGetOrganization(t *testing.T) {
	sim := cloudtest.StartSimTLS(t, cloudsim.Config{Seed: 3, Azure: cloudsim.AzureConfig{OrganizationsPerSubscription: 5}})
	c, err := azure.New(simConfig(sim, cloud.NewBudget()))
	if err != nil {
		t.Fatal(err)
	}
	listed, _ := listAll(t, c)
	want := listed[0]
	known := cloud.OrganizationRef{Group: want.Details["resourceGroup"], Name: want.DisplayName}

	got, found, err := c.GetOrganization(t.Context(), known)
	if err != nil || !found {
		t.Fatalf("Get %v: found=%v err=%v", known, found, err)
	}
	if got.ID != want.ID || got.ResourceName != want.ResourceName || got.State != want.State {
		t.Errorf("Get gave %s %s %s, the listing %s %s %s", got.ID, got.ResourceName, got.State, want.ID, want.ResourceName, want.State)
	}

	for name, ref := range map[string]cloud.OrganizationRef{
		"no such organization":   {Group: known.Group, Name: "nope"},
		"no such resource group": {Group: "no-such-group", Name: known.Name},
	} {
		if _, found, err := c.GetOrganization(t.Context(), ref); found || err != nil {
			t.Errorf("%s: found=%v err=%v, want not found and no error", name, found, err)
		}
	}

	sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultNotFound, Endpoint: cloudsim.EndpointAzureGet, Times: 1})
	if _, found, err := c.GetOrganization(t.Context(), known); found || err != nil {
		t.Errorf("with the not-found fault: found=%v err=%v, want not found", found, err)
	}
	if got := sim.Count(cloudsim.EndpointAzureGet); got != 4 {
		t.Errorf("%d Get requests, want one per call (4)", got)
	}

	// A 404 that is not about the organization is an error, never "gone".
	cfg := simConfig(sim, cloud.NewBudget())
	cfg.SubscriptionID = "99999999-0000-0000-0000-000000000000"
	other, err := azure.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := other.GetOrganization(t.Context(), known); found || !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("unknown subscription: found=%v err=%v, want ErrNotFound", found, err)
	}
}
