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

// The permissions the operator needs for the kinds of this group, its events and its
// credentials. controller-gen merges them with any markers next to the reconcilers
// into config/rbac/role.yaml. Secrets are readable only in the operator's own namespace
// (a Role, not a ClusterRole): credentials live nowhere else.

// +kubebuilder:rbac:groups=cloud.orgsync.io,resources=cloudaccounts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=cloud.orgsync.io,resources=cloudaccounts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=cloud.orgsync.io,resources=cloudaccounts/finalizers,verbs=update
// +kubebuilder:rbac:groups=cloud.orgsync.io,resources=organizations;connectclusters,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=cloud.orgsync.io,resources=organizations/status;connectclusters/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",namespace=orgsync-system,resources=secrets,verbs=get;list;watch
