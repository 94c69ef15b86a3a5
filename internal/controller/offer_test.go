package controller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

var _ = Describe("An Azure organization's SaaS offer", func() {
	It("shows on the mirror, and an inactive offer makes a Succeeded organization not Ready", func() {
		pc := azureCase()
		restore := snapshot(sim)
		defer restore()
		orgs := sim.AzureOrganizations(cloudsim.DefaultAzureSubscription)
		key := orgs.Keys()[0]
		orgs.Update(key, func(o *cloudsim.AzureOrganization) {
			o.ProvisioningState = "Succeeded"
			o.OfferDetail.Status = "Suspended"
		})
		acct := createAccount(pc, sim, pc.secret, nil)
		defer deleteAccount(acct)
		waitSynced(acct.Name, "")
		find := func() v1alpha1.Organization {
			for _, o := range organizationsOf(acct.Name) {
				if o.Spec.ExternalID == key {
					return o
				}
			}
			Fail("no mirror of " + key)
			return v1alpha1.Organization{}
		}
		o := find()
		Expect(o.Status.ProvisioningState).To(Equal(v1alpha1.StateSucceeded))
		Expect(o.Status.OfferStatus).To(Equal("Suspended"))
		ready := meta.FindStatusCondition(o.Status.Conditions, v1alpha1.ConditionReady)
		Expect(ready).NotTo(BeNil())
		Expect(ready.Status).To(BeEquivalentTo("False"))
		Expect(ready.Reason).To(Equal(v1alpha1.ReasonOfferInactive))
		Expect(meta.IsStatusConditionTrue(o.Status.Conditions, v1alpha1.ConditionStalled)).To(BeTrue())

		// The subscription resumed: the same mirror is Ready again on the next sync.
		orgs.Update(key, func(o *cloudsim.AzureOrganization) { o.OfferDetail.Status = "Subscribed" })
		waitSynced(acct.Name, requestSync(acct.Name))
		o = find()
		Expect(o.Status.OfferStatus).To(Equal("Subscribed"))
		Expect(meta.IsStatusConditionTrue(o.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
		Expect(meta.FindStatusCondition(o.Status.Conditions, v1alpha1.ConditionStalled)).To(BeNil())
	})
})
