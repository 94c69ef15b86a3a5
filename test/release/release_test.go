// Package release_test builds and publishes a release the way 'make image' and
// 'make release' do, and reads it back: the image index is reproducible and holds
// a real binary per platform, and a real OCI registry on 127.0.0.1 serves back
// the index, each platform's SBOM and the chart pinned to the index.
package release_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"sigs.k8s.io/yaml"

	"github.com/orgsync/orgsync/internal/image"
	"github.com/orgsync/orgsync/internal/release"
)

var repoRoot, _ = filepath.Abs("../..")

// elfMachine is the ELF machine each GOARCH's binary must be for.
var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// baseline is the instruction set level each GOARCH's binary must be built for
// (GOAMD64, GOARM64), so the image runs on every CPU of its architecture.
var baseline = map[string]string{"amd64": "v1", "arm64": "v8.0"}

// make runs a make target in dir as a user would, with Helm's homes kept apart
// from the user's.
func runMake(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return runMakeWithEnv(t, cleanMakeEnv(), dir, args...)
}

func runMakeWithEnv(t *testing.T, env []string, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-C", dir}, args...)...)
	home := t.TempDir()
	cmd.Env = append(env, "HELM_CACHE_HOME="+home+"/cache", "HELM_CONFIG_HOME="+home+"/config", "HELM_DATA_HOME="+home+"/data")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// copyTrackedFiles copies the files git tracks or would track (as they are in
// the work tree) to dst: the same source, at another path.
func copyTrackedFiles(t *testing.T, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", repoRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(repoRoot, rel)
		info, err := os.Lstat(src)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// commitAll makes dir a git repository whose one commit holds everything in it.
func commitAll(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=release test", "-c", "user.email=release-test@example.invalid", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "reproducibility test"},
	} {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func readIndex(t *testing.T, archive string) v1.ImageIndex {
	t.Helper()
	idx, _, err := image.ReadIndexArchive(archive, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// managerOf returns the /manager file of a one-layer image.
func managerOf(t *testing.T, img v1.Image) []byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers, %v; want one", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("no manager in the layer: %v", err)
		}
		if hdr.Name == strings.TrimPrefix(image.Entrypoint, "/") {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
	}
}

func buildSetting(bi *buildinfo.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// freshMachineEnv is the environment of a machine that sets nothing for Go
// builds: no GOFLAGS (so -buildvcs is auto, and stamps the git revision where
// there is one) and no GOAMD64 or GOARM64. A GOFLAGS set with 'go env -w' lives
// in the go env file, which an empty or unset GOFLAGS does not override; go's
// own default, spelled out, does.
func freshMachineEnv() []string {
	var env []string
	for _, kv := range cleanMakeEnv() {
		if k, _, _ := strings.Cut(kv, "="); k != "GOFLAGS" && k != "GOAMD64" && k != "GOARM64" {
			env = append(env, kv)
		}
	}
	return append(env, "GOFLAGS=-buildvcs=auto")
}

// Two builds of one commit, at two paths (one a git work tree, the other a plain
// copy), give one digest on a machine that sets nothing for Go builds; each
// platform's image holds a static binary for its own architecture.
func TestImageIsReproducibleAndMultiPlatform(t *testing.T) {
	work := t.TempDir()
	env := freshMachineEnv()
	// A repository of its own, with a .git directory: go does not see the
	// repository of a 'git worktree' (.git is a file there), so repoRoot may be
	// one where no build would be stamped.
	repo := filepath.Join(work, "repo", "orgsync")
	copyTrackedFiles(t, repo)
	commitAll(t, repo)
	first := filepath.Join(work, "first.tar")
	runMakeWithEnv(t, env, repo, "image", "IMAGE_TAR="+first, "IMAGE_REVISION=reproducibility-test")
	clone := filepath.Join(work, "elsewhere", "orgsync")
	copyTrackedFiles(t, clone)
	second := filepath.Join(work, "second.tar")
	runMakeWithEnv(t, env, clone, "image", "IMAGE_TAR="+second, "IMAGE_REVISION=reproducibility-test")

	a, b := readIndex(t, first), readIndex(t, second)
	da, err := a.Digest()
	if err != nil {
		t.Fatal(err)
	}
	db, _ := b.Digest()
	t.Logf("index digest: %s (in %s, a git repository), %s (in %s, a plain copy)", da, repo, db, clone)
	if da != db {
		t.Errorf("one commit built at two paths gave two digests: %s, %s", da, db)
	}

	m, err := a.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range m.Manifests {
		arch := d.Platform.Architecture
		seen[arch] = true
		img, err := a.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		bin := managerOf(t, img)
		f, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Fatalf("linux/%s: manager is not an ELF file: %v", arch, err)
		}
		if f.Machine != elfMachine[arch] || f.Class != elf.ELFCLASS64 {
			t.Errorf("linux/%s: manager is a %s %s ELF, want %s", arch, f.Class, f.Machine, elfMachine[arch])
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("linux/%s: manager asks for a dynamic loader; want a static binary", arch)
			}
		}
		bi, err := buildinfo.Read(bytes.NewReader(bin))
		if err != nil {
			t.Fatalf("linux/%s: %v", arch, err)
		}
		if got := buildSetting(bi, "GOARCH"); got != arch {
			t.Errorf("linux/%s: built with GOARCH=%s", arch, got)
		}
		if buildSetting(bi, "-trimpath") != "true" || buildSetting(bi, "CGO_ENABLED") != "0" {
			t.Errorf("linux/%s: build settings %v; want -trimpath and CGO_ENABLED=0", arch, bi.Settings)
		}
		for _, st := range bi.Settings {
			if strings.HasPrefix(st.Key, "vcs") {
				t.Errorf("linux/%s: stamped with %s=%s; want no VCS information (-buildvcs=false)", arch, st.Key, st.Value)
			}
		}
		if level, want := buildSetting(bi, "GO"+strings.ToUpper(arch)), baseline[arch]; level != want {
			t.Errorf("linux/%s: built for GO%s=%q, want %q", arch, strings.ToUpper(arch), level, want)
		}
		t.Logf("linux/%s %s: %s ELF, %d bytes, %s", arch, d.Digest, f.Machine, len(bin), bi.GoVersion)
		f.Close()
	}
	if !seen["amd64"] || !seen["arm64"] || len(seen) != 2 {
		t.Errorf("platforms %v, want amd64 and arm64", seen)
	}
}

// cyclonedx is the part of a CycloneDX BOM the test reads.
type cyclonedx struct {
	BOMFormat string `json:"bomFormat"`
	Metadata  struct {
		Component struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"component"`
		Properties []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"properties"`
	} `json:"metadata"`
	Components []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		PURL    string `json:"purl"`
	} `json:"components"`
}

// make release publishes to a real registry (go-containerregistry's, referrers
// API on) on 127.0.0.1; a pull by digest gets both platforms, their SBOMs and the
// chart pinned to the index back.
func TestReleaseToALocalRegistry(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://")
	work := t.TempDir()
	archive := filepath.Join(work, "image.tar")
	result := filepath.Join(work, "release.env")
	runMake(t, repoRoot, "release", "REGISTRY="+reg, "IMAGE_TAR="+archive, "RELEASE_RESULT="+result)

	got := readEnv(t, result)
	built, err := readIndex(t, archive).Digest()
	if err != nil {
		t.Fatal(err)
	}
	if want := reg + "/orgsync@" + built.String(); got["IMAGE"] != want {
		t.Fatalf("IMAGE=%s, want %s", got["IMAGE"], want)
	}

	ref, err := name.NewDigest(got["IMAGE"], name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 2 {
		t.Fatalf("index lists %d manifests, want 2", len(m.Manifests))
	}
	for _, d := range m.Manifests {
		arch := d.Platform.Architecture
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		bin := managerOf(t, img)
		bi, err := buildinfo.Read(bytes.NewReader(bin))
		if err != nil {
			t.Fatalf("linux/%s: %v", arch, err)
		}
		bom := sbomOf(t, ref.Context(), d.Digest)
		checkSBOM(t, arch, bom, bi)
	}

	// The chart, pulled as a user would, names the index by digest.
	helm := strings.TrimSpace(string(mustOutput(t, filepath.Join(repoRoot, "hack", "tool.sh"), "helm")))
	pulled := filepath.Join(work, "pulled")
	mustOutput(t, helm, "pull", got["CHART"], "--version", got["CHART_VERSION"], "--plain-http", "--untar", "--destination", pulled)
	var values struct {
		Image struct {
			Repository string `json:"repository"`
			Digest     string `json:"digest"`
		} `json:"image"`
	}
	data, err := os.ReadFile(filepath.Join(pulled, "orgsync", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatal(err)
	}
	if values.Image.Repository != reg+"/orgsync" || values.Image.Digest != built.String() {
		t.Errorf("pulled chart's image = %s@%s, want %s/orgsync@%s", values.Image.Repository, values.Image.Digest, reg, built)
	}
	rendered := string(mustOutput(t, helm, "template", "orgsync", filepath.Join(pulled, "orgsync"), "--show-only", "templates/deployment.yaml"))
	if want := "image: " + reg + "/orgsync@" + built.String(); !strings.Contains(rendered, want) {
		t.Errorf("rendered Deployment does not have %q:\n%s", want, rendered)
	}
	chartRef, err := name.NewDigest(got["CHART_REF"], name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(chartRef)
	if err != nil {
		t.Fatalf("chart by digest: %v", err)
	}
	t.Logf("released %s (%d platforms) and %s:%s (%s, %s)", got["IMAGE"], len(m.Manifests), got["CHART"], got["CHART_VERSION"], got["CHART_REF"], desc.MediaType)
}

// sbomOf finds the one CycloneDX referrer of a platform's image and reads it.
func sbomOf(t *testing.T, repo name.Repository, subject v1.Hash) cyclonedx {
	t.Helper()
	refs, err := remote.Referrers(repo.Digest(subject.String()))
	if err != nil {
		t.Fatal(err)
	}
	rm, err := refs.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.Manifests) != 1 {
		t.Fatalf("%s has %d referrers, want its SBOM", subject, len(rm.Manifests))
	}
	art, err := remote.Image(repo.Digest(rm.Manifests[0].Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	am, err := art.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if am.ArtifactType != string(release.CycloneDXJSON) || len(am.Layers) != 1 {
		t.Fatalf("referrer of %s: artifact type %q, %d layers", subject, am.ArtifactType, len(am.Layers))
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
	var bom cyclonedx
	if err := json.NewDecoder(bufio.NewReader(rc)).Decode(&bom); err != nil {
		t.Fatalf("SBOM of %s: %v", subject, err)
	}
	return bom
}

// checkSBOM compares an SBOM with what the binary itself says it was built from.
func checkSBOM(t *testing.T, arch string, bom cyclonedx, bi *buildinfo.BuildInfo) {
	t.Helper()
	if bom.BOMFormat != "CycloneDX" {
		t.Fatalf("linux/%s: bomFormat %q", arch, bom.BOMFormat)
	}
	if bom.Metadata.Component.Name != bi.Main.Path {
		t.Errorf("linux/%s: SBOM describes %q, the binary is %q", arch, bom.Metadata.Component.Name, bi.Main.Path)
	}
	goarch := ""
	for _, p := range bom.Metadata.Properties {
		if strings.HasSuffix(p.Name, ":GOARCH") {
			goarch = p.Value
		}
	}
	if goarch != arch {
		t.Errorf("linux/%s: SBOM says GOARCH %q", arch, goarch)
	}
	listed := map[string]string{}
	for _, c := range bom.Components {
		listed[c.Name] = c.Version
		if !strings.Contains(c.PURL, "goarch="+arch+"&") {
			t.Errorf("linux/%s: component %s has package URL %s", arch, c.Name, c.PURL)
		}
	}
	for _, dep := range bi.Deps {
		want := dep.Version
		if dep.Replace != nil {
			want = dep.Replace.Version
		}
		if got, ok := listed[dep.Path]; !ok || got != want {
			t.Errorf("linux/%s: module %s %s is linked but the SBOM lists %q", arch, dep.Path, want, got)
		}
	}
	if len(bi.Deps) < 50 {
		t.Errorf("linux/%s: the binary lists %d modules; want the operator's whole dependency tree", arch, len(bi.Deps))
	}
	t.Logf("linux/%s: SBOM lists %d components for the binary's %d modules", arch, len(bom.Components), len(bi.Deps))
}

func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return env
}

func mustOutput(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home+"/cache", "HELM_CONFIG_HOME="+home+"/config", "HELM_DATA_HOME="+home+"/data")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return out
}
