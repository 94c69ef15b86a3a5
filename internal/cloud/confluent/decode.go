package confluent

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/orgsync/orgsync/internal/cloud"
)

// list is the envelope both lists share. Data is a pointer so that a body without it
// is told apart from an empty page: `{}` must never read as "no organizations".
type list[T any] struct {
	Metadata struct {
		Next      *string `json:"next"`
		TotalSize int     `json:"total_size"`
	} `json:"metadata"`
	Data *[]T `json:"data"`
}

type organization struct {
	ID       string `json:"id"`
	Metadata struct {
		ResourceName string          `json:"resource_name"`
		CreatedAt    cloud.Timestamp `json:"created_at"`
		UpdatedAt    cloud.Timestamp `json:"updated_at"`
		DeletedAt    cloud.Timestamp `json:"deleted_at"`
	} `json:"metadata"`
	Name      string `json:"name"`
	SSOURL    string `json:"sso_url"`
	SSOConfig *struct {
		Kind     string `json:"kind"`
		TenantID string `json:"tenant_id"`
	} `json:"sso_config"`
}

type connectCluster struct {
	ID                         string `json:"id"`
	ConfluentPlatformClusterID string `json:"confluent_platform_connect_cluster_id"`
	KafkaClusterID             string `json:"kafka_cluster_id"`
	USMKafkaClusterID          string `json:"usm_kafka_cluster_id"`
	Cloud                      string `json:"cloud"`
	Region                     string `json:"region"`
	Environment                struct {
		ID           string `json:"id"`
		ResourceName string `json:"resource_name"`
	} `json:"environment"`
}

// rawStateDeleted is the RawState of an organization with a deleted_at. Confluent has
// no state field; the raw fact is only that a deletion time exists. Whether that time
// has passed is our reading of it (State Deleting or Deleted), so RawState does not
// change when the clock passes deleted_at.
const rawStateDeleted = "deleted"

// decodeOrganizationsPage decodes one partner/v2 page of the list whose first page is
// first; now decides whether a deleted_at lies ahead (Deleting) or behind (Deleted).
func decodeOrganizationsPage(body []byte, first *url.URL, now time.Time) (cloud.Page[cloud.Organization], error) {
	var l list[organization]
	next, err := decodeList(body, first, &l)
	if err != nil {
		return cloud.Page[cloud.Organization]{}, err
	}
	items := make([]cloud.Organization, 0, len(*l.Data))
	for i, o := range *l.Data {
		if o.ID == "" {
			return cloud.Page[cloud.Organization]{}, cloud.Malformed("organization %d has no id", i)
		}
		items = append(items, o.toCloud(now))
	}
	return cloud.Page[cloud.Organization]{Items: items, Next: next, Total: l.Metadata.TotalSize}, nil
}

func (o organization) toCloud(now time.Time) cloud.Organization {
	out := cloud.Organization{
		ID:           o.ID,
		DisplayName:  o.Name,
		State:        cloud.StateSucceeded,
		SSOURL:       o.SSOURL,
		ResourceName: o.Metadata.ResourceName,
		CreatedAt:    o.Metadata.CreatedAt.Time,
		UpdatedAt:    o.Metadata.UpdatedAt.Time,
		DeletedAt:    o.Metadata.DeletedAt.Time,
	}
	if !out.DeletedAt.IsZero() {
		out.RawState = rawStateDeleted
		out.State = cloud.StateDeleted
		if out.DeletedAt.After(now) {
			out.State = cloud.StateDeleting
		}
	}
	if o.SSOConfig != nil {
		out.Details = map[string]string{"ssoKind": o.SSOConfig.Kind, "ssoTenantID": o.SSOConfig.TenantID}
	}
	return out
}

// decodeConnectClustersPage decodes one usm/v1 page of the list whose first page is first.
func decodeConnectClustersPage(body []byte, first *url.URL) (cloud.Page[cloud.ConnectCluster], error) {
	var l list[connectCluster]
	next, err := decodeList(body, first, &l)
	if err != nil {
		return cloud.Page[cloud.ConnectCluster]{}, err
	}
	items := make([]cloud.ConnectCluster, 0, len(*l.Data))
	for i, c := range *l.Data {
		if c.ID == "" {
			return cloud.Page[cloud.ConnectCluster]{}, cloud.Malformed("connect cluster %d has no id", i)
		}
		items = append(items, cloud.ConnectCluster{
			ID:                         c.ID,
			Environment:                c.Environment.ID,
			EnvironmentResourceName:    c.Environment.ResourceName,
			ConfluentPlatformClusterID: c.ConfluentPlatformClusterID,
			KafkaClusterID:             c.KafkaClusterID,
			USMKafkaClusterID:          c.USMKafkaClusterID,
			Cloud:                      c.Cloud,
			Region:                     c.Region,
		})
	}
	return cloud.Page[cloud.ConnectCluster]{Items: items, Next: next, Total: l.Metadata.TotalSize}, nil
}

// decodeList fills l and returns the request for the page its next link names.
func decodeList[T any](body []byte, first *url.URL, l *list[T]) (string, error) {
	if err := json.Unmarshal(body, l); err != nil {
		return "", cloud.Malformed("%v", err)
	}
	if l.Data == nil {
		return "", cloud.Malformed("no data array")
	}
	if l.Metadata.Next == nil || *l.Metadata.Next == "" {
		return "", nil
	}
	return cloud.NextOnList(first, *l.Metadata.Next, pageCursor)
}

// errorDetail reads Confluent's {"errors":[{code,title,detail}]} into a code and a
// message "title: detail", several errors joined by "; ".
func errorDetail(body []byte) (code, message string) {
	var f struct {
		Errors []struct {
			Code   string `json:"code"`
			Title  string `json:"title"`
			Detail string `json:"detail"`
			// Some Confluent APIs give each item a numeric error_code and a message
			// instead of (or beside) code, title and detail.
			ErrorCode any    `json:"error_code"`
			Message   string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &f) != nil || len(f.Errors) == 0 {
		return "", ""
	}
	parts := make([]string, 0, len(f.Errors))
	for _, e := range f.Errors {
		if code == "" {
			code = e.Code
		}
		if code == "" && e.ErrorCode != nil {
			code = fmt.Sprint(e.ErrorCode)
		}
		switch {
		case e.Title != "" && e.Detail != "":
			parts = append(parts, e.Title+": "+e.Detail)
		case e.Title != "" || e.Detail != "":
			parts = append(parts, e.Title+e.Detail)
		case e.Message != "":
			parts = append(parts, e.Message)
		}
	}
	return code, cloud.TruncateMessage(strings.Join(parts, "; "))
}
