package project_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/internal/devkit/samtemplate"
	"github.com/webhookguard/webhookguard/shared/provider"
)

const root = "../.."

// folders returns the function folders under functions/: what the
// Makefile builds.
func folders(t *testing.T) []string {
	t.Helper()
	dirs, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if d.IsDir() {
			out = append(out, d.Name())
		}
	}
	return out
}

// folderOf is the Makefile's rule: the folder whose name, without dashes,
// is the logical id without "Function", in any case.
func folderOf(id string, folders []string) string {
	want := strings.ToLower(strings.TrimSuffix(id, "Function"))
	for _, f := range folders {
		if strings.ReplaceAll(f, "-", "") == want {
			return f
		}
	}
	return ""
}

func TestTemplateFoldersAndProvidersAgree(t *testing.T) {
	t.Parallel()
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dirs := folders(t)
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			f, ok := tpl.Function(p.FunctionID)
			if !ok {
				t.Fatalf("template.yaml has no function %s", p.FunctionID)
			}
			if f.BuildMethod != "makefile" {
				t.Fatalf("%s: BuildMethod %q, want makefile", f.ID, f.BuildMethod)
			}
			routes := map[string]bool{}
			for _, r := range f.Routes {
				routes[r.Method+" "+r.Path] = true
			}
			if !routes["POST /"+p.Name] {
				t.Fatalf("%s: routes %v lack POST /%s", f.ID, f.Routes, p.Name)
			}
			if got := folderOf(p.FunctionID, dirs); got != p.Name {
				t.Fatalf("the Makefile builds %s from functions/%s, want functions/%s", p.FunctionID, got, p.Name)
			}
		})
	}
	ids := map[string]bool{}
	for _, f := range tpl.Functions {
		ids[f.ID] = true
		if folderOf(f.ID, dirs) == "" {
			t.Errorf("template function %s has no folder under functions/ for the Makefile to build", f.ID)
		}
	}
	for _, d := range dirs {
		found := false
		for id := range ids {
			if folderOf(id, []string{d}) == d {
				found = true
			}
		}
		if !found {
			t.Errorf("functions/%s is not a function of template.yaml", d)
		}
	}
}

func TestMakefileBuildsEveryFunctionByTheSameRule(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"$(wildcard functions/*/)", "build-%:", `tr -d -`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the Makefile lacks %q: functions are built from their folders by one rule", want)
		}
	}
	if regexp.MustCompile(`(?m)^build-[A-Z]`).Match(b) {
		t.Error("the Makefile has a build target for one function; the build-% rule serves them all")
	}
}
