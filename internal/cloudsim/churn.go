package cloudsim

import (
	"fmt"
	"math/rand/v2"
)

// Churn makes one round of remote changes on every list, as a demo's
// background activity: one item added, one removed and one updated (renamed,
// or moved to another state).
func (s *Server) Churn() {
	n := rand.IntN(1_000_000)
	orgs := s.ConfluentOrganizations()
	orgs.Add(ConfluentOrganization{Name: fmt.Sprintf("Churn Org %d", n)})
	churnOne(orgs.Keys(), orgs.Remove, func(k string) {
		orgs.Update(k, func(o *ConfluentOrganization) { o.Name = fmt.Sprintf("Renamed Org %d", n) })
	})

	s.data.mu.Lock()
	envs := make([]*Collection[ConnectCluster], 0, len(s.data.connect))
	for env, c := range s.data.connect {
		c.Add(ConnectCluster{Environment: env, ConfluentPlatformConnectClusterID: fmt.Sprintf("connect-group-churn%d", n),
			KafkaClusterID: "churnKafkaCluster0000000", USMKafkaClusterID: "usmkc-churn", Cloud: "AWS", Region: "us-east-1"})
		envs = append(envs, c)
	}
	s.data.mu.Unlock()
	for _, c := range envs {
		churnOne(c.Keys(), c.Remove, func(string) {})
	}

	for _, sub := range s.cfg.Azure.Subscriptions {
		c := s.AzureOrganizations(sub)
		c.Add(AzureOrganization{Name: fmt.Sprintf("churn-org-%d", n), ResourceGroup: "orgsync-rg-1", Location: "West US",
			ProvisioningState: "Creating", OfferDetail: AzureOfferDetail{Status: "PendingFulfillmentStart"}})
		churnOne(c.Keys(), c.Remove, func(k string) {
			c.Update(k, func(o *AzureOrganization) {
				o.ProvisioningState = AzureProvisioningStates[rand.IntN(len(AzureProvisioningStates))]
			})
		})
	}

	cf := s.CFOrganizations()
	cf.Add(CFOrganization{Name: fmt.Sprintf("churn-%d", n), QuotaDefinitionGUID: cfQuotas[0]})
	churnOne(cf.Keys(), cf.Remove, func(k string) {
		cf.Update(k, func(o *CFOrganization) {
			o.Status = map[string]string{"active": "suspended", "suspended": "active"}[o.Status]
		})
	})
}

// churnOne removes one random key and updates another.
func churnOne(keys []string, remove func(...string) int, update func(string)) {
	if len(keys) < 2 {
		return
	}
	i := rand.IntN(len(keys))
	remove(keys[i])
	update(keys[(i+1)%len(keys)])
}
