// Package cloudsim simulates the remote APIs orgsync reads: Confluent Cloud
// (partner/v2 organizations, usm/v1 connect clusters, an OAuth token endpoint),
// Azure Resource Manager Microsoft.Confluent/organizations with Azure AD, and the
// Cloud Foundry Cloud Controller (v2 and v3) with UAA. It is a real HTTP server,
// faithful to the wire formats of the API reference documents, with a seeded
// data set, rate-limit budgets, switchable faults and request counters, for
// tests, demos and benchmarks. It knows nothing of Kubernetes.
//
// Every provider is served from one origin:
//
//	GET  /partner/v2/organizations[/{id}]                Confluent organizations (bearer tokens only)
//	GET  /usm/v1/connect-clusters?environment=env-…      Confluent connect clusters (API key or bearer)
//	POST /oauth2/token                                   Confluent OAuth client credentials
//	GET  /subscriptions/{s}/providers/Microsoft.Confluent/organizations
//	GET  /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Confluent/organizations[/{name}]
//	GET  /{tenant}/v2.0/.well-known/openid-configuration Azure AD discovery
//	POST /{tenant}/oauth2/v2.0/token                     Azure AD client credentials
//	GET  /  and  /v2/info                                Cloud Foundry discovery
//	GET  /v2/organizations, /v3/organizations            Cloud Controller
//	POST /oauth/token                                    UAA
//
// Paging. Confluent page_token and ARM $skipToken are keyset tokens: they carry
// the page number they lead to and the key of the last item returned (lists
// are ordered by Confluent id, and by resource group/name for ARM). An item
// added or removed between two calls therefore behaves as in a real API:
// nothing already listed comes back, nothing present throughout is skipped,
// and additions after the cursor show up. Cloud Foundry pages are offsets
// (page, results-per-page / per_page) into the list in creation order, as the
// Cloud Controller does, so a removal shifts later items one place forward.
// With no change, the same request returns the same page. Confluent next links
// carry page_token alone, as the documents' examples do: a client adds
// environment (required by usm/v1) and page_size (default 10) itself.
//
// Absolute links (Confluent next, ARM nextLink, CF v3 hrefs, OpenID
// configuration) use Config.PublicURL, or else the scheme and Host the
// request was sent to; CF v2 next_url and prev_url are relative paths.
package cloudsim
