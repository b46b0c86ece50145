package project_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/internal/devkit/samtemplate"
)

// TestExamplesBuildOnTheirOwn checks each example under examples/ that has
// a template: every function is built by its own folder's Makefile from
// the module root (sam build copies ProjectRootDirectory), and none is a
// function of the main template, which the examples are deployed on top
// of.
func TestExamplesBuildOnTheirOwn(t *testing.T) {
	t.Parallel()
	main, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	templates, err := filepath.Glob(filepath.Join(root, "examples", "*", "template.yaml"))
	if err != nil || len(templates) == 0 {
		t.Fatalf("no example templates: %v", err)
	}
	for _, path := range templates {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			tpl, err := samtemplate.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			makefile, err := os.ReadFile(filepath.Join(dir, "Makefile"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
				t.Error(err)
			}
			if len(tpl.Functions) == 0 {
				t.Fatal("no function")
			}
			for _, f := range tpl.Functions {
				if _, clash := main.Function(f.ID); clash {
					t.Errorf("%s is also a function of the main template", f.ID)
				}
				if _, err := os.Stat(filepath.Join(root, "functions", strings.ToLower(strings.TrimSuffix(f.ID, "Function")))); err == nil {
					t.Errorf("%s has a folder under functions/, which the main template's build takes", f.ID)
				}
				meta, _ := tpl.Raw["Resources"].(map[string]any)[f.ID].(map[string]any)["Metadata"].(map[string]any)
				if f.BuildMethod != "makefile" || meta["ProjectRootDirectory"] != "../.." || meta["ContextPath"] != "." {
					t.Errorf("%s: Metadata %v, want BuildMethod makefile, ProjectRootDirectory ../.. and ContextPath .", f.ID, meta)
				}
				if !regexp.MustCompile(`(?m)^build-` + regexp.QuoteMeta(f.ID) + `:`).Match(makefile) {
					t.Errorf("%s/Makefile has no build-%s target for sam build", filepath.Base(dir), f.ID)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestMakefileLeavesNothingInTmp keeps the Makefile's recipes from writing
// fixed files under /tmp.
func TestMakefileLeavesNothingInTmp(t *testing.T) {
	t.Parallel()
	for _, path := range append([]string{filepath.Join(root, "Makefile")}, glob(t, filepath.Join(root, "examples", "*", "Makefile"))...) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "/tmp") {
			t.Errorf("%s writes under /tmp: use mktemp with a trap that removes the file", path)
		}
	}
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
