// Package image builds the operator's container image without a container engine.
//
// The image is one layer: the static manager binary, a CA bundle, and the passwd and
// group entries of the nonroot user it runs as. Nothing else: no shell, no package
// manager. Every timestamp and owner in it is fixed, so the same binary always gives
// the same digest.
package image

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The user and entry point the image runs with; the Dockerfile says the same.
const (
	UID        = 65532
	User       = "65532:65532"
	Entrypoint = "/manager"
)

// CABundlePath is where Go's crypto/x509 looks first on Linux.
const CABundlePath = "/etc/ssl/certs/ca-certificates.crt"

// epoch is the time written for every file and for the image's creation: a build
// from the same inputs must not differ by when it ran.
var epoch = time.Unix(0, 0).UTC()

// Spec is what goes into the image beside the fixed files.
type Spec struct {
	// Binary is the manager: a static Linux executable.
	Binary []byte
	// Arch is the GOARCH the binary was built for.
	Arch string
	// Labels become the config's OCI labels (version, revision, source).
	Labels map[string]string
}

// File is one entry of the image's root filesystem.
type File struct {
	Path string // absolute, without a trailing slash
	Mode int64  // permission bits
	Dir  bool
	Data []byte
}

// Files lists the root filesystem, parents before children.
func Files(binary []byte) []File {
	return []File{
		{Path: "/etc", Mode: 0o755, Dir: true},
		{Path: "/etc/group", Mode: 0o644, Data: []byte("root:x:0:\nnonroot:x:65532:\n")},
		{Path: "/etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{Path: "/etc/ssl", Mode: 0o755, Dir: true},
		{Path: "/etc/ssl/certs", Mode: 0o755, Dir: true},
		{Path: CABundlePath, Mode: 0o644, Data: CABundle()},
		{Path: "/home", Mode: 0o755, Dir: true},
		{Path: "/home/nonroot", Mode: 0o700, Dir: true},
		// The root filesystem is mounted read-only in the chart; /tmp is where an
		// emptyDir goes, and it exists here so a plain 'docker run' has one too.
		{Path: "/tmp", Mode: 0o1777, Dir: true},
		{Path: Entrypoint, Mode: 0o755, Data: binary},
	}
}

// CABundle is Mozilla's root store as the pinned golang.org/x/crypto/x509roots
// module ships it, in PEM. Roots that carry a constraint PEM cannot express
// (a distrust-after date) are left out rather than trusted without it.
func CABundle() []byte {
	var b bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate})
	}
	return b.Bytes()
}

// Build assembles the image with OCI media types.
func Build(spec Spec) (v1.Image, error) {
	if len(spec.Binary) == 0 {
		return nil, fmt.Errorf("image: no manager binary")
	}
	layerTar, err := layerTar(Files(spec.Binary))
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "orgsync build-image", Comment: "manager, CA bundle, nonroot user"},
	})
	if err != nil {
		return nil, fmt.Errorf("image: append layer: %w", err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)

	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.OS, cfg.Variant = spec.Arch, "linux", Platform(spec.Arch).Variant
	cfg.Created = v1.Time{Time: epoch}
	cfg.Config.User = User
	cfg.Config.Entrypoint = []string{Entrypoint}
	cfg.Config.WorkingDir = "/"
	cfg.Config.Env = []string{"SSL_CERT_FILE=" + CABundlePath}
	cfg.Config.Labels = spec.Labels
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("image: set config: %w", err)
	}
	return img, nil
}

// layerTar writes the files as a tar stream with root ownership (the nonroot home
// excepted) and the epoch as every time.
func layerTar(files []File) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		hdr := &tar.Header{
			Name:    f.Path[1:],
			Mode:    f.Mode,
			ModTime: epoch,
			Format:  tar.FormatUSTAR,
		}
		if f.Path == "/home/nonroot" {
			hdr.Uid, hdr.Gid = UID, UID
		}
		if f.Dir {
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
		} else {
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(f.Data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("image: tar %s: %w", f.Path, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("image: tar %s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("image: tar: %w", err)
	}
	return b.Bytes(), nil
}
