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

// AnnotationSyncRequestedAt asks for a sync now: set it on a CloudAccount to any new
// value (a timestamp, say) and the operator syncs at once and, when that sync ends,
// copies the value into status.lastHandledSyncRequest. The same idea as Flux's
// reconcile.fluxcd.io/requestedAt.
const AnnotationSyncRequestedAt = "cloud.orgsync.io/sync-requested-at"

// AnnotationAccounts on a credentials Secret lists, comma-separated, the CloudAccounts
// that may use it. A CloudAccount names both a Secret and an endpoint, so without the
// Secret's consent anyone allowed to create an account could send another team's
// credentials to a host of their choosing. An account the Secret does not name stalls
// with reason CredentialsNotLent and nothing is sent.
const AnnotationAccounts = "cloud.orgsync.io/accounts"

// AnnotationOrigins on a credentials Secret lists, separated by commas or white space,
// where its credentials may be sent: origins (https://host[:port]) or URL prefixes
// (https://host[:port]/path/). Every request an account makes with the Secret, token
// requests and discovery included, must match one before it is sent. Without the
// annotation only the provider's documented public endpoints are allowed (Confluent
// Cloud: https://api.confluent.cloud; Azure's public cloud: https://management.azure.com
// and https://login.microsoftonline.com; Cloud Foundry: none). A CloudAccount names
// its endpoints, but the Secret's owner decides where the credentials go: an account
// pointed anywhere else stalls with reason OriginNotAllowed and nothing is sent.
const AnnotationOrigins = "cloud.orgsync.io/origins"
