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

// Provider names the remote API a CloudAccount lists.
// +kubebuilder:validation:Enum=ConfluentCloud;Azure;CloudFoundry
type Provider string

// The supported providers.
const (
	// ProviderConfluentCloud lists Confluent Cloud partner/v2 organizations and usm/v1
	// connect clusters.
	ProviderConfluentCloud Provider = "ConfluentCloud"
	// ProviderAzure lists Azure Resource Manager Microsoft.Confluent/organizations.
	ProviderAzure Provider = "Azure"
	// ProviderCloudFoundry lists Cloud Foundry organizations (v2 or v3 API).
	ProviderCloudFoundry Provider = "CloudFoundry"
)

// ProvisioningState is a remote item's state, normalized across providers.
// +kubebuilder:validation:Enum=Accepted;Creating;Updating;Deleting;Succeeded;Failed;Canceled;Deleted;Suspended;Unknown
type ProvisioningState string

// The normalized provisioning states. Azure's own values map one to one (its
// NotSpecified becomes Unknown); Confluent and Cloud Foundry states map onto them.
const (
	// StateAccepted means the remote accepted a request that has not started.
	StateAccepted ProvisioningState = "Accepted"
	// StateCreating means the remote item is being created.
	StateCreating ProvisioningState = "Creating"
	// StateUpdating means the remote item is being changed.
	StateUpdating ProvisioningState = "Updating"
	// StateDeleting means the remote item is being deleted.
	StateDeleting ProvisioningState = "Deleting"
	// StateSucceeded means the remote item is provisioned and usable.
	StateSucceeded ProvisioningState = "Succeeded"
	// StateFailed means provisioning failed.
	StateFailed ProvisioningState = "Failed"
	// StateCanceled means provisioning was canceled.
	StateCanceled ProvisioningState = "Canceled"
	// StateDeleted means the remote item is deleted: still listed as deleted, or no
	// longer listed at all on an account with spec.prune false.
	StateDeleted ProvisioningState = "Deleted"
	// StateSuspended means the remote item is suspended (Cloud Foundry).
	StateSuspended ProvisioningState = "Suspended"
	// StateUnknown means the remote did not say.
	StateUnknown ProvisioningState = "Unknown"
)

// AccountReference names the CloudAccount a mirror belongs to.
type AccountReference struct {
	// name is the CloudAccount's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name,omitempty"`
}
