package cloudsim

// Provider is one simulated remote service.
type Provider string

const (
	ProviderConfluent    Provider = "confluent"
	ProviderAzure        Provider = "azure"
	ProviderCloudFoundry Provider = "cloudfoundry"
	ProviderNone         Provider = "" // requests to paths the server does not know
)

// Endpoint names one operation the server answers; counters, the request log
// and faults use it.
type Endpoint string

const (
	EndpointConfluentOrganizations   Endpoint = "confluent.organizations"    // GET /partner/v2/organizations
	EndpointConfluentOrganization    Endpoint = "confluent.organization"     // GET /partner/v2/organizations/{id} (an item's metadata.self)
	EndpointConfluentConnectClusters Endpoint = "confluent.connect-clusters" // GET /usm/v1/connect-clusters
	EndpointConfluentToken           Endpoint = "confluent.token"            // POST /oauth2/token
	EndpointConfluentSTSToken        Endpoint = "confluent.sts-token"        // POST /sts/v1/oauth2/token

	EndpointAzureListBySubscription  Endpoint = "azure.list-by-subscription"   // GET /subscriptions/{s}/providers/Microsoft.Confluent/organizations
	EndpointAzureListByResourceGroup Endpoint = "azure.list-by-resource-group" // GET /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Confluent/organizations
	EndpointAzureGet                 Endpoint = "azure.get"                    // GET …/organizations/{name}
	EndpointAzureOpenIDConfig        Endpoint = "azure.openid-configuration"   // GET /{tenant}/v2.0/.well-known/openid-configuration
	EndpointAzureToken               Endpoint = "azure.token"                  // POST /{tenant}/oauth2/v2.0/token

	EndpointCFRoot            Endpoint = "cf.root"             // GET /
	EndpointCFInfo            Endpoint = "cf.v2.info"          // GET /v2/info
	EndpointCFV2Organizations Endpoint = "cf.v2.organizations" // GET /v2/organizations
	EndpointCFV3Organizations Endpoint = "cf.v3.organizations" // GET /v3/organizations
	EndpointCFOther           Endpoint = "cf.other"            // any other /v2 or /v3 path (404)
	EndpointUAAToken          Endpoint = "cf.uaa.token"        // POST /oauth/token

	EndpointUnknown Endpoint = "unknown"
)

// endpoints lists the named endpoints, for messages.
var endpoints = []Endpoint{
	EndpointConfluentOrganizations, EndpointConfluentOrganization, EndpointConfluentConnectClusters, EndpointConfluentToken,
	EndpointConfluentSTSToken, EndpointAzureListBySubscription, EndpointAzureListByResourceGroup, EndpointAzureGet, EndpointAzureOpenIDConfig, EndpointAzureToken,
	EndpointCFRoot, EndpointCFInfo, EndpointCFV2Organizations, EndpointCFV3Organizations, EndpointCFOther, EndpointUAAToken,
}

func endpointNames() []string {
	names := make([]string, len(endpoints))
	for i, e := range endpoints {
		names[i] = string(e)
	}
	return names
}

// Provider returns the provider an endpoint belongs to.
func (e Endpoint) Provider() Provider {
	switch e {
	case EndpointConfluentOrganizations, EndpointConfluentOrganization, EndpointConfluentConnectClusters, EndpointConfluentToken,
		EndpointConfluentSTSToken:
		return ProviderConfluent
	case EndpointAzureListBySubscription, EndpointAzureListByResourceGroup, EndpointAzureGet,
		EndpointAzureOpenIDConfig, EndpointAzureToken:
		return ProviderAzure
	case EndpointCFRoot, EndpointCFInfo, EndpointCFV2Organizations, EndpointCFV3Organizations,
		EndpointCFOther, EndpointUAAToken:
		return ProviderCloudFoundry
	}
	return ProviderNone
}

// IsToken reports whether the endpoint issues tokens or describes how to get them.
func (e Endpoint) IsToken() bool {
	switch e {
	case EndpointConfluentToken, EndpointConfluentSTSToken, EndpointAzureToken, EndpointAzureOpenIDConfig, EndpointUAAToken:
		return true
	}
	return false
}

func (e Endpoint) isList() bool {
	switch e {
	case EndpointConfluentOrganizations, EndpointConfluentConnectClusters,
		EndpointAzureListBySubscription, EndpointAzureListByResourceGroup,
		EndpointCFV2Organizations, EndpointCFV3Organizations:
		return true
	}
	return false
}
