package cloudsim

import (
	"net/http"
	"strconv"
	"time"
)

// Wire shapes of the Confluent Cloud API (api-reference/confluent-*.txt).

type confluentList struct {
	APIVersion string            `json:"api_version"`
	Kind       string            `json:"kind"`
	Metadata   confluentListMeta `json:"metadata"`
	Data       any               `json:"data"`
}

type confluentListMeta struct {
	First     string `json:"first,omitempty"`
	Next      string `json:"next,omitempty"`
	TotalSize int    `json:"total_size"`
}

type confluentOrgJSON struct {
	APIVersion string           `json:"api_version"`
	Kind       string           `json:"kind"`
	ID         string           `json:"id"`
	Metadata   confluentObjMeta `json:"metadata"`
	Name       string           `json:"name"`
	SSOURL     string           `json:"sso_url,omitempty"`
	SSOConfig  *azureSSOConfig  `json:"sso_config,omitempty"`
}

type confluentObjMeta struct {
	Self         string `json:"self"`
	ResourceName string `json:"resource_name"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
	DeletedAt    string `json:"deleted_at,omitempty"`
}

type azureSSOConfig struct {
	Kind     string `json:"kind"`
	TenantID string `json:"tenant_id"`
}

type connectClusterJSON struct {
	APIVersion                        string           `json:"api_version"`
	Kind                              string           `json:"kind"`
	ID                                string           `json:"id"`
	ConfluentPlatformConnectClusterID string           `json:"confluent_platform_connect_cluster_id"`
	KafkaClusterID                    string           `json:"kafka_cluster_id"`
	USMKafkaClusterID                 string           `json:"usm_kafka_cluster_id"`
	Cloud                             string           `json:"cloud"`
	Region                            string           `json:"region"`
	Environment                       envReferenceJSON `json:"environment"`
}

type envReferenceJSON struct {
	ID           string `json:"id"`
	Related      string `json:"related"`
	ResourceName string `json:"resource_name"`
}

type confluentFailure struct {
	Errors []confluentError `json:"errors"`
}

type confluentError struct {
	ID     string                `json:"id"`
	Status string                `json:"status"`
	Code   string                `json:"code"`
	Title  string                `json:"title"`
	Detail string                `json:"detail"`
	Source *confluentErrorSource `json:"source,omitempty"`
}

type confluentErrorSource struct {
	Parameter string `json:"parameter"`
}

func (c *call) confluentOrgJSON(o ConfluentOrganization) confluentOrgJSON {
	out := confluentOrgJSON{
		APIVersion: "partner/v2",
		Kind:       "Organization",
		ID:         o.ID,
		Metadata: confluentObjMeta{
			Self:         c.linkOrigin() + "/partner/v2/organizations/" + o.ID,
			ResourceName: "crn://confluent.cloud/organization=" + o.ID,
			CreatedAt:    rfc3339(o.CreatedAt),
			UpdatedAt:    rfc3339(o.UpdatedAt),
		},
		Name:   o.Name,
		SSOURL: o.SSOURL,
	}
	if !o.DeletedAt.IsZero() {
		out.Metadata.DeletedAt = rfc3339(o.DeletedAt)
	}
	if o.SSOTenantID != "" {
		out.SSOConfig = &azureSSOConfig{Kind: "AzureSSOConfig", TenantID: o.SSOTenantID}
	}
	return out
}

func (c *call) connectClusterJSON(cc ConnectCluster) connectClusterJSON {
	return connectClusterJSON{
		APIVersion:                        "usm/v1",
		Kind:                              "ConnectCluster",
		ID:                                cc.ID,
		ConfluentPlatformConnectClusterID: cc.ConfluentPlatformConnectClusterID,
		KafkaClusterID:                    cc.KafkaClusterID,
		USMKafkaClusterID:                 cc.USMKafkaClusterID,
		Cloud:                             cc.Cloud,
		Region:                            cc.Region,
		Environment: envReferenceJSON{
			ID:      cc.Environment,
			Related: c.linkOrigin() + "/v2/environments/" + cc.Environment,
			// The document's example uses this form, with the API host.
			ResourceName: "https://api.confluent.cloud/organization=" + c.s.data.confluentOrgCRN + "/environment=" + cc.Environment,
		},
	}
}

// confluentFail writes a Failure body; param names the offending query parameter, if any.
func (c *call) confluentFail(status int, code, title, detail, param string) {
	e := confluentError{ID: newUUID(), Status: strconv.Itoa(status), Code: code, Title: title, Detail: detail}
	if param != "" {
		e.Source = &confluentErrorSource{Parameter: param}
	}
	if status == http.StatusUnauthorized {
		c.w.Header().Set("WWW-Authenticate", `Basic error="invalid_key", error_description="The API Key is invalid"`)
	}
	c.writeJSON(status, "application/json", confluentFailure{Errors: []confluentError{e}})
}

func (c *call) confluentBadParam(param, detail string) {
	c.confluentFail(http.StatusBadRequest, "invalid_input", "Invalid Input", detail, param)
}

// confluentTooMany answers 429; the rate-limit headers must already be set.
func (c *call) confluentTooMany(wait time.Duration) {
	secs := secondsUntil(time.Now().Add(wait), time.Now())
	c.w.Header().Set("Retry-After", strconv.Itoa(secs))
	c.confluentFail(http.StatusTooManyRequests, "too_many_requests", "Too Many Requests",
		"Rate limit exceeded; retry after "+strconv.Itoa(secs)+" seconds", "")
}

func (c *call) confluentServerError(status int) {
	c.confluentFail(status, "internal_server_error", http.StatusText(status), "Oops, something went wrong!", "")
}
