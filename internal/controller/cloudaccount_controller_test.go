package controller_test

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
	"github.com/orgsync/orgsync/internal/metrics"
)

// providerCase is how one provider's account is set up against a simulator, and how
// the test reaches into that simulator's data.
type providerCase struct {
	provider v1alpha1.Provider
	spec     func(s *cloudsim.Server) v1alpha1.CloudAccountSpec
	secret   map[string]string
	badCreds map[string]string
	orgList  cloudsim.Endpoint
	// remote returns the remote organizations as id → display name.
	remote func(s *cloudsim.Server) map[string]string
	// rename, add and remove change the remote list.
	rename func(s *cloudsim.Server, id, name string)
	add    func(s *cloudsim.Server) string
	remove func(s *cloudsim.Server, id string)
	// connectClusters is the number of remote connect clusters (0 for other providers).
	connectClusters func(s *cloudsim.Server) int
}

var serial atomic.Int64

func confluentCase() providerCase {
	cred := cloudsim.DefaultConfluentCredential
	return providerCase{
		provider: v1alpha1.ProviderConfluentCloud,
		spec: func(s *cloudsim.Server) v1alpha1.CloudAccountSpec {
			return v1alpha1.CloudAccountSpec{Provider: v1alpha1.ProviderConfluentCloud, ConfluentCloud: &v1alpha1.ConfluentCloudSpec{
				Endpoint: s.URL(), PageSize: 10,
				ConnectClusters: &v1alpha1.ConnectClustersSpec{Environments: s.Config().Confluent.Environments},
			}}
		},
		// partner/v2 organizations take OAuth bearer tokens only, not an API key.
		secret:   map[string]string{"token": cred.Token},
		badCreds: map[string]string{"token": "wrong"},
		orgList:  cloudsim.EndpointConfluentOrganizations,
		remote: func(s *cloudsim.Server) map[string]string {
			out := map[string]string{}
			for _, o := range s.ConfluentOrganizations().Items() {
				out[o.ID] = o.Name
			}
			return out
		},
		rename: func(s *cloudsim.Server, id, name string) {
			s.ConfluentOrganizations().Update(id, func(o *cloudsim.ConfluentOrganization) { o.Name = name })
		},
		add: func(s *cloudsim.Server) string {
			id := fmt.Sprintf("org-added-%d", serial.Add(1))
			s.ConfluentOrganizations().Add(cloudsim.ConfluentOrganization{ID: id, Name: "Added " + id, CreatedAt: time.Now(), UpdatedAt: time.Now()})
			return id
		},
		remove: func(s *cloudsim.Server, id string) { s.ConfluentOrganizations().Remove(id) },
		connectClusters: func(s *cloudsim.Server) int {
			n := 0
			for _, env := range s.Config().Confluent.Environments {
				n += s.ConnectClusters(env).Len()
			}
			return n
		},
	}
}

func azureCase() providerCase {
	cred := cloudsim.DefaultAzureCredential
	sub := cloudsim.DefaultAzureSubscription
	return providerCase{
		provider: v1alpha1.ProviderAzure,
		spec: func(s *cloudsim.Server) v1alpha1.CloudAccountSpec {
			return v1alpha1.CloudAccountSpec{Provider: v1alpha1.ProviderAzure, Azure: &v1alpha1.AzureSpec{
				Endpoint: s.URL(), AuthorityHost: s.URL(), SubscriptionID: sub,
			}}
		},
		secret:   map[string]string{"tenantID": cred.TenantID, "clientID": cred.ClientID, "clientSecret": cred.ClientSecret},
		badCreds: map[string]string{"tenantID": cred.TenantID, "clientID": cred.ClientID, "clientSecret": "wrong"},
		orgList:  cloudsim.EndpointAzureListBySubscription,
		remote: func(s *cloudsim.Server) map[string]string {
			out := map[string]string{}
			for _, o := range s.AzureOrganizations(sub).Items() {
				out[cloudsim.AzureKey(o.ResourceGroup, o.Name)] = o.Name
			}
			return out
		},
		rename: func(s *cloudsim.Server, id, name string) {
			// An ARM resource cannot be renamed; a changed provisioning state is the change.
			s.AzureOrganizations(sub).Update(id, func(o *cloudsim.AzureOrganization) { o.ProvisioningState = "Failed" })
		},
		add: func(s *cloudsim.Server) string {
			o := cloudsim.AzureOrganization{Name: fmt.Sprintf("added-%d", serial.Add(1)), ResourceGroup: "orgsync-rg-1", Location: "westus",
				ProvisioningState: "Succeeded", CreatedTime: time.Now()}
			s.AzureOrganizations(sub).Add(o)
			return cloudsim.AzureKey(o.ResourceGroup, o.Name)
		},
		remove:          func(s *cloudsim.Server, id string) { s.AzureOrganizations(sub).Remove(id) },
		connectClusters: func(*cloudsim.Server) int { return 0 },
	}
}

func cloudFoundryCase() providerCase {
	cred := cloudsim.DefaultCFCredential
	return providerCase{
		provider: v1alpha1.ProviderCloudFoundry,
		spec: func(s *cloudsim.Server) v1alpha1.CloudAccountSpec {
			return v1alpha1.CloudAccountSpec{Provider: v1alpha1.ProviderCloudFoundry, CloudFoundry: &v1alpha1.CloudFoundrySpec{
				APIURL: s.URL(), PageSize: 10,
			}}
		},
		secret:   map[string]string{"username": cred.Username, "password": cred.Password},
		badCreds: map[string]string{"username": cred.Username, "password": "wrong"},
		orgList:  cloudsim.EndpointCFV3Organizations,
		remote: func(s *cloudsim.Server) map[string]string {
			out := map[string]string{}
			for _, o := range s.CFOrganizations().Items() {
				out[o.GUID] = o.Name
			}
			return out
		},
		rename: func(s *cloudsim.Server, id, name string) {
			s.CFOrganizations().Update(id, func(o *cloudsim.CFOrganization) { o.Name = name })
		},
		add: func(s *cloudsim.Server) string {
			id := fmt.Sprintf("00000000-0000-4000-8000-%012d", serial.Add(1))
			s.CFOrganizations().Add(cloudsim.CFOrganization{GUID: id, Name: "added-" + id[len(id)-4:], Status: "active", CreatedAt: time.Now(), UpdatedAt: time.Now()})
			return id
		},
		remove:          func(s *cloudsim.Server, id string) { s.CFOrganizations().Remove(id) },
		connectClusters: func(*cloudsim.Server) int { return 0 },
	}
}

var _ = Describe("CloudAccount sync", func() {
	for _, pc := range []providerCase{confluentCase(), azureCase(), cloudFoundryCase()} {
		Context(string(pc.provider), func() {
			var (
				acct    *v1alpha1.CloudAccount
				restore func()
			)
			BeforeEach(func() {
				restore = snapshot(sim)
				acct = createAccount(pc, sim, pc.secret, nil)
			})
			AfterEach(func() {
				sim.ClearFaults()
				deleteAccount(acct)
				restore()
			})

			It("mirrors every remote item with its observed fields on the first sync", func() {
				synced := waitSynced(acct.Name, "")
				Expect(meta.IsStatusConditionTrue(synced.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
				remote := pc.remote(sim)
				orgs := organizationsOf(acct.Name)
				Expect(orgs).To(HaveLen(len(remote)))
				Expect(synced.Status.Organizations).To(BeEquivalentTo(len(remote)))
				for _, o := range orgs {
					Expect(remote).To(HaveKeyWithValue(o.Spec.ExternalID, o.Status.DisplayName))
					Expect(o.Labels).To(HaveKeyWithValue(v1alpha1.LabelAccount, acct.Name))
					Expect(o.Labels).To(HaveKeyWithValue(v1alpha1.LabelProvider, string(pc.provider)))
					Expect(o.OwnerReferences).To(ContainElement(HaveField("UID", acct.UID)))
					Expect(o.Status.ProvisioningState).NotTo(BeEmpty())
					ready := meta.FindStatusCondition(o.Status.Conditions, v1alpha1.ConditionReady)
					Expect(ready).NotTo(BeNil())
					// Ready must be True exactly when Succeeded.
					if o.Status.ProvisioningState == v1alpha1.StateSucceeded {
						Expect(ready.Status).To(Equal(metav1.ConditionTrue), "%s is Succeeded", o.Name)
					} else {
						Expect(ready.Status).NotTo(Equal(metav1.ConditionTrue), "%s is %s", o.Name, o.Status.ProvisioningState)
					}
					Expect(ready.ObservedGeneration).To(Equal(o.Generation))
				}
				Expect(connectClustersOf(acct.Name)).To(HaveLen(pc.connectClusters(sim)))

				// The same facts on the metrics endpoint.
				Expect(testutil.ToFloat64(metrics.MirroredObjects.WithLabelValues("Organization", acct.Name))).To(BeEquivalentTo(len(remote)))
				Expect(testutil.ToFloat64(metrics.LastSuccessfulSync.WithLabelValues(acct.Name))).To(BeNumerically(">=", float64(synced.Status.LastSyncTime.Unix())))
				Expect(testutil.ToFloat64(metrics.RemoteRequests.WithLabelValues(string(pc.provider), "list_organizations", "200"))).To(BeNumerically(">", 0))
				byState := map[v1alpha1.ProvisioningState]int{}
				for _, o := range orgs {
					byState[o.Status.ProvisioningState]++
				}
				for state, n := range byState {
					Expect(testutil.ToFloat64(metrics.MirrorStates.WithLabelValues("Organization", acct.Name, string(state)))).To(BeEquivalentTo(n), "mirrors in %s", state)
				}
				Expect(testutil.ToFloat64(metrics.AccountCondition.WithLabelValues(acct.Name, v1alpha1.ConditionReady, "True", v1alpha1.ReasonSynced))).To(BeEquivalentTo(1))
				Expect(testutil.ToFloat64(metrics.AccountSyncInterval.WithLabelValues(acct.Name))).To(BeNumerically(">", 0))
			})

			It("shows a remote change, an addition and a removal after one sync", func() {
				waitSynced(acct.Name, "")
				ids := keys(pc.remote(sim))
				changed, removed := ids[0], ids[1]
				pc.rename(sim, changed, "Renamed Org")
				pc.remove(sim, removed)
				added := pc.add(sim)
				waitSynced(acct.Name, requestSync(acct.Name))

				byID := map[string]v1alpha1.Organization{}
				for _, o := range organizationsOf(acct.Name) {
					byID[o.Spec.ExternalID] = o
				}
				Expect(byID).To(HaveKey(added))
				Expect(byID).NotTo(HaveKey(removed))
				if pc.provider == v1alpha1.ProviderAzure {
					Expect(byID[changed].Status.ProvisioningState).To(Equal(v1alpha1.StateFailed))
					Expect(meta.IsStatusConditionTrue(byID[changed].Status.Conditions, v1alpha1.ConditionStalled)).To(BeTrue())
				} else {
					Expect(byID[changed].Status.DisplayName).To(Equal("Renamed Org"))
				}
				Expect(byID).To(HaveLen(len(pc.remote(sim))))
			})

			It("writes nothing to the API server when the remote list is unchanged", func() {
				waitSynced(acct.Name, "")
				before := writes.MirrorWrites()
				requests := sim.Count(pc.orgList)
				waitSynced(acct.Name, requestSync(acct.Name))
				Expect(sim.Count(pc.orgList)).To(BeNumerically(">", requests), "the second sync must really list again")
				Expect(writes.MirrorWrites()-before).To(BeZero(), "writes during an unchanged sync: %v", writes.Snapshot())
			})

			It("deletes nothing when a page in the middle fails, then resumes at that page", func() {
				first := waitSynced(acct.Name, "")
				count := len(organizationsOf(acct.Name))
				pc.remove(sim, keys(pc.remote(sim))[0])
				sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultServerError, Endpoint: pc.orgList, Page: 2, Status: 503})
				sim.ResetStats()
				token := requestSync(acct.Name)
				Eventually(func(g Gomega) {
					a := getAccount(acct.Name)
					ready := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
					g.Expect(ready).NotTo(BeNil())
					g.Expect(ready.Reason).To(Equal(v1alpha1.ReasonRemoteError))
					g.Expect(a.Status.LastHandledSyncRequest).To(Equal(token))
					g.Expect(a.Status.NextSyncTime).NotTo(BeNil(), "the retry time is shown")
				}).Should(Succeed())
				Consistently(func() int { return len(organizationsOf(acct.Name)) }, "2s").Should(Equal(count))
				Expect(eventReasons(acct)).To(ContainElement(v1alpha1.ReasonRemoteError))

				// The remote recovers: the retry goes on from page 2, so the first page
				// is read once in the whole session.
				sim.ClearFaults()
				var resumed *v1alpha1.CloudAccount
				Eventually(func(g Gomega) {
					resumed = getAccount(acct.Name)
					g.Expect(resumed.Status.LastSyncTime.Time).To(BeTemporally(">", first.Status.LastSyncTime.Time))
				}).WithTimeout(time.Minute).Should(Succeed())
				var firstURI string
				perURI := map[string]int{}
				for _, rec := range sim.Requests() {
					if rec.Endpoint == pc.orgList {
						if firstURI == "" {
							firstURI = rec.RequestURI
						}
						perURI[rec.RequestURI]++
					}
				}
				Expect(perURI).To(HaveKeyWithValue(firstURI, 1), "list requests by URI: %v", perURI)
				// That listing was paused part-way, so the vanished item waits for a
				// listing that confirms it.
				Expect(organizationsOf(acct.Name)).To(HaveLen(count))
				Expect(meta.FindStatusCondition(resumed.Status.Conditions, v1alpha1.ConditionReady)).To(And(
					HaveField("Status", metav1.ConditionTrue), HaveField("Message", ContainSubstring("1 mirrors no longer listed are kept"))))
				waitSynced(acct.Name, requestSync(acct.Name))
				Expect(organizationsOf(acct.Name)).To(HaveLen(count - 1))
			})

			It("resumes at the refused page after a 429", func() {
				deleteAccount(acct)
				sim.ResetStats()
				sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultTooManyRequests, Endpoint: pc.orgList, Page: 3, Times: 1, RetryAfter: time.Second})
				acct = createAccount(pc, sim, pc.secret, nil)
				synced := waitSynced(acct.Name, "")
				Expect(organizationsOf(acct.Name)).To(HaveLen(len(pc.remote(sim))))
				pages := (len(pc.remote(sim)) + 9) / 10
				Expect(sim.CountStatus(pc.orgList, 429)).To(Equal(1))
				Expect(sim.Count(pc.orgList)).To(Equal(pages+1), "every page once, plus the refused one once more: %v", sim.Counts())
				Expect(synced.Status.LastSyncDuration.Duration).To(BeNumerically(">=", time.Second))
			})

			It("reports bad credentials as Unauthorized without a hot loop", func() {
				deleteAccount(acct)
				acct = createAccount(pc, sim, pc.badCreds, nil)
				Eventually(func(g Gomega) {
					a := getAccount(acct.Name)
					g.Expect(meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)).To(
						And(Not(BeNil()), HaveField("Reason", v1alpha1.ReasonUnauthorized), HaveField("Status", metav1.ConditionFalse)))
					g.Expect(meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionStalled)).To(BeTrue())
				}).Should(Succeed())
				calls := len(sim.Requests())
				Consistently(func() int { return len(sim.Requests()) - calls }, "3s").Should(BeNumerically("<=", 1))
				Expect(organizationsOf(acct.Name)).To(BeEmpty())
				// What the OrgsyncCredentialsRefused alert reads.
				Expect(testutil.ToFloat64(metrics.AccountCondition.WithLabelValues(acct.Name, v1alpha1.ConditionReady, "False", v1alpha1.ReasonUnauthorized))).To(BeEquivalentTo(1))
				Expect(testutil.ToFloat64(metrics.AccountCondition.WithLabelValues(acct.Name, v1alpha1.ConditionStalled, "True", v1alpha1.ReasonUnauthorized))).To(BeEquivalentTo(1))
			})

			It("stops syncing while suspended", func() {
				waitSynced(acct.Name, "")
				patchAccount(acct.Name, func(a *v1alpha1.CloudAccount) { a.Spec.Suspend = true })
				Eventually(func() *metav1.Time { return getAccount(acct.Name).Status.NextSyncTime }).Should(BeNil())
				pc.remove(sim, keys(pc.remote(sim))[0])
				requests := sim.Count(pc.orgList)
				requestSync(acct.Name)
				Consistently(func() int { return sim.Count(pc.orgList) }, "2s").Should(Equal(requests))
				patchAccount(acct.Name, func(a *v1alpha1.CloudAccount) { a.Spec.Suspend = false })
				Eventually(func() []v1alpha1.Organization { return organizationsOf(acct.Name) }).Should(HaveLen(len(pc.remote(sim))))
			})

			It("removes its mirrors when the account is deleted", func() {
				waitSynced(acct.Name, "")
				Expect(organizationsOf(acct.Name)).NotTo(BeEmpty())
				deleteAccount(acct)
				Expect(organizationsOf(acct.Name)).To(BeEmpty())
				Expect(connectClustersOf(acct.Name)).To(BeEmpty())
			})
		})
	}

	Context("pruning", func() {
		pc := cloudFoundryCase()
		var restore func()
		BeforeEach(func() { restore = snapshot(sim) })
		AfterEach(func() { restore() })

		It("holds back a prune of more than maxPrunePercent of the mirrors", func() {
			acct := createAccount(pc, sim, pc.secret, nil)
			defer deleteAccount(acct)
			waitSynced(acct.Name, "")
			ids := keys(pc.remote(sim))
			for _, id := range ids[:len(ids)*6/10] {
				pc.remove(sim, id)
			}
			waitSynced(acct.Name, requestSync(acct.Name))
			a := getAccount(acct.Name)
			Expect(meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)).To(HaveField("Reason", v1alpha1.ReasonPruneHeldBack))
			Expect(organizationsOf(acct.Name)).To(HaveLen(len(ids)))
			Expect(eventReasons(acct)).To(ContainElement(v1alpha1.ReasonPruneHeldBack))

			patchAccount(acct.Name, func(a *v1alpha1.CloudAccount) { a.Spec.MaxPrunePercent = ptr.To(int32(100)) })
			Eventually(func() []v1alpha1.Organization { return organizationsOf(acct.Name) }).Should(HaveLen(len(pc.remote(sim))))
		})

		It("keeps and marks vanished items when prune is off", func() {
			acct := createAccount(pc, sim, pc.secret, func(s *v1alpha1.CloudAccountSpec) { s.Prune = ptr.To(false) })
			defer deleteAccount(acct)
			waitSynced(acct.Name, "")
			gone := keys(pc.remote(sim))[0]
			pc.remove(sim, gone)
			waitSynced(acct.Name, requestSync(acct.Name))
			var kept *v1alpha1.Organization
			for _, o := range organizationsOf(acct.Name) {
				if o.Spec.ExternalID == gone {
					kept = &o
				}
			}
			Expect(kept).NotTo(BeNil())
			Expect(meta.FindStatusCondition(kept.Status.Conditions, v1alpha1.ConditionReady)).To(
				And(HaveField("Status", metav1.ConditionFalse), HaveField("Reason", v1alpha1.ReasonNotFoundRemotely)))
			Expect(kept.Status.ProvisioningState).To(Equal(v1alpha1.StateDeleted), "Ready is True exactly when the state is Succeeded")
		})

		It("prunes after a listing that waited out a rate limit only once the next listing confirms it", func() {
			acct := createAccount(pc, sim, pc.secret, nil)
			defer deleteAccount(acct)
			waitSynced(acct.Name, "")
			count := len(organizationsOf(acct.Name))
			pc.remove(sim, keys(pc.remote(sim))[0])
			sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultTooManyRequests, Endpoint: pc.orgList, Page: 2, Times: 1, RetryAfter: time.Second})
			defer sim.ClearFaults()
			waitSynced(acct.Name, requestSync(acct.Name))
			Expect(organizationsOf(acct.Name)).To(HaveLen(count))
			Expect(meta.FindStatusCondition(getAccount(acct.Name).Status.Conditions, v1alpha1.ConditionReady).Message).To(
				ContainSubstring("1 mirrors no longer listed are kept until the next complete listing confirms it"))
			// The next listing is paused part-way too, and misses the same item: confirmed.
			sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultTooManyRequests, Endpoint: pc.orgList, Page: 2, Times: 1, RetryAfter: time.Second})
			sim.ResetStats()
			waitSynced(acct.Name, requestSync(acct.Name))
			Expect(sim.CountStatus(pc.orgList, 429)).To(Equal(1), "the second listing must be paused as well")
			Expect(organizationsOf(acct.Name)).To(HaveLen(count - 1))
		})

		It("puts back an account label someone removed from a mirror", func() {
			acct := createAccount(pc, sim, pc.secret, nil)
			defer deleteAccount(acct)
			waitSynced(acct.Name, "")
			victim := organizationsOf(acct.Name)[0]
			before := victim.DeepCopy()
			delete(victim.Labels, v1alpha1.LabelAccount)
			Expect(k8sClient.Patch(suiteCtx, &victim, client.MergeFrom(before))).To(Succeed())
			synced := waitSynced(acct.Name, requestSync(acct.Name))
			Expect(meta.IsStatusConditionTrue(synced.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
			Expect(organizationsOf(acct.Name)).To(ContainElement(HaveField("Name", victim.Name)))
		})

		It("reads the page a next link on another origin names from its own endpoint, and sends nothing there", func() {
			// A listening server, so that a request sent there would be seen, not lost.
			elsewhere := cloudsim.New(cloudsim.Config{})
			elsewhere.Start()
			defer elsewhere.Close()
			sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultForeignNext, Endpoint: pc.orgList, Page: 1, ForeignOrigin: elsewhere.URL()})
			defer sim.ClearFaults()
			acct := createAccount(pc, sim, pc.secret, nil)
			defer deleteAccount(acct)
			synced := waitSynced(acct.Name, "")
			Expect(meta.IsStatusConditionTrue(synced.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
			Expect(organizationsOf(acct.Name)).To(HaveLen(len(pc.remote(sim))))
			Expect(elsewhere.Requests()).To(BeEmpty())
		})

		It("stalls on a next link whose cursor cannot be read", func() {
			sim.AddFault(cloudsim.Fault{Kind: cloudsim.FaultPlaceholderNext, Endpoint: pc.orgList, Page: 1})
			defer sim.ClearFaults()
			acct := createAccount(pc, sim, pc.secret, nil)
			defer deleteAccount(acct)
			Eventually(func(g Gomega) {
				a := getAccount(acct.Name)
				g.Expect(meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionStalled)).To(BeTrue())
				g.Expect(meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady).Message).To(ContainSubstring("next link carries no"))
			}).Should(Succeed())
			Expect(organizationsOf(acct.Name)).To(BeEmpty())
		})

		It("skips an item whose mirror name another object holds, and syncs the rest", func() {
			acct := createAccount(pc, sim, pc.secret, nil)
			defer deleteAccount(acct)
			waitSynced(acct.Name, "")
			count := len(organizationsOf(acct.Name))
			victim := organizationsOf(acct.Name)[0]
			Expect(k8sClient.Delete(suiteCtx, &victim)).To(Succeed())
			impostor := &v1alpha1.Organization{
				ObjectMeta: metav1.ObjectMeta{Name: victim.Name},
				Spec: v1alpha1.OrganizationSpec{AccountRef: v1alpha1.AccountReference{Name: "someone-else"},
					Provider: victim.Spec.Provider, ExternalID: "not-" + victim.Spec.ExternalID},
			}
			Eventually(func() error { return k8sClient.Create(suiteCtx, impostor) }).Should(Succeed())
			defer func() { Expect(client.IgnoreNotFound(k8sClient.Delete(suiteCtx, impostor))).To(Succeed()) }()

			synced := waitSynced(acct.Name, requestSync(acct.Name))
			Expect(meta.FindStatusCondition(synced.Status.Conditions, v1alpha1.ConditionReady)).To(And(
				HaveField("Status", metav1.ConditionTrue), HaveField("Message", ContainSubstring("1 remote items skipped"))))
			Expect(synced.Status.Organizations).To(BeEquivalentTo(count - 1))
			Expect(organizationsOf(acct.Name)).To(HaveLen(count - 1))
			Expect(eventReasons(acct)).To(ContainElement("MirrorNameTaken"))
			got := &v1alpha1.Organization{}
			Expect(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(impostor), got)).To(Succeed())
			Expect(got.Spec).To(Equal(impostor.Spec), "the other object is left alone")
		})

		It("reports a Secret without the keys the provider needs as CredentialsNotFound", func() {
			acct := createAccount(pc, sim, map[string]string{"username": "only-a-user"}, nil)
			defer deleteAccount(acct)
			Eventually(func(g Gomega) {
				a := getAccount(acct.Name)
				g.Expect(meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)).To(And(Not(BeNil()),
					HaveField("Reason", v1alpha1.ReasonCredentialsNotFound), HaveField("Message", ContainSubstring("missing password"))))
				g.Expect(meta.IsStatusConditionTrue(a.Status.Conditions, v1alpha1.ConditionStalled)).To(BeTrue())
			}).Should(Succeed())
		})

		It("syncs at once when the credentials Secret changes", func() {
			acct := createAccount(pc, sim, pc.badCreds, nil)
			defer deleteAccount(acct)
			Eventually(func() string {
				r := meta.FindStatusCondition(getAccount(acct.Name).Status.Conditions, v1alpha1.ConditionReady)
				if r == nil {
					return ""
				}
				return r.Reason
			}).Should(Equal(v1alpha1.ReasonUnauthorized))
			secret := &corev1.Secret{}
			Expect(k8sClient.Get(suiteCtx, client.ObjectKey{Namespace: operatorNamespace, Name: acct.Spec.CredentialsSecretRef.Name}, secret)).To(Succeed())
			secret.StringData = pc.secret
			Expect(k8sClient.Update(suiteCtx, secret)).To(Succeed())
			synced := waitSynced(acct.Name, "")
			Expect(meta.IsStatusConditionTrue(synced.Status.Conditions, v1alpha1.ConditionReady)).To(BeTrue())
		})
	})
})

var _ = Describe("At scale", func() {
	for _, pc := range []providerCase{confluentCase(), azureCase(), cloudFoundryCase()} {
		It(fmt.Sprintf("mirrors 1,000 %s organizations, then writes nothing on the second sync", pc.provider), func() {
			acct := createAccountWith(pc, bigSim, pc.secret, func(s *v1alpha1.CloudAccountSpec) {
				if s.ConfluentCloud != nil {
					s.ConfluentCloud.PageSize = 100
				}
				if s.CloudFoundry != nil {
					s.CloudFoundry.PageSize = 100
				}
			})
			defer deleteAccount(acct)
			synced := waitSyncedWithin(acct.Name, "", 3*time.Minute)
			Expect(synced.Status.Organizations).To(BeEquivalentTo(1000))
			Expect(organizationsOf(acct.Name)).To(HaveLen(1000))
			Expect(connectClustersOf(acct.Name)).To(HaveLen(pc.connectClusters(bigSim)))
			before := writes.MirrorWrites()
			waitSyncedWithin(acct.Name, requestSync(acct.Name), 3*time.Minute)
			Expect(writes.MirrorWrites() - before).To(BeZero())
		})
	}
})

// --- helpers ---

func createAccount(pc providerCase, s *cloudsim.Server, creds map[string]string, mutate func(*v1alpha1.CloudAccountSpec)) *v1alpha1.CloudAccount {
	return createAccountWith(pc, s, creds, mutate)
}

func createAccountWith(pc providerCase, s *cloudsim.Server, creds map[string]string, mutate func(*v1alpha1.CloudAccountSpec)) *v1alpha1.CloudAccount {
	name := fmt.Sprintf("%s-%d", map[v1alpha1.Provider]string{
		v1alpha1.ProviderConfluentCloud: "ccloud", v1alpha1.ProviderAzure: "azure", v1alpha1.ProviderCloudFoundry: "cf",
	}[pc.provider], serial.Add(1))
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-creds", Namespace: operatorNamespace,
		Annotations: map[string]string{v1alpha1.AnnotationAccounts: name, v1alpha1.AnnotationOrigins: s.URL()}}, StringData: creds}
	Expect(k8sClient.Create(suiteCtx, secret)).To(Succeed())
	spec := pc.spec(s)
	spec.CredentialsSecretRef = v1alpha1.SecretReference{Name: secret.Name}
	if mutate != nil {
		mutate(&spec)
	}
	acct := &v1alpha1.CloudAccount{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
	Expect(k8sClient.Create(suiteCtx, acct)).To(Succeed())
	return acct
}

func deleteAccount(acct *v1alpha1.CloudAccount) {
	err := k8sClient.Delete(suiteCtx, acct)
	Expect(client.IgnoreNotFound(err)).To(Succeed())
	Eventually(func() bool {
		return apierrors.IsNotFound(k8sClient.Get(suiteCtx, client.ObjectKeyFromObject(acct), &v1alpha1.CloudAccount{}))
	}).Should(BeTrue())
	Eventually(func() int { return len(organizationsOf(acct.Name)) + len(connectClustersOf(acct.Name)) }).Should(BeZero())
	_ = k8sClient.Delete(suiteCtx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: acct.Spec.CredentialsSecretRef.Name, Namespace: operatorNamespace}})
}

func getAccount(name string) *v1alpha1.CloudAccount {
	a := &v1alpha1.CloudAccount{}
	Expect(k8sClient.Get(suiteCtx, client.ObjectKey{Name: name}, a)).To(Succeed())
	return a
}

func patchAccount(name string, mutate func(*v1alpha1.CloudAccount)) {
	a := getAccount(name)
	before := a.DeepCopy()
	mutate(a)
	Expect(k8sClient.Patch(suiteCtx, a, client.MergeFrom(before))).To(Succeed())
}

// requestSync asks for a sync now through the annotation users set, and returns its token.
func requestSync(name string) string {
	token := strconv.FormatInt(time.Now().UnixNano(), 10)
	patchAccount(name, func(a *v1alpha1.CloudAccount) {
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		a.Annotations[v1alpha1.AnnotationSyncRequestedAt] = token
	})
	return token
}

func waitSynced(name, token string) *v1alpha1.CloudAccount {
	return waitSyncedWithin(name, token, 30*time.Second)
}

// waitSyncedWithin waits for a complete sync: the first one when token is empty,
// otherwise the one that handled the sync request token.
func waitSyncedWithin(name, token string, timeout time.Duration) *v1alpha1.CloudAccount {
	var out *v1alpha1.CloudAccount
	Eventually(func(g Gomega) {
		a := getAccount(name)
		g.Expect(a.Status.LastSyncTime).NotTo(BeNil())
		if token != "" {
			g.Expect(a.Status.LastHandledSyncRequest).To(Equal(token))
		}
		out = a
	}).WithTimeout(timeout).WithPolling(100 * time.Millisecond).Should(Succeed())
	return out
}

func organizationsOf(account string) []v1alpha1.Organization {
	var l v1alpha1.OrganizationList
	Expect(k8sClient.List(suiteCtx, &l, client.MatchingLabels{v1alpha1.LabelAccount: account})).To(Succeed())
	return l.Items
}

func connectClustersOf(account string) []v1alpha1.ConnectCluster {
	var l v1alpha1.ConnectClusterList
	Expect(k8sClient.List(suiteCtx, &l, client.MatchingLabels{v1alpha1.LabelAccount: account})).To(Succeed())
	return l.Items
}

func eventReasons(acct *v1alpha1.CloudAccount) []string {
	var l corev1.EventList
	Expect(k8sClient.List(suiteCtx, &l)).To(Succeed())
	var out []string
	for _, e := range l.Items {
		if e.InvolvedObject.Name == acct.Name {
			out = append(out, e.Reason)
		}
	}
	return out
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// snapshot records the simulator's lists and returns a function that restores them.
func snapshot(s *cloudsim.Server) func() {
	cc := s.ConfluentOrganizations().Items()
	az := s.AzureOrganizations(cloudsim.DefaultAzureSubscription).Items()
	cf := s.CFOrganizations().Items()
	return func() {
		s.ConfluentOrganizations().Remove(s.ConfluentOrganizations().Keys()...)
		s.ConfluentOrganizations().Add(cc...)
		s.AzureOrganizations(cloudsim.DefaultAzureSubscription).Remove(s.AzureOrganizations(cloudsim.DefaultAzureSubscription).Keys()...)
		s.AzureOrganizations(cloudsim.DefaultAzureSubscription).Add(az...)
		s.CFOrganizations().Remove(s.CFOrganizations().Keys()...)
		s.CFOrganizations().Add(cf...)
	}
}
