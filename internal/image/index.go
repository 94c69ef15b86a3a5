package image

import (
	"fmt"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Platform is the OCI platform an image built from spec runs on. arm64 is
// v8, as registries and containerd spell it for 64-bit ARM.
func Platform(arch string) v1.Platform {
	p := v1.Platform{OS: "linux", Architecture: arch}
	if arch == "arm64" {
		p.Variant = "v8"
	}
	return p
}

// BuildIndex builds one image per spec and lists them in an OCI image index,
// sorted by architecture, so the same binaries always give the same index digest
// whatever order they were given in.
func BuildIndex(specs []Spec) (v1.ImageIndex, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("image: no platforms")
	}
	specs = append([]Spec(nil), specs...)
	sort.Slice(specs, func(i, j int) bool { return specs[i].Arch < specs[j].Arch })
	var adds []mutate.IndexAddendum
	for i, spec := range specs {
		if i > 0 && spec.Arch == specs[i-1].Arch {
			return nil, fmt.Errorf("image: two binaries for %s", spec.Arch)
		}
		img, err := Build(spec)
		if err != nil {
			return nil, fmt.Errorf("image: %s: %w", spec.Arch, err)
		}
		platform := Platform(spec.Arch)
		adds = append(adds, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &platform},
		})
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	return mutate.AppendManifests(idx, adds...), nil
}
