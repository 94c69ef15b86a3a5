package release

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/orgsync/orgsync/internal/image"
)

// Config says what to publish and where.
type Config struct {
	// Registry is where everything goes, e.g. ghcr.io/orgsync or 127.0.0.1:5000:
	// the image to Registry/orgsync, the chart to oci://Registry/charts/orgsync.
	Registry string
	// Version tags the image; the chart carries its own version from Chart.yaml.
	Version string
	// Archive is the OCI archive of the image index 'make image' wrote.
	Archive string
	// SBOMs maps a GOARCH to the CycloneDX JSON of that platform's binary.
	SBOMs map[string]string
	// Chart is the chart's source directory.
	Chart string
	// Helm is the helm binary that packages and pushes the chart.
	Helm string
	// Work is a scratch directory.
	Work string
	// PlainHTTP talks HTTP instead of HTTPS, for a registry on loopback.
	PlainHTTP bool
}

// Result names what was pushed, by digest.
type Result struct {
	Image       string // Registry/orgsync@sha256:…, the index
	Platforms   map[string]v1.Hash
	SBOMs       map[string]v1.Hash // by platform, the referrer artifacts
	Chart       string             // oci://Registry/charts/orgsync
	ChartRef    string             // Registry/charts/orgsync@sha256:…
	ChartTag    string             // the chart's version
	ChartDigest string
}

// IsLoopback says whether a registry host is this machine, where plain HTTP is
// what a test registry speaks.
func IsLoopback(registry string) bool {
	host := strings.SplitN(registry, "/", 2)[0]
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Publish pushes the image index, attaches each platform's SBOM to that
// platform's image, pins the chart to the index's digest, and pushes the chart.
func Publish(ctx context.Context, cfg Config) (*Result, error) {
	var nameOpts []name.Option
	if cfg.PlainHTTP {
		nameOpts = append(nameOpts, name.Insecure)
	}
	repo, err := name.NewRepository(cfg.Registry+"/orgsync", nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("release: registry %q: %w", cfg.Registry, err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}

	idx, _, err := image.ReadIndexArchive(cfg.Archive, filepath.Join(cfg.Work, "layout"))
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	digest, err := idx.Digest()
	if err != nil {
		return nil, err
	}
	if err := remote.WriteIndex(repo.Tag(cfg.Version), idx, opts...); err != nil {
		return nil, fmt.Errorf("release: push image index: %w", err)
	}
	res := &Result{Image: repo.Digest(digest.String()).String(), Platforms: map[string]v1.Hash{}, SBOMs: map[string]v1.Hash{}}

	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		arch := d.Platform.Architecture
		res.Platforms[arch] = d.Digest
		path, ok := cfg.SBOMs[arch]
		if !ok {
			return nil, fmt.Errorf("release: no SBOM for linux/%s", arch)
		}
		sbom, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("release: %w", err)
		}
		h, err := AttachSBOM(ctx, repo, d, sbom, filepath.Base(path), opts...)
		if err != nil {
			return nil, fmt.Errorf("release: linux/%s: %w", arch, err)
		}
		res.SBOMs[arch] = h
	}
	if len(res.SBOMs) != len(cfg.SBOMs) {
		return nil, fmt.Errorf("release: %d SBOMs given for %d platforms", len(cfg.SBOMs), len(res.SBOMs))
	}

	if err := publishChart(ctx, cfg, repo.Name(), digest.String(), res); err != nil {
		return nil, err
	}
	return res, nil
}

// pushDigest is the digest 'helm push' reports.
var pushDigest = regexp.MustCompile(`(?m)^Digest: (sha256:[0-9a-f]{64})$`)

func publishChart(ctx context.Context, cfg Config, repository, digest string, res *Result) error {
	chart := filepath.Join(cfg.Work, "chart", filepath.Base(cfg.Chart))
	if err := PinChart(cfg.Chart, chart, repository, cfg.Version, digest); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	pkgDir := filepath.Join(cfg.Work, "package")
	if _, err := runHelm(ctx, cfg, "package", chart, "--destination", pkgDir); err != nil {
		return err
	}
	tgz, err := filepath.Glob(filepath.Join(pkgDir, "*.tgz"))
	if err != nil || len(tgz) != 1 {
		return fmt.Errorf("release: helm package wrote %v, want one chart archive", tgz)
	}
	args := []string{"push", tgz[0], "oci://" + cfg.Registry + "/charts"}
	if cfg.PlainHTTP {
		args = append(args, "--plain-http")
	}
	out, err := runHelm(ctx, cfg, args...)
	if err != nil {
		return err
	}
	got := pushDigest.FindStringSubmatch(out)
	if got == nil {
		return fmt.Errorf("release: helm push printed no digest:\n%s", out)
	}
	base := strings.TrimSuffix(filepath.Base(tgz[0]), ".tgz")
	res.Chart = "oci://" + cfg.Registry + "/charts/" + filepath.Base(cfg.Chart)
	res.ChartTag = strings.TrimPrefix(base, filepath.Base(cfg.Chart)+"-")
	res.ChartDigest = got[1]
	res.ChartRef = cfg.Registry + "/charts/" + filepath.Base(cfg.Chart) + "@" + got[1]
	return nil
}

// runHelm runs helm and returns what it printed on stdout and stderr (helm push
// reports its digest on stderr in some versions, stdout in others).
func runHelm(ctx context.Context, cfg Config, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, cfg.Helm, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("release: helm %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}
