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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CloudAccountSpec says which remote API to list, with which credentials, and how often.
// Exactly one provider block is set: the one spec.provider names.
// +kubebuilder:validation:XValidation:rule="(self.provider == 'ConfluentCloud') == has(self.confluentCloud)",message="spec.confluentCloud must be set exactly when spec.provider is ConfluentCloud"
// +kubebuilder:validation:XValidation:rule="(self.provider == 'Azure') == has(self.azure)",message="spec.azure must be set exactly when spec.provider is Azure"
// +kubebuilder:validation:XValidation:rule="(self.provider == 'CloudFoundry') == has(self.cloudFoundry)",message="spec.cloudFoundry must be set exactly when spec.provider is CloudFoundry"
type CloudAccountSpec struct {
	// provider is the remote API to list.
	// +required
	Provider Provider `json:"provider,omitempty"`

	// confluentCloud configures the Confluent Cloud provider.
	// +optional
	ConfluentCloud *ConfluentCloudSpec `json:"confluentCloud,omitempty"`

	// azure configures the Azure provider.
	// +optional
	Azure *AzureSpec `json:"azure,omitempty"`

	// cloudFoundry configures the Cloud Foundry provider.
	// +optional
	CloudFoundry *CloudFoundrySpec `json:"cloudFoundry,omitempty"`

	// credentialsSecretRef names a Secret in the operator's own namespace holding the
	// credentials. Keys: ConfluentCloud token, or clientID+clientSecret+tokenURL, or
	// apiKey+apiSecret (connect clusters only: partner/v2 organizations take OAuth
	// tokens alone); Azure tenantID+clientID+clientSecret, or token;
	// CloudFoundry username+password, or clientID+clientSecret, or token.
	// +required
	CredentialsSecretRef SecretReference `json:"credentialsSecretRef,omitzero"`

	// syncInterval is how often the remote lists are read (each sync is jittered by up
	// to 10%).
	// +optional
	// +default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('30s')",message="syncInterval must be at least 30s"
	SyncInterval *metav1.Duration `json:"syncInterval,omitempty"`

	// suspend stops syncing; existing mirrors are kept as they are.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// prune deletes the mirrors of remote items that a complete listing no longer
	// contains.
	// +optional
	// +default=true
	Prune *bool `json:"prune,omitempty"`

	// maxPrunePercent is the largest share of this account's mirrors, in percent, that
	// one sync may prune. A sync that would delete more is held back (condition
	// PruneHeldBack and an event); 100 allows any prune.
	// +optional
	// +default=50
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MaxPrunePercent *int32 `json:"maxPrunePercent,omitempty"`

	// maxMirrors caps how many mirrors (organizations and connect clusters together)
	// this account may hold, so that one huge or hostile remote list cannot fill the
	// operator's memory and stop every other account. A listing beyond it creates no
	// more mirrors; existing ones are kept and updated, and the account says so
	// (Ready=False with reason MirrorCeilingReached, and an event). Each mirror costs
	// the operator about 3.5 KiB of memory (docs/performance.md): raise the chart's
	// memory limit with it.
	// +optional
	// +default=25000
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	MaxMirrors int32 `json:"maxMirrors,omitempty"`

	// mode is Sync (the default: mirror what the remote lists hold) or Plan: list as
	// usual, write no mirror, and show in status.plan what a sync would do. Switching
	// back to Sync applies it.
	// +optional
	// +default="Sync"
	Mode SyncMode `json:"mode,omitempty"`
}

// SyncMode says whether an account's syncs write mirrors or only plan.
// +kubebuilder:validation:Enum=Sync;Plan
type SyncMode string

// The sync modes.
const (
	// ModeSync lists and writes mirrors.
	ModeSync SyncMode = "Sync"
	// ModePlan lists and reports what a sync would write, writing no mirror.
	ModePlan SyncMode = "Plan"
)

// SecretReference names a Secret in the operator's namespace.
type SecretReference struct {
	// name is the Secret's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name,omitempty"`
}

// ConfluentCloudSpec configures listing Confluent Cloud partner/v2 organizations and
// usm/v1 connect clusters.
// +kubebuilder:validation:XValidation:rule="(has(self.organizations) && self.organizations) || has(self.connectClusters)",message="spec.confluentCloud must list organizations, connectClusters or both"
type ConfluentCloudSpec struct {
	// endpoint is the Confluent Cloud API base URL.
	// +optional
	// +default="https://api.confluent.cloud"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['https','http']",message="must be an http(s) URL"
	Endpoint string `json:"endpoint,omitempty"`

	// organizations lists partner/v2 organizations when true.
	// +optional
	// +default=true
	Organizations *bool `json:"organizations,omitempty"`

	// connectClusters lists usm/v1 connect clusters of the given environments.
	// +optional
	ConnectClusters *ConnectClustersSpec `json:"connectClusters,omitempty"`

	// pageSize is the page size asked for (the API allows at most 100).
	// +optional
	// +default=100
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	PageSize int32 `json:"pageSize,omitempty"`
}

// ConnectClustersSpec selects the environments whose connect clusters are listed.
type ConnectClustersSpec struct {
	// environments are Confluent environment ids, such as env-00000.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:items:MaxLength=64
	// +kubebuilder:validation:items:Pattern=`^env-[a-z0-9]+$`
	Environments []string `json:"environments,omitempty"`
}

// AzureSpec configures reading Azure Microsoft.Confluent/organizations: listed by
// subscription or resource group, or named one by one (read with Get).
// +kubebuilder:validation:XValidation:rule="!(has(self.resourceGroup) && has(self.organizations))",message="spec.azure.resourceGroup (a listing) and spec.azure.organizations (named organizations) are one-of"
type AzureSpec struct {
	// endpoint is the Azure Resource Manager base URL.
	// +optional
	// +default="https://management.azure.com"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['https','http']",message="must be an http(s) URL"
	Endpoint string `json:"endpoint,omitempty"`

	// subscriptionID is the subscription whose organizations are listed.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern=`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	SubscriptionID string `json:"subscriptionID,omitempty"`

	// resourceGroup limits the listing to one resource group; empty lists the whole
	// subscription.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=90
	// +kubebuilder:validation:Pattern=`^[-\w\._\(\)]+$`
	ResourceGroup string `json:"resourceGroup,omitempty"`

	// organizations names the organizations to read, each with one Get, instead of
	// listing: for a principal allowed to read given organizations but not to list a
	// resource group. An organization that answers 404 counts as no longer there.
	// +optional
	// +listType=map
	// +listMapKey=resourceGroup
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=500
	Organizations []AzureOrganizationReference `json:"organizations,omitempty"`

	// authorityHost is the Microsoft Entra ID (Azure AD) authority URL used to get tokens.
	// +optional
	// +default="https://login.microsoftonline.com/"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['https','http']",message="must be an http(s) URL"
	AuthorityHost string `json:"authorityHost,omitempty"`
}

// AzureOrganizationReference names one Microsoft.Confluent organization in the
// account's subscription.
type AzureOrganizationReference struct {
	// resourceGroup is the organization's resource group.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=90
	// +kubebuilder:validation:Pattern=`^[-\w\._\(\)]+$`
	ResourceGroup string `json:"resourceGroup,omitempty"`

	// name is the organization's resource name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=260
	// +kubebuilder:validation:Pattern=`^[^/?#%]+$`
	Name string `json:"name,omitempty"`
}

// CloudFoundryAPIVersion is a Cloud Controller API version.
// +kubebuilder:validation:Enum=v2;v3
type CloudFoundryAPIVersion string

// The Cloud Controller API versions.
const (
	// CloudFoundryAPIV2 is the /v2 API, being switched off by current foundations.
	CloudFoundryAPIV2 CloudFoundryAPIVersion = "v2"
	// CloudFoundryAPIV3 is the /v3 API.
	CloudFoundryAPIV3 CloudFoundryAPIVersion = "v3"
)

// CloudFoundrySpec configures listing Cloud Foundry organizations.
// +kubebuilder:validation:XValidation:rule="!has(self.pageSize) || self.pageSize <= 100 || !has(self.apiVersion) || self.apiVersion != 'v2'",message="spec.cloudFoundry.pageSize is at most 100 with apiVersion v2 (v2's results-per-page limit)"
type CloudFoundrySpec struct {
	// apiURL is the Cloud Controller API base URL, such as https://api.sys.example.com.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['https','http']",message="must be an http(s) URL"
	APIURL string `json:"apiURL,omitempty"`

	// tokenURL is the UAA token endpoint; empty discovers it from the API root.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() in ['https','http']",message="must be an http(s) URL"
	TokenURL string `json:"tokenURL,omitempty"`

	// apiVersion is the Cloud Controller API to use; empty discovers it from the API root.
	// +optional
	APIVersion CloudFoundryAPIVersion `json:"apiVersion,omitempty"`

	// query holds q filters, each as field, operator and value, such as name:foo,
	// status:active or "name IN a,b".
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=1024
	// +kubebuilder:validation:items:Pattern=`^(name|status|space_guid|user_guid|manager_guid|billing_manager_guid|auditor_guid)(:|>=|<=|<|>| IN ).+$`
	Query []string `json:"query,omitempty"`

	// pageSize is the page size asked for. Unset asks for the largest page the API
	// version serves: 100 on v2, 5000 on v3. Above 100 it needs v3 (apiVersion v3, or
	// empty, where a foundation found to offer only v2 is read 100 a page).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5000
	PageSize int32 `json:"pageSize,omitempty"`
}

// CloudAccountStatus is what the operator observed on its last syncs.
type CloudAccountStatus struct {
	// conditions are Ready, RateLimited, Reconciling and Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// lastSyncTime is when the last complete sync finished.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// lastSyncDuration is how long the last complete sync took.
	// +optional
	LastSyncDuration *metav1.Duration `json:"lastSyncDuration,omitempty"`

	// nextSyncTime is when the next sync is due.
	// +optional
	NextSyncTime *metav1.Time `json:"nextSyncTime,omitempty"`

	// organizations is the number of Organization mirrors of this account.
	// +optional
	Organizations int32 `json:"organizations"`

	// connectClusters is the number of ConnectCluster mirrors of this account.
	// +optional
	ConnectClusters int32 `json:"connectClusters"`

	// rateLimit holds the last rate-limit figures the remote API sent.
	// +optional
	RateLimit *RateLimitStatus `json:"rateLimit,omitempty"`

	// lastHandledSyncRequest is the value of the cloud.orgsync.io/sync-requested-at
	// annotation that the last finished sync (complete or not) answered.
	// +optional
	LastHandledSyncRequest string `json:"lastHandledSyncRequest,omitempty"`

	// plan is what a sync would do, computed by the last listing in Plan mode; cleared
	// by the first complete sync in Sync mode.
	// +optional
	Plan *PlanStatus `json:"plan,omitempty"`
}

// PlanStatus is what a sync would do to the account's mirrors, as a Plan-mode listing
// found it.
type PlanStatus struct {
	// observedGeneration is the spec generation the plan was made for.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// plannedTime is when the listing the plan comes from finished.
	// +optional
	PlannedTime *metav1.Time `json:"plannedTime,omitempty"`

	// creates counts the mirrors a sync would create.
	// +optional
	Creates int32 `json:"creates"`

	// updates counts the mirrors whose labels or status a sync would write.
	// +optional
	Updates int32 `json:"updates"`

	// deletes counts the mirrors a sync would prune.
	// +optional
	Deletes int32 `json:"deletes"`

	// pruneHeldBack says the prune guard (spec.maxPrunePercent) would hold the deletes
	// back: a sync would delete none of them.
	// +optional
	PruneHeldBack bool `json:"pruneHeldBack,omitempty"`

	// unconfirmed counts the mirrors the listing missed that a sync would keep for
	// now: the listing was incomplete (paused, or short of the remote's total).
	// +optional
	Unconfirmed int32 `json:"unconfirmed,omitempty"`

	// sampleCreates names the first mirrors a sync would create.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=253
	SampleCreates []string `json:"sampleCreates,omitempty"`

	// sampleUpdates names the first mirrors a sync would update.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=253
	SampleUpdates []string `json:"sampleUpdates,omitempty"`

	// sampleDeletes names the first mirrors a sync would prune.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=253
	SampleDeletes []string `json:"sampleDeletes,omitempty"`
}

// RateLimitStatus holds the rate-limit figures of the last remote response that had any.
type RateLimitStatus struct {
	// limit is the request budget of the current window, when the provider says.
	// +optional
	Limit *int32 `json:"limit,omitempty"`

	// remaining is the number of requests left in the current window.
	// +optional
	Remaining *int32 `json:"remaining,omitempty"`

	// resetTime is when the current window ends.
	// +optional
	ResetTime *metav1.Time `json:"resetTime,omitempty"`

	// waitUntil is when the account may call the remote API again; unset when it need
	// not wait.
	// +optional
	WaitUntil *metav1.Time `json:"waitUntil,omitempty"`

	// observedTime is when these figures were read.
	// +optional
	ObservedTime *metav1.Time `json:"observedTime,omitempty"`
}

// CloudAccount is a remote account whose organizations and connect clusters orgsync
// mirrors as Organization and ConnectCluster objects.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories=orgsync
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Orgs",type=integer,JSONPath=`.status.organizations`
// +kubebuilder:printcolumn:name="Connect-Clusters",type=integer,JSONPath=`.status.connectClusters`
// +kubebuilder:printcolumn:name="Last-Sync",type=date,JSONPath=`.status.lastSyncTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// The name labels every mirror (cloud.orgsync.io/account), and label values stop at 63.
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name must be at most 63 characters: it labels every mirror of the account"
type CloudAccount struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says what to list and how.
	// +required
	Spec CloudAccountSpec `json:"spec,omitzero"`

	// status is what the operator observed.
	// +optional
	Status CloudAccountStatus `json:"status,omitempty"`
}

// CloudAccountList is a list of CloudAccount.
// +kubebuilder:object:root=true
type CloudAccountList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CloudAccount `json:"items"`
}
