// Package release publishes what 'make image' and 'make sbom' built, and the Helm
// chart, to an OCI registry: the image index, one SBOM per platform attached to
// that platform's image as an OCI referrer, and the chart with its image pinned to
// the pushed index by digest.
package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types of an SBOM attached as an OCI 1.1 artifact: the artifact type and
// its one layer are CycloneDX JSON; the config is the empty descriptor.
const (
	CycloneDXJSON types.MediaType = "application/vnd.cyclonedx+json"
	emptyJSON     types.MediaType = "application/vnd.oci.empty.v1+json"
)

// TitleAnnotation names an artifact layer's file, as 'oras pull' saves it.
const TitleAnnotation = "org.opencontainers.image.title"

// emptyConfig is the OCI empty descriptor's content.
var emptyConfig = []byte("{}")

// rawManifest is a manifest pushed as it is, with its blobs uploaded beforehand.
type rawManifest struct {
	body      []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.body, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }

// sbomManifest describes sbom as an artifact that refers to subject.
func sbomManifest(sbom []byte, filename string, subject v1.Descriptor) ([]byte, error) {
	cfg, err := descriptorOf(emptyConfig, emptyJSON)
	if err != nil {
		return nil, err
	}
	cfg.Data = emptyConfig
	layer, err := descriptorOf(sbom, CycloneDXJSON)
	if err != nil {
		return nil, err
	}
	layer.Annotations = map[string]string{TitleAnnotation: filename}
	// Only what identifies the subject: a platform or annotations copied along
	// would make the referrer's digest depend on how the subject was described.
	subject = v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	return json.Marshal(v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  string(CycloneDXJSON),
		Config:        cfg,
		Layers:        []v1.Descriptor{layer},
		Subject:       &subject,
	})
}

func descriptorOf(data []byte, mt types.MediaType) (v1.Descriptor, error) {
	l := static.NewLayer(data, mt)
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Digest: d, Size: int64(len(data))}, nil
}

// AttachSBOM pushes sbom to repo as an artifact whose subject is the manifest
// subject describes, and returns the artifact's digest. Registries with the OCI
// referrers API list it there; for the others go-containerregistry keeps the
// referrers tag (sha256-<digest>) up to date.
func AttachSBOM(ctx context.Context, repo name.Repository, subject v1.Descriptor, sbom []byte, filename string, opts ...remote.Option) (v1.Hash, error) {
	body, err := sbomManifest(sbom, filename, subject)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("sbom manifest: %w", err)
	}
	p, err := remote.NewPusher(opts...)
	if err != nil {
		return v1.Hash{}, err
	}
	for _, blob := range []struct {
		data []byte
		mt   types.MediaType
	}{{emptyConfig, emptyJSON}, {sbom, CycloneDXJSON}} {
		if err := p.Upload(ctx, repo, static.NewLayer(blob.data, blob.mt)); err != nil {
			return v1.Hash{}, fmt.Errorf("upload sbom blob: %w", err)
		}
	}
	digest, _, err := v1.SHA256(bytes.NewReader(body))
	if err != nil {
		return v1.Hash{}, err
	}
	if err := p.Push(ctx, repo.Digest(digest.String()), rawManifest{body: body, mediaType: types.OCIManifestSchema1}); err != nil {
		return v1.Hash{}, fmt.Errorf("push sbom manifest: %w", err)
	}
	return digest, nil
}
