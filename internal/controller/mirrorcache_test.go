package controller_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
	"github.com/orgsync/orgsync/internal/controller"
)

// An account's mirrors are watched through a cache of its own, which starts once the
// account holds mirrors. The watches are seen as they go over the wire (writes).
var _ = Describe("An account's cache of its mirrors", func() {
	pc := confluentCase()
	openWatches := func(resource, account string) func() int {
		return func() int {
			_, open := writes.Watches(resource, v1alpha1.LabelAccount+"="+account)
			return open
		}
	}

	It("is not watched during the account's first sync, is watched after it, and stops with the account", func() {
		// A rate limit on the third page holds the first sync open for a while, with
		// the first pages' mirrors written.
		sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultTooManyRequests, Endpoint: pc.orgList, Page: 3, Times: 1, RetryAfter: 3 * time.Second})
		defer sim.ClearFaults()
		acct := createAccount(pc, sim, pc.secret, nil)
		defer deleteAccount(acct)

		Eventually(func() int { return sim.CountStatus(pc.orgList, 429) }).Should(Equal(1))
		Expect(organizationsOf(acct.Name)).NotTo(BeEmpty(), "the pages before the refused one are written")
		opened, _ := writes.Watches("organizations", v1alpha1.LabelAccount+"="+acct.Name)
		Expect(opened).To(BeZero(), "a watch of the mirrors while the first sync writes them")

		waitSynced(acct.Name, "")
		Expect(organizationsOf(acct.Name)).To(HaveLen(len(pc.remote(sim))))
		Eventually(openWatches("organizations", acct.Name)).Should(Equal(1))
		Eventually(openWatches("connectclusters", acct.Name)).Should(Equal(1))

		deleteAccount(acct)
		Eventually(openWatches("organizations", acct.Name)).Should(BeZero())
		Eventually(openWatches("connectclusters", acct.Name)).Should(BeZero())
	})

	// oneFirstSyncOpen has a Confluent account's first sync refused on its third page
	// until the fault is cleared, and a Cloud Foundry account's first sync end
	// meanwhile. It returns both accounts, deleted when the spec ends.
	oneFirstSyncOpen := func() (running, done *v1alpha1.CloudAccount) {
		refused := sim.CountStatus(pc.orgList, 429)
		sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultTooManyRequests, Endpoint: pc.orgList, Page: 3, RetryAfter: time.Second})
		DeferCleanup(sim.ClearFaults)
		running = createAccount(pc, sim, pc.secret, nil)
		DeferCleanup(deleteAccount, running)
		Eventually(func() int { return sim.CountStatus(pc.orgList, 429) }).Should(BeNumerically(">", refused))

		cf := cloudFoundryCase()
		done = createAccount(cf, sim, cf.secret, nil)
		DeferCleanup(deleteAccount, done)
		waitSynced(done.Name, "")
		return running, done
	}

	It("starts, for an account whose first sync ended while another's runs, when that one ends too", func() {
		running, done := oneFirstSyncOpen()
		Consistently(openWatches("organizations", done.Name), 2*time.Second).Should(BeZero(),
			"a cache started while another account's first sync writes")

		sim.ClearFaults()
		waitSynced(running.Name, "")
		for _, name := range []string{done.Name, running.Name} {
			Eventually(openWatches("organizations", name)).Should(Equal(1))
			Eventually(openWatches("connectclusters", name)).Should(Equal(1))
		}
	})

	It("starts, for an account whose first sync ended while another's ran, when that account is deleted", func() {
		running, done := oneFirstSyncOpen()
		Expect(openWatches("organizations", done.Name)()).To(BeZero())

		deleteAccount(running)
		Eventually(openWatches("organizations", done.Name)).Should(Equal(1))
	})

	It("shows the next sync a mirror's status edited by hand after the first sync, which puts it back", func() {
		acct := createAccount(pc, sim, pc.secret, nil)
		defer deleteAccount(acct)
		waitSynced(acct.Name, "")
		victim := organizationsOf(acct.Name)[0]
		want := victim.Status.DisplayName
		edited := victim.DeepCopy()
		edited.Status.DisplayName = "edited by hand"
		Expect(k8sClient.Status().Patch(suiteCtx, edited, client.MergeFrom(&victim))).To(Succeed())

		// The edit reaches the cache by its watch, which a sync requested at once may
		// not have seen yet: ask again until one has.
		Eventually(func(g Gomega) {
			synced := waitSynced(acct.Name, requestSync(acct.Name))
			g.Expect(meta.IsStatusConditionTrue(synced.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
			got := &v1alpha1.Organization{}
			g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(&victim), got)).To(Succeed())
			g.Expect(got.Status.DisplayName).To(Equal(want))
		}).Should(Succeed())
	})

	It("keeps details as a digest, yet removes a detail the item lost and one added by hand", func() {
		restore := snapshot(sim)
		defer restore()
		acct := createAccount(pc, sim, pc.secret, nil)
		defer deleteAccount(acct)
		waitSynced(acct.Name, "")
		var withSSO, other v1alpha1.Organization
		for _, o := range organizationsOf(acct.Name) {
			switch {
			case withSSO.Name == "" && o.Status.Details["ssoTenantID"] != "":
				withSSO = o
			case other.Name == "" && len(o.Status.Details) > 0:
				other = o
			}
		}
		Expect(withSSO.Name).NotTo(BeEmpty(), "the simulator lists organizations with Azure SSO")
		Expect(other.Name).NotTo(BeEmpty())

		// The item loses its SSO (and with it both details); someone adds a detail to
		// another mirror by hand.
		sim.ConfluentOrganizations().Update(withSSO.Spec.ExternalID, func(o *cloudsim.ConfluentOrganization) {
			o.SSOURL, o.SSOTenantID = "", ""
		})
		edited := other.DeepCopy()
		edited.Status.Details["addedByHand"] = "yes"
		Expect(k8sClient.Status().Patch(suiteCtx, edited, client.MergeFrom(&other))).To(Succeed())

		// As above: ask until a sync has seen the hand edit through the cache's watch.
		Eventually(func(g Gomega) {
			waitSynced(acct.Name, requestSync(acct.Name))
			got := &v1alpha1.Organization{}
			g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(&withSSO), got)).To(Succeed())
			g.Expect(got.Status.Details).To(BeEmpty())
			g.Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(&other), got)).To(Succeed())
			g.Expect(got.Status.Details).To(Equal(other.Status.Details))
		}).Should(Succeed())
	})

	It("starts at once for an account that already holds mirrors, and compares and prunes against them", func() {
		acct := createAccount(pc, sim, pc.secret, func(s *v1alpha1.CloudAccountSpec) { s.Suspend = true })
		defer deleteAccount(acct)
		// Mirrors made before the account's first sync, as an earlier operator would
		// have left them: one of a listed item, with no status yet, and one of an item
		// the remote side no longer lists. Only a cache that holds them knows the first
		// needs no create and the second is to be pruned.
		remote := pc.remote(sim)
		listed := keys(remote)[0]
		for _, id := range []string{listed, "gone-1"} {
			Expect(k8sClient.Create(suiteCtx, &v1alpha1.Organization{
				ObjectMeta: metav1.ObjectMeta{Name: controller.MirrorName(acct.Name, id), Labels: map[string]string{v1alpha1.LabelAccount: acct.Name}},
				Spec:       v1alpha1.OrganizationSpec{AccountRef: v1alpha1.AccountReference{Name: acct.Name}, Provider: pc.provider, ExternalID: id},
			})).To(Succeed())
		}

		creates := writes.Snapshot()["POST organizations"]
		patchAccount(acct.Name, func(a *v1alpha1.CloudAccount) { a.Spec.Suspend = false })
		waitSynced(acct.Name, "")
		Expect(writes.Snapshot()["POST organizations"]-creates).To(Equal(len(remote)-1), "creates tried: the listed mirror is not created again")
		names := map[string]string{}
		for _, o := range organizationsOf(acct.Name) {
			names[o.Spec.ExternalID] = o.Status.DisplayName
		}
		Expect(names).To(Equal(remote), "the listed mirror has its status, and the vanished item's is pruned")
	})
})
