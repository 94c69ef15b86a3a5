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

// Cloud is the cloud service provider a connect cluster's metadata lives in. It is
// mirrored as the remote API reports it, without an enum: a cloud the API adds later
// must not block every status write of the account.
type Cloud string

// The clouds the usm/v1 API reports.
const (
	// CloudAWS is Amazon Web Services.
	CloudAWS Cloud = "AWS"
	// CloudGCP is Google Cloud.
	CloudGCP Cloud = "GCP"
	// CloudAzure is Microsoft Azure.
	CloudAzure Cloud = "AZURE"
)

// ConnectClusterSpec identifies the remote connect cluster. Only the operator writes it.
type ConnectClusterSpec struct {
	// accountRef names the CloudAccount that lists this connect cluster.
	// +required
	AccountRef AccountReference `json:"accountRef,omitzero"`

	// provider is the account's provider.
	// +required
	Provider Provider `json:"provider,omitempty"`

	// externalID is the connect cluster's usm/v1 id.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	ExternalID string `json:"externalID,omitempty"`

	// environment is the Confluent environment id the cluster is registered in.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^env-[a-z0-9]+$`
	Environment string `json:"environment,omitempty"`
}

// ConnectClusterStatus is the remote connect cluster as last listed.
type ConnectClusterStatus struct {
	// conditions are Ready, Reconciling and Stalled, derived from provisioningState.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// provisioningState is Succeeded for every listed connect cluster.
	// +optional
	ProvisioningState ProvisioningState `json:"provisioningState,omitempty"`

	// confluentPlatformConnectClusterID is the Connect cluster's id in Confluent Platform.
	// +optional
	ConfluentPlatformConnectClusterID string `json:"confluentPlatformConnectClusterID,omitempty"`

	// kafkaClusterID is the id of the Kafka cluster the Connect cluster uses.
	// +optional
	KafkaClusterID string `json:"kafkaClusterID,omitempty"`

	// usmKafkaClusterID is the id of that Kafka cluster's USM registration.
	// +optional
	USMKafkaClusterID string `json:"usmKafkaClusterID,omitempty"`

	// cloud is where the cluster's metadata is stored.
	// +optional
	Cloud Cloud `json:"cloud,omitempty"`

	// region is the cloud region where the cluster's metadata is stored.
	// +optional
	Region string `json:"region,omitempty"`

	// environmentResourceName is the CRN of the cluster's environment.
	// +optional
	EnvironmentResourceName string `json:"environmentResourceName,omitempty"`
}

// ConnectCluster mirrors one Confluent Platform Connect cluster registered with
// Confluent Cloud (usm/v1) and listed by a CloudAccount.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=cc,categories=orgsync
// +kubebuilder:printcolumn:name="Environment",type=string,JSONPath=`.spec.environment`
// +kubebuilder:printcolumn:name="CP-Cluster-ID",type=string,JSONPath=`.status.confluentPlatformConnectClusterID`
// +kubebuilder:printcolumn:name="Cloud",type=string,JSONPath=`.status.cloud`
// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=`.status.region`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Account",type=string,JSONPath=`.spec.accountRef.name`,priority=1
// +kubebuilder:printcolumn:name="External-ID",type=string,JSONPath=`.spec.externalID`,priority=1
type ConnectCluster struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec identifies the remote connect cluster; it is immutable.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable"
	Spec ConnectClusterSpec `json:"spec,omitzero"`

	// status is the remote connect cluster as last listed.
	// +optional
	Status ConnectClusterStatus `json:"status,omitempty"`
}

// ConnectClusterList is a list of ConnectCluster.
// +kubebuilder:object:root=true
type ConnectClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ConnectCluster `json:"items"`
}
