package main

import (
	"fmt"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloud/cloudfoundry"
	"github.com/orgsync/orgsync/internal/cloud/confluent"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

// environments is how many Confluent environments hold connect clusters.
const environments = 10

// world is the remote side of one run: n mirrors in all, 40% Confluent organizations,
// 40% connect clusters spread over ten environments, 10% Azure and 10% Cloud Foundry
// organizations.
type world struct {
	mirrors           int
	confluentOrgs     int
	clustersPerEnv    int
	azureOrgs, cfOrgs int
}

func worldOf(n int) world {
	w := world{mirrors: n, confluentOrgs: n * 4 / 10, clustersPerEnv: n * 4 / 10 / environments, azureOrgs: n / 10}
	w.cfOrgs = n - w.confluentOrgs - w.clustersPerEnv*environments - w.azureOrgs
	return w
}

// simConfig is the simulator's configuration. The Confluent and Cloud Foundry rate
// budgets are off, so that what is measured is the operator and the API server; ARM's
// read bucket keeps its default, which a paged listing stays far inside.
func (w world) simConfig() cloudsim.Config {
	envs := make([]string, environments)
	for i := range envs {
		envs[i] = fmt.Sprintf("env-%05d", i)
	}
	return cloudsim.Config{
		Seed: 7,
		Confluent: cloudsim.ConfluentConfig{
			Organizations: nonZero(w.confluentOrgs), Environments: envs, ConnectClustersPerEnvironment: nonZero(w.clustersPerEnv),
			RateLimit: cloudsim.Window{Disabled: true},
		},
		Azure:        cloudsim.AzureConfig{OrganizationsPerSubscription: nonZero(w.azureOrgs)},
		CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: nonZero(w.cfOrgs), RateLimit: cloudsim.Window{Disabled: true}},
	}
}

// nonZero keeps an empty list empty: cloudsim reads 0 as "the default".
func nonZero(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// accounts are the CloudAccounts of a run, by name.
var accounts = []struct {
	name     string
	provider v1alpha1.Provider
}{
	{"confluent", v1alpha1.ProviderConfluentCloud},
	{"azure", v1alpha1.ProviderAzure},
	{"cf", v1alpha1.ProviderCloudFoundry},
}

// list is one remote list, as the simulator counts its requests.
type list struct {
	name     string
	endpoint cloudsim.Endpoint
	// lists is how many listings of the endpoint one sync makes, items how many
	// items each holds, pageSize how many a page of it holds.
	lists, items, pageSize int
}

// lists are the remote lists one full sync reads.
func (w world) lists() []list {
	return []list{
		{"Confluent organizations", cloudsim.EndpointConfluentOrganizations, 1, w.confluentOrgs, confluent.MaxPageSize},
		{"Confluent connect clusters", cloudsim.EndpointConfluentConnectClusters, environments, w.clustersPerEnv, confluent.MaxPageSize},
		{"Azure organizations", cloudsim.EndpointAzureListBySubscription, 1, w.azureOrgs, azurePageSize},
		{"Cloud Foundry organizations", cloudsim.EndpointCFV3Organizations, 1, w.cfOrgs, cloudfoundry.MaxPageSizeV3},
	}
}

// azurePageSize is the page size ARM (and cloudsim's default) chooses; the client
// cannot ask for another.
const azurePageSize = 100

// pages is ceil(items/pageSize) for each listing, and one page for an empty list.
func (l list) pages() int { return l.lists * max(1, (l.items+l.pageSize-1)/l.pageSize) }
