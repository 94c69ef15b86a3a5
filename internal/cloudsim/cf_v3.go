package cloudsim

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

const (
	cfV3DefaultPerPage = 50
	cfV3MaxPerPage     = 5000
)

type cfV3List struct {
	Pagination cfV3Pagination `json:"pagination"`
	Resources  []cfV3Org      `json:"resources"`
}

type cfV3Pagination struct {
	TotalResults int     `json:"total_results"`
	TotalPages   int     `json:"total_pages"`
	First        cfHref  `json:"first"`
	Last         cfHref  `json:"last"`
	Next         *cfHref `json:"next"`
	Previous     *cfHref `json:"previous"`
}

type cfHref struct {
	Href string `json:"href"`
}

type cfV3Org struct {
	GUID          string            `json:"guid"`
	CreatedAt     string            `json:"created_at"`
	UpdatedAt     string            `json:"updated_at"`
	Name          string            `json:"name"`
	Suspended     bool              `json:"suspended"`
	Relationships cfV3Relationships `json:"relationships"`
	Metadata      cfV3Metadata      `json:"metadata"`
	Links         map[string]cfHref `json:"links"`
}

type cfV3Relationships struct {
	Quota struct {
		Data struct {
			GUID string `json:"guid"`
		} `json:"data"`
	} `json:"quota"`
}

type cfV3Metadata struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

func (c *call) cfV3OrgJSON(o CFOrganization) cfV3Org {
	self := c.linkOrigin() + "/v3/organizations/" + o.GUID
	out := cfV3Org{
		GUID: o.GUID, CreatedAt: rfc3339(o.CreatedAt), UpdatedAt: rfc3339(o.UpdatedAt),
		Name: o.Name, Suspended: o.Status == "suspended",
		Metadata: cfV3Metadata{Labels: o.Labels, Annotations: o.Annotations},
		Links: map[string]cfHref{
			"self":           {self},
			"domains":        {self + "/domains"},
			"default_domain": {self + "/domains/default"},
			"quota":          {c.linkOrigin() + "/v3/organization_quotas/" + o.QuotaDefinitionGUID},
		},
	}
	if out.Metadata.Labels == nil {
		out.Metadata.Labels = map[string]string{}
	}
	if out.Metadata.Annotations == nil {
		out.Metadata.Annotations = map[string]string{}
	}
	out.Relationships.Quota.Data.GUID = o.QuotaDefinitionGUID
	return out
}

var cfV3Params = []string{"names", "guids", "order_by", "page", "per_page"}

// cfV3Organizations serves GET /v3/organizations (page numbers, absolute hrefs).
func (s *Server) cfV3Organizations(c *call) {
	c.cfHeaders()
	if !c.cfAdmit(true) {
		return
	}
	q := c.r.URL.Query()
	bad := func(detail string) { c.cfV3Fail(http.StatusBadRequest, 10005, "CF-BadQueryParameter", detail) }
	var unknown []string
	for k := range q {
		if !slices.Contains(cfV3Params, k) {
			unknown = append(unknown, "'"+k+"'")
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		bad("Unknown query parameter(s): " + strings.Join(unknown, ", ") + ". Valid parameters are: '" + strings.Join(cfV3Params, "', '") + "'")
		return
	}
	page, err := intParam(q, "page", 1)
	if err != nil || page < 1 {
		bad("Page must be greater than 0")
		return
	}
	perPage, err := intParam(q, "per_page", cfV3DefaultPerPage)
	if err != nil || perPage < 1 || perPage > cfV3MaxPerPage {
		bad("Per page must be between 1 and 5000")
		return
	}
	orderBy := q.Get("order_by")
	field := strings.TrimPrefix(orderBy, "-")
	if orderBy != "" && field != "created_at" && field != "updated_at" && field != "name" {
		bad("Order by can only be: 'created_at', 'updated_at', 'name'")
		return
	}
	names, guids := splitList(q.Get("names")), splitList(q.Get("guids"))
	if !c.gate(page, c.cfV3TooMany, c.cfV3ServerError) {
		return
	}

	keep := func(o *CFOrganization) bool {
		return (names == nil || slices.Contains(names, o.Name)) && (guids == nil || slices.Contains(guids, o.GUID))
	}
	matched := s.cfSelect(keep, false, false)
	switch field {
	case "name":
		slices.SortStableFunc(matched, func(a, b CFOrganization) int { return strings.Compare(a.Name, b.Name) })
	case "updated_at":
		slices.SortStableFunc(matched, func(a, b CFOrganization) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	}
	if strings.HasPrefix(orderBy, "-") {
		slices.Reverse(matched)
	}
	total := len(matched)
	pages := max(1, (total+perPage-1)/perPage)
	link := func(p int) cfHref {
		v := url.Values{"page": {strconv.Itoa(p)}, "per_page": {strconv.Itoa(perPage)}}
		for _, k := range []string{"names", "guids", "order_by"} {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		return cfHref{c.linkOrigin() + "/v3/organizations?" + v.Encode()}
	}
	body := cfV3List{
		Pagination: cfV3Pagination{TotalResults: total + c.dec.extraTotal, TotalPages: pages, First: link(1), Last: link(pages)},
		Resources:  []cfV3Org{},
	}
	for _, o := range misbehaveOffset(matched, page, perPage, c.dec) {
		body.Resources = append(body.Resources, c.cfV3OrgJSON(o))
	}
	if page > 1 {
		prev := link(page - 1)
		body.Pagination.Previous = &prev
	}
	if page < pages {
		next := link(page + 1)
		body.Pagination.Next = &next
	}
	if c.dec.loopTo > 0 {
		next := link(c.dec.loopTo)
		body.Pagination.Next = &next
	}
	if c.dec.foreign != "" {
		if body.Pagination.Next == nil {
			next := link(page + 1)
			body.Pagination.Next = &next
		}
		body.Pagination.Next.Href = replaceOrigin(body.Pagination.Next.Href, c.dec.foreign)
	}
	if c.dec.placeholder {
		body.Pagination.Next = &cfHref{placeholderNext}
	}
	c.writeJSON(http.StatusOK, cfContentType, body)
}

// splitList splits a comma-separated filter; nil when the filter is absent.
func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}
