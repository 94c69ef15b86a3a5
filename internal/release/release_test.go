package release

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"sigs.k8s.io/yaml"
)

func TestIsLoopback(t *testing.T) {
	for _, tc := range []struct {
		registry string
		want     bool
	}{
		{"127.0.0.1:5000", true},
		{"127.0.0.1:5000/some/path", true},
		{"localhost:5000", true},
		{"[::1]:5000", true},
		{"ghcr.io/orgsync", false},
		{"10.0.0.1:5000", false},
		{"registry.example.com", false},
	} {
		if got := IsLoopback(tc.registry); got != tc.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tc.registry, got, tc.want)
		}
	}
}

func TestPinChartPinsValuesAndAnnotationOnly(t *testing.T) {
	src := "../../charts/orgsync"
	dst := filepath.Join(t.TempDir(), "orgsync")
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	if err := PinChart(src, dst, "127.0.0.1:5000/orgsync", "9.9.9", digest); err != nil {
		t.Fatal(err)
	}
	var values struct {
		Image map[string]any `json:"image"`
	}
	if err := yaml.Unmarshal(read(t, filepath.Join(dst, "values.yaml")), &values); err != nil {
		t.Fatal(err)
	}
	if values.Image["repository"] != "127.0.0.1:5000/orgsync" || values.Image["digest"] != digest {
		t.Errorf("image values = %v", values.Image)
	}
	var chart struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := yaml.Unmarshal(read(t, filepath.Join(dst, "Chart.yaml")), &chart); err != nil {
		t.Fatal(err)
	}
	var images []struct {
		Name  string `json:"name"`
		Image string `json:"image"`
	}
	if err := yaml.Unmarshal([]byte(chart.Annotations["artifacthub.io/images"]), &images); err != nil {
		t.Fatal(err)
	}
	if len(images) != 1 || images[0].Image != "127.0.0.1:5000/orgsync:9.9.9@"+digest {
		t.Errorf("artifacthub.io/images = %+v", images)
	}

	// Every other file, and every other line of the two edited ones, is as it was.
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		want, got := read(t, path), read(t, filepath.Join(dst, rel))
		switch rel {
		case "values.yaml", "Chart.yaml":
			if changed := diffLines(string(want), string(got)); len(changed) != map[string]int{"values.yaml": 2, "Chart.yaml": 1}[rel] {
				t.Errorf("%s: changed lines %q", rel, changed)
			}
		default:
			if string(want) != string(got) {
				t.Errorf("%s differs from the source", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPinChartRefusesAChartWithoutTheLines(t *testing.T) {
	for _, tc := range []struct{ name, values, chart string }{
		{"no image.digest", "image:\n  repository: x\n", "name: orgsync\n"},
		{"no image block", "replicaCount: 1\n", "name: orgsync\n"},
		{"annotation without the operator", "image:\n  repository: x\n  digest: \"\"\n", "name: orgsync\nannotations:\n  artifacthub.io/images: |\n    - name: other\n      image: x\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			if err := os.WriteFile(filepath.Join(src, "values.yaml"), []byte(tc.values), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, "Chart.yaml"), []byte(tc.chart), 0o644); err != nil {
				t.Fatal(err)
			}
			err := PinChart(src, t.TempDir(), "r", "1", "sha256:00")
			if !errors.Is(err, ErrChartLayout) {
				t.Errorf("err = %v, want ErrChartLayout", err)
			}
		})
	}
}

// A chart from before the Artifact Hub annotation (the previous release's) is
// pinned in values.yaml alone.
func TestPinChartWithoutArtifactHubAnnotation(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	chart := "apiVersion: v2\nname: orgsync\nannotations:\n  artifacthub.io/license: Apache-2.0\n"
	if err := os.WriteFile(filepath.Join(src, "values.yaml"), []byte("image:\n  repository: x\n  digest: \"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "Chart.yaml"), []byte(chart), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := PinChart(src, dst, "r", "1", "sha256:00"); err != nil {
		t.Fatal(err)
	}
	if got := string(read(t, filepath.Join(dst, "values.yaml"))); got != "image:\n  repository: \"r\"\n  digest: \"sha256:00\"\n" {
		t.Errorf("values.yaml = %q", got)
	}
	if got := string(read(t, filepath.Join(dst, "Chart.yaml"))); got != chart {
		t.Errorf("Chart.yaml changed: %q", got)
	}
}

func diffLines(a, b string) []string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(al) != len(bl) {
		return []string{"line count changed"}
	}
	var out []string
	for i := range al {
		if al[i] != bl[i] {
			out = append(out, bl[i])
		}
	}
	return out
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The SBOM goes to a real registry (go-containerregistry's, with the referrers
// API on) and comes back through the referrers of the image it describes.
func TestAttachSBOMIsAReferrerOfItsImage(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(discard())))
	defer srv.Close()
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://")+"/orgsync", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
	if err := remote.WriteIndex(repo.Tag("1"), idx, remote.WithContext(context.Background())); err != nil {
		t.Fatal(err)
	}
	m, _ := idx.IndexManifest()
	subject := m.Manifests[0]
	sbom := []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6"}`)

	h, err := AttachSBOM(context.Background(), repo, subject, sbom, "sbom-linux-arm64.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	again, err := AttachSBOM(context.Background(), repo, subject, sbom, "sbom-linux-arm64.cdx.json")
	if err != nil || again != h {
		t.Errorf("attaching the same SBOM again gave %s, %v; want %s", again, err, h)
	}

	refs, err := remote.Referrers(repo.Digest(subject.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	rm, _ := refs.IndexManifest()
	if len(rm.Manifests) != 1 || rm.Manifests[0].Digest != h {
		t.Fatalf("referrers = %+v, want the SBOM artifact %s", rm.Manifests, h)
	}
	art, err := remote.Image(repo.Digest(h.String()))
	if err != nil {
		t.Fatal(err)
	}
	am, err := art.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if am.ArtifactType != string(CycloneDXJSON) || am.Subject == nil || am.Subject.Digest != subject.Digest {
		t.Errorf("artifact manifest: type %q subject %+v", am.ArtifactType, am.Subject)
	}
	if diff := cmp.Diff(map[string]string{TitleAnnotation: "sbom-linux-arm64.cdx.json"}, am.Layers[0].Annotations); diff != "" {
		t.Errorf("layer annotations (-want +got):\n%s", diff)
	}
	layers, err := art.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var got map[string]any
	if err := json.NewDecoder(rc).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got["bomFormat"] != "CycloneDX" {
		t.Errorf("SBOM read back = %v", got)
	}
}

func discard() *log.Logger { return log.New(io.Discard, "", 0) }
