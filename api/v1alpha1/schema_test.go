/*
Copyright 2026 The orgsync Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1_test

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1 "github.com/orgsync/orgsync/api/v1alpha1"
)

// Rejection entries each break exactly one rule of an otherwise valid object, so an
// entry fails when the rule it names is dropped from the schema.

const credentials = "credentialsSecretRef: {name: creds}\n"

var _ = Describe("CloudAccount", func() {
	It("accepts a minimal account of each provider and applies the defaults", func() {
		confluent := &v1.CloudAccount{
			ObjectMeta: metav1.ObjectMeta{Name: uniqueName("confluent")},
			Spec: v1.CloudAccountSpec{
				Provider:             v1.ProviderConfluentCloud,
				ConfluentCloud:       &v1.ConfluentCloudSpec{},
				CredentialsSecretRef: v1.SecretReference{Name: "creds"},
			},
		}
		azure := &v1.CloudAccount{
			ObjectMeta: metav1.ObjectMeta{Name: uniqueName("azure")},
			Spec: v1.CloudAccountSpec{
				Provider:             v1.ProviderAzure,
				Azure:                &v1.AzureSpec{SubscriptionID: "00000000-0000-0000-0000-000000000000"},
				CredentialsSecretRef: v1.SecretReference{Name: "creds"},
			},
		}
		cloudFoundry := &v1.CloudAccount{
			ObjectMeta: metav1.ObjectMeta{Name: uniqueName("cf")},
			Spec: v1.CloudAccountSpec{
				Provider:             v1.ProviderCloudFoundry,
				CloudFoundry:         &v1.CloudFoundrySpec{APIURL: "https://api.sys.example.com"},
				CredentialsSecretRef: v1.SecretReference{Name: "creds"},
			},
		}
		for _, a := range []*v1.CloudAccount{confluent, azure, cloudFoundry} {
			Expect(k8sClient.Create(ctx, a)).To(Succeed(), "create %s", a.Name)
			DeferCleanup(deleteObject, a)
		}

		common := func(s v1.CloudAccountSpec) v1.CloudAccountSpec {
			s.CredentialsSecretRef = v1.SecretReference{Name: "creds"}
			s.SyncInterval = &metav1.Duration{Duration: 5 * time.Minute}
			s.Prune = ptr.To(true)
			s.MaxPrunePercent = ptr.To[int32](50)
			s.MaxMirrors = 25000
			s.Mode = v1.ModeSync
			return s
		}
		want := map[string]v1.CloudAccountSpec{
			confluent.Name: common(v1.CloudAccountSpec{
				Provider: v1.ProviderConfluentCloud,
				ConfluentCloud: &v1.ConfluentCloudSpec{
					Endpoint:      "https://api.confluent.cloud",
					Organizations: ptr.To(true),
					PageSize:      100,
				},
			}),
			azure.Name: common(v1.CloudAccountSpec{
				Provider: v1.ProviderAzure,
				Azure: &v1.AzureSpec{
					Endpoint:       "https://management.azure.com",
					SubscriptionID: "00000000-0000-0000-0000-000000000000",
					AuthorityHost:  "https://login.microsoftonline.com/",
				},
			}),
			cloudFoundry.Name: common(v1.CloudAccountSpec{
				Provider: v1.ProviderCloudFoundry,
				// No pageSize default: the client asks for the largest page of the
				// version it settles on.
				CloudFoundry: &v1.CloudFoundrySpec{APIURL: "https://api.sys.example.com"},
			}),
		}
		for name, spec := range want {
			var got v1.CloudAccount
			Expect(k8sClient.Get(ctx, client.ObjectKey{Name: name}, &got)).To(Succeed())
			Expect(got.Spec).To(Equal(spec), "defaulted spec of %s", name)
		}
	})

	DescribeTable("accepts valid accounts, limits included",
		func(spec string) {
			obj := newObject("CloudAccount", uniqueName("valid"), spec)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			DeferCleanup(deleteObject, obj)
		},
		Entry("Confluent with every field at its limits", `
provider: ConfluentCloud
confluentCloud:
  endpoint: http://localhost:8080/base
  organizations: false
  connectClusters: {environments: [env-00000, env-abc12]}
  pageSize: 1
syncInterval: 30s
suspend: true
prune: false
maxPrunePercent: 0
`+credentials),
		Entry("Confluent with pageSize 100 and maxPrunePercent 100", `
provider: ConfluentCloud
confluentCloud: {pageSize: 100}
syncInterval: 1h30m
maxPrunePercent: 100
`+credentials),
		Entry("Azure with a resource group and custom hosts", `
provider: Azure
azure:
  endpoint: https://management.usgovcloudapi.net
  subscriptionID: 0a1B2c3D-4e5F-6a7B-8c9D-0e1F2a3B4c5D
  resourceGroup: my_rg-1.(prod)
  authorityHost: https://login.microsoftonline.us/
`+credentials),
		Entry("Azure with named organizations, in Plan mode", `
provider: Azure
mode: Plan
azure:
  subscriptionID: 00000000-0000-0000-0000-000000000000
  organizations:
  - {resourceGroup: rg-1, name: confluent-org-1}
  - {resourceGroup: rg-2, name: confluent-org-1}
`+credentials),
		Entry("Cloud Foundry with every query operator", `
provider: CloudFoundry
cloudFoundry:
  apiURL: https://api.sys.example.com
  tokenURL: https://uaa.sys.example.com/oauth/token
  apiVersion: v3
  query: ["name:foo", "status:active", "name IN a,b", "space_guid>=x", "user_guid<=y", "manager_guid<z", "auditor_guid>w", "billing_manager_guid:v"]
  pageSize: 100
`+credentials),
		Entry("Cloud Foundry v3 at its largest page", `
provider: CloudFoundry
cloudFoundry: {apiURL: 'https://api.sys.example.com', apiVersion: v3, pageSize: 5000}
`+credentials),
		Entry("Cloud Foundry discovering its version, pageSize above v2's", `
provider: CloudFoundry
cloudFoundry: {apiURL: 'https://api.sys.example.com', pageSize: 1000}
`+credentials),
		Entry("Cloud Foundry v2 at its largest page", `
provider: CloudFoundry
cloudFoundry: {apiURL: 'https://api.sys.example.com', apiVersion: v2, pageSize: 100}
`+credentials),
	)

	DescribeTable("rejects invalid accounts with a readable message",
		func(spec string, want ...string) {
			expectInvalid(newObject("CloudAccount", uniqueName("invalid"), spec), want...)
		},
		Entry("an unknown provider", "provider: AWS\n"+credentials,
			`spec.provider: Unsupported value: "AWS": supported values: "ConfluentCloud", "Azure", "CloudFoundry"`),
		Entry("no provider", "confluentCloud: {}\n"+credentials,
			"spec.provider: Required value"),
		Entry("no credentialsSecretRef", "provider: ConfluentCloud\nconfluentCloud: {}\n",
			"spec.credentialsSecretRef: Required value"),
		Entry("a credentialsSecretRef that is no DNS name", "provider: ConfluentCloud\nconfluentCloud: {}\ncredentialsSecretRef: {name: Bad_Name}\n",
			"spec.credentialsSecretRef.name", "should match"),
		Entry("a credentialsSecretRef without name", "provider: ConfluentCloud\nconfluentCloud: {}\ncredentialsSecretRef: {}\n",
			"spec.credentialsSecretRef.name: Required value"),
		Entry("a credentialsSecretRef name over 253 characters",
			"provider: ConfluentCloud\nconfluentCloud: {}\ncredentialsSecretRef: {name: "+strings.Repeat("a", 254)+"}\n",
			"spec.credentialsSecretRef.name", "Too long"),

		Entry("ConfluentCloud without its block", "provider: ConfluentCloud\n"+credentials,
			"spec.confluentCloud must be set exactly when spec.provider is ConfluentCloud"),
		Entry("Azure without its block", "provider: Azure\n"+credentials,
			"spec.azure must be set exactly when spec.provider is Azure"),
		Entry("CloudFoundry without its block", "provider: CloudFoundry\n"+credentials,
			"spec.cloudFoundry must be set exactly when spec.provider is CloudFoundry"),
		Entry("Azure with a confluentCloud block too",
			"provider: Azure\nazure: {subscriptionID: 00000000-0000-0000-0000-000000000000}\nconfluentCloud: {}\n"+credentials,
			"spec.confluentCloud must be set exactly when spec.provider is ConfluentCloud"),
		Entry("ConfluentCloud with a cloudFoundry block too",
			"provider: ConfluentCloud\nconfluentCloud: {}\ncloudFoundry: {apiURL: https://api.example.com}\n"+credentials,
			"spec.cloudFoundry must be set exactly when spec.provider is CloudFoundry"),
		Entry("CloudFoundry with an azure block too",
			"provider: CloudFoundry\ncloudFoundry: {apiURL: https://api.example.com}\nazure: {subscriptionID: 00000000-0000-0000-0000-000000000000}\n"+credentials,
			"spec.azure must be set exactly when spec.provider is Azure"),

		Entry("an ftp Confluent endpoint", "provider: ConfluentCloud\nconfluentCloud: {endpoint: 'ftp://x'}\n"+credentials,
			"spec.confluentCloud.endpoint", "must be an http(s) URL"),
		Entry("a Confluent endpoint that is no URL", "provider: ConfluentCloud\nconfluentCloud: {endpoint: not a url}\n"+credentials,
			"spec.confluentCloud.endpoint", "must be an http(s) URL"),
		Entry("a Confluent endpoint over 2048 characters",
			"provider: ConfluentCloud\nconfluentCloud: {endpoint: 'https://x.example/"+strings.Repeat("a", 2048)+"'}\n"+credentials,
			"spec.confluentCloud.endpoint", "Too long"),
		Entry("an unknown mode", "provider: ConfluentCloud\nconfluentCloud: {}\nmode: DryRun\n"+credentials,
			`spec.mode: Unsupported value: "DryRun": supported values: "Sync", "Plan"`),
		Entry("Azure with a resource group and named organizations",
			"provider: Azure\nazure: {subscriptionID: 00000000-0000-0000-0000-000000000000, resourceGroup: rg-1, organizations: [{resourceGroup: rg-1, name: org}]}\n"+credentials,
			"spec.azure", "resourceGroup (a listing) and spec.azure.organizations (named organizations) are one-of"),
		Entry("Azure naming one organization twice",
			"provider: Azure\nazure: {subscriptionID: 00000000-0000-0000-0000-000000000000, organizations: [{resourceGroup: rg-1, name: org}, {resourceGroup: rg-1, name: org}]}\n"+credentials,
			"spec.azure.organizations[1]", "Duplicate value"),
		Entry("Azure with a named organization without a resource group",
			"provider: Azure\nazure: {subscriptionID: 00000000-0000-0000-0000-000000000000, organizations: [{name: org}]}\n"+credentials,
			"spec.azure.organizations[0].resourceGroup: Required value"),
		Entry("Azure with an empty list of named organizations",
			"provider: Azure\nazure: {subscriptionID: 00000000-0000-0000-0000-000000000000, organizations: []}\n"+credentials,
			"spec.azure.organizations", "should have at least 1 items"),
		Entry("an ftp Azure endpoint",
			"provider: Azure\nazure: {endpoint: 'ftp://x', subscriptionID: 00000000-0000-0000-0000-000000000000}\n"+credentials,
			"spec.azure.endpoint", "must be an http(s) URL"),
		Entry("an Azure authorityHost that is no URL",
			"provider: Azure\nazure: {authorityHost: not a url, subscriptionID: 00000000-0000-0000-0000-000000000000}\n"+credentials,
			"spec.azure.authorityHost", "must be an http(s) URL"),
		Entry("an Azure endpoint over 2048 characters",
			"provider: Azure\nazure: {endpoint: 'https://x.example/"+strings.Repeat("a", 2048)+"', subscriptionID: 00000000-0000-0000-0000-000000000000}\n"+credentials,
			"spec.azure.endpoint", "Too long"),
		Entry("an Azure authorityHost over 2048 characters",
			"provider: Azure\nazure: {authorityHost: 'https://x.example/"+strings.Repeat("a", 2048)+"', subscriptionID: 00000000-0000-0000-0000-000000000000}\n"+credentials,
			"spec.azure.authorityHost", "Too long"),
		Entry("a Cloud Foundry apiURL that is no URL", "provider: CloudFoundry\ncloudFoundry: {apiURL: not a url}\n"+credentials,
			"spec.cloudFoundry.apiURL", "must be an http(s) URL"),
		Entry("an ftp Cloud Foundry tokenURL",
			"provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://api.example.com', tokenURL: 'ftp://x'}\n"+credentials,
			"spec.cloudFoundry.tokenURL", "must be an http(s) URL"),
		Entry("a Cloud Foundry apiURL over 2048 characters",
			"provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://x.example/"+strings.Repeat("a", 2048)+"'}\n"+credentials,
			"spec.cloudFoundry.apiURL", "Too long"),
		Entry("a Cloud Foundry tokenURL over 2048 characters",
			"provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://api.example.com', tokenURL: 'https://x.example/"+strings.Repeat("a", 2048)+"'}\n"+credentials,
			"spec.cloudFoundry.tokenURL", "Too long"),
		Entry("Cloud Foundry without apiURL", "provider: CloudFoundry\ncloudFoundry: {}\n"+credentials,
			"spec.cloudFoundry.apiURL: Required value"),

		Entry("a syncInterval of 10s", "provider: ConfluentCloud\nconfluentCloud: {}\nsyncInterval: 10s\n"+credentials,
			"syncInterval must be at least 30s"),
		Entry("a syncInterval that is no duration", "provider: ConfluentCloud\nconfluentCloud: {}\nsyncInterval: 5 minutes\n"+credentials,
			"spec.syncInterval", "should match"),
		Entry("maxPrunePercent 101", "provider: ConfluentCloud\nconfluentCloud: {}\nmaxPrunePercent: 101\n"+credentials,
			"spec.maxPrunePercent", "should be less than or equal to 100"),
		Entry("maxPrunePercent -1", "provider: ConfluentCloud\nconfluentCloud: {}\nmaxPrunePercent: -1\n"+credentials,
			"spec.maxPrunePercent", "should be greater than or equal to 0"),

		Entry("a Confluent account that lists nothing", "provider: ConfluentCloud\nconfluentCloud: {organizations: false}\n"+credentials,
			"spec.confluentCloud must list organizations, connectClusters or both"),
		Entry("a Kafka cluster id where an environment id belongs",
			"provider: ConfluentCloud\nconfluentCloud: {connectClusters: {environments: [env-00000, lkc-12345]}}\n"+credentials,
			"spec.confluentCloud.connectClusters.environments[1]", "should match '^env-[a-z0-9]+$'"),
		Entry("an environment id in upper case",
			"provider: ConfluentCloud\nconfluentCloud: {connectClusters: {environments: [ENV-ABC]}}\n"+credentials,
			"spec.confluentCloud.connectClusters.environments[0]", "should match '^env-[a-z0-9]+$'"),
		Entry("an empty environment list",
			"provider: ConfluentCloud\nconfluentCloud: {connectClusters: {environments: []}}\n"+credentials,
			"spec.confluentCloud.connectClusters.environments", "should have at least 1 items"),
		Entry("a repeated environment",
			"provider: ConfluentCloud\nconfluentCloud: {connectClusters: {environments: [env-1, env-1]}}\n"+credentials,
			"spec.confluentCloud.connectClusters.environments[1]", "Duplicate value"),
		Entry("more than 100 environments",
			"provider: ConfluentCloud\nconfluentCloud: {connectClusters: {environments: ["+environments(101)+"]}}\n"+credentials,
			"spec.confluentCloud.connectClusters.environments", "must have at most 100 items"),
		Entry("an environment id over 64 characters",
			"provider: ConfluentCloud\nconfluentCloud: {connectClusters: {environments: [env-"+strings.Repeat("a", 61)+"]}}\n"+credentials,
			"spec.confluentCloud.connectClusters.environments[0]", "Too long"),
		Entry("connectClusters without environments",
			"provider: ConfluentCloud\nconfluentCloud: {connectClusters: {}}\n"+credentials,
			"spec.confluentCloud.connectClusters.environments: Required value"),
		Entry("Confluent pageSize 0", "provider: ConfluentCloud\nconfluentCloud: {pageSize: 0}\n"+credentials,
			"spec.confluentCloud.pageSize", "should be greater than or equal to 1"),
		Entry("Confluent pageSize 101", "provider: ConfluentCloud\nconfluentCloud: {pageSize: 101}\n"+credentials,
			"spec.confluentCloud.pageSize", "should be less than or equal to 100"),

		Entry("a subscriptionID that is no UUID", "provider: Azure\nazure: {subscriptionID: my-subscription}\n"+credentials,
			"spec.azure.subscriptionID", "should match"),
		Entry("Azure without subscriptionID", "provider: Azure\nazure: {}\n"+credentials,
			"spec.azure.subscriptionID: Required value"),
		Entry("a resourceGroup with a slash",
			"provider: Azure\nazure: {subscriptionID: 00000000-0000-0000-0000-000000000000, resourceGroup: a/b}\n"+credentials,
			"spec.azure.resourceGroup", "should match"),
		Entry("a resourceGroup over 90 characters",
			"provider: Azure\nazure: {subscriptionID: 00000000-0000-0000-0000-000000000000, resourceGroup: "+strings.Repeat("r", 91)+"}\n"+credentials,
			"spec.azure.resourceGroup", "Too long"),

		Entry("Cloud Foundry pageSize 0", "provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://api.example.com', pageSize: 0}\n"+credentials,
			"spec.cloudFoundry.pageSize", "should be greater than or equal to 1"),
		Entry("Cloud Foundry pageSize 5001", "provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://api.example.com', pageSize: 5001}\n"+credentials,
			"spec.cloudFoundry.pageSize", "should be less than or equal to 5000"),
		Entry("Cloud Foundry v2 with pageSize 101", "provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://api.example.com', apiVersion: v2, pageSize: 101}\n"+credentials,
			"spec.cloudFoundry", "pageSize is at most 100 with apiVersion v2"),
		Entry("an unknown Cloud Foundry API version", "provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://api.example.com', apiVersion: v4}\n"+credentials,
			`spec.cloudFoundry.apiVersion: Unsupported value: "v4"`),
		Entry("a query on an unknown field",
			"provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://api.example.com', query: ['guid:abc']}\n"+credentials,
			"spec.cloudFoundry.query[0]", "should match"),
		Entry("a query without an operator",
			"provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://api.example.com', query: ['name=foo']}\n"+credentials,
			"spec.cloudFoundry.query[0]", "should match"),
		Entry("more than 20 queries",
			"provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://api.example.com', query: ["+strings.Repeat("'name:a', ", 20)+"'name:b']}\n"+credentials,
			"spec.cloudFoundry.query", "must have at most 20 items"),
		Entry("a query over 1024 characters",
			"provider: CloudFoundry\ncloudFoundry: {apiURL: 'https://api.example.com', query: ['name:"+strings.Repeat("a", 1020)+"']}\n"+credentials,
			"spec.cloudFoundry.query[0]", "Too long"),
	)

	It("accepts a 63-character name and rejects a longer one, which could not label the mirrors", func() {
		spec := "provider: ConfluentCloud\nconfluentCloud: {}\n" + credentials
		ok := newObject("CloudAccount", strings.Repeat("a", 63), spec)
		Expect(k8sClient.Create(ctx, ok)).To(Succeed())
		DeferCleanup(deleteObject, ok)
		expectInvalid(newObject("CloudAccount", strings.Repeat("b", 64), spec),
			"metadata.name must be at most 63 characters")
	})

	It("changes status only through the status subresource", func() {
		account := &v1.CloudAccount{
			ObjectMeta: metav1.ObjectMeta{Name: uniqueName("status")},
			Spec: v1.CloudAccountSpec{
				Provider:             v1.ProviderConfluentCloud,
				ConfluentCloud:       &v1.ConfluentCloudSpec{},
				CredentialsSecretRef: v1.SecretReference{Name: "creds"},
			},
			Status: v1.CloudAccountStatus{Organizations: 7},
		}
		Expect(k8sClient.Create(ctx, account)).To(Succeed())
		DeferCleanup(deleteObject, account)
		Expect(account.Status.Organizations).To(BeZero(), "create must drop status")

		account.Spec.Suspend = true
		account.Status.Organizations = 7
		Expect(k8sClient.Update(ctx, account)).To(Succeed())
		Expect(account.Spec.Suspend).To(BeTrue())
		Expect(account.Status.Organizations).To(BeZero(), "an update of the main resource must not change status")

		account.Status.Organizations = 7
		account.Status.RateLimit = &v1.RateLimitStatus{Limit: ptr.To[int32](100), Remaining: ptr.To[int32](0)}
		Expect(k8sClient.Status().Update(ctx, account)).To(Succeed())

		var got v1.CloudAccount
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(account), &got)).To(Succeed())
		Expect(got.Status.Organizations).To(Equal(int32(7)))
		Expect(got.Status.RateLimit).To(Equal(&v1.RateLimitStatus{Limit: ptr.To[int32](100), Remaining: ptr.To[int32](0)}))
		Expect(got.Spec.Suspend).To(BeTrue())
	})
})

var _ = Describe("Organization", func() {
	It("changes status only through the status subresource", func() {
		org := newOrganization(uniqueName("org-status"), "org-1")
		Expect(k8sClient.Create(ctx, org)).To(Succeed())
		DeferCleanup(deleteObject, org)

		org.Labels = map[string]string{v1.LabelAccount: "acct"}
		org.Status.DisplayName = "Acme"
		Expect(k8sClient.Update(ctx, org)).To(Succeed())
		Expect(org.Labels).To(HaveKeyWithValue(v1.LabelAccount, "acct"))
		Expect(org.Status.DisplayName).To(BeEmpty(), "an update of the main resource must not change status")

		org.Status = succeededStatus("Acme", org.Generation)
		Expect(k8sClient.Status().Update(ctx, org)).To(Succeed())

		var got v1.Organization
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(org), &got)).To(Succeed())
		Expect(got.Status.DisplayName).To(Equal("Acme"))
		Expect(got.Status.ProvisioningState).To(Equal(v1.StateSucceeded))
		Expect(meta.IsStatusConditionTrue(got.Status.Conditions, v1.ConditionReady)).To(BeTrue())
	})

	It("keeps its spec immutable", func() {
		org := newOrganization(uniqueName("org-immutable"), "org-1")
		Expect(k8sClient.Create(ctx, org)).To(Succeed())
		DeferCleanup(deleteObject, org)

		org.Spec.ExternalID = "org-2"
		err := k8sClient.Update(ctx, org)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec is immutable"))
	})

	DescribeTable("rejects invalid organizations",
		func(spec string, want ...string) {
			expectInvalid(newObject("Organization", uniqueName("org-invalid"), spec), want...)
		},
		Entry("an unknown provider", "accountRef: {name: acct}\nprovider: GCP\nexternalID: x\n",
			`spec.provider: Unsupported value: "GCP"`),
		Entry("no externalID", "accountRef: {name: acct}\nprovider: Azure\n",
			"spec.externalID: Required value"),
		Entry("an externalID over 512 characters", "accountRef: {name: acct}\nprovider: Azure\nexternalID: "+strings.Repeat("x", 513)+"\n",
			"spec.externalID", "Too long"),
		Entry("no accountRef", "provider: Azure\nexternalID: x\n",
			"spec.accountRef: Required value"),
		Entry("an empty externalID", "accountRef: {name: acct}\nprovider: Azure\nexternalID: ''\n",
			"spec.externalID", "should be at least 1 chars long"),
		Entry("no provider", "accountRef: {name: acct}\nexternalID: x\n",
			"spec.provider: Required value"),
		Entry("an accountRef that is no DNS name", "accountRef: {name: Bad_Name}\nprovider: Azure\nexternalID: x\n",
			"spec.accountRef.name", "should match"),
		Entry("an accountRef without name", "accountRef: {}\nprovider: Azure\nexternalID: x\n",
			"spec.accountRef.name: Required value"),
	)

	It("rejects an unknown provisioningState", func() {
		org := newOrganization(uniqueName("org-state"), "org-1")
		Expect(k8sClient.Create(ctx, org)).To(Succeed())
		DeferCleanup(deleteObject, org)

		org.Status.ProvisioningState = "NotSpecified"
		err := k8sClient.Status().Update(ctx, org)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
		Expect(err.Error()).To(ContainSubstring(`status.provisioningState: Unsupported value: "NotSpecified"`))
	})
})

var _ = Describe("ConnectCluster", func() {
	It("keeps its spec immutable", func() {
		cc := newConnectCluster(uniqueName("cc-immutable"), "env-00000")
		Expect(k8sClient.Create(ctx, cc)).To(Succeed())
		DeferCleanup(deleteObject, cc)

		cc.Spec.Environment = "env-11111"
		err := k8sClient.Update(ctx, cc)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
		Expect(err.Error()).To(ContainSubstring("spec is immutable"))
	})

	DescribeTable("rejects invalid connect clusters",
		func(spec string, want ...string) {
			expectInvalid(newObject("ConnectCluster", uniqueName("cc-invalid"), spec), want...)
		},
		Entry("a bad environment id", "accountRef: {name: acct}\nprovider: ConfluentCloud\nexternalID: x\nenvironment: lkc-1\n",
			"spec.environment", "should match '^env-[a-z0-9]+$'"),
		Entry("no environment", "accountRef: {name: acct}\nprovider: ConfluentCloud\nexternalID: x\n",
			"spec.environment: Required value"),
		Entry("an environment id over 64 characters", "accountRef: {name: acct}\nprovider: ConfluentCloud\nexternalID: x\nenvironment: env-"+strings.Repeat("a", 61)+"\n",
			"spec.environment", "Too long"),
		Entry("an unknown provider", "accountRef: {name: acct}\nprovider: GCP\nexternalID: x\nenvironment: env-1\n",
			`spec.provider: Unsupported value: "GCP"`),
		Entry("no provider", "accountRef: {name: acct}\nexternalID: x\nenvironment: env-1\n",
			"spec.provider: Required value"),
		Entry("no externalID", "accountRef: {name: acct}\nprovider: ConfluentCloud\nenvironment: env-1\n",
			"spec.externalID: Required value"),
		Entry("an externalID over 512 characters", "accountRef: {name: acct}\nprovider: ConfluentCloud\nexternalID: "+strings.Repeat("x", 513)+"\nenvironment: env-1\n",
			"spec.externalID", "Too long"),
		Entry("no accountRef", "provider: ConfluentCloud\nexternalID: x\nenvironment: env-1\n",
			"spec.accountRef: Required value"),
		Entry("an accountRef that is no DNS name", "accountRef: {name: Bad_Name}\nprovider: ConfluentCloud\nexternalID: x\nenvironment: env-1\n",
			"spec.accountRef.name", "should match"),
	)

	It("mirrors any cloud name but rejects an unnormalized provisioningState in status", func() {
		cc := newConnectCluster(uniqueName("cc-cloud"), "env-00000")
		Expect(k8sClient.Create(ctx, cc)).To(Succeed())
		DeferCleanup(deleteObject, cc)

		// A cloud the documents do not list yet must not block the mirror's status.
		cc.Status.Cloud = "IBM"
		Expect(k8sClient.Status().Update(ctx, cc)).To(Succeed())

		cc.Status.ProvisioningState = "NotSpecified"
		err := k8sClient.Status().Update(ctx, cc)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want Invalid, got %v", err)
		Expect(err.Error()).To(ContainSubstring(`status.provisioningState: Unsupported value: "NotSpecified"`))
	})
})

var _ = DescribeTable("every kind requires a spec",
	func(kind string) {
		obj := newObject(kind, uniqueName("no-spec"), "{}")
		delete(obj.Object, "spec")
		expectInvalid(obj, "spec: Required value")
	},
	Entry(nil, "CloudAccount"),
	Entry(nil, "Organization"),
	Entry(nil, "ConnectCluster"),
)

var _ = Describe("kubectl", Ordered, func() {
	const selector = "orgsync-test=kubectl"
	var account *v1.CloudAccount
	var org *v1.Organization
	var cc *v1.ConnectCluster

	BeforeAll(func() {
		labels := map[string]string{"orgsync-test": "kubectl"}
		account = &v1.CloudAccount{
			ObjectMeta: metav1.ObjectMeta{Name: "kubectl-account", Labels: labels},
			Spec: v1.CloudAccountSpec{
				Provider:             v1.ProviderConfluentCloud,
				ConfluentCloud:       &v1.ConfluentCloudSpec{},
				CredentialsSecretRef: v1.SecretReference{Name: "creds"},
			},
		}
		Expect(k8sClient.Create(ctx, account)).To(Succeed())
		DeferCleanup(deleteObject, account)
		account.Status = v1.CloudAccountStatus{
			Organizations:   3,
			ConnectClusters: 2,
			LastSyncTime:    ptr.To(metav1.Now()),
			Conditions:      []metav1.Condition{readyCondition(account.Generation)},
		}
		Expect(k8sClient.Status().Update(ctx, account)).To(Succeed())

		org = newOrganization("kubectl-org", "org-123")
		org.Labels = labels
		Expect(k8sClient.Create(ctx, org)).To(Succeed())
		DeferCleanup(deleteObject, org)
		org.Status = succeededStatus("Acme", org.Generation)
		org.Status.OfferStatus = "Subscribed"
		Expect(k8sClient.Status().Update(ctx, org)).To(Succeed())

		cc = newConnectCluster("kubectl-cc", "env-abc12")
		cc.Labels = labels
		Expect(k8sClient.Create(ctx, cc)).To(Succeed())
		DeferCleanup(deleteObject, cc)
		cc.Status = v1.ConnectClusterStatus{
			ObservedGeneration:                cc.Generation,
			Conditions:                        []metav1.Condition{readyCondition(cc.Generation)},
			ProvisioningState:                 v1.StateSucceeded,
			ConfluentPlatformConnectClusterID: "cp-connect-1",
			Cloud:                             v1.CloudAWS,
			Region:                            "us-east-1",
		}
		Expect(k8sClient.Status().Update(ctx, cc)).To(Succeed())
	})

	It("lists the three kinds as cluster-scoped resources", func() {
		out := runKubectl("api-resources", "--api-group=cloud.orgsync.io", "--namespaced=false", "-o", "name")
		Expect(strings.Fields(out)).To(ConsistOf(
			"cloudaccounts.cloud.orgsync.io", "connectclusters.cloud.orgsync.io", "organizations.cloud.orgsync.io"))
	})

	It("shows organizations with their provider, display name, state and readiness", func() {
		rows := table(runKubectl("get", "organizations", "-l", selector))
		Expect(rows).To(HaveLen(2), "header and one row")
		Expect(rows[0]).To(Equal([]string{"NAME", "PROVIDER", "DISPLAY-NAME", "STATE", "READY", "AGE"}))
		Expect(rows[1][:5]).To(Equal([]string{"kubectl-org", "Azure", "Acme", "Succeeded", "True"}))

		rows = table(runKubectl("get", "org", "-o", "wide", "-l", selector))
		Expect(rows[0]).To(Equal([]string{"NAME", "PROVIDER", "DISPLAY-NAME", "STATE", "READY", "AGE", "ACCOUNT", "EXTERNAL-ID", "OFFER"}))
		Expect(rows[1][6:]).To(Equal([]string{"acct", "org-123", "Subscribed"}))
	})

	It("shows connect clusters with their environment, ids, cloud, region and readiness", func() {
		rows := table(runKubectl("get", "connectclusters", "-l", selector))
		Expect(rows).To(HaveLen(2), "header and one row")
		Expect(rows[0]).To(Equal([]string{"NAME", "ENVIRONMENT", "CP-CLUSTER-ID", "CLOUD", "REGION", "READY", "AGE"}))
		Expect(rows[1][:6]).To(Equal([]string{"kubectl-cc", "env-abc12", "cp-connect-1", "AWS", "us-east-1", "True"}))

		rows = table(runKubectl("get", "cc", "-l", selector))
		Expect(rows[1][0]).To(Equal("kubectl-cc"), "short name cc")
	})

	It("shows cloud accounts with their provider, readiness, counts and last sync", func() {
		rows := table(runKubectl("get", "cloudaccounts", "-l", selector))
		Expect(rows).To(HaveLen(2), "header and one row")
		Expect(rows[0]).To(Equal([]string{"NAME", "PROVIDER", "READY", "ORGS", "CONNECT-CLUSTERS", "LAST-SYNC", "AGE"}))
		Expect(rows[1][:5]).To(Equal([]string{"kubectl-account", "ConfluentCloud", "True", "3", "2"}))
	})

	It("lists every kind under the orgsync category", func() {
		out := runKubectl("get", "orgsync", "-l", selector)
		var names []string
		for _, row := range table(out) {
			if row[0] != "NAME" {
				names = append(names, row[0])
			}
		}
		Expect(names).To(ConsistOf(
			"cloudaccount.cloud.orgsync.io/kubectl-account",
			"organization.cloud.orgsync.io/kubectl-org",
			"connectcluster.cloud.orgsync.io/kubectl-cc",
		))
	})
})

var nameCounter atomic.Int64

// environments returns n distinct environment ids, comma-separated.
func environments(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("env-%d", i)
	}
	return strings.Join(ids, ", ")
}

// uniqueName keeps objects of different entries apart, even when a broken schema
// lets an entry's object in.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, nameCounter.Add(1))
}

// newObject builds an object of kind from a YAML spec, so entries can send what the
// Go types cannot (an unknown enum value, a zero pageSize that omitempty would drop).
func newObject(kind, name, spec string) *unstructured.Unstructured {
	GinkgoHelper()
	var s map[string]any
	Expect(yaml.Unmarshal([]byte(spec), &s)).To(Succeed())
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1.GroupVersion.String(),
		"kind":       kind,
		"metadata":   map[string]any{"name": name},
		"spec":       s,
	}}
}

// expectInvalid creates obj and expects the API server to refuse it as Invalid with
// every one of want in its message.
func expectInvalid(obj client.Object, want ...string) {
	GinkgoHelper()
	err := k8sClient.Create(ctx, obj)
	if err == nil {
		DeferCleanup(deleteObject, obj)
	}
	Expect(err).To(HaveOccurred(), "the API server accepted an object it should have rejected")
	Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got %v", err)
	for _, w := range want {
		Expect(err.Error()).To(ContainSubstring(w))
	}
}

func deleteObject(obj client.Object) {
	Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed())
}

func newOrganization(name, externalID string) *v1.Organization {
	return &v1.Organization{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.OrganizationSpec{
			AccountRef: v1.AccountReference{Name: "acct"},
			Provider:   v1.ProviderAzure,
			ExternalID: externalID,
		},
	}
}

func newConnectCluster(name, environment string) *v1.ConnectCluster {
	return &v1.ConnectCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.ConnectClusterSpec{
			AccountRef:  v1.AccountReference{Name: "acct"},
			Provider:    v1.ProviderConfluentCloud,
			ExternalID:  "lcc-1",
			Environment: environment,
		},
	}
}

func readyCondition(generation int64) metav1.Condition {
	return metav1.Condition{
		Type:               v1.ConditionReady,
		Status:             metav1.ConditionTrue,
		Reason:             v1.ReasonSucceeded,
		Message:            "remote state is Succeeded",
		ObservedGeneration: generation,
		LastTransitionTime: metav1.Now(),
	}
}

func succeededStatus(displayName string, generation int64) v1.OrganizationStatus {
	return v1.OrganizationStatus{
		ObservedGeneration: generation,
		Conditions:         []metav1.Condition{readyCondition(generation)},
		DisplayName:        displayName,
		ProvisioningState:  v1.StateSucceeded,
		RawState:           "Succeeded",
	}
}

// runKubectl runs kubectl against the test API server and returns its standard output.
func runKubectl(args ...string) string {
	GinkgoHelper()
	cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		Fail(fmt.Sprintf("kubectl %s: %v\n%s", strings.Join(args, " "), err, stderr.String()))
	}
	Expect(err).NotTo(HaveOccurred())
	return string(out)
}

// table splits kubectl's table output into rows of whitespace-separated cells.
func table(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			rows = append(rows, f)
		}
	}
	return rows
}
