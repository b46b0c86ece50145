// Package samtemplate reads the parts of a SAM template (template.yaml) the
// project's tools and tests need: each function's logical id, build method,
// routes and declared environment variables. CloudFormation's short-form
// tags (!Ref, !GetAtt, !Sub, ...) are read as their plain values.
package samtemplate

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed SAM template.
type Template struct {
	// Functions lists the AWS::Serverless::Function resources, by logical
	// id in order.
	Functions []Function
	// Raw is the whole template as decoded YAML.
	Raw map[string]any
}

// Function is one AWS::Serverless::Function.
type Function struct {
	// ID is the logical id, such as WebexFunction.
	ID string
	// CodeURI is Properties.CodeUri.
	CodeURI string
	// BuildMethod is Metadata.BuildMethod.
	BuildMethod string
	// Routes are its HttpApi events.
	Routes []Route
	// Env lists the environment variables declared for it, its own and
	// the Globals', sorted.
	Env []string
	// Properties is the resource's Properties as decoded YAML.
	Properties map[string]any
}

// Route is one HttpApi event of a function.
type Route struct {
	// Function is the function's logical id.
	Function string
	Method   string
	// Path is the route path, such as /webex or /webex/{source}.
	Path string
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse parses a template.
func Parse(b []byte) (*Template, error) {
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	t := &Template{Raw: raw}
	globalEnv := keys(dig(raw, "Globals", "Function", "Environment", "Variables"))
	resources, _ := raw["Resources"].(map[string]any)
	if len(resources) == 0 {
		return nil, errors.New("samtemplate: no Resources")
	}
	ids := make([]string, 0, len(resources))
	for id := range resources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r, _ := resources[id].(map[string]any)
		if r["Type"] != "AWS::Serverless::Function" {
			continue
		}
		props, _ := r["Properties"].(map[string]any)
		f := Function{ID: id, Properties: props}
		f.CodeURI, _ = props["CodeUri"].(string)
		f.BuildMethod, _ = dig(r, "Metadata", "BuildMethod").(string)
		env := append(keys(dig(props, "Environment", "Variables")), globalEnv...)
		slices.Sort(env)
		f.Env = slices.Compact(env)
		events, _ := props["Events"].(map[string]any)
		names := make([]string, 0, len(events))
		for n := range events {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			ev, _ := events[n].(map[string]any)
			if ev["Type"] != "HttpApi" {
				continue
			}
			method, _ := dig(ev, "Properties", "Method").(string)
			path, _ := dig(ev, "Properties", "Path").(string)
			if method != "" && path != "" {
				f.Routes = append(f.Routes, Route{Function: id, Method: strings.ToUpper(method), Path: path})
			}
		}
		t.Functions = append(t.Functions, f)
	}
	return t, nil
}

// Function returns the function with logical id id.
func (t *Template) Function(id string) (Function, bool) {
	for _, f := range t.Functions {
		if f.ID == id {
			return f, true
		}
	}
	return Function{}, false
}

// Routes returns every HttpApi route of every function.
func (t *Template) Routes() []Route {
	var out []Route
	for _, f := range t.Functions {
		out = append(out, f.Routes...)
	}
	return out
}

// dig walks nested maps by key.
func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
