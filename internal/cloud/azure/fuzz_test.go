package azure

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/orgsync/orgsync/internal/cloud"
)

// FuzzDecodePage feeds arbitrary bodies through the page decoding and mapping: it must
// never panic, every accepted item must carry an ID and stay in the subscription, an
// accepted nextLink must stay on the endpoint, and the personal-data marker planted in
// the seeds must never come out.
func FuzzDecodePage(f *testing.F) {
	raw, err := os.ReadFile(sampleFile)
	if err != nil {
		f.Fatal(err)
	}
	const marker = "pd-marker@example.invalid"
	withPD := strings.Replace(string(raw), "contoso@microsoft.com", marker, 1)
	f.Add([]byte(`{"value":[` + string(raw) + `],"nextLink":"https://management.azure.com` + subPath + `?$skipToken=2"}`))
	f.Add([]byte(`{"value":[` + withPD + `]}`))
	f.Add([]byte(`{"value":[],"nextLink":"https://evil.example/x"}`))
	f.Add([]byte(`{"value":[null,{"id":""}]}`))
	f.Add([]byte(`{"value":[{"id":"/subscriptions/` + testSub + `/resourceGroups/r/providers/Microsoft.Confluent/organizations/o","properties":{"createdTime":"x"}}]}`))
	f.Add([]byte(`{"value":`))
	f.Add([]byte(``))

	c, err := New(Config{SubscriptionID: testSub, Token: "t"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		list, err := decodeList(body)
		if err != nil {
			if !errors.Is(err, cloud.ErrTransient) {
				t.Fatalf("decode error %v is not transient", err)
			}
			return
		}
		items, err := c.organizations(list.Value)
		if err == nil {
			for _, o := range items {
				if o.ID == "" || !strings.Contains(o.ID, "/") {
					t.Fatalf("item with ID %q accepted", o.ID)
				}
				if !strings.HasPrefix(strings.ToLower(o.ResourceName), "/subscriptions/"+testSub+"/") {
					t.Fatalf("item from elsewhere accepted: %q", o.ResourceName)
				}
			}
			out, _ := json.Marshal(items)
			if strings.Contains(string(out), marker) {
				t.Fatalf("personal data copied: %s", out)
			}
		}
		if list.NextLink != nil {
			if next, err := c.nextPage(*list.NextLink); err == nil && !strings.HasPrefix(next, "https://management.azure.com"+subPath+"?") {
				t.Fatalf("nextLink %q accepted as %q", *list.NextLink, next)
			}
		}
	})
}
