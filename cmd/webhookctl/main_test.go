package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/internal/devkit/devenv"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/verify"
)

func TestCommittedEventsAreUpToDate(t *testing.T) {
	dir := t.TempDir()
	if err := events([]string{"-dir", dir, "-env", filepath.Join(dir, "env.json"), "-template", "../../template.yaml"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 10 {
		t.Fatalf("%d files written, want 9 events and env.json", len(files))
	}
	for _, f := range files {
		committed := filepath.Join("..", "..", "events", filepath.Base(f))
		if filepath.Base(f) == "env.json" {
			committed = filepath.Join("..", "..", "env.json")
		}
		want, err := os.ReadFile(committed)
		if err != nil {
			t.Fatalf("%v (run make events)", err)
		}
		got, _ := os.ReadFile(f)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s is out of date: run make events", committed)
		}
	}
}

func TestSendSignsWhatTheVerifierAccepts(t *testing.T) {
	for _, p := range provider.All {
		for _, tc := range []struct {
			name   string
			args   []string
			stdin  string
			want   int
			scheme verify.Scheme
		}{
			{"signs the sample with the development secret", nil, "", 200, ""},
			{"signs a body from stdin", []string{"-file", "-"}, `{"call":{"call_state":"created"}}`, 200, ""},
			{"signs with a wrong key on request", []string{"-wrong-key"}, "", 401, ""},
		} {
			t.Run(p.Name+" "+tc.name, func(t *testing.T) {
				v, err := p.NewVerifier(verify.Key{Name: "AWSCURRENT", Secret: []byte(devenv.Secret(p.Name))})
				if err != nil {
					t.Fatal(err)
				}
				var gotBody []byte
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					gotBody, _ = io.ReadAll(r.Body)
					u := "http://" + r.Host + r.URL.RequestURI()
					if _, err := v.Verify(r.Context(), verify.Request{URL: u, Header: r.Header, Body: gotBody}); err != nil {
						http.Error(w, err.Error(), http.StatusUnauthorized)
						return
					}
					w.Write([]byte("ok"))
				}))
				defer srv.Close()
				args := append([]string{"-provider", p.Name, "-url", srv.URL + "/" + p.Name, "-expect", itoa(tc.want)}, tc.args...)
				var out bytes.Buffer
				if err := send(args, strings.NewReader(tc.stdin), &out); err != nil {
					t.Fatalf("send: %v\n%s", err, out.String())
				}
				if tc.stdin != "" && string(gotBody) != tc.stdin {
					t.Fatalf("sent %q, want %q", gotBody, tc.stdin)
				}
			})
		}
	}
}

func TestSendRefusesAnUnknownProvider(t *testing.T) {
	if err := send([]string{"-provider", "github"}, nil, io.Discard); err == nil {
		t.Fatal("no error")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "describes itself on -h", args: []string{"-h"}, wantCode: 0, wantStdout: "webhookctl signs and sends webhooks"},
		{name: "describes send on -h", args: []string{"send", "-h"}, wantCode: 0, wantStdout: "Sign a body the way the provider does"},
		{name: "describes events on -h", args: []string{"events", "-help"}, wantCode: 0, wantStdout: "Write signed API Gateway events"},
		{name: "refuses no command", args: nil, wantCode: 2, wantStderr: "no command given"},
		{name: "refuses an unknown command", args: []string{"sned"}, wantCode: 2, wantStderr: `unknown command "sned"`},
		{name: "refuses an unknown flag", args: []string{"send", "-provder", "webex"}, wantCode: 2, wantStderr: "flag provided but not defined: -provder"},
		{name: "refuses an extra argument to send", args: []string{"send", "-provider", "webex", "now"}, wantCode: 2, wantStderr: `unexpected argument "now"`},
		{name: "refuses an extra argument to events", args: []string{"events", "out"}, wantCode: 2, wantStderr: `unexpected argument "out"`},
		{name: "refuses -secret with -secret-id", args: []string{"send", "-provider", "webex", "-secret", "a", "-secret-id", "b"}, wantCode: 2,
			wantStderr: "-secret and -secret-id cannot be used together"},
		{name: "refuses -wrong-key with -secret", args: []string{"send", "-provider", "webex", "-wrong-key", "-secret", "a"}, wantCode: 2,
			wantStderr: "-secret and -wrong-key cannot be used together"},
		{name: "refuses -wrong-key with -secret-id", args: []string{"send", "-provider", "webex", "-secret-id", "s", "-wrong-key"}, wantCode: 2,
			wantStderr: "-secret-id and -wrong-key cannot be used together"},
		{name: "refuses an unknown provider", args: []string{"send", "-provider", "github"}, wantCode: 2, wantStderr: "-provider must be one of"},
		{name: "refuses -sign-url for a provider that does not sign the URL", args: []string{"send", "-provider", "qiscus", "-sign-url", "https://x/q"}, wantCode: 2,
			wantStderr: "not qiscus"},
		{name: "fails with 1 when the URL does not answer", args: []string{"send", "-provider", "webex", "-url", "http://127.0.0.1:1/webex"}, wantCode: 1,
			wantStderr: "webhookctl send: Post"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != tc.wantCode || !strings.Contains(stdout.String(), tc.wantStdout) || !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout.String(), stderr.String())
			}
			if code == 2 && !strings.Contains(stderr.String(), "Usage") {
				t.Fatalf("no usage on stderr:\n%s", stderr.String())
			}
			if code == 0 && stderr.Len() != 0 {
				t.Fatalf("stderr after -h: %s", stderr.String())
			}
		})
	}
}

func TestSendToASource(t *testing.T) {
	moto := mototest.Start(t)
	moto.CreateSecret(t, "wg/webex/alpha", "alpha-key-in-secrets-manager")
	t.Setenv("AWS_ENDPOINT_URL", moto.URL)
	t.Setenv("AWS_REGION", mototest.Region)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	tests := []struct {
		name     string
		p        provider.Provider
		args     []string
		key      string
		wantPath string
	}{
		{"signs for webex's source with the source's development secret", provider.Webex, nil, devenv.SourceSecret("webex", "alpha"), "/webex/alpha"},
		{"signs for qiscus's source with the source's development secret", provider.Qiscus, nil, devenv.SourceSecret("qiscus", "alpha"), "/qiscus/alpha"},
		{"signs the source's URL for signalwire", provider.SignalWire, nil, devenv.SourceSecret("signalwire", "alpha"), "/signalwire/alpha"},
		{"keeps a query string after the source", provider.SignalWire, []string{"-url", "{base}/signalwire?x=1"}, devenv.SourceSecret("signalwire", "alpha"), "/signalwire/alpha?x=1"},
		{"reads the source's secret from a secret id with {source}", provider.Webex, []string{"-secret-id", "wg/webex/{source}"}, "alpha-key-in-secrets-manager", "/webex/alpha"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.p.NewVerifier(verify.Key{Name: "AWSCURRENT", Secret: []byte(tc.key)})
			if err != nil {
				t.Fatal(err)
			}
			var gotPath string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				gotPath = r.URL.RequestURI()
				if _, err := v.Verify(r.Context(), verify.Request{URL: "http://" + r.Host + r.URL.RequestURI(), Header: r.Header, Body: body}); err != nil {
					http.Error(w, err.Error(), http.StatusUnauthorized)
					return
				}
				w.Write([]byte("ok"))
			}))
			defer srv.Close()
			args := []string{"-provider", tc.p.Name, "-url", srv.URL + "/" + tc.p.Name, "-source", "alpha", "-expect", "200"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "{base}", srv.URL))
			}
			var out bytes.Buffer
			if err := send(args, nil, &out); err != nil || gotPath != tc.wantPath {
				t.Fatalf("send: %v, path %q (want %q)\n%s", err, gotPath, tc.wantPath, out.String())
			}
		})
	}
}

func TestEventsRefusesAVariableTheTemplateDoesNotDeclare(t *testing.T) {
	dir := t.TempDir()
	tpl := filepath.Join(dir, "template.yaml")
	// Every function of the real template, without AWS_ENDPOINT_URL: sam
	// local would drop it from env.json and call the real AWS account.
	b, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stripped := strings.ReplaceAll(string(b), `AWS_ENDPOINT_URL: ""`, `UNRELATED: ""`)
	if stripped == string(b) {
		t.Fatal("template.yaml does not declare AWS_ENDPOINT_URL as the test expects")
	}
	if err := os.WriteFile(tpl, []byte(stripped), 0o644); err != nil {
		t.Fatal(err)
	}
	err = events([]string{"-dir", dir, "-env", filepath.Join(dir, "env.json"), "-template", tpl}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "AWS_ENDPOINT_URL") {
		t.Fatalf("events: %v, want an error naming AWS_ENDPOINT_URL", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "env.json")); !os.IsNotExist(err) {
		t.Fatalf("env.json written anyway (%v)", err)
	}
}
