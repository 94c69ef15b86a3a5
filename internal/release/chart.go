package release

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ErrChartLayout is returned when the chart's files do not have the lines
// PinChart rewrites, so a release never ships a chart that still names the
// unpinned image.
var ErrChartLayout = errors.New("chart: not the layout PinChart knows")

// PinChart copies the chart at src to dst with its image pinned to
// repository@digest: values.yaml's image.repository and image.digest, and the
// image Chart.yaml's artifacthub.io/images annotation lists, if it has one. The rest of both
// files, comments included, is left as it is.
func PinChart(src, dst, repository, tag, digest string) error {
	if err := copyTree(src, dst); err != nil {
		return fmt.Errorf("chart: copy: %w", err)
	}
	if err := editFile(filepath.Join(dst, "values.yaml"), func(s string) (string, error) {
		return pinValues(s, repository, digest)
	}); err != nil {
		return err
	}
	return editFile(filepath.Join(dst, "Chart.yaml"), func(s string) (string, error) {
		return pinAnnotation(s, fmt.Sprintf("%s:%s@%s", repository, tag, digest))
	})
}

func editFile(path string, edit func(string) (string, error)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := edit(string(data))
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

// pinValues sets repository and digest in the top-level image block.
func pinValues(values, repository, digest string) (string, error) {
	lines := strings.Split(values, "\n")
	start := -1
	for i, l := range lines {
		if l == "image:" {
			start = i
			break
		}
	}
	if start < 0 {
		return "", fmt.Errorf("%w: no top-level image block", ErrChartLayout)
	}
	set := map[string]string{"repository": repository, "digest": digest}
	done := map[string]bool{}
	for i := start + 1; i < len(lines) && (lines[i] == "" || strings.HasPrefix(lines[i], " ")); i++ {
		for key, v := range set {
			if strings.HasPrefix(lines[i], "  "+key+":") {
				lines[i] = fmt.Sprintf("  %s: %q", key, v)
				done[key] = true
			}
		}
	}
	for key := range set {
		if !done[key] {
			return "", fmt.Errorf("%w: no image.%s", ErrChartLayout, key)
		}
	}
	return strings.Join(lines, "\n"), nil
}

// imageLine is the operator's entry in the artifacthub.io/images annotation.
var imageLine = regexp.MustCompile(`(?m)^(    - name: orgsync\n      image: ).*$`)

// pinAnnotation rewrites the operator's image in artifacthub.io/images. A chart
// without that annotation (one released before it had one) is left as it is.
func pinAnnotation(chart, ref string) (string, error) {
	if !strings.Contains(chart, "\n  artifacthub.io/images:") {
		return chart, nil
	}
	if n := len(imageLine.FindAllStringIndex(chart, -1)); n != 1 {
		return "", fmt.Errorf("%w: %d orgsync entries in artifacthub.io/images, want 1", ErrChartLayout, n)
	}
	return imageLine.ReplaceAllString(chart, "${1}"+ref), nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
