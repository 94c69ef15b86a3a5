package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/confluent/armconfluent"

	"github.com/orgsync/orgsync/internal/cloud"
)

var _ cloud.OrganizationGetter = (*Client)(nil)

// goneCodes are the 404 codes that mean the organization is not there. Any other 404
// (SubscriptionNotFound, say) is a configuration error: reading it as "gone" would
// prune every named organization of a mistyped subscription.
var goneCodes = []string{"ResourceNotFound", "ResourceGroupNotFound"}

// GetOrganization implements cloud.OrganizationGetter with the Organization - Get
// operation. It shares the account's budget and rate-limit handling with the lists.
func (c *Client) GetOrganization(ctx context.Context, ref cloud.OrganizationRef) (cloud.Organization, bool, error) {
	var none cloud.Organization
	if ref.Group == "" || ref.Name == "" || strings.ContainsAny(ref.Group+ref.Name, "/?#%") {
		return none, false, fmt.Errorf("%w: organization %q in resource group %q is not a valid name", cloud.ErrBadRequest, ref.Name, ref.Group)
	}
	if err := c.budget.Admit(ctx); err != nil {
		return none, false, err
	}
	path := c.subPrefix + "resourceGroups/" + url.PathEscape(ref.Group) +
		"/providers/Microsoft.Confluent/organizations/" + url.PathEscape(ref.Name)
	req, err := runtime.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(c.endpoint.String(), path))
	if err != nil {
		return none, false, err
	}
	q := req.Raw().URL.Query()
	q.Set("api-version", APIVersion)
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := c.arm.Pipeline().Do(req)
	if err == nil && !runtime.HasStatusCode(resp, http.StatusOK) {
		err = runtime.NewResponseError(resp)
	}
	if err != nil {
		err = c.classify(ctx, err)
		var apiErr *cloud.APIError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound && slices.ContainsFunc(goneCodes, func(c string) bool { return strings.EqualFold(c, apiErr.Code) }) {
			return none, false, nil
		}
		return none, false, fmt.Errorf("get organization %s/%s: %w", ref.Group, ref.Name, err)
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return none, false, &cloud.APIError{Kind: cloud.ErrTransient, Status: resp.StatusCode, Message: "reading the organization failed"}
	}
	var r armconfluent.OrganizationResource
	if err := json.Unmarshal(body, &r); err != nil {
		// The SDK's messages can quote field values, and the body holds personal data.
		return none, false, &cloud.APIError{Kind: cloud.ErrTransient, Status: resp.StatusCode, Message: "malformed organization"}
	}
	org, err := c.organization(&r)
	if err != nil {
		return none, false, err
	}
	if org.ID != strings.ToLower(ref.Group+"/"+ref.Name) {
		return none, false, fmt.Errorf("%w: asked for %s/%s, got %s", cloud.ErrUnsafe, ref.Group, ref.Name, org.ResourceName)
	}
	return org, true, nil
}
