package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/testenv/lambdaemu"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

const webhookURL = "https://abc123.execute-api.eu-west-1.amazonaws.com/webex"

// scheduled is the event an EventBridge schedule sends.
const scheduled = `{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-23T12:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/webex-health"],"detail":{}}`

// TestFunction builds the function and runs it under the Lambda Runtime
// API against moto_server (the bot token) and a Webex stand-in.
func TestFunction(t *testing.T) {
	moto := mototest.Shared(t)
	const tokenID, botToken = "functest-webex-health-token", "the-bot-token"
	moto.CreateSecret(t, tokenID, botToken)
	api := webexstub.New(botToken, webexapi.Person{ID: "BOT"})
	t.Cleanup(api.Close)
	disabled := api.AddWebhook(webexapi.Webhook{Name: "messages", TargetURL: webhookURL, Resource: "messages", Event: "created", Secret: "s3cret-value", Status: "inactive"})
	api.AddWebhook(webexapi.Webhook{Name: "cards", TargetURL: webhookURL, Resource: "attachmentActions", Event: "created", Secret: "s3cret-value"})
	elsewhere := api.AddWebhook(webexapi.Webhook{Name: "other", TargetURL: "https://other.example.com/", Resource: "messages", Event: "created", Status: "inactive"})

	rt := lambdaemu.Start(t, lambdaemu.Build(t, "."),
		"AWS_ENDPOINT_URL="+moto.URL, "AWS_REGION="+mototest.Region, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_LAMBDA_LOG_FORMAT=JSON", "WEBEX_BOT_TOKEN_SECRET_ID="+tokenID, "WEBEX_API_URL="+api.URL, "WEBHOOK_URL="+webhookURL)
	invoke := func() bool {
		t.Helper()
		res, err := rt.Invoke([]byte(scheduled), 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return !res.Err
	}
	if !invoke() {
		t.Fatalf("the run failed:\n%s", rt.Output())
	}
	for _, w := range api.Webhooks() {
		switch {
		case w.ID == disabled && (w.Status != "active" || w.Secret != "s3cret-value" || w.Name != "messages" || w.TargetURL != webhookURL):
			t.Fatalf("the disabled webhook: %+v, want it active and otherwise unchanged", w)
		case w.ID == elsewhere && w.Status != "inactive":
			t.Fatal("a webhook for another URL was reactivated")
		}
	}
	// A Webex failure fails the invocation.
	api.SetWebhookStatus(disabled, "inactive")
	api.FailNext("PUT /v1/webhooks/", 503, 1)
	if invoke() {
		t.Fatal("a failed reactivation did not fail the invocation")
	}

	rt.Stop() // every line the process wrote is read once it has exited
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(rt.Output()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["message"] == "webhook health" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d run lines for 2 runs:\n%s", len(lines), rt.Output())
	}
	metric, _ := json.Marshal(lines[0]["_aws"])
	if lines[0]["webhookReactivations"] != 1.0 || lines[0]["provider"] != "webex" || lines[0]["checked"] != 2.0 ||
		!strings.Contains(string(metric), `"Namespace":"Webhookguard"`) || !strings.Contains(string(metric), `"Dimensions":[["provider"]]`) ||
		!strings.Contains(string(metric), `{"Name":"webhookReactivations","Unit":"Count"}`) {
		t.Fatalf("first run's line %v: want the webhookReactivations metric at 1", lines[0])
	}
	if lines[1]["level"] != "ERROR" || lines[1]["failed"] != 1.0 || lines[1]["webhookReactivations"] != 0.0 {
		t.Fatalf("second run's line %v", lines[1])
	}
	if out := rt.Output(); strings.Contains(out, "s3cret-value") || strings.Contains(out, botToken) || strings.Contains(out, disabled) {
		t.Fatalf("the function logged a secret, the token or a webhook id:\n%s", out)
	}
}
