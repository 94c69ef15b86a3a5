package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/confluent/armconfluent"

	"github.com/orgsync/orgsync/internal/cloud"
)

const maxMessage = 512

// decodeList decodes one page with armconfluent's own serde. Decode errors are reported
// without their text: the SDK's messages can quote field values, and the page holds
// personal data (userDetail).
func decodeList(body []byte) (armconfluent.OrganizationResourceListResult, error) {
	var list armconfluent.OrganizationResourceListResult
	if err := json.Unmarshal(body, &list); err != nil {
		msg := "malformed organization list"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			msg += fmt.Sprintf(" (syntax error at byte %d)", se.Offset)
		} else if len(body) == 0 || errors.Is(err, io.ErrUnexpectedEOF) {
			msg += " (truncated)"
		}
		return list, &cloud.APIError{Kind: cloud.ErrTransient, Status: http.StatusOK, Message: msg}
	}
	if list.Value == nil {
		// An empty list is "value": []; no value at all is not a list, and reading it as
		// one would make a complete, empty listing that prunes every mirror.
		return list, &cloud.APIError{Kind: cloud.ErrTransient, Status: http.StatusOK, Message: "malformed organization list (no value)"}
	}
	return list, nil
}

func (c *Client) organizations(values []*armconfluent.OrganizationResource) ([]cloud.Organization, error) {
	out := make([]cloud.Organization, 0, len(values))
	for i, r := range values {
		o, err := c.organization(r)
		if err != nil {
			return nil, fmt.Errorf("organization %d on the page: %w", i, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// organization maps a resource, copying only what is listed below: never userDetail
// (personal data) nor linkOrganization (a token).
//
// ID is "<resource group>/<name>", lowercased. Within one subscription (one account)
// that pair is unique, where the name alone is not: two resource groups can each hold
// an organization of the same name. ARM names are case-insensitive and ARM is known to
// return one resource group in varying case, so lowercasing keeps the mirror's name
// stable. The subscription is left out because every item must be in the account's
// own (checked here), and listing by subscription or by resource group gives the same
// IDs. The exact ARM id is kept in ResourceName.
func (c *Client) organization(r *armconfluent.OrganizationResource) (cloud.Organization, error) {
	if r == nil || r.ID == nil {
		return cloud.Organization{}, fmt.Errorf("%w: an item without an ARM id", cloud.ErrUnsafe)
	}
	rid, err := arm.ParseResourceID(*r.ID)
	if err != nil || rid.ResourceGroupName == "" || rid.Name == "" ||
		!strings.EqualFold(rid.ResourceType.String(), "Microsoft.Confluent/organizations") {
		return cloud.Organization{}, fmt.Errorf("%w: an item whose id is not a Microsoft.Confluent organization", cloud.ErrUnsafe)
	}
	if !strings.EqualFold(rid.SubscriptionID, c.subscription) ||
		(c.resourceGroup != "" && !strings.EqualFold(rid.ResourceGroupName, c.resourceGroup)) {
		return cloud.Organization{}, fmt.Errorf("%w: an item from outside the listed scope", cloud.ErrUnsafe)
	}

	o := cloud.Organization{
		ID:           strings.ToLower(rid.ResourceGroupName + "/" + rid.Name),
		DisplayName:  rid.Name,
		ResourceName: *r.ID,
		State:        cloud.StateUnknown,
		Details:      map[string]string{"resourceGroup": rid.ResourceGroupName},
	}
	if r.Name != nil && *r.Name != "" {
		o.DisplayName = *r.Name
	}
	setDetail(o.Details, "location", r.Location)
	if p := r.Properties; p != nil {
		if p.ProvisioningState != nil {
			o.RawState = string(*p.ProvisioningState)
			o.State = state(o.RawState)
		}
		o.SSOURL = deref(p.SsoURL)
		o.CreatedAt = utc(p.CreatedTime)
		setDetail(o.Details, "organizationID", p.OrganizationID)
		if d := p.OfferDetail; d != nil {
			if d.Status != nil {
				o.OfferStatus = string(*d.Status)
				setDetail(o.Details, "offerStatus", (*string)(d.Status))
			}
			setDetail(o.Details, "offerPlanID", d.PlanID)
		}
	}
	if s := r.SystemData; s != nil {
		if o.CreatedAt.IsZero() {
			o.CreatedAt = utc(s.CreatedAt)
		}
		o.UpdatedAt = utc(s.LastModifiedAt)
	}
	for k, v := range r.Tags {
		o.Details["tag."+k] = deref(v)
	}
	return o, nil
}

// state keeps Azure's own value, as the SDK spells it; NotSpecified, empty and
// unknown values are Unknown.
func state(raw string) cloud.State {
	for _, s := range armconfluent.PossibleProvisionStateValues() {
		if s != armconfluent.ProvisionStateNotSpecified && strings.EqualFold(raw, string(s)) {
			return cloud.State(s)
		}
	}
	return cloud.StateUnknown
}

func setDetail(m map[string]string, k string, v *string) {
	if v != nil && *v != "" {
		m[k] = *v
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// classify turns a pipeline error into the typed errors of package cloud.
func (c *Client) classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if oe, ok := cloud.AsOriginError(err); ok {
		return oe // not the *url.Error around it, which quotes the skip token
	}
	var re *azcore.ResponseError
	var afe *azidentity.AuthenticationFailedError
	switch {
	case errors.As(err, &re):
		return c.responseError(re)
	case errors.Is(err, cloud.ErrUnsafe):
		return err
	case errors.As(err, &afe):
		if oe := c.tokenRefused.Swap(nil); oe != nil {
			return oe // azidentity kept only its text
		}
		return c.tokenError(afe)
	case errors.Is(err, context.DeadlineExceeded):
		return &cloud.APIError{Kind: cloud.ErrTransient, Message: "request timed out"}
	}
	// Transport errors name the URL and what answered on it: said in words, logged in full.
	return &cloud.APIError{Kind: cloud.ErrTransient, Message: "listing organizations: " + cloud.ConnectionFailure(ctx, "Resource Manager request", nil, err)}
}

func (c *Client) responseError(re *azcore.ResponseError) error {
	status := re.StatusCode
	var h http.Header
	if re.RawResponse != nil {
		h = re.RawResponse.Header
	}
	switch {
	case status == http.StatusTooManyRequests:
		now := time.Now()
		f, _ := figures(h, now)
		return c.budget.Throttled(cloud.WaitFor(h, f, now), f)
	case status >= 300 && status < 400:
		return fmt.Errorf("%w: redirect (HTTP %d) refused", cloud.ErrUnsafe, status)
	}
	code, msg := armError(re.RawResponse)
	if re.ErrorCode != "" {
		code = re.ErrorCode
	}
	return &cloud.APIError{Kind: cloud.KindForStatus(status), Status: status, Code: code, Message: msg}
}

// armError reads Resource Manager's {"error":{code,message,target,details}}.
func armError(resp *http.Response) (code, message string) {
	if resp == nil {
		return "", ""
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return "", ""
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Error.Code, truncate(e.Error.Message)
}

var aadstsCode = regexp.MustCompile(`AADSTS\d+`)

// tokenError classifies a refused or failed token request. It reports Entra ID's error
// code and AADSTS number only: azidentity's own message is long, and nothing of the
// request (which carried the secret) may appear. A throttled token request pauses the
// account like a throttled list.
func (c *Client) tokenError(afe *azidentity.AuthenticationFailedError) error {
	resp := afe.RawResponse
	if resp == nil {
		return &cloud.APIError{Kind: cloud.ErrTransient, Message: "token request failed: the authority could not be reached"}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		now := time.Now()
		f := cloud.UnknownFigures(now)
		return c.budget.Throttled(cloud.WaitFor(resp.Header, f, now), f)
	}
	kind := cloud.ErrUnauthorized
	if resp.StatusCode >= 500 {
		kind = cloud.ErrTransient
	}
	apiErr := &cloud.APIError{Kind: kind, Status: resp.StatusCode, Message: "token request refused"}
	if resp.Body == nil {
		return apiErr
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return apiErr
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil {
		apiErr.Code = truncate(e.Error)
		if sts := aadstsCode.FindString(e.Description); sts != "" {
			apiErr.Message += " (" + sts + ")"
		}
	}
	return apiErr
}

func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return strings.ToValidUTF8(s[:maxMessage], "") + "…"
}
