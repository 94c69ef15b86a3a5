package azure

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orgsync/orgsync/internal/cloud"
)

// exampleBody returns the 200 response body of a published example (testdata/README.md).
func exampleBody(t *testing.T, file string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses map[string]struct {
			Body json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	return ex.Responses["200"].Body
}

// TestPublishedListExamples: the 2024-07-01 list examples decode into what a mirror
// shows (offer status included, userDetail left out), and their placeholder nextLink
// ("string", no $skipToken) is refused rather than followed or read as the end.
func TestPublishedListExamples(t *testing.T) {
	at := time.Date(2020, 5, 9, 14, 28, 47, 284000000, time.UTC)
	want := []cloud.Organization{{
		ID:           "myresourcegroup/myorganizations",
		DisplayName:  "myOrganizations",
		State:        cloud.State("Accepted"),
		RawState:     "Accepted",
		SSOURL:       "string",
		ResourceName: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myResourceGroup/providers/Microsoft.Confluent/organizations/myOrganizations",
		CreatedAt:    at,
		OfferStatus:  "Started",
		Details: map[string]string{
			"location": "West US", "organizationID": "string", "offerStatus": "Started", "offerPlanID": "string",
			"resourceGroup": "myResourceGroup", "tag.Environment": "Dev",
		},
	}}
	for _, tt := range []struct{ file, resourceGroup, path string }{
		{"Organization_ListBySubscription.json", "", subPath},
		{"Organization_ListByResourceGroup.json", "myResourceGroup",
			"/subscriptions/" + testSub + "/resourceGroups/myResourceGroup/providers/Microsoft.Confluent/organizations"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			body := exampleBody(t, tt.file)
			srv := newARMServer(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(body)
			})
			c, _ := newTestClient(t, srv, func(c *Config) { c.ResourceGroup = tt.resourceGroup })

			list, err := decodeList(body)
			if err != nil {
				t.Fatal(err)
			}
			items, err := c.organizations(list.Value)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, items); diff != "" {
				t.Errorf("organizations (-want +got):\n%s", diff)
			}
			if out, _ := json.Marshal(items); strings.Contains(string(out), "contoso@microsoft.com") {
				t.Errorf("userDetail copied: %s", out)
			}

			_, err = c.OrganizationsPage(t.Context(), "")
			if !errors.Is(err, cloud.ErrUnsafe) || !strings.Contains(err.Error(), "$skipToken") {
				t.Errorf("page with the placeholder nextLink: %v, want ErrUnsafe naming $skipToken", err)
			}
			if got := srv.requests(); len(got) != 1 || got[0].Path != tt.path {
				t.Errorf("requests %+v, want one to %s", got, tt.path)
			}
		})
	}
}
