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

// Condition types. Ready is the summary every dashboard reads; Reconciling and
// Stalled follow the kstatus conventions (Flux, Argo CD, cli-utils), so a tool that
// knows nothing of orgsync still tells "in progress" from "failed".
const (
	// ConditionReady is True when the object is healthy: for a mirror, when the remote
	// item's provisioningState is Succeeded; for a CloudAccount, when its last sync
	// listed everything without error.
	ConditionReady = "Ready"

	// ConditionRateLimited is True on a CloudAccount while the remote API has asked it
	// to wait; status.rateLimit.waitUntil says until when.
	ConditionRateLimited = "RateLimited"

	// ConditionReconciling is True while the object is moving towards a steady state:
	// a mirror whose remote state is transitional (Accepted, Creating, Updating,
	// Deleting), or a CloudAccount before its first complete sync.
	ConditionReconciling = "Reconciling"

	// ConditionStalled is True when no progress is expected without someone acting: a
	// mirror whose remote state is terminal and unhealthy (Failed, Canceled,
	// Suspended, Deleted), or a CloudAccount with bad credentials or configuration.
	ConditionStalled = "Stalled"
)

// Condition reasons. They are CamelCase, as metav1.Condition requires, and double as
// event reasons.
const (
	// ReasonSucceeded means the remote item is provisioned and healthy.
	ReasonSucceeded = "Succeeded"
	// ReasonSynced means the account's last sync completed.
	ReasonSynced = "Synced"
	// ReasonProgressing means the remote item is in a transitional state.
	ReasonProgressing = "Progressing"
	// ReasonUnauthorized means the remote API rejected the credentials (HTTP 401).
	ReasonUnauthorized = "Unauthorized"
	// ReasonForbidden means the credentials lack a permission the listing needs (HTTP 403).
	ReasonForbidden = "Forbidden"
	// ReasonRateLimited means the remote API asked the account to wait.
	ReasonRateLimited = "RateLimited"
	// ReasonNotRateLimited means the remote API is not limiting the account.
	ReasonNotRateLimited = "NotRateLimited"
	// ReasonInvalidConfiguration means the spec or the remote's answer to it (HTTP 400)
	// cannot work as written.
	ReasonInvalidConfiguration = "InvalidConfiguration"
	// ReasonCredentialsNotFound means the Secret named by spec.credentialsSecretRef is
	// missing or lacks the keys the provider needs.
	ReasonCredentialsNotFound = "CredentialsNotFound"
	// ReasonCredentialsNotLent means the Secret does not name the account in its
	// cloud.orgsync.io/accounts annotation, so its credentials were not used.
	ReasonCredentialsNotLent = "CredentialsNotLent"
	// ReasonListingShort means a complete listing held fewer distinct items than the
	// remote's own total said: what it missed is not pruned on its word alone.
	ReasonListingShort = "ListingShort"
	// ReasonDuplicateRemoteItems means a listing returned some items more than once
	// (on different pages); each was mirrored once.
	ReasonDuplicateRemoteItems = "DuplicateRemoteItems"
	// ReasonPlanned means the account is in Plan mode and its last listing produced a
	// plan (status.plan); no mirror was written.
	ReasonPlanned = "Planned"
	// ReasonRemoteError means the remote API failed (5xx, timeout, unreadable answer).
	ReasonRemoteError = "RemoteError"
	// ReasonPruneHeldBack means a listing would have deleted more mirrors than
	// spec.maxPrunePercent allows, so nothing was pruned.
	ReasonPruneHeldBack = "PruneHeldBack"
	// ReasonOriginNotAllowed means a request would have sent the Secret's credentials
	// to an origin its cloud.orgsync.io/origins annotation (or, without one, the
	// provider's public endpoints) does not allow; nothing was sent.
	ReasonOriginNotAllowed = "OriginNotAllowed"
	// ReasonMirrorCeilingReached means the listing held more items than
	// spec.maxMirrors allows: no mirror beyond it was created, existing ones are kept
	// and updated.
	ReasonMirrorCeilingReached = "MirrorCeilingReached"
	// ReasonNotFoundRemotely means the remote item no longer exists.
	ReasonNotFoundRemotely = "NotFoundRemotely"
	// ReasonProvisioningFailed means the remote item is in a terminal unhealthy state.
	ReasonProvisioningFailed = "ProvisioningFailed"
	// ReasonOfferInactive means the organization's SaaS offer is Suspended,
	// Unsubscribed or Failed: it cannot be used, whatever its provisioning state.
	ReasonOfferInactive = "OfferInactive"
	// ReasonProvisioning means the remote item is being provisioned or changed.
	ReasonProvisioning = "Provisioning"
)

// Labels and finalizers the operator puts on the objects it manages.
const (
	// LabelAccount on a mirror names the CloudAccount that mirrors it.
	LabelAccount = "cloud.orgsync.io/account"
	// LabelProvider on a mirror names its Provider.
	LabelProvider = "cloud.orgsync.io/provider"
	// FinalizerMirrors on a CloudAccount keeps it until its mirrors are cleaned up.
	FinalizerMirrors = "cloud.orgsync.io/mirrors"
)
