package localapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"webhookguard/shared/apigw"
	"webhookguard/shared/localapi"
)

func TestParseRoutesReadsTheProjectTemplate(t *testing.T) {
	t.Parallel()
	tpl, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	routes, err := localapi.ParseRoutes(tpl)
	if err != nil {
		t.Fatal(err)
	}
	want := []localapi.Route{{"WebexFunction", "POST", "/webex"}, {"QiscusFunction", "POST", "/qiscus"}, {"SignalWireFunction", "POST", "/signalwire"}}
	if len(routes) != len(want) {
		t.Fatalf("routes = %v, want %v", routes, want)
	}
	for i := range want {
		if routes[i] != want[i] {
			t.Fatalf("routes = %v, want %v", routes, want)
		}
	}
}

func TestParseRoutesRefusesATemplateWithoutRoutes(t *testing.T) {
	t.Parallel()
	if _, err := localapi.ParseRoutes([]byte("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")); err == nil {
		t.Fatal("no error")
	}
}

func TestServerSendsWhatAnHTTPAPISends(t *testing.T) {
	t.Parallel()
	var got *apigw.Event
	s := localapi.NewServer()
	s.Handle(localapi.Route{Function: "F", Method: "POST", Path: "/hook"}, func(_ context.Context, ev *apigw.Event) (apigw.Response, error) {
		got = ev
		return apigw.Response{StatusCode: 202, Headers: map[string]string{"X-A": "b"}, Body: "done"}, nil
	})
	ts := httptest.NewServer(s)
	defer ts.Close()
	resp, err := http.Post(ts.URL+"/hook?b=2&a='1'", "application/x-www-form-urlencoded", strings.NewReader("To=%2B1"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 || string(body) != "done" || resp.Header.Get("X-A") != "b" {
		t.Fatalf("response %d %q %v", resp.StatusCode, body, resp.Header)
	}
	raw, err := got.RawBody(0)
	if err != nil || string(raw) != "To=%2B1" || !got.IsBase64Encoded || got.RawQueryString != "b=2&a='1'" ||
		got.Method() != "POST" || got.Headers["content-type"] != "application/x-www-form-urlencoded" || got.RawPath != "/hook" {
		t.Fatalf("event %+v", got)
	}
}

// FuzzParseRoutes feeds arbitrary templates: parsing never panics, and every
// route found has a function, a method and a path.
func FuzzParseRoutes(f *testing.F) {
	if tpl, err := os.ReadFile("../../template.yaml"); err == nil {
		f.Add(tpl)
	}
	f.Add([]byte("Resources:\n  F:\n    Type: AWS::Serverless::Function\n      Path: /x\n      Method: post\n"))
	f.Fuzz(func(t *testing.T, tpl []byte) {
		routes, err := localapi.ParseRoutes(tpl)
		if err != nil {
			return
		}
		for _, r := range routes {
			if r.Function == "" || r.Method == "" || r.Path == "" {
				t.Fatalf("incomplete route %+v", r)
			}
		}
	})
}
