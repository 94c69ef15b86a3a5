package cloudsim

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	cfV2DefaultPerPage = 50
	cfV2MaxPerPage     = 100
)

// Wire shape of GET /v2/organizations (api-reference/cloudfoundry-v2-organizations.txt).

type cfV2List struct {
	TotalResults int             `json:"total_results"`
	TotalPages   int             `json:"total_pages"`
	PrevURL      *string         `json:"prev_url"`
	NextURL      *string         `json:"next_url"`
	Resources    []cfV2OrgResult `json:"resources"`
}

type cfV2OrgResult struct {
	Metadata cfV2Metadata `json:"metadata"`
	Entity   cfV2OrgJSON  `json:"entity"`
}

type cfV2Metadata struct {
	GUID      string `json:"guid"`
	URL       string `json:"url"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

type cfV2OrgJSON struct {
	Name                     string `json:"name"`
	BillingEnabled           bool   `json:"billing_enabled"`
	QuotaDefinitionGUID      string `json:"quota_definition_guid"`
	Status                   string `json:"status"`
	QuotaDefinitionURL       string `json:"quota_definition_url"`
	SpacesURL                string `json:"spaces_url"`
	DomainsURL               string `json:"domains_url"`
	PrivateDomainsURL        string `json:"private_domains_url"`
	UsersURL                 string `json:"users_url"`
	ManagersURL              string `json:"managers_url"`
	BillingManagersURL       string `json:"billing_managers_url"`
	AuditorsURL              string `json:"auditors_url"`
	AppEventsURL             string `json:"app_events_url"`
	SpaceQuotaDefinitionsURL string `json:"space_quota_definitions_url"`
}

func cfV2Org(o CFOrganization) cfV2OrgResult {
	self := "/v2/organizations/" + o.GUID
	return cfV2OrgResult{
		Metadata: cfV2Metadata{GUID: o.GUID, URL: self, CreatedAt: rfc3339(o.CreatedAt), UpdatedAt: rfc3339(o.UpdatedAt)},
		Entity: cfV2OrgJSON{
			Name:                     o.Name,
			BillingEnabled:           o.BillingEnabled,
			QuotaDefinitionGUID:      o.QuotaDefinitionGUID,
			Status:                   o.Status,
			QuotaDefinitionURL:       "/v2/quota_definitions/" + o.QuotaDefinitionGUID,
			SpacesURL:                self + "/spaces",
			DomainsURL:               self + "/domains",
			PrivateDomainsURL:        self + "/private_domains",
			UsersURL:                 self + "/users",
			ManagersURL:              self + "/managers",
			BillingManagersURL:       self + "/billing_managers",
			AuditorsURL:              self + "/auditors",
			AppEventsURL:             self + "/app_events",
			SpaceQuotaDefinitionsURL: self + "/space_quota_definitions",
		},
	}
}

// cfV2Organizations serves GET /v2/organizations. Pages are offsets into the
// filtered, ordered list, as in the Cloud Controller: an item removed between
// two calls shifts the later ones one place forward.
func (s *Server) cfV2Organizations(c *call) {
	c.cfHeaders()
	if !s.cfV2.Load() {
		c.cfV2Fail(http.StatusNotFound, 10000, "CF-NotFound", "Unknown request")
		return
	}
	if !c.cfAdmit(false) {
		return
	}
	q := c.r.URL.Query()
	bad := func(msg string) {
		c.cfV2Fail(http.StatusBadRequest, 1001, "CF-BadQueryParameter", "The query parameter is invalid: "+msg)
	}
	page, err := intParam(q, "page", 1)
	if err != nil || page < 1 {
		bad("page must be greater than 0")
		return
	}
	perPage, err := intParam(q, "results-per-page", cfV2DefaultPerPage)
	if err != nil || perPage < 1 || perPage > cfV2MaxPerPage {
		bad("results_per_page must be between 1 and 100")
		return
	}
	dir := q.Get("order-direction")
	if dir == "" {
		dir = "asc"
	}
	if dir != "asc" && dir != "desc" {
		bad("order_direction must be 'asc' or 'desc'")
		return
	}
	orderBy := q.Get("order-by")
	if orderBy != "" && orderBy != "id" && orderBy != "name" {
		bad("order_by must be 'id' or 'name'")
		return
	}
	conds, err := parseCFQuery(q["q"])
	if err != nil {
		bad(err.Error())
		return
	}
	if !c.gate(page, c.cfV2TooMany, c.cfV2ServerError) {
		return
	}

	matched := s.cfSelect(func(o *CFOrganization) bool { return cfMatches(conds, o) }, orderBy == "name", dir == "desc")
	total := len(matched)
	pages := (total + perPage - 1) / perPage
	link := func(p int) *string {
		v := url.Values{"order-direction": {dir}, "page": {strconv.Itoa(p)}, "results-per-page": {strconv.Itoa(perPage)}}
		if orderBy != "" {
			v.Set("order-by", orderBy)
		}
		if len(q["q"]) > 0 {
			v["q"] = q["q"]
		}
		l := "/v2/organizations?" + v.Encode()
		return &l
	}
	body := cfV2List{TotalResults: total + c.dec.extraTotal, TotalPages: pages, Resources: []cfV2OrgResult{}}
	for _, o := range misbehaveOffset(matched, page, perPage, c.dec) {
		body.Resources = append(body.Resources, cfV2Org(o))
	}
	if page > 1 {
		body.PrevURL = link(page - 1)
	}
	if page < pages {
		body.NextURL = link(page + 1)
	}
	if c.dec.loopTo > 0 {
		body.NextURL = link(c.dec.loopTo)
	}
	if c.dec.foreign != "" {
		if body.NextURL == nil {
			body.NextURL = link(page + 1)
		}
		foreign := c.dec.foreign + *body.NextURL
		body.NextURL = &foreign
	}
	if c.dec.placeholder {
		placeholder := placeholderNext
		body.NextURL = &placeholder
	}
	c.writeJSON(http.StatusOK, cfContentType, body)
}

// cfSelect returns copies of the organizations that keep accepts, in creation
// order or by name, reversed when desc is set.
func (s *Server) cfSelect(keep func(*CFOrganization) bool, byName, desc bool) []CFOrganization {
	var out []CFOrganization
	s.data.cfOrgs.view(func(all []CFOrganization) {
		for i := range all {
			if keep(&all[i]) {
				out = append(out, all[i])
			}
		}
	})
	if byName {
		slices.SortStableFunc(out, func(a, b CFOrganization) int { return strings.Compare(a.Name, b.Name) })
	}
	if desc {
		slices.Reverse(out)
	}
	return out
}

func pageOf[T any](all []T, page, perPage int) []T {
	start := (page - 1) * perPage
	if start >= len(all) {
		return nil
	}
	return all[start:min(start+perPage, len(all))]
}

func intParam(q url.Values, name string, def int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(v)
}
