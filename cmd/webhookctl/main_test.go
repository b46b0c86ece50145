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

	"webhookguard/shared/devenv"
	"webhookguard/shared/provider"
	"webhookguard/shared/verify"
)

func TestCommittedEventsAreUpToDate(t *testing.T) {
	dir := t.TempDir()
	if err := events([]string{"-dir", dir, "-env", filepath.Join(dir, "env.json")}, io.Discard); err != nil {
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
					if _, err := v.Verify(verify.Request{URL: u, Header: r.Header, Body: gotBody}); err != nil {
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
