package cloudsim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Wire shapes of ARM Microsoft.Confluent/organizations (api-reference/azure-confluent-organization-get.txt).

type armList struct {
	Value    []armOrganization `json:"value"`
	NextLink string            `json:"nextLink,omitempty"`
}

type armOrganization struct {
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Location   string            `json:"location"`
	Properties armOrgProperties  `json:"properties"`
	SystemData armSystemData     `json:"systemData"`
	Tags       map[string]string `json:"tags,omitempty"`
}

type armOrgProperties struct {
	CreatedTime       string               `json:"createdTime"`
	LinkOrganization  *armLinkOrganization `json:"linkOrganization,omitempty"`
	OfferDetail       armOfferDetail       `json:"offerDetail"`
	OrganizationID    string               `json:"organizationId"`
	ProvisioningState string               `json:"provisioningState"`
	SSOURL            string               `json:"ssoUrl"`
	UserDetail        *armUserDetail       `json:"userDetail,omitempty"`
}

type armLinkOrganization struct {
	Token string `json:"token"`
}

type armOfferDetail struct {
	ID              string   `json:"id"`
	PlanID          string   `json:"planId"`
	PlanName        string   `json:"planName"`
	PrivateOfferID  string   `json:"privateOfferId,omitempty"`
	PrivateOfferIDs []string `json:"privateOfferIds,omitempty"`
	PublisherID     string   `json:"publisherId"`
	Status          string   `json:"status"`
	TermID          string   `json:"termId,omitempty"`
	TermUnit        string   `json:"termUnit"`
}

type armUserDetail struct {
	AADEmail          string `json:"aadEmail"`
	EmailAddress      string `json:"emailAddress"`
	FirstName         string `json:"firstName"`
	LastName          string `json:"lastName"`
	UserPrincipalName string `json:"userPrincipalName"`
}

type armSystemData struct {
	CreatedAt          string `json:"createdAt"`
	CreatedBy          string `json:"createdBy"`
	CreatedByType      string `json:"createdByType"`
	LastModifiedAt     string `json:"lastModifiedAt"`
	LastModifiedBy     string `json:"lastModifiedBy"`
	LastModifiedByType string `json:"lastModifiedByType"`
}

type armErrorResponse struct {
	Error armErrorBody `json:"error"`
}

type armErrorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Target  string         `json:"target,omitempty"`
	Details []armErrorBody `json:"details,omitempty"`
}

// armTime is ARM's date-time form, as in the document's example (2020-05-09T14:28:47.284Z).
func armTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func armOrgJSON(sub string, o AzureOrganization) armOrganization {
	out := armOrganization{
		Name:     o.Name,
		Type:     "Microsoft.Confluent/organizations",
		ID:       "/subscriptions/" + strings.ToLower(sub) + "/resourceGroups/" + o.ResourceGroup + "/providers/Microsoft.Confluent/organizations/" + o.Name,
		Location: o.Location,
		Properties: armOrgProperties{
			CreatedTime: armTime(o.CreatedTime),
			OfferDetail: armOfferDetail{
				ID: o.OfferDetail.ID, PlanID: o.OfferDetail.PlanID, PlanName: o.OfferDetail.PlanName,
				PrivateOfferID: o.OfferDetail.PrivateOfferID, PrivateOfferIDs: o.OfferDetail.PrivateOfferIDs,
				PublisherID: o.OfferDetail.PublisherID, Status: o.OfferDetail.Status,
				TermID: o.OfferDetail.TermID, TermUnit: o.OfferDetail.TermUnit,
			},
			OrganizationID:    o.OrganizationID,
			ProvisioningState: o.ProvisioningState,
			SSOURL:            o.SSOURL,
		},
		SystemData: armSystemData{
			CreatedAt: armTime(o.SystemData.CreatedAt), CreatedBy: o.SystemData.CreatedBy,
			CreatedByType:  o.SystemData.CreatedByType,
			LastModifiedAt: armTime(o.SystemData.LastModifiedAt), LastModifiedBy: o.SystemData.LastModifiedBy,
			LastModifiedByType: o.SystemData.LastModifiedByType,
		},
		Tags: o.Tags,
	}
	if u := o.UserDetail; u != nil {
		out.Properties.UserDetail = &armUserDetail{u.AADEmail, u.EmailAddress, u.FirstName, u.LastName, u.UserPrincipalName}
	}
	if o.LinkOrganizationToken != "" {
		out.Properties.LinkOrganization = &armLinkOrganization{Token: o.LinkOrganizationToken}
	}
	return out
}

func (c *call) armFail(status int, code, message string) {
	c.writeJSON(status, "application/json; charset=utf-8", armErrorResponse{Error: armErrorBody{Code: code, Message: message}})
}

// armUnauthorized answers 401 with the challenge ARM sends.
func (c *call) armUnauthorized(code, message string) {
	c.w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+c.origin()+`/`+c.s.cfg.Azure.Credentials[0].TenantID+
		`", error="invalid_token", error_description="`+message+`"`)
	c.armFail(http.StatusUnauthorized, code, message)
}

func (c *call) armThrottled(code string, wait time.Duration, message string) {
	c.w.Header().Set("Retry-After", strconv.Itoa(secondsUntil(time.Now().Add(wait), time.Now())))
	c.armFail(http.StatusTooManyRequests, code, message)
}

func (c *call) armServerError(status int) {
	c.armFail(status, "InternalServerError",
		"Encountered internal server error. Diagnostic information: timestamp '"+armTime(time.Now())+
			"', tracking id '"+newUUID()+"'.")
}
