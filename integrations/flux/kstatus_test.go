// Package flux checks that the orgsync kinds report the health Flux sees: Flux's
// Kustomization waits on kstatus (sigs.k8s.io/cli-utils), so the objects exported
// from a real run must compute to the status a platform team expects.
package flux

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

// The objects the Argo CD health checks are tested on; exported by
// hack/export-health-testdata.sh from a running demo.
const testdata = "../argocd/resource_customizations/cloud.orgsync.io"

func TestKstatusOfExportedObjects(t *testing.T) {
	cases := []struct {
		file string
		want status.Status
	}{
		{"Organization/testdata/Azure_Succeeded.yaml", status.CurrentStatus},
		{"Organization/testdata/ConfluentCloud_Succeeded.yaml", status.CurrentStatus},
		{"Organization/testdata/CloudFoundry_Succeeded.yaml", status.CurrentStatus},
		{"Organization/testdata/Azure_Creating.yaml", status.InProgressStatus},
		{"Organization/testdata/ConfluentCloud_Deleting.yaml", status.InProgressStatus},
		{"Organization/testdata/Azure_Failed.yaml", status.FailedStatus},
		{"Organization/testdata/Azure_OfferSuspended.yaml", status.FailedStatus},
		{"Organization/testdata/CloudFoundry_Suspended.yaml", status.FailedStatus},
		{"Organization/testdata/ConfluentCloud_Deleted.yaml", status.FailedStatus},
		{"ConnectCluster/testdata/ConfluentCloud_Succeeded.yaml", status.CurrentStatus},
		{"CloudAccount/testdata/ConfluentCloud_synced.yaml", status.CurrentStatus},
		{"CloudAccount/testdata/new_generation.yaml", status.InProgressStatus},
		{"CloudAccount/testdata/unauthorized.yaml", status.FailedStatus},
		{"CloudAccount/testdata/no-secret.yaml", status.FailedStatus},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(testdata, c.file))
			if err != nil {
				t.Fatal(err)
			}
			// Decoded as the API machinery does, so integers stay int64.
			jsonData, err := yaml.YAMLToJSON(data)
			if err != nil {
				t.Fatal(err)
			}
			obj := &unstructured.Unstructured{}
			if err := obj.UnmarshalJSON(jsonData); err != nil {
				t.Fatal(err)
			}
			res, err := status.Compute(obj)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.want {
				t.Errorf("kstatus = %s (%s), want %s", res.Status, res.Message, c.want)
			}
		})
	}
}

// The example must stay a Kustomization that waits and does not prune accounts.
func TestExampleKustomizationWaits(t *testing.T) {
	data, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Wait    bool   `json:"wait"`
			Prune   bool   `json:"prune"`
			Timeout string `json:"timeout"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	if k.APIVersion != "kustomize.toolkit.fluxcd.io/v1" || k.Kind != "Kustomization" || !k.Spec.Wait || k.Spec.Prune || k.Spec.Timeout == "" {
		t.Errorf("example = %+v", k)
	}
}
