// Command build-image packs the manager binary into the operator's OCI image
// tarball, with no container engine (see internal/image). With -rootfs it writes
// the same files into a directory instead, for the Dockerfile.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/orgsync/orgsync/internal/image"
)

func main() {
	var (
		binary, out, ref, arch, rootfs, version, revision string
	)
	flag.StringVar(&binary, "binary", "", "The static manager binary to pack (required).")
	flag.StringVar(&out, "out", "", "Where to write the OCI image tarball.")
	flag.StringVar(&ref, "ref", "ghcr.io/orgsync/orgsync:latest", "The image's name and tag, as recorded in the tarball.")
	flag.StringVar(&arch, "arch", runtime.GOARCH, "The GOARCH the binary was built for.")
	flag.StringVar(&rootfs, "rootfs", "", "Write the image's files under this directory instead of a tarball.")
	flag.StringVar(&version, "version", "", "The version label (org.opencontainers.image.version).")
	flag.StringVar(&revision, "revision", "", "The source revision label (org.opencontainers.image.revision).")
	flag.Parse()
	if err := run(binary, out, ref, arch, rootfs, version, revision); err != nil {
		fmt.Fprintln(os.Stderr, "build-image:", err)
		os.Exit(1)
	}
}

func run(binary, out, ref, arch, rootfs, version, revision string) error {
	if binary == "" || (out == "") == (rootfs == "") {
		return fmt.Errorf("give -binary and one of -out or -rootfs")
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	if rootfs != "" {
		return image.WriteRootfs(rootfs, bin)
	}
	labels := map[string]string{"org.opencontainers.image.source": "https://github.com/orgsync/orgsync"}
	if version != "" {
		labels["org.opencontainers.image.version"] = version
	}
	if revision != "" {
		labels["org.opencontainers.image.revision"] = revision
	}
	img, err := image.Build(image.Spec{Binary: bin, Arch: arch, Labels: labels})
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	if err := image.WriteOCIArchiveFile(out, img, ref); err != nil {
		return err
	}
	fmt.Printf("%s %s@%s\n", out, ref, digest)
	return nil
}
