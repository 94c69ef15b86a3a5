// Command imagepack packs one static binary into a single-layer OCI image tarball
// that 'ctr images import' reads, for test images (the node's sandbox image) that
// cannot be pulled here.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/orgsync/orgsync/internal/image"
)

func main() {
	binary := flag.String("binary", "", "static binary to pack")
	path := flag.String("path", "/pause", "where it goes in the image; also the entrypoint")
	user := flag.String("user", "65535:65535", "user the image runs as")
	ref := flag.String("ref", "", "image name, e.g. orgsync.local/pause:1")
	out := flag.String("out", "", "tarball to write")
	flag.Parse()
	if err := run(*binary, *path, *user, *ref, *out); err != nil {
		fmt.Fprintln(os.Stderr, "imagepack:", err)
		os.Exit(1)
	}
}

func run(binary, path, user, ref, out string) error {
	if binary == "" || ref == "" || out == "" {
		return fmt.Errorf("give -binary, -ref and -out")
	}
	data, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	hdr := &tar.Header{Name: path[1:], Mode: 0o755, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layer.Bytes())), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		return err
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.OS = runtime.GOARCH, "linux"
	cfg.Config.Entrypoint = []string{path}
	cfg.Config.User = user
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	return image.WriteOCIArchiveFile(out, img, ref)
}
