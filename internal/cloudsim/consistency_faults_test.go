package cloudsim

import (
	"net/http"
	"testing"
)

// distinct counts the distinct ids of a listing and how many were repeated.
func distinct(ids []string) (unique, repeated int) {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			repeated++
			continue
		}
		seen[id] = true
	}
	return len(seen), repeated
}

func TestFaultShortPageLosesAnItem(t *testing.T) {
	s := start(t, Config{Confluent: ConfluentConfig{Organizations: 30}})
	s.AddFault(Fault{Kind: FaultShortPage, Endpoint: EndpointConfluentOrganizations, Page: 2, Times: 1})
	ids, pages := listConfluent(t, s, s.URL()+orgsPage, confluentToken)
	if unique, repeated := distinct(ids); unique != 29 || repeated != 0 || pages != 3 {
		t.Errorf("listed %d distinct (%d repeated) in %d pages, want 29, 0, 3", unique, repeated, pages)
	}
	first := get(t, s, orgsPage, confluentToken).want(t, http.StatusOK)
	if total := first.path("metadata.total_size"); total != float64(30) {
		t.Errorf("total_size = %v, want the true 30", total)
	}
}

func TestFaultWrongTotal(t *testing.T) {
	s := start(t, Config{Confluent: ConfluentConfig{Organizations: 30}, CloudFoundry: CloudFoundryConfig{Organizations: 30}})
	s.AddFault(Fault{Kind: FaultWrongTotal, ExtraTotal: 4})
	if got := get(t, s, orgsPage, confluentToken).want(t, http.StatusOK).path("metadata.total_size"); got != float64(34) {
		t.Errorf("confluent total_size = %v, want 34", got)
	}
	if got := get(t, s, "/v2/organizations", cfToken).want(t, http.StatusOK).path("total_results"); got != float64(34) {
		t.Errorf("cf v2 total_results = %v, want 34", got)
	}
	if got := get(t, s, "/v3/organizations", cfToken).want(t, http.StatusOK).path("pagination.total_results"); got != float64(34) {
		t.Errorf("cf v3 total_results = %v, want 34", got)
	}
}

func TestFaultDuplicateRepeatsThePreviousPagesLastItem(t *testing.T) {
	s := start(t, Config{Confluent: ConfluentConfig{Organizations: 30}, CloudFoundry: CloudFoundryConfig{Organizations: 30}})
	s.AddFault(Fault{Kind: FaultDuplicate, Endpoint: EndpointConfluentOrganizations, Page: 2, Times: 1})
	ids, _ := listConfluent(t, s, s.URL()+orgsPage, confluentToken)
	if unique, repeated := distinct(ids); unique != 30 || repeated != 1 || ids[10] != ids[9] {
		t.Errorf("listed %d distinct, %d repeated; ids[9], ids[10] = %s, %s", unique, repeated, ids[9], ids[10])
	}

	s.AddFault(Fault{Kind: FaultDuplicate, Endpoint: EndpointCFV3Organizations, Page: 2, Times: 1})
	one := get(t, s, "/v3/organizations?per_page=10&page=1", cfToken).want(t, http.StatusOK).list("resources")
	two := get(t, s, "/v3/organizations?per_page=10&page=2", cfToken).want(t, http.StatusOK).list("resources")
	last, first := one[len(one)-1].(map[string]any)["guid"], two[0].(map[string]any)["guid"]
	if last != first || len(two) != 11 {
		t.Errorf("cf v3 page 2 starts with %v (page 1 ended with %v) and holds %d items, want a repeat and 11", first, last, len(two))
	}
}

func TestFaultNotFoundAnswersAnAzureGet(t *testing.T) {
	s := start(t, Config{})
	item := subPath + "/resourceGroups/orgsync-rg-1" + orgsPath + "/confluent-org-00000" + apiSuffix
	s.AddFault(Fault{Kind: FaultNotFound, Endpoint: EndpointAzureGet, Times: 1})
	r := get(t, s, item, azureToken).want(t, http.StatusNotFound)
	if code := r.str("error.code"); code != "ResourceNotFound" {
		t.Errorf("error.code = %q, want ResourceNotFound", code)
	}
	get(t, s, item, azureToken).want(t, http.StatusOK)
}

func TestFaultNotFoundDefaultsToTheAzureGet(t *testing.T) {
	s := start(t, Config{})
	id := s.AddFault(Fault{Kind: FaultNotFound, Times: 1})
	get(t, s, subPath+orgsPath+apiSuffix, azureToken).want(t, http.StatusOK)
	get(t, s, subPath+"/resourceGroups/orgsync-rg-1"+orgsPath+"/confluent-org-00000"+apiSuffix, azureToken).want(t, http.StatusNotFound)
	if s.FaultFired(id) != 1 {
		t.Errorf("fired %d times, want once, on the Get", s.FaultFired(id))
	}
}
