package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

const target = "https://api.example.com/webex"

// setup starts a Webex stand-in and a moto_server holding the webhook secret
// and the bot token, and returns a runner of command lines against them.
func setup(t *testing.T) (*webexstub.Server, func(env map[string]string, args ...string) (code int, stdout, stderr string)) {
	t.Helper()
	moto := mototest.Shared(t)
	name := strings.ReplaceAll(t.Name(), "/", "-")
	moto.CreateSecret(t, name+"-secret", "the-webhook-secret")
	moto.CreateSecret(t, name+"-token", "bot-token")
	api := webexstub.New("bot-token", webexapi.Person{ID: "BOT"})
	t.Cleanup(api.Close)
	newSecrets := func(context.Context) (secrets.Client, error) { return moto.SecretsClient(), nil }
	return api, func(env map[string]string, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		expanded := make([]string, 0, len(args))
		for _, a := range args {
			expanded = append(expanded, strings.NewReplacer("$API", api.URL, "$SECRET", name+"-secret", "$TOKEN", name+"-token").Replace(a))
		}
		code := realMain(context.Background(), expanded, func(k string) string { return env[k] }, newSecrets, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
}

// withToken runs a command with the bot token from moto.
func withToken(cmd string, args ...string) []string {
	return append([]string{cmd, "-api", "$API", "-token-secret-id", "$TOKEN"}, args...)
}

func TestEnsureCreatesTheWebhookWithTheSecret(t *testing.T) {
	api, webexhooks := setup(t)
	code, out, errs := webexhooks(nil, withToken("ensure", "-url", target, "-secret-id", "$SECRET", "-filter", "roomId=R1")...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	hooks := api.Webhooks()
	if len(hooks) != 1 || hooks[0].Secret != "the-webhook-secret" || hooks[0].Filter != "roomId=R1" || hooks[0].Resource != "messages" || hooks[0].Event != "created" || hooks[0].Status != "active" {
		t.Fatalf("webhooks %+v", hooks)
	}
	if !strings.Contains(out, "created") || !strings.Contains(out, "filter roomId=R1") || strings.Contains(out, "the-webhook-secret") || strings.Contains(out, "bot-token") {
		t.Fatalf("output %q", out)
	}
}

func TestEnsureUpdatesAndReactivatesTheWebhookWithTheSameFilter(t *testing.T) {
	tests := []struct {
		name   string
		filter string
	}{
		{"updates an unfiltered webhook", ""},
		{"updates a webhook with the same filter", "roomId=R1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api, webexhooks := setup(t)
			api.AddWebhook(webexapi.Webhook{ID: "WH-OLD", Name: "old", TargetURL: target, Resource: "messages", Event: "created", Filter: tc.filter, Secret: "old-secret", Status: "inactive"})
			args := withToken("ensure", "-url", target, "-secret-id", "$SECRET")
			if tc.filter != "" {
				args = append(args, "-filter", tc.filter)
			}
			if code, out, errs := webexhooks(nil, args...); code != 0 || !strings.Contains(out, "updated WH-OLD") {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			hooks := api.Webhooks()
			if len(hooks) != 1 || hooks[0].ID != "WH-OLD" || hooks[0].Secret != "the-webhook-secret" || hooks[0].Status != "active" || api.Calls("POST /v1/webhooks") != 0 {
				t.Fatalf("webhooks %+v", hooks)
			}
		})
	}
}

// TestEnsureNeverSettlesForAnotherFilter: Webex cannot change a filter, so
// a webhook with another filter is never "updated"; the one asked for is
// created beside it, and the other is named.
func TestEnsureNeverSettlesForAnotherFilter(t *testing.T) {
	tests := []struct {
		name       string
		existing   string
		wantFilter string
	}{
		{"creates the filtered webhook beside an unfiltered one", "", "roomId=R1"},
		{"creates the webhook with another filter beside a filtered one", "roomId=R1", "roomId=R2"},
		{"creates an unfiltered webhook beside a filtered one", "roomId=R1", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api, webexhooks := setup(t)
			api.AddWebhook(webexapi.Webhook{ID: "WH-OTHER", Name: "old", TargetURL: target, Resource: "messages", Event: "created", Filter: tc.existing, Secret: "old-secret"})
			args := withToken("ensure", "-url", target, "-secret-id", "$SECRET")
			if tc.wantFilter != "" {
				args = append(args, "-filter", tc.wantFilter)
			}
			code, out, errs := webexhooks(nil, args...)
			if code != 0 || strings.Contains(out, "updated") || !strings.Contains(out, "created") || !strings.Contains(out, "note: webhook WH-OTHER") {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			hooks := api.Webhooks()
			if len(hooks) != 2 || hooks[0].Filter != tc.existing || hooks[0].Secret != "old-secret" || hooks[1].Filter != tc.wantFilter || hooks[1].Secret != "the-webhook-secret" {
				t.Fatalf("webhooks %+v", hooks)
			}
			if api.Calls("PUT /v1/webhooks/WH-OTHER") != 0 {
				t.Fatal("the webhook with the other filter was changed")
			}
		})
	}
}

func TestReactivateOnlyTouchesInactiveWebhooksForTheURL(t *testing.T) {
	api, webexhooks := setup(t)
	api.AddWebhook(webexapi.Webhook{ID: "A", Name: "a", TargetURL: target, Resource: "messages", Event: "created", Status: "inactive", Secret: "kept"})
	api.AddWebhook(webexapi.Webhook{ID: "B", Name: "b", TargetURL: target, Resource: "memberships", Event: "created", Status: "active"})
	api.AddWebhook(webexapi.Webhook{ID: "C", Name: "c", TargetURL: "https://other.example.com/", Resource: "messages", Event: "created", Status: "inactive"})
	api.AddWebhook(webexapi.Webhook{ID: "D", Name: "d", TargetURL: target + "?tenant=x", Resource: "rooms", Event: "created", Status: "inactive", Secret: "kept"})
	code, out, errs := webexhooks(nil, withToken("reactivate", "-url", target)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	got := map[string]webexapi.Webhook{}
	for _, h := range api.Webhooks() {
		got[h.ID] = h
	}
	if got["A"].Status != "active" || got["D"].Status != "active" || got["C"].Status != "inactive" || api.Calls("PUT /v1/webhooks/B") != 0 {
		t.Fatalf("webhooks %v\n%s", got, out)
	}
	if got["A"].Secret != "kept" || got["D"].Secret != "kept" {
		t.Fatal("reactivate without -secret-id changed a secret")
	}
	api.SetWebhookStatus("A", "inactive")
	if code, out, errs := webexhooks(nil, withToken("reactivate", "-url", target, "-secret-id", "$SECRET")...); code != 0 || !strings.Contains(out, "1 webhook(s) reactivated") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if h := api.Webhooks()[0]; h.Secret != "the-webhook-secret" || h.Status != "active" {
		t.Fatalf("webhook %+v: want the secret from -secret-id", h)
	}
}

func TestListShowsStatusAndDeleteRemoves(t *testing.T) {
	api, webexhooks := setup(t)
	api.AddWebhook(webexapi.Webhook{ID: "A", Name: "a", TargetURL: target, Resource: "messages", Event: "created", Status: "inactive", Secret: "s3cr3t"})
	code, out, _ := webexhooks(nil, withToken("list")...)
	if code != 0 || !strings.Contains(out, "inactive") || !strings.Contains(out, target) || strings.Contains(out, "s3cr3t") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if code, out, errs := webexhooks(nil, withToken("delete", "-id", "A")...); code != 0 || out != "deleted A\n" || len(api.Webhooks()) != 0 {
		t.Fatalf("delete: exit %d %q %q", code, out, errs)
	}
}

func TestHelpExitsZeroWithADescription(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"describes the tool for help", []string{"help"}, "manages the bot's Webex webhooks"},
		{"describes the tool for -h", []string{"-h"}, "manages the bot's Webex webhooks"},
		{"describes the tool for --help", []string{"--help"}, "webexhooks delete"},
		{"describes ensure and its flags", []string{"ensure", "-h"}, "-filter"},
		{"describes list", []string{"list", "-h"}, "Usage: webexhooks list"},
		{"describes reactivate", []string{"reactivate", "--help"}, "Their secret is kept"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api, webexhooks := setup(t)
			code, out, errs := webexhooks(nil, tc.args...)
			if code != 0 || !strings.Contains(out, tc.want) || errs != "" || api.Calls("GET /v1/webhooks") != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
			}
		})
	}
}

func TestCommandLineMistakesExitTwo(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"refuses no command", nil, []string{}, "Usage:"},
		{"refuses an unknown command", nil, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"refuses an extra argument", nil, withToken("list", "extra"), `unexpected argument "extra"`},
		{"refuses an argument after help", nil, []string{"help", "ensure"}, `unexpected argument "ensure"`},
		{"refuses a flag the command does not take", nil, withToken("list", "-url", target), "flag provided but not defined: -url"},
		{"refuses a token from both WEBEX_TOKEN and -token-secret-id", map[string]string{"WEBEX_TOKEN": "bot-token"}, withToken("list"), "choose one"},
		{"refuses ensure without -url", nil, withToken("ensure", "-secret-id", "$SECRET"), "-url is required"},
		{"refuses ensure without -secret-id", nil, withToken("ensure", "-url", target), "-secret-id is required"},
		{"refuses a URL that is not absolute", nil, withToken("ensure", "-url", "api.example.com/webex", "-secret-id", "$SECRET"), "not an absolute http(s) URL"},
		{"refuses a filter that is not key=value", nil, withToken("ensure", "-url", target, "-secret-id", "$SECRET", "-filter", "R1"), "want key=value"},
		{"refuses delete without -id", nil, withToken("delete"), "-id is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api, webexhooks := setup(t)
			code, out, errs := webexhooks(tc.env, tc.args...)
			if code != 2 || !strings.Contains(errs, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errs, tc.want)
			}
			if n := api.Calls("GET /v1/webhooks"); n != 0 {
				t.Fatal("a wrong command line reached Webex")
			}
		})
	}
}

func TestARefusedTokenIsReportedAsSuch(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   string
	}{
		{"reports a token Webex does not know (401)", 0, "HTTP 401"},
		{"reports a token without the scope (403)", 403, "HTTP 403"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api, webexhooks := setup(t)
			api.FailWith(tc.status)
			code, _, errs := webexhooks(map[string]string{"WEBEX_TOKEN": "wrong"}, "list", "-api", "$API")
			if code != 1 || !strings.Contains(errs, "Webex refused the bot token") || !strings.Contains(errs, tc.want) || strings.Contains(errs, "wrong") {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
		})
	}
}

func TestEnsureForASourceTargetsItsURLWithItsSecret(t *testing.T) {
	api, webexhooks := setup(t)
	pattern := strings.ReplaceAll(t.Name(), "/", "-") + "/webex/{source}"
	mototest.Shared(t).CreateSecret(t, strings.Replace(pattern, "{source}", "sales", 1), "the-sales-secret")
	code, out, errs := webexhooks(nil, withToken("ensure", "-url", "https://api.example.com/webex/", "-source", "sales", "-secret-id", pattern)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	hooks := api.Webhooks()
	if len(hooks) != 1 || hooks[0].TargetURL != "https://api.example.com/webex/sales" || hooks[0].Secret != "the-sales-secret" {
		t.Fatalf("webhooks %+v", hooks)
	}
	api.AddWebhook(webexapi.Webhook{ID: "OFF", Name: "n", TargetURL: "https://api.example.com/webex/sales", Resource: "memberships", Event: "created", Status: "inactive"})
	if code, out, errs := webexhooks(nil, withToken("reactivate", "-url", "https://api.example.com/webex", "-source", "sales", "-secret-id", pattern)...); code != 0 || !strings.Contains(out, "1 webhook(s) reactivated") {
		t.Fatalf("reactivate: exit %d\n%s%s", code, out, errs)
	}
}

func TestSourceFlagsAreChecked(t *testing.T) {
	_, webexhooks := setup(t)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"refuses a source name that no route serves", []string{"-url", "https://api.example.com/webex", "-secret-id", "$SECRET", "-source", "Sales"}, `-source "Sales"`},
		{"refuses {source} in the secret id without a source", []string{"-url", "https://api.example.com/webex", "-secret-id", "wg/webex/{source}"}, "name the source with -source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code, out, errs := webexhooks(nil, withToken("ensure", tc.args...)...); code != 2 || !strings.Contains(errs, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q, want 2 and one saying %q\n%s", code, errs, tc.wantErr, out)
			}
		})
	}
}
