// Package docs checks that the reference pages cover what the code defines.
package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/status.md must explain every condition reason the API defines.
func TestStatusReferenceListsEveryReason(t *testing.T) {
	src, err := os.ReadFile("../api/v1alpha1/conditions.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("status.md")
	if err != nil {
		t.Fatal(err)
	}
	reasons := regexp.MustCompile(`\bReason[A-Za-z]+ += "([A-Za-z]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(reasons) < 10 {
		t.Fatalf("found %d reasons in conditions.go", len(reasons))
	}
	for _, r := range reasons {
		if !strings.Contains(string(doc), "| `"+r[1]+"` |") {
			t.Errorf("docs/status.md has no row for the reason %s", r[1])
		}
	}
}

// Every test docs/reliability.md names as a proof exists.
func TestReliabilityNamesRealTests(t *testing.T) {
	doc, err := os.ReadFile("reliability.md")
	if err != nil {
		t.Fatal(err)
	}
	var sources strings.Builder
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, "_test.go") {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	src := sources.String()
	tests := regexp.MustCompile("`(Test[A-Za-z0-9]+)`").FindAllStringSubmatch(string(doc), -1)
	specs := regexp.MustCompile(`"([a-z][^"|]+)"`).FindAllStringSubmatch(string(doc), -1)
	if len(tests) < 20 || len(specs) < 10 {
		t.Fatalf("found %d tests and %d specs named", len(tests), len(specs))
	}
	for _, m := range tests {
		if !strings.Contains(src, "func "+m[1]+"(") {
			t.Errorf("reliability.md names %s, which no test defines", m[1])
		}
	}
	for _, m := range specs {
		if !strings.Contains(src, `It("`+m[1]+`"`) {
			t.Errorf("reliability.md names the spec %q, which no test defines", m[1])
		}
	}
}
