package controller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/api/meta"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/metrics"
)

var _ = Describe("The mirror ceiling per account", func() {
	var restore func()
	BeforeEach(func() { restore = snapshot(sim) })
	AfterEach(func() { restore() })

	It("creates no mirror beyond spec.maxMirrors, keeps and updates the rest, says so, and other accounts sync", func() {
		pc := confluentCase()
		const ceiling = 10
		remote := len(pc.remote(sim))
		Expect(remote).To(BeNumerically(">", ceiling))
		acct := createAccount(pc, sim, pc.secret, func(s *v1alpha1.CloudAccountSpec) {
			s.ConfluentCloud.ConnectClusters = nil
			s.MaxMirrors = ceiling
		})
		defer deleteAccount(acct)
		other := createAccount(cloudFoundryCase(), sim, cloudFoundryCase().secret, nil)
		defer deleteAccount(other)

		capped := waitSynced(acct.Name, "")
		Expect(organizationsOf(acct.Name)).To(HaveLen(ceiling))
		Expect(capped.Status.Organizations).To(BeEquivalentTo(ceiling), "status counts the mirrors held")
		ready := meta.FindStatusCondition(capped.Status.Conditions, v1alpha1.ConditionReady)
		Expect(ready).To(And(HaveField("Status", BeEquivalentTo("False")), HaveField("Reason", v1alpha1.ReasonMirrorCeilingReached)))
		Expect(ready.Message).To(ContainSubstring("%d remote items (%d organizations, 0 connect clusters) were not mirrored", remote-ceiling, remote-ceiling))
		Expect(eventReasons(capped)).To(ContainElement(v1alpha1.ReasonMirrorCeilingReached))
		Expect(testutil.ToFloat64(metrics.MirrorCeilingExcluded.WithLabelValues(acct.Name))).To(BeEquivalentTo(remote - ceiling))

		synced := waitSynced(other.Name, "")
		Expect(meta.FindStatusCondition(synced.Status.Conditions, v1alpha1.ConditionReady).Reason).To(Equal(v1alpha1.ReasonSynced))

		// An existing mirror is still updated; a new remote item gets none.
		held := organizationsOf(acct.Name)[0]
		pc.rename(sim, held.Spec.ExternalID, "renamed under the ceiling")
		pc.add(sim)
		capped = waitSynced(acct.Name, requestSync(acct.Name))
		Expect(organizationsOf(acct.Name)).To(HaveLen(ceiling))
		Expect(organizationsOf(acct.Name)).To(ContainElement(HaveField("Status.DisplayName", "renamed under the ceiling")))
		Expect(meta.FindStatusCondition(capped.Status.Conditions, v1alpha1.ConditionReady).Reason).To(Equal(v1alpha1.ReasonMirrorCeilingReached))

		// Raised: everything is mirrored and the account says Synced again.
		patchAccount(acct.Name, func(a *v1alpha1.CloudAccount) { a.Spec.MaxMirrors = 1000 })
		Eventually(func() string {
			return meta.FindStatusCondition(getAccount(acct.Name).Status.Conditions, v1alpha1.ConditionReady).Reason
		}).Should(Equal(v1alpha1.ReasonSynced))
		Expect(organizationsOf(acct.Name)).To(HaveLen(remote + 1))
		Expect(testutil.ToFloat64(metrics.MirrorCeilingExcluded.WithLabelValues(acct.Name))).To(BeZero())
	})
})
