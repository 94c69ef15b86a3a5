package image

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// WriteOCIArchive writes img as an OCI image layout packed in a tar, the form that
// 'ctr images import', 'podman load', 'skopeo copy oci-archive:' and Docker 25+
// 'docker load' read. ref (registry/repository:tag) names the image in index.json.
func WriteOCIArchive(w io.Writer, img v1.Image, ref string) error {
	dir, err := os.MkdirTemp("", "orgsync-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("image: layout: %w", err)
	}
	tag := ref
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		tag = ref[i+1:]
	}
	// containerd and Docker take the full name from the first annotation; the OCI
	// spec's ref.name holds the tag alone.
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"io.containerd.image.name":          ref,
		"org.opencontainers.image.ref.name": tag,
	})); err != nil {
		return fmt.Errorf("image: layout: %w", err)
	}
	return tarDir(w, dir)
}

// WriteOCIArchiveFile writes img as an OCI archive (see WriteOCIArchive) to path.
func WriteOCIArchiveFile(path string, img v1.Image, ref string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := WriteOCIArchive(w, img, ref); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// tarDir packs a directory with sorted names, fixed times and root ownership, so
// the archive's bytes depend only on the files' contents.
func tarDir(w io.Writer, dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	tw := tar.NewWriter(w)
	for _, path := range paths {
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		hdr := &tar.Header{Name: filepath.ToSlash(rel), ModTime: epoch, Format: tar.FormatUSTAR}
		if info.IsDir() {
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
		} else {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, info.Size()
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.IsDir() {
			if err := copyFile(tw, path); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// WriteRootfs writes the image's files under dir, for the Dockerfile, which copies
// them into a scratch image so that both describe the same contents.
func WriteRootfs(dir string, binary []byte) error {
	for _, f := range Files(binary) {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		var err error
		if f.Dir {
			err = os.MkdirAll(path, fs.FileMode(f.Mode&0o777))
			if err == nil {
				err = os.Chmod(path, fs.FileMode(f.Mode&0o777)|modeBits(f.Mode))
			}
		} else {
			err = os.WriteFile(path, f.Data, fs.FileMode(f.Mode))
		}
		if err != nil {
			return fmt.Errorf("image: rootfs %s: %w", f.Path, err)
		}
	}
	return nil
}

// modeBits carries the sticky bit of a tar mode over to Go's file mode.
func modeBits(mode int64) fs.FileMode {
	if mode&0o1000 != 0 {
		return fs.ModeSticky
	}
	return 0
}
