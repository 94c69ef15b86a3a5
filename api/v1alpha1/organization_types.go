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

// OrganizationSpec identifies the remote organization. Only the operator writes it.
type OrganizationSpec struct {
	// accountRef names the CloudAccount that lists this organization.
	// +required
	AccountRef AccountReference `json:"accountRef,omitzero"`

	// provider is the account's provider.
	// +required
	Provider Provider `json:"provider,omitempty"`

	// externalID is the organization's id at the provider: a Confluent organization id,
	// an Azure organization's ARM resource name, or a Cloud Foundry guid.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	ExternalID string `json:"externalID,omitempty"`
}

// OrganizationStatus is the remote organization as last listed.
type OrganizationStatus struct {
	// conditions are Ready, Reconciling and Stalled, derived from provisioningState.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// displayName is the organization's name at the provider.
	// +optional
	DisplayName string `json:"displayName,omitempty"`

	// provisioningState is the remote state, normalized across providers.
	// +optional
	ProvisioningState ProvisioningState `json:"provisioningState,omitempty"`

	// rawState is the state exactly as the provider reported it.
	// +optional
	RawState string `json:"rawState,omitempty"`

	// offerStatus is the status of the organization's SaaS offer (Azure's
	// offerDetail.status: Started, PendingFulfillmentStart, InProgress, Subscribed,
	// Suspended, Reinstated, Succeeded, Failed, Unsubscribed, Updating). An offer that is
	// Suspended, Unsubscribed or Failed makes the mirror not Ready, whatever
	// provisioningState says.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	OfferStatus string `json:"offerStatus,omitempty"`

	// ssoURL is the organization's single sign-on URL, when it has one.
	// +optional
	SSOURL string `json:"ssoURL,omitempty"`

	// resourceName is the provider's full name of the organization: a Confluent CRN, an
	// Azure ARM id, or a Cloud Foundry resource URL.
	// +optional
	ResourceName string `json:"resourceName,omitempty"`

	// createdAt is when the organization was created at the provider.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`

	// updatedAt is when the organization was last changed at the provider.
	// +optional
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`

	// deletedAt is when the organization was deleted at the provider.
	// +optional
	DeletedAt *metav1.Time `json:"deletedAt,omitempty"`

	// details holds provider-specific facts, such as an Azure location or a Cloud
	// Foundry quota definition guid. Never secrets or personal data.
	// +optional
	Details map[string]string `json:"details,omitempty"`
}

// Organization mirrors one remote organization listed by a CloudAccount.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=org,categories=orgsync
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Display-Name",type=string,JSONPath=`.status.displayName`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.provisioningState`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Account",type=string,JSONPath=`.spec.accountRef.name`,priority=1
// +kubebuilder:printcolumn:name="External-ID",type=string,JSONPath=`.spec.externalID`,priority=1
// +kubebuilder:printcolumn:name="Offer",type=string,JSONPath=`.status.offerStatus`,priority=1
type Organization struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec identifies the remote organization; it is immutable.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable"
	Spec OrganizationSpec `json:"spec,omitzero"`

	// status is the remote organization as last listed.
	// +optional
	Status OrganizationStatus `json:"status,omitempty"`
}

// OrganizationList is a list of Organization.
// +kubebuilder:object:root=true
type OrganizationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Organization `json:"items"`
}
