package cloudfoundry

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/orgsync/orgsync/internal/cloud"
)

// The Resources fields are pointers so that a body without them is told apart from an
// empty page: `{}` must never read as "no organizations".

type v2Page struct {
	NextURL      *string  `json:"next_url"`
	TotalResults int      `json:"total_results"`
	Resources    *[]v2Org `json:"resources"`
}

type v2Org struct {
	Metadata struct {
		GUID      string          `json:"guid"`
		URL       string          `json:"url"`
		CreatedAt cloud.Timestamp `json:"created_at"`
		UpdatedAt cloud.Timestamp `json:"updated_at"`
	} `json:"metadata"`
	Entity struct {
		Name                string `json:"name"`
		Status              string `json:"status"`
		BillingEnabled      *bool  `json:"billing_enabled"`
		QuotaDefinitionGUID string `json:"quota_definition_guid"`
	} `json:"entity"`
}

type v3Page struct {
	Pagination struct {
		TotalResults int `json:"total_results"`
		Next         *struct {
			Href string `json:"href"`
		} `json:"next"`
	} `json:"pagination"`
	Resources *[]v3Org `json:"resources"`
}

type v3Org struct {
	GUID          string          `json:"guid"`
	Name          string          `json:"name"`
	Suspended     bool            `json:"suspended"` // absent before v3 had it: not suspended
	CreatedAt     cloud.Timestamp `json:"created_at"`
	UpdatedAt     cloud.Timestamp `json:"updated_at"`
	Relationships struct {
		Quota struct {
			Data *struct {
				GUID string `json:"guid"`
			} `json:"data"`
		} `json:"quota"`
	} `json:"relationships"`
	Links struct {
		Self struct {
			Href string `json:"href"`
		} `json:"self"`
	} `json:"links"`
}

// The parameters that carry each version's place in its next links; the page size is
// read too, since a page number counts pages of that size.
var (
	v2Cursor = cloud.Cursor{Key: "page", Extra: []string{"results-per-page"}}
	v3Cursor = cloud.Cursor{Key: "page", Extra: []string{"per_page"}}
)

// decodeV2Page decodes a GET /v2/organizations page whose first page is list; the
// next page is list at next_url's page.
func decodeV2Page(body []byte, list *url.URL) (cloud.Page[cloud.Organization], error) {
	var p v2Page
	if err := json.Unmarshal(body, &p); err != nil {
		return cloud.Page[cloud.Organization]{}, cloud.Malformed("%v", err)
	}
	if p.Resources == nil {
		return cloud.Page[cloud.Organization]{}, cloud.Malformed("no resources array")
	}
	items := make([]cloud.Organization, 0, len(*p.Resources))
	for i, o := range *p.Resources {
		if o.Metadata.GUID == "" {
			return cloud.Page[cloud.Organization]{}, cloud.Malformed("organization %d has no guid", i)
		}
		details := map[string]string{}
		if o.Entity.BillingEnabled != nil {
			details["billingEnabled"] = strconv.FormatBool(*o.Entity.BillingEnabled)
		}
		items = append(items, organization(o.Metadata.GUID, o.Entity.Name, o.Entity.Status, o.Metadata.URL,
			o.Metadata.CreatedAt, o.Metadata.UpdatedAt, o.Entity.QuotaDefinitionGUID, details))
	}
	next, err := nextLink(p.NextURL, list, v2Cursor)
	return cloud.Page[cloud.Organization]{Items: items, Next: next, Total: p.TotalResults}, err
}

// decodeV3Page decodes a GET /v3/organizations page whose first page is list.
func decodeV3Page(body []byte, list *url.URL) (cloud.Page[cloud.Organization], error) {
	var p v3Page
	if err := json.Unmarshal(body, &p); err != nil {
		return cloud.Page[cloud.Organization]{}, cloud.Malformed("%v", err)
	}
	if p.Resources == nil {
		return cloud.Page[cloud.Organization]{}, cloud.Malformed("no resources array")
	}
	items := make([]cloud.Organization, 0, len(*p.Resources))
	for i, o := range *p.Resources {
		if o.GUID == "" {
			return cloud.Page[cloud.Organization]{}, cloud.Malformed("organization %d has no guid", i)
		}
		// v3 replaced v2's status with a flag; RawState keeps v2's words for it.
		raw := "active"
		if o.Suspended {
			raw = "suspended"
		}
		var quota string
		if o.Relationships.Quota.Data != nil {
			quota = o.Relationships.Quota.Data.GUID
		}
		items = append(items, organization(o.GUID, o.Name, raw, o.Links.Self.Href, o.CreatedAt, o.UpdatedAt, quota, map[string]string{}))
	}
	var next *string
	if p.Pagination.Next != nil {
		next = &p.Pagination.Next.Href
	}
	link, err := nextLink(next, list, v3Cursor)
	return cloud.Page[cloud.Organization]{Items: items, Next: link, Total: p.Pagination.TotalResults}, err
}

func organization(guid, name, raw, resource string, created, updated cloud.Timestamp, quota string, details map[string]string) cloud.Organization {
	if quota != "" {
		details["quotaDefinitionGUID"] = quota
	}
	if len(details) == 0 {
		details = nil
	}
	return cloud.Organization{
		ID: guid, DisplayName: name, State: stateOf(raw), RawState: raw, ResourceName: resource,
		CreatedAt: created.Time, UpdatedAt: updated.Time, Details: details,
	}
}

// stateOf normalizes Cloud Foundry's organization status (PRODUCT.md).
func stateOf(raw string) cloud.State {
	switch raw {
	case "active":
		return cloud.StateSucceeded
	case "suspended":
		return cloud.StateSuspended
	default:
		return cloud.StateUnknown
	}
}

// nextLink is the request for the page a next link names, on list; nil or "" ends
// the list.
func nextLink(next *string, list *url.URL, cur cloud.Cursor) (string, error) {
	if next == nil || *next == "" {
		return "", nil
	}
	return cloud.NextOnList(list, *next, cur)
}

// errorDetail reads the three error shapes a foundation answers with: v3
// {"errors":[{code,title,detail}]}, v2 {description,error_code,code} and UAA's
// {error,error_description}. Fields of the wrong type are skipped, not fatal.
func errorDetail(body []byte) (code, message string) {
	var e struct {
		Errors []struct {
			Code   any    `json:"code"`
			Title  string `json:"title"`
			Detail string `json:"detail"`
		} `json:"errors"`
		Description      string `json:"description"`
		ErrorCode        string `json:"error_code"`
		Code             any    `json:"code"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &e) // partial decodes are still useful
	switch {
	case len(e.Errors) > 0:
		first := e.Errors[0]
		code = first.Title // v3 titles are the CF-... names; codes are numbers
		if code == "" && first.Code != nil {
			code = fmt.Sprint(first.Code)
		}
		message = first.Detail
	case e.ErrorCode != "" || e.Description != "":
		code, message = e.ErrorCode, e.Description
		if code == "" && e.Code != nil {
			code = fmt.Sprint(e.Code)
		}
	case e.Error != "" || e.ErrorDescription != "":
		code, message = e.Error, e.ErrorDescription
	}
	return code, cloud.TruncateMessage(message)
}
