package image

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func specs(arches ...string) []Spec {
	var s []Spec
	for _, a := range arches {
		s = append(s, Spec{Binary: append([]byte(a+" "), fakeBinary...), Arch: a, Labels: map[string]string{"org.opencontainers.image.version": "1.2.3"}})
	}
	return s
}

func TestIndexListsOnePlatformPerBinary(t *testing.T) {
	idx, err := BuildIndex(specs("arm64", "amd64"))
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := idx.MediaType(); mt != types.OCIImageIndex {
		t.Errorf("media type = %s, want %s", mt, types.OCIImageIndex)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []v1.Platform
	for _, d := range m.Manifests {
		got = append(got, *d.Platform)
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Architecture != d.Platform.Architecture || cfg.Variant != d.Platform.Variant || cfg.OS != "linux" {
			t.Errorf("%s: config says %s/%s/%s", d.Digest, cfg.OS, cfg.Architecture, cfg.Variant)
		}
		if d.MediaType != types.OCIManifestSchema1 {
			t.Errorf("%s: media type %s", d.Digest, d.MediaType)
		}
	}
	want := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("platforms (-want +got):\n%s", diff)
	}
}

func TestIndexDigestDependsOnlyOnTheBinaries(t *testing.T) {
	a, err := BuildIndex(specs("amd64", "arm64"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := BuildIndex(specs("arm64", "amd64"))
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Errorf("same binaries in another order: %s, %s", da, db)
	}
	changed := specs("amd64", "arm64")
	changed[1].Binary = append(changed[1].Binary, '!')
	c, err := BuildIndex(changed)
	if err != nil {
		t.Fatal(err)
	}
	if dc, _ := c.Digest(); dc == da {
		t.Error("a different arm64 binary gave the same index digest")
	}
}

func TestIndexRefusesTwoBinariesForOneArch(t *testing.T) {
	if _, err := BuildIndex(specs("amd64", "amd64")); err == nil {
		t.Error("two amd64 binaries were accepted")
	}
	if _, err := BuildIndex(nil); err == nil {
		t.Error("no binaries were accepted")
	}
}

func TestIndexArchiveReadsBack(t *testing.T) {
	idx, err := BuildIndex(specs("amd64", "arm64"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "image.tar")
	if err := WriteIndexArchiveFile(path, idx, "example.test/orgsync:1.2.3"); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), "again.tar")
	if err := WriteIndexArchiveFile(again, idx, "example.test/orgsync:1.2.3"); err != nil {
		t.Fatal(err)
	}
	if a, b := readFile(t, path), readFile(t, again); !bytes.Equal(a, b) {
		t.Error("two archives of the same index differ")
	}

	back, ref, err := ReadIndexArchive(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if ref != "example.test/orgsync:1.2.3" {
		t.Errorf("ref = %q", ref)
	}
	want, _ := idx.Digest()
	if got, _ := back.Digest(); got != want {
		t.Errorf("digest read back = %s, want %s", got, want)
	}
	m, _ := back.IndexManifest()
	for _, d := range m.Manifests {
		img, err := back.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := img.Layers()
		if err != nil || len(layers) != 1 {
			t.Fatalf("%s: %d layers, %v", d.Platform.Architecture, len(layers), err)
		}
		if _, err := layers[0].Compressed(); err != nil {
			t.Errorf("%s: layer blob: %v", d.Platform.Architecture, err)
		}
	}
}

func TestReadIndexArchiveRefusesAnImageArchive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "image.tar")
	if err := WriteOCIArchiveFile(path, build(t), "example.test/orgsync:1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadIndexArchive(path, t.TempDir()); !errors.Is(err, ErrNotAnIndexArchive) {
		t.Errorf("err = %v, want ErrNotAnIndexArchive", err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
