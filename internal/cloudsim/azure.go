package cloudsim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	armRemainingReads       = "x-ms-ratelimit-remaining-subscription-reads"
	armRemainingGlobalReads = "x-ms-ratelimit-remaining-subscription-global-reads"
)

// azureList serves the list by subscription and the list by resource group.
func (s *Server) azureList(c *call) {
	sub, ok := c.armAdmit()
	if !ok {
		return
	}
	coll := s.data.azureOrgs(sub)
	keep := func(*AzureOrganization) bool { return true }
	path := "/subscriptions/" + strings.ToLower(sub)
	if c.ep == EndpointAzureListByResourceGroup {
		rg, found := s.data.resourceGroup(sub, c.vars["rg"])
		if !found {
			c.armFail(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '"+c.vars["rg"]+"' could not be found.")
			return
		}
		keep = func(o *AzureOrganization) bool { return strings.EqualFold(o.ResourceGroup, rg) }
		path += "/resourceGroups/" + rg
	}
	path += "/providers/Microsoft.Confluent/organizations"

	tok := pageToken{page: 1}
	if v := queryFold(c.r.URL.Query(), "$skipToken"); v != "" {
		t, valid := decodePageToken(v)
		if !valid {
			c.armFail(http.StatusBadRequest, "InvalidSkipToken", "The provided skip token '"+v+"' is invalid.")
			return
		}
		tok = t
	}
	if !c.gate(tok.page, c.armInjected429, c.armServerError) {
		return
	}
	size := int(s.azurePageSize.Load())
	p := coll.pageAfter(tok.after, size, keep)
	coll.misbehave(&p, tok.after, c.dec)
	body := armList{Value: make([]armOrganization, 0, len(p.items))}
	for _, o := range p.items {
		body.Value = append(body.Value, armOrgJSON(sub, o))
	}
	link := func(t pageToken) string {
		return c.linkOrigin() + path + "?api-version=" + url.QueryEscape(queryFold(c.r.URL.Query(), "api-version")) +
			"&$skipToken=" + url.QueryEscape(t.encode())
	}
	if p.more {
		body.NextLink = link(pageToken{page: tok.page + 1, after: p.lastKey})
	}
	if c.dec.loopTo > 0 {
		body.NextLink = link(pageToken{page: c.dec.loopTo, after: coll.keyBefore(c.dec.loopTo, size, keep)})
	}
	if c.dec.foreign != "" {
		if body.NextLink == "" {
			body.NextLink = link(pageToken{page: tok.page + 1, after: p.lastKey})
		}
		body.NextLink = replaceOrigin(body.NextLink, c.dec.foreign)
	}
	if c.dec.placeholder {
		body.NextLink = placeholderNext
	}
	c.writeJSON(http.StatusOK, "application/json; charset=utf-8", body)
}

// azureGet serves GET …/resourceGroups/{rg}/providers/Microsoft.Confluent/organizations/{name}.
func (s *Server) azureGet(c *call) {
	sub, ok := c.armAdmit()
	if !ok {
		return
	}
	rg, name := c.vars["rg"], c.vars["name"]
	if _, found := s.data.resourceGroup(sub, rg); !found {
		c.armFail(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '"+rg+"' could not be found.")
		return
	}
	if !c.gate(0, c.armInjected429, c.armServerError) {
		return
	}
	o, found := s.data.azureOrgs(sub).Get(AzureKey(rg, name))
	if !found || c.dec.notFound {
		c.armFail(http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
			"The Resource 'Microsoft.Confluent/organizations/%s' under resource group '%s' was not found. "+
				"For more details please go to https://aka.ms/ARMResourceNotFoundFix", name, rg))
		return
	}
	c.writeJSON(http.StatusOK, "application/json; charset=utf-8", armOrgJSON(sub, o))
}

// armAdmit runs ARM's checks in its order: authentication, throttling,
// api-version, subscription, authorization. It writes the answer and returns
// false when the request is refused.
func (c *call) armAdmit() (string, bool) {
	h := c.w.Header()
	h.Set("x-ms-request-id", newUUID())
	corr := c.r.Header.Get("x-ms-correlation-request-id")
	if corr == "" {
		corr = newUUID()
	}
	h.Set("x-ms-correlation-request-id", corr)
	sub := c.vars["sub"]
	lim := c.s.limiter(ProviderAzure)
	now := time.Now()

	id, code, msg := c.s.azureIdentity(c)
	if code != "" {
		h.Set(armRemainingReads, strconv.Itoa(lim.peek(strings.ToLower(sub)+"|anonymous", now).remaining))
		c.armUnauthorized(code, msg)
		return "", false
	}
	c.id = id
	b := lim.take(strings.ToLower(sub)+"|"+id.principal, now)
	h.Set(armRemainingReads, strconv.Itoa(b.remaining))
	if !b.allowed {
		wait := b.reset.Sub(now)
		c.armThrottled("SubscriptionRequestsThrottled", wait, fmt.Sprintf(
			"Number of 'read' requests for subscription '%s' actor '%s' exceeded. Please try again after '%d' seconds "+
				"after additional tokens are available. Refer to https://aka.ms/arm-throttling",
			sub, id.principal, secondsUntil(b.reset, now)))
		return "", false
	}
	if c.s.azureSubLimit != nil {
		g := c.s.azureSubLimit.take(strings.ToLower(sub), now)
		h.Set(armRemainingGlobalReads, strconv.Itoa(g.remaining))
		if !g.allowed {
			c.armThrottled("SubscriptionRequestsThrottled", g.reset.Sub(now), fmt.Sprintf(
				"Number of 'read' requests for subscription '%s' exceeded. Please try again after '%d' seconds "+
					"after additional tokens are available. Refer to https://aka.ms/arm-throttling",
				sub, secondsUntil(g.reset, now)))
			return "", false
		}
	}

	versions := c.s.cfg.Azure.APIVersions
	switch v := queryFold(c.r.URL.Query(), "api-version"); {
	case v == "":
		c.armFail(http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return "", false
	case !slices.Contains(versions, v):
		c.armFail(http.StatusBadRequest, "InvalidApiVersionParameter", fmt.Sprintf(
			"The api-version '%s' is invalid. The supported versions are '%s'.", v, strings.Join(versions, ",")))
		return "", false
	}
	if _, found := c.s.data.lookupAzureOrgs(sub); !found {
		c.armFail(http.StatusNotFound, "SubscriptionNotFound", "The subscription '"+sub+"' could not be found.")
		return "", false
	}
	if id.forbidden {
		c.armFail(http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
			"The client '%s' with object id '%s' does not have authorization to perform action "+
				"'Microsoft.Confluent/organizations/read' over scope '/subscriptions/%s' or the scope is invalid. "+
				"If access was recently granted, please refresh your credentials.", id.principal, id.principal, sub))
		return "", false
	}
	return sub, true
}

// armInjected429 answers a fault's 429 as a resource provider throttling.
func (c *call) armInjected429(wait time.Duration) {
	c.w.Header().Set(armRemainingReads, "0")
	c.armThrottled("TooManyRequests", wait,
		"The request is being throttled as the limit has been reached for operation type - Read. "+
			"For more information, refer - https://aka.ms/srpthrottlinglimits")
}

// azureIdentity checks the bearer token. It returns an ARM error code and
// message when the request is not authenticated.
func (s *Server) azureIdentity(c *call) (identity, string, string) {
	if c.r.Header.Get("Authorization") == "" {
		return identity{}, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
	}
	token, ok := c.bearer()
	if !ok {
		return identity{}, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format."
	}
	match := func(a string) bool { return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(token)) == 1 }
	cfg := s.cfg.Azure
	for _, cred := range cfg.Credentials {
		if match(cred.Token) {
			return identity{provider: ProviderAzure, principal: azurePrincipal(cred)}, "", ""
		}
	}
	if match(cfg.Forbidden.Token) {
		return identity{provider: ProviderAzure, principal: azurePrincipal(cfg.Forbidden), forbidden: true}, "", ""
	}
	id, ok := s.tokens.lookup(ProviderAzure, token, false)
	if !ok {
		return identity{}, "InvalidAuthenticationToken", "The access token is invalid."
	}
	if !c.armAudience(id.audience) {
		return identity{}, "InvalidAuthenticationTokenAudience", fmt.Sprintf(
			"The access token has been obtained for wrong audience or resource '%s'. It should exactly match with one of "+
				"the allowed audiences '%s', 'https://management.azure.com', 'https://management.core.windows.net'.",
			id.audience, c.origin())
	}
	return id, "", ""
}

// armAudience accepts tokens issued for this server's origin or for the public
// Azure Resource Manager audiences.
func (c *call) armAudience(aud string) bool {
	aud = strings.TrimSuffix(strings.ToLower(aud), "/")
	for _, ok := range []string{c.origin(), c.s.cfg.PublicURL, "https://management.azure.com", "https://management.core.windows.net"} {
		if ok != "" && aud == strings.TrimSuffix(strings.ToLower(ok), "/") {
			return true
		}
	}
	return false
}

func azurePrincipal(c AzureCredential) string {
	if c.ClientID != "" {
		return c.ClientID
	}
	return staticTokenPrincipal(c.Token)
}

// queryFold returns a query parameter matched case-insensitively, as ARM does.
func queryFold(q url.Values, name string) string {
	if v := q.Get(name); v != "" {
		return v
	}
	for k, vs := range q {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}
