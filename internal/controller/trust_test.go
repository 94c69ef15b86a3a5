package controller_test

import (
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

// Trust before writing: listings checked against the remote's total, plan mode,
// named Azure organizations, and Secrets that lend credentials only with consent.

var _ = Describe("Listings checked against the remote's total", func() {
	pc := confluentCase()
	var (
		acct    *v1alpha1.CloudAccount
		restore func()
	)
	BeforeEach(func() {
		restore = snapshot(sim)
		acct = createAccount(pc, sim, pc.secret, func(s *v1alpha1.CloudAccountSpec) { s.ConfluentCloud.ConnectClusters = nil })
		waitSynced(acct.Name, "")
	})
	AfterEach(func() {
		sim.ClearFaults()
		deleteAccount(acct)
		restore()
	})

	It("prunes nothing a short page missed, and says so", func() {
		count := len(organizationsOf(acct.Name))
		short := sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultShortPage, Endpoint: pc.orgList, Page: 2, Times: 1})
		synced := waitSynced(acct.Name, requestSync(acct.Name))
		Expect(sim.FaultFired(short)).To(Equal(1), "the short page must have been served")
		Expect(organizationsOf(acct.Name)).To(HaveLen(count), "the item the short page lost is kept")
		ready := meta.FindStatusCondition(synced.Status.Conditions, v1alpha1.ConditionReady)
		Expect(ready).To(And(HaveField("Status", metav1.ConditionTrue), HaveField("Reason", v1alpha1.ReasonListingShort)))
		Expect(ready.Message).To(ContainSubstring("held %d distinct items where the remote's total says %d", count-1, count))
		Expect(eventReasons(acct)).To(ContainElement(v1alpha1.ReasonListingShort))
	})

	It("keeps an item gone remotely while the total disagrees, and prunes it after a listing that agrees", func() {
		count := len(organizationsOf(acct.Name))
		pc.remove(sim, keys(pc.remote(sim))[0])
		sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultWrongTotal, Endpoint: pc.orgList})
		synced := waitSynced(acct.Name, requestSync(acct.Name))
		Expect(organizationsOf(acct.Name)).To(HaveLen(count), "a listing short of its total prunes nothing on its own")
		Expect(meta.FindStatusCondition(synced.Status.Conditions, v1alpha1.ConditionReady).Message).To(
			ContainSubstring("1 mirrors no longer listed are kept until the next complete listing confirms it (this one was short of the remote's total)"))

		sim.ClearFaults()
		synced = waitSynced(acct.Name, requestSync(acct.Name))
		Expect(meta.FindStatusCondition(synced.Status.Conditions, v1alpha1.ConditionReady)).To(HaveField("Reason", v1alpha1.ReasonSynced))
		Expect(organizationsOf(acct.Name)).To(HaveLen(count - 1))
	})

	It("mirrors an item listed on two pages once, and reports it", func() {
		count := len(organizationsOf(acct.Name))
		before := writes.MirrorWrites()
		sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultDuplicate, Endpoint: pc.orgList, Page: 2, Times: 1})
		synced := waitSynced(acct.Name, requestSync(acct.Name))
		Expect(writes.MirrorWrites() - before).To(BeZero())
		Expect(organizationsOf(acct.Name)).To(HaveLen(count))
		ready := meta.FindStatusCondition(synced.Status.Conditions, v1alpha1.ConditionReady)
		Expect(ready).To(HaveField("Reason", v1alpha1.ReasonSynced), "counted once, the listing matches its total")
		Expect(ready.Message).To(ContainSubstring("1 remote items were listed more than once"))
		Expect(eventReasons(acct)).To(ContainElement(v1alpha1.ReasonDuplicateRemoteItems))
	})
})

var _ = Describe("Plan mode", func() {
	pc := cloudFoundryCase()
	var restore func()
	BeforeEach(func() { restore = snapshot(sim) })
	AfterEach(func() { restore() })

	// waitPlanned waits for a plan of the account's current generation made after since.
	waitPlanned := func(name string, since time.Time) *v1alpha1.CloudAccount {
		var out *v1alpha1.CloudAccount
		Eventually(func(g Gomega) {
			a := getAccount(name)
			g.Expect(a.Status.Plan).NotTo(BeNil())
			g.Expect(a.Status.Plan.ObservedGeneration).To(Equal(a.Generation))
			g.Expect(a.Status.Plan.PlannedTime.Time).To(BeTemporally(">=", since.Truncate(time.Second)))
			out = a
		}).Should(Succeed())
		return out
	}
	setMode := func(name string, mode v1alpha1.SyncMode) {
		patchAccount(name, func(a *v1alpha1.CloudAccount) { a.Spec.Mode = mode })
	}

	It("writes no mirror, and the sync that follows does what the plan said", func() {
		before := writes.Snapshot()
		acct := createAccount(pc, sim, pc.secret, func(s *v1alpha1.CloudAccountSpec) { s.Mode = v1alpha1.ModePlan })
		defer deleteAccount(acct)
		n := len(pc.remote(sim))
		planned := waitPlanned(acct.Name, time.Time{})
		Expect(mirrorWritesSince(before)).To(BeEmpty(), "a plan writes no mirror")
		Expect(organizationsOf(acct.Name)).To(BeEmpty())
		Expect(planned.Status.Plan).To(And(HaveField("Creates", BeEquivalentTo(n)), HaveField("Updates", BeZero()), HaveField("Deletes", BeZero())))
		Expect(planned.Status.Plan.SampleCreates).To(HaveLen(10))
		Expect(slices.IsSorted(planned.Status.Plan.SampleCreates)).To(BeTrue())
		Expect(meta.FindStatusCondition(planned.Status.Conditions, v1alpha1.ConditionReady)).To(And(
			HaveField("Reason", v1alpha1.ReasonPlanned), HaveField("Message", ContainSubstring("create %d, update 0 and delete 0", n))))
		Expect(meta.FindStatusCondition(planned.Status.Conditions, v1alpha1.ConditionReconciling)).To(BeNil())
		Expect(eventReasons(acct)).To(ContainElement(v1alpha1.ReasonPlanned))

		before = writes.Snapshot()
		setMode(acct.Name, v1alpha1.ModeSync)
		synced := waitSynced(acct.Name, "")
		Expect(synced.Status.Plan).To(BeNil(), "a sync clears the plan it applied")
		Expect(organizationsOf(acct.Name)).To(HaveLen(n))
		Expect(mirrorWritesSince(before)).To(Equal(map[string]int{
			"POST organizations": n, "PUT organizations/status": n,
		}))

		// Two renamed, one gone and one new: planned, then synced.
		ids := keys(pc.remote(sim))
		pc.rename(sim, ids[0], "renamed-one")
		pc.rename(sim, ids[1], "renamed-two")
		pc.remove(sim, ids[2])
		pc.add(sim)
		start := time.Now()
		before = writes.Snapshot()
		setMode(acct.Name, v1alpha1.ModePlan)
		planned = waitPlanned(acct.Name, start)
		Expect(mirrorWritesSince(before)).To(BeEmpty())
		Expect(planned.Status.Plan).To(And(HaveField("Creates", BeEquivalentTo(1)), HaveField("Updates", BeEquivalentTo(2)),
			HaveField("Deletes", BeEquivalentTo(1)), HaveField("PruneHeldBack", BeFalse())))

		setMode(acct.Name, v1alpha1.ModeSync)
		Eventually(func() *v1alpha1.PlanStatus { return getAccount(acct.Name).Status.Plan }).Should(BeNil())
		Expect(mirrorWritesSince(before)).To(Equal(map[string]int{
			"POST organizations": 1, "PUT organizations/status": 1, "PATCH organizations/status": 2, "DELETE organizations": 1,
		}))
		Expect(organizationsOf(acct.Name)).To(HaveLen(n))
	})

	It("says when the prune guard would hold the deletes back", func() {
		acct := createAccount(pc, sim, pc.secret, nil)
		defer deleteAccount(acct)
		waitSynced(acct.Name, "")
		ids := keys(pc.remote(sim))
		gone := len(ids) * 6 / 10
		for _, id := range ids[:gone] {
			pc.remove(sim, id)
		}
		start := time.Now()
		before := writes.Snapshot()
		setMode(acct.Name, v1alpha1.ModePlan)
		planned := waitPlanned(acct.Name, start)
		Expect(mirrorWritesSince(before)).To(BeEmpty())
		Expect(planned.Status.Plan).To(And(HaveField("Deletes", BeEquivalentTo(gone)), HaveField("PruneHeldBack", BeTrue())))
		Expect(planned.Status.Plan.SampleDeletes).To(HaveLen(10))
		Expect(meta.FindStatusCondition(planned.Status.Conditions, v1alpha1.ConditionReady).Message).To(ContainSubstring("the prune guard would hold the deletes back"))
	})
})

var _ = Describe("Named Azure organizations", func() {
	pc := azureCase()
	sub := cloudsim.DefaultAzureSubscription
	var restore func()
	BeforeEach(func() { restore = snapshot(sim) })
	AfterEach(func() {
		sim.ClearFaults()
		restore()
	})

	named := func(n int) []v1alpha1.AzureOrganizationReference {
		var refs []v1alpha1.AzureOrganizationReference
		for _, o := range sim.AzureOrganizations(sub).Items()[:n] {
			refs = append(refs, v1alpha1.AzureOrganizationReference{ResourceGroup: o.ResourceGroup, Name: o.Name})
		}
		return refs
	}

	It("mirrors each with one Get, and prunes one that answers 404 after a complete pass", func() {
		refs := append(named(3), v1alpha1.AzureOrganizationReference{ResourceGroup: "orgsync-rg-1", Name: "never-existed"})
		sim.ResetStats()
		acct := createAccount(pc, sim, pc.secret, func(s *v1alpha1.CloudAccountSpec) { s.Azure.Organizations = refs })
		defer deleteAccount(acct)
		synced := waitSynced(acct.Name, "")
		Expect(synced.Status.Organizations).To(BeEquivalentTo(3))
		Expect(sim.Count(cloudsim.EndpointAzureGet)).To(Equal(len(refs)), "one Get for each named organization")
		Expect(sim.Count(cloudsim.EndpointAzureListBySubscription) + sim.Count(cloudsim.EndpointAzureListByResourceGroup)).To(BeZero())
		var names []string
		for _, o := range organizationsOf(acct.Name) {
			names = append(names, o.Status.DisplayName)
		}
		Expect(names).To(ConsistOf(refs[0].Name, refs[1].Name, refs[2].Name))

		// A 404 in a pass that a rate limit paused is a candidate only: kept.
		gone := sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultNotFound, Endpoint: cloudsim.EndpointAzureGet, Times: 1})
		paused := sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultTooManyRequests, Endpoint: cloudsim.EndpointAzureGet, AtRequest: 2, Times: 1, RetryAfter: time.Second})
		synced = waitSynced(acct.Name, requestSync(acct.Name))
		Expect([]int{sim.FaultFired(gone), sim.FaultFired(paused)}).To(Equal([]int{1, 1}))
		Expect(organizationsOf(acct.Name)).To(HaveLen(3))
		Expect(meta.FindStatusCondition(synced.Status.Conditions, v1alpha1.ConditionReady).Message).To(ContainSubstring("1 mirrors no longer listed are kept"))

		// Gone for real: the next complete pass prunes it.
		sim.ClearFaults()
		pc.remove(sim, cloudsim.AzureKey(refs[0].ResourceGroup, refs[0].Name))
		waitSynced(acct.Name, requestSync(acct.Name))
		Expect(organizationsOf(acct.Name)).To(HaveLen(2))
	})
})

var _ = Describe("Credentials lent only with the Secret's consent", func() {
	pc := confluentCase()

	It("sends nothing for an account the Secret does not name, says why, and syncs once it does", func() {
		sim.ResetStats()
		acct := createAccountLending(pc, "ccloud-consent", "someone-else, ccloud-consent-not")
		defer deleteAccount(acct)
		waitNotLent(acct.Name, "add "+acct.Name)
		Expect(meta.IsStatusConditionTrue(getAccount(acct.Name).Status.Conditions, v1alpha1.ConditionStalled)).To(BeTrue())
		Expect(eventReasons(acct)).To(ContainElement(v1alpha1.ReasonCredentialsNotLent))
		requestSync(acct.Name)
		Consistently(func() []cloudsim.RequestRecord { return sim.Requests() }).WithTimeout(2*time.Second).Should(BeEmpty(),
			"an account the Secret does not name sends nothing anywhere")
		Expect(organizationsOf(acct.Name)).To(BeEmpty())

		secret := &corev1.Secret{}
		key := client.ObjectKey{Namespace: operatorNamespace, Name: acct.Spec.CredentialsSecretRef.Name}
		Expect(k8sClient.Get(suiteCtx, key, secret)).To(Succeed())
		secret.Annotations[v1alpha1.AnnotationAccounts] = "someone-else," + acct.Name
		Expect(k8sClient.Update(suiteCtx, secret)).To(Succeed())
		synced := waitSynced(acct.Name, "") // at once: the next interval is minutes away
		Expect(meta.IsStatusConditionTrue(synced.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
		Expect(sim.ProviderRequests(cloudsim.ProviderConfluent)).To(BeNumerically(">", 0))
	})

	It("stops a sync in flight before its next page when the Secret withdraws its consent", func() {
		cf := cloudFoundryCase()
		slow := sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultSlow, Endpoint: cf.orgList, Page: 2, Delay: 3 * time.Second})
		defer sim.ClearFaults()
		sim.ResetStats()
		acct := createAccount(cf, sim, cf.secret, nil)
		defer deleteAccount(acct)
		Eventually(func() int { return sim.FaultFired(slow) }).Should(Equal(1), "page 2 is being served, slowly")
		secret := &corev1.Secret{}
		key := client.ObjectKey{Namespace: operatorNamespace, Name: acct.Spec.CredentialsSecretRef.Name}
		Expect(k8sClient.Get(suiteCtx, key, secret)).To(Succeed())
		secret.Annotations[v1alpha1.AnnotationAccounts] = "someone-else"
		Expect(k8sClient.Update(suiteCtx, secret)).To(Succeed())
		waitNotLent(acct.Name, "add "+acct.Name)
		Expect(sim.Count(cf.orgList)).To(Equal(2), "no page after the one in flight is asked for")
		Expect(getAccount(acct.Name).Status.LastSyncTime).To(BeNil())
	})

	It("stops a sync in flight before its next page when the Secret narrows its origins", func() {
		cf := cloudFoundryCase()
		acct := createAccount(cf, sim, cf.secret, nil)
		defer deleteAccount(acct)
		secret := &corev1.Secret{}
		key := client.ObjectKey{Namespace: operatorNamespace, Name: acct.Spec.CredentialsSecretRef.Name}
		Expect(k8sClient.Get(suiteCtx, key, secret)).To(Succeed())
		secret.Annotations[v1alpha1.AnnotationOrigins] = sim.URL() + " " + bigSim.URL() // widened
		Expect(k8sClient.Update(suiteCtx, secret)).To(Succeed())
		waitSynced(acct.Name, requestSync(acct.Name)) // a sync under the widened Secret

		slow := sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultSlow, Endpoint: cf.orgList, Page: 2, Delay: 3 * time.Second})
		defer sim.ClearFaults()
		sim.ResetStats()
		requestSync(acct.Name)
		Eventually(func() int { return sim.FaultFired(slow) }).Should(Equal(1), "page 2 is being served, slowly")
		Expect(k8sClient.Get(suiteCtx, key, secret)).To(Succeed())
		secret.Annotations[v1alpha1.AnnotationOrigins] = bigSim.URL() // narrowed: sim no longer allowed
		Expect(k8sClient.Update(suiteCtx, secret)).To(Succeed())
		Eventually(func(g Gomega) {
			a := getAccount(acct.Name)
			g.Expect(meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)).To(HaveField("Reason", v1alpha1.ReasonOriginNotAllowed))
			g.Expect(meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionStalled)).To(BeTrue())
		}).Should(Succeed())
		Expect(sim.Count(cf.orgList)).To(Equal(2), "no page after the one in flight is asked for")
		Consistently(func() int { return len(sim.Requests()) }).WithTimeout(2*time.Second).Should(Equal(len(sim.Requests())),
			"nothing more reaches the origin the Secret no longer names")
	})

	It("stalls an account whose Secret carries no annotation, sending nothing", func() {
		sim.ResetStats()
		acct := createAccountLending(pc, "ccloud-no-consent", "")
		defer deleteAccount(acct)
		waitNotLent(acct.Name, "does not lend its credentials to any account")
		Expect(sim.Requests()).To(BeEmpty())
	})
})

// waitNotLent waits for the account to report that its Secret does not lend it its
// credentials, with a message containing want.
func waitNotLent(name, want string) {
	Eventually(func(g Gomega) {
		ready := meta.FindStatusCondition(getAccount(name).Status.Conditions, v1alpha1.ConditionReady)
		g.Expect(ready).To(And(Not(BeNil()), HaveField("Reason", v1alpha1.ReasonCredentialsNotLent),
			HaveField("Message", ContainSubstring(want))))
	}).Should(Succeed())
}

// createAccountLending creates an account named name whose Secret's consent
// annotation is consent (none when empty).
func createAccountLending(pc providerCase, name, consent string) *v1alpha1.CloudAccount {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-creds", Namespace: operatorNamespace,
		Annotations: map[string]string{v1alpha1.AnnotationOrigins: sim.URL()}}, StringData: pc.secret}
	if consent != "" {
		secret.Annotations[v1alpha1.AnnotationAccounts] = consent
	}
	Expect(k8sClient.Create(suiteCtx, secret)).To(Succeed())
	spec := pc.spec(sim)
	spec.CredentialsSecretRef = v1alpha1.SecretReference{Name: secret.Name}
	acct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
	Expect(k8sClient.Create(suiteCtx, acct)).To(Succeed())
	return acct
}

// mirrorWritesSince is the mirror writes counted on the wire since before, by
// "METHOD resource[/subresource]".
func mirrorWritesSince(before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range writes.Snapshot() {
		if d := v - before[k]; d > 0 && (slices.Contains([]string{"organizations", "connectclusters"}, resourceKind(k))) {
			out[k] = d
		}
	}
	return out
}

// resourceKind is the resource of a write counter key, without its subresource.
func resourceKind(key string) string {
	_, res, _ := strings.Cut(key, " ")
	kind, _, _ := strings.Cut(res, "/")
	return kind
}
