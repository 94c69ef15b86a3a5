// Package cloud is the provider abstraction the reconcilers use: every remote list is read
// page by page through a Provider, and the mechanics every provider shares — resumable
// paging with safety caps, the per-account rate budget, typed errors, origin-bound
// credentials and retries — live here once. It knows nothing of Kubernetes.
package cloud

import (
	"context"
	"errors"
	"time"
)

// State is a remote provisioning state normalized across providers: one of the
// values of the API's provisioningState (PRODUCT.md, "Normalized provisioningState"),
// whose one list is its enum. Named here are only the states providers derive
// themselves; Azure's own values are already normalized ones and pass through.
type State string

// The states providers derive from their own fields.
const (
	StateSucceeded State = "Succeeded"
	StateDeleting  State = "Deleting"
	StateDeleted   State = "Deleted"
	StateSuspended State = "Suspended"
	StateUnknown   State = "Unknown"
)

// Organization is one remote organization, in plain Go types.
type Organization struct {
	ID           string
	DisplayName  string
	State        State
	RawState     string
	SSOURL       string
	ResourceName string // CRN, ARM resource id or Cloud Foundry resource URL
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DeletedAt    time.Time
	// OfferStatus is the status of the organization's SaaS offer, where it has one
	// (Azure's offerDetail.status).
	OfferStatus string
	// Details holds provider-specific facts worth showing (location, offer status, ...).
	Details map[string]string
}

// ConnectCluster is one Confluent Platform connect cluster registered with Confluent Cloud.
type ConnectCluster struct {
	ID                         string
	Environment                string
	EnvironmentResourceName    string
	ConfluentPlatformClusterID string
	KafkaClusterID             string
	USMKafkaClusterID          string
	Cloud                      string
	Region                     string
}

// Page is one page of a remote list.
type Page[T any] struct {
	Items []T
	// Next is the cursor of the following page, empty on the last page. Providers return
	// it already rebuilt by NextOnList on their configured list, so it is safe to request.
	Next string
	// Total is how many items the remote says the whole list holds, as this page
	// states it (Confluent metadata.total_size, Cloud Foundry total_results); 0 when
	// it says nothing (Azure never does).
	Total int
}

// Provider reads one account's remote lists. A cursor of "" asks for the first page;
// any other cursor is a Page.Next the same provider returned earlier, so a listing can
// stop (say on a rate limit) and resume later at the page that was refused.
type Provider interface {
	OrganizationsPage(ctx context.Context, cursor string) (Page[Organization], error)
	// ConnectClustersPage returns ErrUnsupported for providers without connect clusters.
	ConnectClustersPage(ctx context.Context, environment, cursor string) (Page[ConnectCluster], error)
}

// OrganizationRef names one organization of an account (Azure: its resource group and
// resource name).
type OrganizationRef struct {
	Group string
	Name  string
}

// OrganizationGetter reads organizations one by one by name, for a principal that may
// read given organizations but not list them. Providers that can, implement it.
type OrganizationGetter interface {
	// GetOrganization reads one organization. found is false, with no error, when the
	// remote answers that it is not there.
	GetOrganization(ctx context.Context, ref OrganizationRef) (org Organization, found bool, err error)
}

// ErrUnsupported marks a list a provider does not have.
var ErrUnsupported = errors.New("not supported by this provider")
