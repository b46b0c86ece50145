package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"webhookguard/shared/mototest"
	"webhookguard/shared/secrets"
	"webhookguard/shared/webexapi"
	"webhookguard/shared/webexapi/webextest"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

// setup starts a Webex stand-in and a moto_server holding the webhook secret
// and the bot token.
func setup(t *testing.T) (*webextest.Server, func(cmd string, args ...string) (string, error)) {
	t.Helper()
	moto := mototest.Shared(t)
	name := strings.ReplaceAll(t.Name(), "/", "-")
	moto.CreateSecret(t, name+"-secret", "the-webhook-secret")
	moto.CreateSecret(t, name+"-token", "bot-token")
	api := webextest.New(t, "bot-token", webexapi.Person{ID: "BOT"})
	newSecrets := func(context.Context) (secrets.Client, error) { return moto.SecretsClient(), nil }
	return api, func(cmd string, args ...string) (string, error) {
		var out bytes.Buffer
		args = append([]string{"-api", api.URL, "-token-secret-id", name + "-token", "-secret-id", name + "-secret"}, args...)
		err := run(context.Background(), cmd, args, func(string) string { return "" }, newSecrets, &out)
		return out.String(), err
	}
}

func TestEnsureCreatesTheWebhookWithTheSecret(t *testing.T) {
	api, webexhooks := setup(t)
	out, err := webexhooks("ensure", "-url", "https://api.example.com/webex", "-filter", "roomId=R1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	hooks := api.Webhooks()
	if len(hooks) != 1 || hooks[0].Secret != "the-webhook-secret" || hooks[0].Filter != "roomId=R1" || hooks[0].Resource != "messages" || hooks[0].Event != "created" || hooks[0].Status != "active" {
		t.Fatalf("webhooks %+v", hooks)
	}
	if strings.Contains(out, "the-webhook-secret") || strings.Contains(out, "bot-token") {
		t.Fatalf("output shows a secret: %s", out)
	}
}

func TestEnsureUpdatesAndReactivatesAnExistingWebhook(t *testing.T) {
	api, webexhooks := setup(t)
	api.AddWebhook(webexapi.Webhook{ID: "WH-OLD", Name: "old", TargetURL: "https://api.example.com/webex", Resource: "messages", Event: "created", Secret: "old-secret", Status: "inactive"})
	if out, err := webexhooks("ensure", "-url", "https://api.example.com/webex"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	hooks := api.Webhooks()
	if len(hooks) != 1 || hooks[0].ID != "WH-OLD" || hooks[0].Secret != "the-webhook-secret" || hooks[0].Status != "active" || api.Calls("POST /v1/webhooks") != 0 {
		t.Fatalf("webhooks %+v", hooks)
	}
}

func TestReactivateOnlyTouchesInactiveWebhooksForTheURL(t *testing.T) {
	api, webexhooks := setup(t)
	api.AddWebhook(webexapi.Webhook{ID: "A", Name: "a", TargetURL: "https://api.example.com/webex", Resource: "messages", Event: "created", Status: "inactive"})
	api.AddWebhook(webexapi.Webhook{ID: "B", Name: "b", TargetURL: "https://api.example.com/webex", Resource: "memberships", Event: "created", Status: "active"})
	api.AddWebhook(webexapi.Webhook{ID: "C", Name: "c", TargetURL: "https://other.example.com/", Resource: "messages", Event: "created", Status: "inactive"})
	out, err := webexhooks("reactivate", "-url", "https://api.example.com/webex")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	status := map[string]string{}
	for _, h := range api.Webhooks() {
		status[h.ID] = h.Status
	}
	if status["A"] != "active" || status["B"] != "active" || status["C"] != "inactive" || api.Calls("PUT /v1/webhooks/B") != 0 {
		t.Fatalf("statuses %v\n%s", status, out)
	}
}

func TestListShowsStatus(t *testing.T) {
	api, webexhooks := setup(t)
	api.AddWebhook(webexapi.Webhook{ID: "A", Name: "a", TargetURL: "https://api.example.com/webex", Resource: "messages", Event: "created", Status: "inactive", Secret: "s3cr3t"})
	out, err := webexhooks("list")
	if err != nil || !strings.Contains(out, "inactive") || !strings.Contains(out, "https://api.example.com/webex") || strings.Contains(out, "s3cr3t") {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestAWrongTokenIsReported(t *testing.T) {
	api, _ := setup(t)
	err := run(context.Background(), "list", []string{"-api", api.URL}, func(k string) string {
		return map[string]string{"WEBEX_TOKEN": "wrong"}[k]
	}, nil, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("err = %v, want HTTP 401", err)
	}
}
