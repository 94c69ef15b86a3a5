// Command release publishes a release to an OCI registry (see internal/release):
// the image index from 'make image', each platform's SBOM from 'make sbom' as a
// referrer of that platform's image, and the chart pinned to the index's digest.
// It writes what it pushed, by digest, as shell assignments to -result, for the
// signing step.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/orgsync/orgsync/internal/release"
)

// archFiles collects repeated ARCH=PATH flags.
type archFiles map[string]string

func (a archFiles) String() string { return fmt.Sprint(map[string]string(a)) }
func (a archFiles) Set(v string) error {
	arch, path, ok := strings.Cut(v, "=")
	if !ok || arch == "" || path == "" {
		return fmt.Errorf("want ARCH=PATH, got %q", v)
	}
	a[arch] = path
	return nil
}

func main() {
	cfg := release.Config{SBOMs: archFiles{}}
	var result, plainHTTP string
	flag.StringVar(&cfg.Registry, "registry", "", "Where to publish: the image goes to REGISTRY/orgsync, the chart to oci://REGISTRY/charts/orgsync (required).")
	flag.StringVar(&cfg.Version, "version", "", "The image tag (required).")
	flag.StringVar(&cfg.Archive, "archive", "bin/orgsync-image.tar", "The OCI archive of the image index.")
	flag.Var(archFiles(cfg.SBOMs), "sbom", "A platform's SBOM, as ARCH=PATH; one per platform of the index.")
	flag.StringVar(&cfg.Chart, "chart", "charts/orgsync", "The chart's directory.")
	flag.StringVar(&cfg.Helm, "helm", "helm", "The helm binary.")
	flag.StringVar(&result, "result", "", "Write what was pushed here, as shell assignments.")
	flag.StringVar(&plainHTTP, "plain-http", "auto", "Speak plain HTTP to the registry: true, false, or auto (only for loopback).")
	flag.Parse()
	if err := run(cfg, result, plainHTTP); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(cfg release.Config, result, plainHTTP string) error {
	if cfg.Registry == "" || cfg.Version == "" {
		return fmt.Errorf("give -registry and -version")
	}
	switch plainHTTP {
	case "auto":
		cfg.PlainHTTP = release.IsLoopback(cfg.Registry)
	case "true", "false":
		cfg.PlainHTTP = plainHTTP == "true"
	default:
		return fmt.Errorf("-plain-http %q: want true, false or auto", plainHTTP)
	}
	work, err := os.MkdirTemp("", "orgsync-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	cfg.Work = work

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := release.Publish(ctx, cfg)
	if err != nil {
		return err
	}
	lines := []string{
		"IMAGE=" + res.Image,
		"CHART=" + res.Chart,
		"CHART_VERSION=" + res.ChartTag,
		"CHART_REF=" + res.ChartRef,
	}
	arches := make([]string, 0, len(res.Platforms))
	for a := range res.Platforms {
		arches = append(arches, a)
	}
	sort.Strings(arches)
	for _, a := range arches {
		lines = append(lines, fmt.Sprintf("IMAGE_%s=%s", strings.ToUpper(a), res.Platforms[a]), fmt.Sprintf("SBOM_%s=%s", strings.ToUpper(a), res.SBOMs[a]))
	}
	out := strings.Join(lines, "\n") + "\n"
	fmt.Print(out)
	if result != "" {
		return os.WriteFile(result, []byte(out), 0o644)
	}
	return nil
}
