package main

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/webhookguard/webhookguard/internal/testenv/lambdaemu"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

const webhookURL = "https://abc123.execute-api.eu-west-1.amazonaws.com/webex"

// TestFunction builds the function and runs it under the Lambda Runtime
// API against moto_server and a Webex stand-in.
func TestFunction(t *testing.T) {
	bin := lambdaemu.Build(t, ".")
	t.Run("runs the four steps as Secrets Manager calls them", func(t *testing.T) { testRotation(t, bin) })
	t.Run("refuses to start without its settings", func(t *testing.T) { testSettings(t, bin) })
}

func testRotation(t *testing.T, bin string) {
	moto := mototest.Shared(t)
	sm := moto.SecretsClient()
	ctx := context.Background()
	const secretID, tokenID, oldSecret, botToken = "functest-webex-rotation", "functest-webex-rotation-token", "the-old-webhook-secret", "the-bot-token"
	moto.CreateSecret(t, secretID, oldSecret)
	moto.CreateSecret(t, tokenID, botToken)
	api := webexstub.New(botToken, webexapi.Person{ID: "BOT"})
	t.Cleanup(api.Close)
	mine := []string{
		api.AddWebhook(webexapi.Webhook{Name: "messages", TargetURL: webhookURL, Resource: "messages", Event: "created", Secret: oldSecret}),
		api.AddWebhook(webexapi.Webhook{Name: "cards", TargetURL: webhookURL, Resource: "attachmentActions", Event: "created", Secret: oldSecret}),
	}
	other := api.AddWebhook(webexapi.Webhook{Name: "other", TargetURL: "https://other.example.com/", Resource: "messages", Event: "created", Secret: "other"})

	// Secrets Manager starts a rotation: rotation on, an empty AWSPENDING
	// version. (moto then fails to call the function; the test calls it.)
	const token = "eeeeeeee-2222-4333-8444-555555555555"
	_, err := sm.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String(secretID), ClientRequestToken: aws.String(token),
		RotationLambdaARN: aws.String("arn:aws:lambda:us-east-1:123456789012:function:webex-rotation"),
		RotationRules:     &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)}})
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("RotateSecret: %v", err)
	}
	before, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretID)})
	if err != nil {
		t.Fatal(err)
	}
	oldVersion := ""
	for v, s := range before.VersionIdsToStages {
		if slices.Contains(s, "AWSCURRENT") {
			oldVersion = v
		}
	}

	rt := lambdaemu.Start(t, bin,
		"AWS_ENDPOINT_URL="+moto.URL, "AWS_REGION="+mototest.Region, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_LAMBDA_LOG_FORMAT=JSON", "WEBEX_BOT_TOKEN_SECRET_ID="+tokenID, "WEBEX_API_URL="+api.URL, "WEBHOOK_URL="+webhookURL, "ROTATION_WAIT=0s")
	invoke := func(step, tok string) (bool, string) {
		t.Helper()
		payload, _ := json.Marshal(events.SecretsManagerSecretRotationEvent{Step: step, SecretID: secretID, ClientRequestToken: tok})
		res, err := rt.Invoke(payload, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return !res.Err, string(res.Payload)
	}
	if ok, out := invoke("setSecret", "not-a-version"); ok || !strings.Contains(out, "not a version of the secret") {
		t.Fatalf("a step for an unknown version: ok=%v %s", ok, out)
	}
	for _, step := range []string{"createSecret", "setSecret", "testSecret", "finishSecret"} {
		if ok, out := invoke(step, token); !ok {
			t.Fatalf("%s failed: %s\n%s", step, out, rt.Output())
		}
	}

	get := func(stage string) string {
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID), VersionStage: aws.String(stage)})
		if err != nil {
			t.Fatalf("get %s: %v", stage, err)
		}
		return aws.ToString(out.SecretString)
	}
	current := get("AWSCURRENT")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(current) || get("AWSPREVIOUS") != oldSecret {
		t.Fatalf("AWSCURRENT %q, AWSPREVIOUS %q: want a new 64-hex-digit secret and the old one kept", current, get("AWSPREVIOUS"))
	}
	after, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretID)})
	if err != nil {
		t.Fatal(err)
	}
	if s := after.VersionIdsToStages; !slices.Equal(s[token], []string{"AWSCURRENT"}) || !slices.Equal(s[oldVersion], []string{"AWSPREVIOUS"}) {
		t.Fatalf("stages %v", s)
	}
	for _, w := range api.Webhooks() {
		switch {
		case slices.Contains(mine, w.ID) && (w.Secret != current || w.Status != "active"):
			t.Fatalf("webhook %s: want the new secret, active", w.Name)
		case w.ID == other && w.Secret != "other":
			t.Fatal("a webhook for another URL was changed")
		}
	}
	rt.Stop() // every line the process wrote is read once it has exited
	logs := rt.Output()
	if strings.Contains(logs, current) || strings.Contains(logs, oldSecret) || strings.Contains(logs, botToken) {
		t.Fatalf("the function logged a secret or the token:\n%s", logs)
	}
	if n := strings.Count(logs, `"message":"rotation"`); n != 5 {
		t.Fatalf("%d rotation lines for 5 invocations:\n%s", n, logs)
	}
}

func testSettings(t *testing.T, bin string) {
	rt := lambdaemu.Start(t, bin, "AWS_REGION="+mototest.Region)
	for i := 0; i < 100 && !strings.Contains(rt.Output(), "cannot start"); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if out := rt.Output(); !strings.Contains(out, "WEBEX_BOT_TOKEN_SECRET_ID is not set") || !strings.Contains(out, "WEBHOOK_URL is not set") {
		t.Fatalf("output %q", out)
	}
}
