// Command build-image packs the manager binaries, one per architecture, into the
// operator's multi-platform OCI image: an image index in an OCI archive, with no
// container engine (see internal/image). With -rootfs it writes one binary's
// image files into a directory instead, for the Dockerfile.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/orgsync/orgsync/internal/image"
)

// binaries collects repeated -binary flags: ARCH=PATH, or PATH for -arch.
type binaries []string

func (b *binaries) String() string     { return strings.Join(*b, ",") }
func (b *binaries) Set(v string) error { *b = append(*b, v); return nil }

func main() {
	var (
		bins                                      binaries
		out, ref, arch, rootfs, version, revision string
	)
	flag.Var(&bins, "binary", "A static manager binary to pack, as ARCH=PATH (repeat it, one per platform), or PATH built for -arch.")
	flag.StringVar(&out, "out", "", "Where to write the OCI archive of the image index.")
	flag.StringVar(&ref, "ref", "ghcr.io/orgsync/orgsync:latest", "The image's name and tag, as recorded in the archive.")
	flag.StringVar(&arch, "arch", runtime.GOARCH, "The GOARCH of a -binary given without ARCH=.")
	flag.StringVar(&rootfs, "rootfs", "", "Write the image's files under this directory instead of an archive (one -binary).")
	flag.StringVar(&version, "version", "", "The version label (org.opencontainers.image.version).")
	flag.StringVar(&revision, "revision", "", "The source revision label (org.opencontainers.image.revision).")
	flag.Parse()
	if err := run(bins, out, ref, arch, rootfs, version, revision); err != nil {
		fmt.Fprintln(os.Stderr, "build-image:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("give -binary and one of -out or -rootfs (-rootfs takes one -binary)")

func run(bins binaries, out, ref, arch, rootfs, version, revision string) error {
	if len(bins) == 0 || (out == "") == (rootfs == "") || (rootfs != "" && len(bins) != 1) {
		return errUsage
	}
	labels := map[string]string{"org.opencontainers.image.source": "https://github.com/orgsync/orgsync"}
	if version != "" {
		labels["org.opencontainers.image.version"] = version
	}
	if revision != "" {
		labels["org.opencontainers.image.revision"] = revision
	}
	var specs []image.Spec
	for _, b := range bins {
		a, path, ok := strings.Cut(b, "=")
		if !ok {
			a, path = arch, b
		}
		bin, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		specs = append(specs, image.Spec{Binary: bin, Arch: a, Labels: labels})
	}
	if rootfs != "" {
		return image.WriteRootfs(rootfs, specs[0].Binary)
	}
	idx, err := image.BuildIndex(specs)
	if err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	if err := image.WriteIndexArchiveFile(out, idx, ref); err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	fmt.Printf("%s %s@%s\n", out, ref, digest)
	for _, d := range m.Manifests {
		fmt.Printf("  %s/%s%s %s\n", d.Platform.OS, d.Platform.Architecture, variant(d.Platform.Variant), d.Digest)
	}
	return nil
}

func variant(v string) string {
	if v == "" {
		return ""
	}
	return "/" + v
}
