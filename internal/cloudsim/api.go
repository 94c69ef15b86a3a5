package cloudsim

import "strings"

// The Go API tests use to shape the simulated world while it serves.

// ConfluentOrganizations returns the partner/v2 organization list.
func (s *Server) ConfluentOrganizations() *Collection[ConfluentOrganization] {
	return s.data.confluentOrgs
}

// ConnectClusters returns the connect clusters of an environment, creating
// the environment if it does not exist.
func (s *Server) ConnectClusters(environment string) *Collection[ConnectCluster] {
	return s.data.connectClusters(environment)
}

// AzureOrganizations returns the organizations of a subscription (keyed by
// AzureKey(resourceGroup, name)), creating the subscription if it does not exist.
// A resource group exists while it was configured or holds an organization.
func (s *Server) AzureOrganizations(subscription string) *Collection[AzureOrganization] {
	return s.data.azureOrgs(subscription)
}

// CFOrganizations returns the Cloud Foundry organizations, in creation order.
func (s *Server) CFOrganizations() *Collection[CFOrganization] {
	return s.data.cfOrgs
}

// AddFault activates a fault and returns its id.
func (s *Server) AddFault(f Fault) FaultID { return s.faults.add(f) }

// RemoveFault deactivates a fault.
func (s *Server) RemoveFault(id FaultID) { s.faults.remove(id) }

// ClearFaults deactivates every fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// FaultFired returns how many requests a fault has affected.
func (s *Server) FaultFired(id FaultID) int { return s.faults.firedCount(id) }

// SetAzurePageSize changes ARM's page size (values below 1 are ignored).
func (s *Server) SetAzurePageSize(n int) {
	if n > 0 {
		s.azurePageSize.Store(int64(n))
	}
}

// SetExternalURL makes the lists build their links (Cloud Foundry v3 pagination and
// resource hrefs, Confluent metadata.next and self links, ARM nextLink) on origin,
// as a Cloud Controller builds them from its configured external domain whatever
// host it was reached by. The Cloud Foundry API root and /v2/info name UAA there too,
// as a Cloud Controller names its configured UAA; the token endpoints themselves
// answer wherever they are reached. "" returns to the default (Config.PublicURL, else the
// request's own origin).
func (s *Server) SetExternalURL(origin string) {
	if origin == "" {
		s.externalURL.Store(nil)
		return
	}
	origin = strings.TrimSuffix(origin, "/")
	s.externalURL.Store(&origin)
}

// ExpireTokens invalidates every token the token endpoints issued so far (static
// tokens from the configuration stay valid); clients must fetch new ones.
func (s *Server) ExpireTokens() { s.tokens.expireAll() }
