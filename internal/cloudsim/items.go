package cloudsim

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// ConfluentOrganization is one partner/v2 organization.
type ConfluentOrganization struct {
	ID   string
	Name string
	// SSOURL and SSOTenantID are empty for organizations without Azure SSO;
	// the sso_url and sso_config fields are then left out.
	SSOURL      string
	SSOTenantID string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// DeletedAt is zero unless the organization is deleted or being deleted
	// (a future time); only then is metadata.deleted_at sent.
	DeletedAt time.Time
}

// ConnectCluster is one usm/v1 connect cluster.
type ConnectCluster struct {
	ID                                string
	Environment                       string
	ConfluentPlatformConnectClusterID string
	KafkaClusterID                    string
	USMKafkaClusterID                 string
	Cloud                             string // AWS, GCP or AZURE
	Region                            string
}

// AzureOrganization is one Microsoft.Confluent/organizations resource.
type AzureOrganization struct {
	Name          string
	ResourceGroup string
	Location      string
	// ProvisioningState is one of AzureProvisioningStates.
	ProvisioningState string
	OfferDetail       AzureOfferDetail
	OrganizationID    string
	SSOURL            string
	CreatedTime       time.Time
	// UserDetail is personal data; set on some items so clients can be checked never to copy it.
	UserDetail *AzureUserDetail
	// LinkOrganizationToken, when set, is sent as properties.linkOrganization.token.
	LinkOrganizationToken string
	SystemData            AzureSystemData
	Tags                  map[string]string
}

// AzureOfferDetail is properties.offerDetail.
type AzureOfferDetail struct {
	ID, PlanID, PlanName, PrivateOfferID string
	PrivateOfferIDs                      []string
	PublisherID                          string
	// Status is one of AzureOfferStatuses.
	Status           string
	TermID, TermUnit string
}

// AzureUserDetail is properties.userDetail.
type AzureUserDetail struct {
	AADEmail, EmailAddress, FirstName, LastName, UserPrincipalName string
}

// AzureSystemData is the ARM systemData block.
type AzureSystemData struct {
	CreatedAt          time.Time
	CreatedBy          string
	CreatedByType      string
	LastModifiedAt     time.Time
	LastModifiedBy     string
	LastModifiedByType string
}

// CFOrganization is one Cloud Foundry organization.
type CFOrganization struct {
	GUID                string
	Name                string
	Status              string // "active" or "suspended"
	BillingEnabled      bool
	QuotaDefinitionGUID string
	CreatedAt           time.Time
	UpdatedAt           time.Time
	Labels              map[string]string
	Annotations         map[string]string
}

// AzureProvisioningStates are the documented ProvisionState values.
var AzureProvisioningStates = []string{
	"Accepted", "Creating", "Updating", "Deleting", "Succeeded", "Failed", "Canceled", "Deleted", "NotSpecified",
}

// AzureOfferStatuses are the documented SaaSOfferStatus values.
var AzureOfferStatuses = []string{
	"Started", "PendingFulfillmentStart", "InProgress", "Subscribed", "Suspended",
	"Reinstated", "Succeeded", "Failed", "Unsubscribed", "Updating",
}

func newConfluentOrgs() *Collection[ConfluentOrganization] {
	c := newCollection(func(o *ConfluentOrganization) string { return o.ID }, true)
	c.touch = func(o *ConfluentOrganization, now time.Time) { o.UpdatedAt = now }
	c.prepare = func(o *ConfluentOrganization, now time.Time) {
		if o.ID == "" {
			o.ID = newUUID()
		}
		fillTimes(&o.CreatedAt, &o.UpdatedAt, now)
	}
	return c
}

func newConnectClusters() *Collection[ConnectCluster] {
	c := newCollection(func(cc *ConnectCluster) string { return cc.ID }, true)
	c.prepare = func(cc *ConnectCluster, _ time.Time) {
		if cc.ID == "" {
			cc.ID = "usmcc-" + randomHex(5)
		}
	}
	return c
}

// AzureKey is the key of an Azure organization in its subscription's collection.
func AzureKey(resourceGroup, name string) string {
	return strings.ToLower(resourceGroup + "/" + name)
}

func newAzureOrgs() *Collection[AzureOrganization] {
	c := newCollection(func(o *AzureOrganization) string { return AzureKey(o.ResourceGroup, o.Name) }, true)
	c.norm = lowerKey
	c.touch = func(o *AzureOrganization, now time.Time) { o.SystemData.LastModifiedAt = now }
	c.prepare = func(o *AzureOrganization, now time.Time) {
		if o.OrganizationID == "" {
			o.OrganizationID = newUUID()
		}
		if o.ProvisioningState == "" {
			o.ProvisioningState = "Succeeded"
		}
		fillTimes(&o.CreatedTime, &o.SystemData.CreatedAt, now)
		fillTimes(&o.SystemData.CreatedAt, &o.SystemData.LastModifiedAt, now)
	}
	c.clone = func(o AzureOrganization) AzureOrganization {
		o.Tags = maps.Clone(o.Tags)
		o.OfferDetail.PrivateOfferIDs = slices.Clone(o.OfferDetail.PrivateOfferIDs)
		if o.UserDetail != nil {
			u := *o.UserDetail
			o.UserDetail = &u
		}
		return o
	}
	return c
}

func newCFOrgs() *Collection[CFOrganization] {
	// Cloud Controller orders by its database id, that is by creation.
	c := newCollection(func(o *CFOrganization) string { return o.GUID }, false)
	c.touch = func(o *CFOrganization, now time.Time) { o.UpdatedAt = now }
	c.prepare = func(o *CFOrganization, now time.Time) {
		if o.GUID == "" {
			o.GUID = newUUID()
		}
		if o.Status == "" {
			o.Status = "active"
		}
		fillTimes(&o.CreatedAt, &o.UpdatedAt, now)
	}
	c.clone = func(o CFOrganization) CFOrganization {
		o.Labels = maps.Clone(o.Labels)
		o.Annotations = maps.Clone(o.Annotations)
		return o
	}
	return c
}

// fillTimes sets zero creation and update times to now.
func fillTimes(created, updated *time.Time, now time.Time) {
	if created.IsZero() {
		*created = now
	}
	if updated.IsZero() {
		*updated = *created
	}
}
