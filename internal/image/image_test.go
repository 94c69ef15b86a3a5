package image

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var fakeBinary = []byte("\x7fELF not really a manager")

func build(t *testing.T) v1.Image {
	t.Helper()
	img, err := Build(Spec{Binary: fakeBinary, Arch: "amd64", Labels: map[string]string{"org.opencontainers.image.revision": "abc"}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestConfigRunsAsNonrootWithoutShell(t *testing.T) {
	cfg, err := build(t).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", cfg.Config.User)
	}
	if diff := cmp.Diff([]string{"/manager"}, cfg.Config.Entrypoint); diff != "" {
		t.Errorf("entrypoint (-want +got):\n%s", diff)
	}
	if len(cfg.Config.Cmd) != 0 || len(cfg.Config.Shell) != 0 {
		t.Errorf("cmd %q, shell %q: want neither", cfg.Config.Cmd, cfg.Config.Shell)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("os/arch = %s/%s", cfg.OS, cfg.Architecture)
	}
	if cfg.Created.Unix() != 0 {
		t.Errorf("created = %v, want the epoch", cfg.Created)
	}
}

func TestMediaTypesAreOCI(t *testing.T) {
	img := build(t)
	mt, err := img.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	got := []types.MediaType{mt, m.Config.MediaType, m.Layers[0].MediaType}
	want := []types.MediaType{types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("media types (-want +got):\n%s", diff)
	}
}

func TestLayerHoldsOnlyTheManagerCertsAndUser(t *testing.T) {
	layers, err := build(t).Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %d, %v; want one", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	type entry struct {
		Mode     int64
		Uid, Gid int
		Epoch    bool
	}
	got := map[string]entry{}
	contents := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[hdr.Name] = entry{hdr.Mode, hdr.Uid, hdr.Gid, hdr.ModTime.Unix() == 0}
		contents[hdr.Name], _ = io.ReadAll(tr)
	}
	want := map[string]entry{
		"etc/":                              {0o755, 0, 0, true},
		"etc/group":                         {0o644, 0, 0, true},
		"etc/passwd":                        {0o644, 0, 0, true},
		"etc/ssl/":                          {0o755, 0, 0, true},
		"etc/ssl/certs/":                    {0o755, 0, 0, true},
		"etc/ssl/certs/ca-certificates.crt": {0o644, 0, 0, true},
		"home/":                             {0o755, 0, 0, true},
		"home/nonroot/":                     {0o700, 65532, 65532, true},
		"tmp/":                              {0o1777, 0, 0, true},
		"manager":                           {0o755, 0, 0, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}
	if !bytes.Equal(contents["manager"], fakeBinary) {
		t.Error("manager is not the given binary")
	}
	if !regexp.MustCompile(`(?m)^nonroot:x:65532:65532:`).Match(contents["etc/passwd"]) {
		t.Errorf("passwd has no nonroot user:\n%s", contents["etc/passwd"])
	}
	if n := countCerts(t, contents["etc/ssl/certs/ca-certificates.crt"]); n < 100 {
		t.Errorf("CA bundle has %d certificates, want a whole root store", n)
	}
}

func countCerts(t *testing.T, data []byte) int {
	t.Helper()
	n := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return n
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Fatalf("certificate %d: %v", n, err)
		}
		n++
	}
}

func TestSameInputsGiveSameDigestAndArchive(t *testing.T) {
	a, b := build(t), build(t)
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Fatalf("digests differ: %s, %s", da, db)
	}
	var ta, tb bytes.Buffer
	if err := WriteOCIArchive(&ta, a, "example.test/orgsync:1"); err != nil {
		t.Fatal(err)
	}
	if err := WriteOCIArchive(&tb, b, "example.test/orgsync:1"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ta.Bytes(), tb.Bytes()) {
		t.Error("two archives of the same image differ")
	}

	other, err := Build(Spec{Binary: append([]byte{}, append(fakeBinary, '!')...), Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	if do, _ := other.Digest(); do == da {
		t.Error("a different binary gave the same digest")
	}
}

// The archive must read back as an OCI layout holding the image under its name.
func TestArchiveIsAnOCILayout(t *testing.T) {
	img := build(t)
	var buf bytes.Buffer
	if err := WriteOCIArchive(&buf, img, "example.test/orgsync:1.2.3"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	untar(t, &buf, dir)
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != want {
		t.Fatalf("index lists %+v, want one manifest %s", m.Manifests, want)
	}
	anns := m.Manifests[0].Annotations
	if anns["io.containerd.image.name"] != "example.test/orgsync:1.2.3" || anns["org.opencontainers.image.ref.name"] != "1.2.3" {
		t.Errorf("annotations = %v", anns)
	}
	back, err := idx.Image(want)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := back.ConfigFile(); err != nil {
		t.Errorf("config does not read back: %v", err)
	}
}

func untar(t *testing.T, r io.Reader, dir string) {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, hdr.Name)
		if hdr.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		data, _ := io.ReadAll(tr)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteRootfsMatchesTheLayer(t *testing.T) {
	dir := t.TempDir()
	if err := WriteRootfs(dir, fakeBinary); err != nil {
		t.Fatal(err)
	}
	for _, f := range Files(fakeBinary) {
		info, err := os.Stat(filepath.Join(dir, f.Path))
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		if got := int64(info.Mode().Perm()); got != f.Mode&0o777 || info.IsDir() != f.Dir {
			t.Errorf("%s: mode %o dir %v, want %o dir %v", f.Path, got, info.IsDir(), f.Mode&0o777, f.Dir)
		}
	}
}

// The Dockerfile is for users with Docker; it must describe this same image.
func TestDockerfileDescribesTheSameImage(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^FROM scratch$`,
		`(?m)^COPY --from=builder /rootfs/ /$`,
		`(?m)^USER ` + User + `$`,
		`(?m)^ENTRYPOINT \["` + Entrypoint + `"\]$`,
		`(?m)^ENV SSL_CERT_FILE=` + CABundlePath + `$`,
		`go run \./cmd/build-image -binary /manager -rootfs /rootfs`,
	} {
		if !regexp.MustCompile(want).Match(data) {
			t.Errorf("Dockerfile does not match %s", want)
		}
	}

	// The binary is built as 'make image' builds it: its flags and settings.
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	flags := regexp.MustCompile(`(?m)^IMAGE_GOFLAGS = (.+)$`).FindSubmatch(makefile)
	env := regexp.MustCompile(`(?m)^IMAGE_GOENV = (.+)$`).FindSubmatch(makefile)
	if flags == nil || env == nil {
		t.Fatal("the Makefile sets no IMAGE_GOFLAGS or IMAGE_GOENV")
	}
	if want := "go build " + string(flags[1]) + " "; !strings.Contains(string(data), want) {
		t.Errorf("Dockerfile does not run %q (IMAGE_GOFLAGS)", want)
	}
	for _, setting := range strings.Fields(string(env[1])) {
		if !strings.Contains(string(data), setting+" ") {
			t.Errorf("Dockerfile's build does not set %s (IMAGE_GOENV)", setting)
		}
	}
}
