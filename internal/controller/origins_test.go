package controller_test

import (
	"net/url"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
)

// Credentials go only where their Secret allows. Two simulators on two origins: sim is
// the one each Secret names, bigSim stands for a host of someone else's choosing.
var _ = Describe("Credentials sent only to the origins their Secret names", func() {
	// credentialRequests counts what reached s carrying a credential.
	credentialRequests := func(s *cloudsim.Server) int {
		n := 0
		for _, r := range s.Requests() {
			if r.Credentials {
				n++
			}
		}
		return n
	}
	// waitRefused waits for the account to stall with reason OriginNotAllowed naming
	// the refused origin, and checks that the message does not echo the Secret's list.
	waitRefused := func(name string, refused *cloudsim.Server) {
		origin := originOf(refused.URL())
		Eventually(func(g Gomega) {
			a := getAccount(name)
			ready := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Reason).To(Equal(v1alpha1.ReasonOriginNotAllowed))
			g.Expect(ready.ObservedGeneration).To(Equal(a.Generation))
			g.Expect(ready.Message).To(ContainSubstring("nothing was sent to " + origin))
			g.Expect(ready.Message).NotTo(ContainSubstring(sim.URL()), "the Secret's origins are not echoed")
			g.Expect(meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionStalled)).To(BeTrue())
		}).Should(Succeed())
		Expect(eventReasons(getAccount(name))).To(ContainElement(v1alpha1.ReasonOriginNotAllowed))
	}
	// expectNothingReached checks that nothing, and so no credential, reached s, even
	// after another requested sync.
	expectNothingReached := func(name string, s *cloudsim.Server) {
		requestSync(name)
		Consistently(func() []cloudsim.RequestRecord { return s.Requests() }).WithTimeout(2*time.Second).Should(BeEmpty(),
			"a request reached the origin the Secret does not name")
		Expect(credentialRequests(s)).To(BeZero())
	}
	var restore func()
	BeforeEach(func() {
		restore = snapshot(sim)
		bigSim.ResetStats()
	})
	AfterEach(func() { restore() })

	It("refuses a Confluent account whose endpoint is edited to another origin, and follows the Secret when it names it", func() {
		pc := confluentCase()
		acct := createAccount(pc, sim, pc.secret, nil)
		defer deleteAccount(acct)
		waitSynced(acct.Name, "")
		mirrors := len(organizationsOf(acct.Name))

		patchAccount(acct.Name, func(a *v1alpha1.CloudAccount) { a.Spec.ConfluentCloud.Endpoint = bigSim.URL() })
		waitRefused(acct.Name, bigSim)
		expectNothingReached(acct.Name, bigSim)
		Expect(organizationsOf(acct.Name)).To(HaveLen(mirrors), "a refused sync prunes nothing")

		// The Secret's owner names the new origin: the account syncs there at once.
		secret := &corev1.Secret{}
		Expect(k8sClient.Get(suiteCtx, client.ObjectKey{Namespace: operatorNamespace, Name: acct.Spec.CredentialsSecretRef.Name}, secret)).To(Succeed())
		secret.Annotations[v1alpha1.AnnotationOrigins] = sim.URL() + " " + bigSim.URL()
		Expect(k8sClient.Update(suiteCtx, secret)).To(Succeed())
		Eventually(func() string {
			return meta.FindStatusCondition(getAccount(acct.Name).Status.Conditions, v1alpha1.ConditionReady).Reason
		}).Should(Equal(v1alpha1.ReasonSynced))
		Expect(credentialRequests(bigSim)).To(BeNumerically(">", 0))
	})

	It("refuses a Cloud Foundry account whose tokenURL is edited to another origin: the password is not sent", func() {
		pc := cloudFoundryCase()
		acct := createAccount(pc, sim, pc.secret, nil)
		defer deleteAccount(acct)
		waitSynced(acct.Name, "")

		patchAccount(acct.Name, func(a *v1alpha1.CloudAccount) { a.Spec.CloudFoundry.TokenURL = bigSim.URL() + "/oauth/token" })
		waitRefused(acct.Name, bigSim)
		expectNothingReached(acct.Name, bigSim)
	})

	It("refuses an Azure account whose authorityHost is edited to another origin: the client secret is not sent", func() {
		pc := azureCase()
		acct := createAccount(pc, sim, pc.secret, nil)
		defer deleteAccount(acct)
		waitSynced(acct.Name, "")

		patchAccount(acct.Name, func(a *v1alpha1.CloudAccount) { a.Spec.Azure.AuthorityHost = bigSim.URL() + "/" })
		waitRefused(acct.Name, bigSim)
		expectNothingReached(acct.Name, bigSim)
	})

	It("refuses an Azure account recreated under the same name pointing elsewhere", func() {
		pc := azureCase()
		acct := createAccount(pc, sim, pc.secret, nil)
		defer deleteAccount(acct)
		waitSynced(acct.Name, "")

		// Deleted, and recreated by whoever may create accounts: same name, same Secret.
		Expect(k8sClient.Delete(suiteCtx, acct)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(acct), &v1alpha1.CloudAccount{}))
		}).Should(BeTrue())
		spec := acct.Spec
		spec.Azure = spec.Azure.DeepCopy()
		spec.Azure.Endpoint = bigSim.URL()
		again := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: acct.Name}, Spec: spec}
		Expect(k8sClient.Create(suiteCtx, again)).To(Succeed())
		waitRefused(acct.Name, bigSim)
		expectNothingReached(acct.Name, bigSim)
		Expect(organizationsOf(acct.Name)).To(BeEmpty())
	})
})

// originOf is scheme://host:port of a URL.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	Expect(err).NotTo(HaveOccurred())
	return u.Scheme + "://" + u.Host
}
