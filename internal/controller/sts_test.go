package controller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

var _ = Describe("A Confluent account with OAuth client credentials", func() {
	oauth := func(pool string) map[string]string {
		cred := cloudsim.DefaultConfluentCredential
		creds := map[string]string{"clientID": cred.ClientID, "clientSecret": cred.ClientSecret, "tokenURL": sim.URL() + "/oauth2/token"}
		if pool != "" {
			creds["identityPoolID"] = pool
		}
		return creds
	}

	It("mirrors organizations with the identity provider's token and connect clusters with an STS token", func() {
		pc := confluentCase()
		sts := sim.Count(cloudsim.EndpointConfluentSTSToken)
		acct := createAccount(pc, sim, oauth(cloudsim.DefaultConfluentIdentityPool), nil)
		defer deleteAccount(acct)
		synced := waitSynced(acct.Name, "")
		Expect(meta.IsStatusConditionTrue(synced.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
		Expect(organizationsOf(acct.Name)).To(HaveLen(len(pc.remote(sim))))
		Expect(connectClustersOf(acct.Name)).To(HaveLen(pc.connectClusters(sim)))
		Expect(sim.Count(cloudsim.EndpointConfluentSTSToken)-sts).To(Equal(1), "one exchange, reused for every page and environment")
	})

	It("says that connect clusters need an identity pool, and sends nothing for them", func() {
		pc := confluentCase()
		before := sim.Count(cloudsim.EndpointConfluentConnectClusters)
		acct := createAccount(pc, sim, oauth(""), nil)
		defer deleteAccount(acct)
		Eventually(func(g Gomega) {
			ready := meta.FindStatusCondition(getAccount(acct.Name).Status.Conditions, v1alpha1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Reason).To(Equal(v1alpha1.ReasonInvalidConfiguration))
			g.Expect(ready.Message).To(ContainSubstring("identityPoolID"))
		}).Should(Succeed())
		Expect(sim.Count(cloudsim.EndpointConfluentConnectClusters)).To(Equal(before))
	})
})
