package samtemplate_test

import (
	"os"
	"slices"
	"testing"

	"github.com/webhookguard/webhookguard/internal/devkit/samtemplate"
)

func TestParseReadsFunctionsRoutesAndEnvironment(t *testing.T) {
	t.Parallel()
	tpl, err := samtemplate.Parse([]byte(`
Globals:
  Function:
    Environment:
      Variables:
        QUEUE_URL: !Ref Queue
Resources:
  Queue:
    Type: AWS::SQS::Queue
  HookFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: makefile
    Properties:
      CodeUri: .
      Environment:
        Variables:
          SECRET_ID: !Ref SecretArn
      Events:
        Plain:
          Type: HttpApi
          Properties: {Path: /hook, Method: post}
        PerSource:
          Type: HttpApi
          Properties:
            Path: /hook/{source}
            Method: POST
`))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := tpl.Function("HookFunction")
	if !ok || len(tpl.Functions) != 1 {
		t.Fatalf("functions = %+v", tpl.Functions)
	}
	wantRoutes := []samtemplate.Route{{"HookFunction", "POST", "/hook/{source}"}, {"HookFunction", "POST", "/hook"}}
	if f.BuildMethod != "makefile" || f.CodeURI != "." || !slices.Equal(f.Routes, wantRoutes) || !slices.Equal(f.Env, []string{"QUEUE_URL", "SECRET_ID"}) {
		t.Fatalf("function = %+v", f)
	}
}

func TestParseRefusesATemplateWithoutResources(t *testing.T) {
	t.Parallel()
	if _, err := samtemplate.Parse([]byte("Parameters: {}\n")); err == nil {
		t.Fatal("no error")
	}
}

// FuzzParse feeds arbitrary templates: parsing never panics, and every
// route found has a function, a method and a path.
func FuzzParse(f *testing.F) {
	if tpl, err := os.ReadFile("../../../template.yaml"); err == nil {
		f.Add(tpl)
	}
	f.Add([]byte("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E: {Type: HttpApi, Properties: {Path: /x, Method: post}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tpl, err := samtemplate.Parse(b)
		if err != nil {
			return
		}
		for _, r := range tpl.Routes() {
			if r.Function == "" || r.Method == "" || r.Path == "" {
				t.Fatalf("incomplete route %+v", r)
			}
		}
	})
}
