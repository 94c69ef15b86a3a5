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
	"k8s.io/apimachinery/pkg/runtime"
)

// Mirror is what Organization and ConnectCluster share: each mirrors one remote item
// of a CloudAccount, and its status carries the item's provisioning state and the
// kstatus conditions derived from it. It lets one write path serve both kinds.
// +kubebuilder:object:generate=false
type Mirror interface {
	metav1.Object
	runtime.Object
	// SameItem reports whether other is of the same kind and mirrors the same
	// account's same remote item (equal specs).
	SameItem(other Mirror) bool
	// CopyStatusFrom replaces the status with a copy of other's, when other is of the
	// same kind.
	CopyStatusFrom(other Mirror)
	GetConditions() []metav1.Condition
	SetConditions(conditions []metav1.Condition)
	SetObservedGeneration(generation int64)
	GetProvisioningState() ProvisioningState
	SetProvisioningState(state ProvisioningState)
}

var (
	_ Mirror = &Organization{}
	_ Mirror = &ConnectCluster{}
)

// SameItem implements Mirror.
func (o *Organization) SameItem(other Mirror) bool {
	m, ok := other.(*Organization)
	return ok && o.Spec == m.Spec
}

// CopyStatusFrom implements Mirror.
func (o *Organization) CopyStatusFrom(other Mirror) {
	if m, ok := other.(*Organization); ok {
		m.Status.DeepCopyInto(&o.Status)
	}
}

// GetConditions implements Mirror.
func (o *Organization) GetConditions() []metav1.Condition { return o.Status.Conditions }

// SetConditions implements Mirror.
func (o *Organization) SetConditions(c []metav1.Condition) { o.Status.Conditions = c }

// SetObservedGeneration implements Mirror.
func (o *Organization) SetObservedGeneration(g int64) { o.Status.ObservedGeneration = g }

// GetProvisioningState implements Mirror.
func (o *Organization) GetProvisioningState() ProvisioningState { return o.Status.ProvisioningState }

// SetProvisioningState implements Mirror.
func (o *Organization) SetProvisioningState(s ProvisioningState) { o.Status.ProvisioningState = s }

// SameItem implements Mirror.
func (c *ConnectCluster) SameItem(other Mirror) bool {
	m, ok := other.(*ConnectCluster)
	return ok && c.Spec == m.Spec
}

// CopyStatusFrom implements Mirror.
func (c *ConnectCluster) CopyStatusFrom(other Mirror) {
	if m, ok := other.(*ConnectCluster); ok {
		m.Status.DeepCopyInto(&c.Status)
	}
}

// GetConditions implements Mirror.
func (c *ConnectCluster) GetConditions() []metav1.Condition { return c.Status.Conditions }

// SetConditions implements Mirror.
func (c *ConnectCluster) SetConditions(conds []metav1.Condition) { c.Status.Conditions = conds }

// SetObservedGeneration implements Mirror.
func (c *ConnectCluster) SetObservedGeneration(g int64) { c.Status.ObservedGeneration = g }

// GetProvisioningState implements Mirror.
func (c *ConnectCluster) GetProvisioningState() ProvisioningState {
	return c.Status.ProvisioningState
}

// SetProvisioningState implements Mirror.
func (c *ConnectCluster) SetProvisioningState(s ProvisioningState) { c.Status.ProvisioningState = s }
