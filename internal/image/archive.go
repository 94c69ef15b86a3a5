package image

import (
	"archive/tar"
	"bufio"
	"errors"
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
	return writeArchive(w, func(p layout.Path, names layout.Option) error { return p.AppendImage(img, names) }, ref)
}

// WriteIndexArchive writes a multi-platform image index the same way: index.json
// lists the index under ref, and the index lists one image per platform.
func WriteIndexArchive(w io.Writer, idx v1.ImageIndex, ref string) error {
	return writeArchive(w, func(p layout.Path, names layout.Option) error { return p.AppendIndex(idx, names) }, ref)
}

// WriteOCIArchiveFile writes img as an OCI archive (see WriteOCIArchive) to path.
func WriteOCIArchiveFile(path string, img v1.Image, ref string) error {
	return writeFile(path, func(w io.Writer) error { return WriteOCIArchive(w, img, ref) })
}

// WriteIndexArchiveFile writes idx as an OCI archive (see WriteIndexArchive) to path.
func WriteIndexArchiveFile(path string, idx v1.ImageIndex, ref string) error {
	return writeFile(path, func(w io.Writer) error { return WriteIndexArchive(w, idx, ref) })
}

func writeArchive(w io.Writer, appendTo func(layout.Path, layout.Option) error, ref string) error {
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
	if err := appendTo(p, layout.WithAnnotations(map[string]string{
		RefNameAnnotation:                   ref,
		"org.opencontainers.image.ref.name": tag,
	})); err != nil {
		return fmt.Errorf("image: layout: %w", err)
	}
	return tarDir(w, dir)
}

// RefNameAnnotation holds an archive's image name (registry/repository:tag) in its index.json.
const RefNameAnnotation = "io.containerd.image.name"

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := write(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadIndexArchive unpacks an archive WriteIndexArchive wrote into dir, which must
// outlive the returned index (its blobs are read from there), and returns the
// index with the name it was written under.
func ReadIndexArchive(path, dir string) (v1.ImageIndex, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	if err := untarTo(bufio.NewReader(f), dir); err != nil {
		return nil, "", fmt.Errorf("image: unpack %s: %w", path, err)
	}
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, "", fmt.Errorf("image: %s: %w", path, err)
	}
	m, err := top.IndexManifest()
	if err != nil {
		return nil, "", fmt.Errorf("image: %s: %w", path, err)
	}
	if len(m.Manifests) != 1 || !m.Manifests[0].MediaType.IsIndex() {
		return nil, "", fmt.Errorf("image: %s: %w", path, ErrNotAnIndexArchive)
	}
	idx, err := top.ImageIndex(m.Manifests[0].Digest)
	if err != nil {
		return nil, "", fmt.Errorf("image: %s: %w", path, err)
	}
	return idx, m.Manifests[0].Annotations[RefNameAnnotation], nil
}

// ErrNotAnIndexArchive is returned for an archive that does not hold exactly one
// image index, such as one 'make image' wrote before it built several platforms.
var ErrNotAnIndexArchive = errors.New("not an archive of one image index")

// untarTo unpacks the regular files and directories of a tar under dir, refusing
// names that would land outside it.
func untarTo(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(hdr.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("entry %q: not a local path", hdr.Name)
		}
		path := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q: type %c not expected in an OCI archive", hdr.Name, hdr.Typeflag)
		}
	}
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
