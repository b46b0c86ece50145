package webexrotation_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/webexapi"
	"github.com/webhookguard/webhookguard/shared/webexrotation"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

const (
	webhookURL = "https://abc123.execute-api.eu-west-1.amazonaws.com/webex"
	botToken   = "bot-token-value"
	oldSecret  = "the-old-webhook-secret"
)

var seq atomic.Int64

// fixture is a webhook secret on moto_server, the bot's webhooks on a
// Webex stand-in, and a Rotator over both.
type fixture struct {
	t        *testing.T
	moto     *mototest.Server
	sm       *secretsmanager.Client
	api      *webexstub.Server
	secretID string
	r        *webexrotation.Rotator
	logs     *bytes.Buffer
	ids      map[string]string // webhook name -> id
}

func newFixture(t *testing.T, tune func(*webexrotation.Config)) *fixture {
	t.Helper()
	moto := mototest.Shared(t)
	f := &fixture{t: t, moto: moto, sm: moto.SecretsClient(), logs: &bytes.Buffer{}, ids: map[string]string{}}
	f.secretID = fmt.Sprintf("rotation-%d-%s", seq.Add(1), strings.ReplaceAll(t.Name(), "/", "-"))
	moto.CreateSecret(t, f.secretID, oldSecret)
	f.api = webexstub.New(botToken, webexapi.Person{ID: "BOT"})
	t.Cleanup(f.api.Close)
	for _, w := range []webexapi.Webhook{
		{Name: "messages", TargetURL: webhookURL, Resource: "messages", Event: "created", Filter: "mentionedPeople=me", Secret: oldSecret, OwnedBy: "creator"},
		{Name: "cards", TargetURL: webhookURL + "?source=cards", Resource: "attachmentActions", Event: "created", Secret: oldSecret},
		{Name: "elsewhere", TargetURL: "https://other.example.com/hook", Resource: "messages", Event: "created", Secret: "another-service-secret"},
	} {
		f.ids[w.Name] = f.api.AddWebhook(w)
	}
	cfg := webexrotation.Config{
		Secrets:    f.sm,
		Webex:      &webexapi.Client{BaseURL: f.api.URL, Token: func(context.Context) (string, error) { return botToken, nil }},
		WebhookURL: webhookURL,
		Log:        slog.New(slog.NewJSONHandler(f.logs, nil)),
	}
	if tune != nil {
		tune(&cfg)
	}
	r, err := webexrotation.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.r = r
	return f
}

// start begins a rotation as Secrets Manager does: rotation turned on and
// an empty AWSPENDING version under token. moto's RotateSecret does both,
// then fails to call the (absent) Lambda function, so the test drives the
// steps itself.
func (f *fixture) start(token string) {
	f.t.Helper()
	_, err := f.sm.RotateSecret(context.Background(), &secretsmanager.RotateSecretInput{
		SecretId: aws.String(f.secretID), ClientRequestToken: aws.String(token),
		RotationLambdaARN: aws.String("arn:aws:lambda:us-east-1:123456789012:function:webex-rotation"),
		RotationRules:     &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)},
	})
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		f.t.Fatalf("RotateSecret: %v, want moto's missing function", err)
	}
	if stages := f.stages()[token]; !slices.Equal(stages, []string{"AWSPENDING"}) {
		f.t.Fatalf("stages of the new version %v, want [AWSPENDING]", stages)
	}
}

func (f *fixture) step(step, token string) error {
	return f.r.Handle(context.Background(), events.SecretsManagerSecretRotationEvent{Step: step, SecretID: f.secretID, ClientRequestToken: token})
}

func (f *fixture) mustStep(step, token string) {
	f.t.Helper()
	if err := f.step(step, token); err != nil {
		f.t.Fatalf("%s: %v\n%s", step, err, f.logs)
	}
}

func (f *fixture) stages() map[string][]string {
	f.t.Helper()
	out, err := f.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(f.secretID)})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, s := range out.VersionIdsToStages {
		slices.Sort(s)
	}
	return out.VersionIdsToStages
}

func (f *fixture) value(stage string) string {
	f.t.Helper()
	out, err := f.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(f.secretID), VersionStage: aws.String(stage)})
	if err != nil {
		f.t.Fatalf("get %s: %v", stage, err)
	}
	return aws.ToString(out.SecretString)
}

func (f *fixture) webhook(name string) webexapi.Webhook {
	f.t.Helper()
	for _, w := range f.api.Webhooks() {
		if w.ID == f.ids[name] {
			return w
		}
	}
	f.t.Fatalf("no webhook %s", name)
	return webexapi.Webhook{}
}

// checkLogs fails when a log line shows a secret, the token or a webhook id.
func (f *fixture) checkLogs(secrets ...string) {
	f.t.Helper()
	logs := f.logs.String()
	for _, s := range append(secrets, botToken, oldSecret, f.ids["messages"], f.ids["cards"]) {
		if s != "" && strings.Contains(logs, s) {
			f.t.Fatalf("the logs show %q:\n%s", s, logs)
		}
	}
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestACompleteRotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	oldVersion := ""
	for v, s := range f.stages() {
		if slices.Contains(s, "AWSCURRENT") {
			oldVersion = v
		}
	}
	const token = "11111111-2222-4333-8444-555555555555"
	f.start(token)
	for _, step := range []string{webexrotation.StepCreate, webexrotation.StepSet, webexrotation.StepTest, webexrotation.StepFinish} {
		f.mustStep(step, token)
	}
	secret := f.value("AWSCURRENT")
	if !hex64.MatchString(secret) {
		t.Fatalf("new secret %q: want 64 hex digits (32 random bytes)", secret)
	}
	if prev := f.value("AWSPREVIOUS"); prev != oldSecret {
		t.Fatalf("AWSPREVIOUS = %q, want the old secret", prev)
	}
	if got := f.stages(); !slices.Equal(got[token], []string{"AWSCURRENT"}) || !slices.Equal(got[oldVersion], []string{"AWSPREVIOUS"}) {
		t.Fatalf("stages %v: want the new version AWSCURRENT alone and the old one AWSPREVIOUS", got)
	}
	msgs, cards, other := f.webhook("messages"), f.webhook("cards"), f.webhook("elsewhere")
	if msgs.Secret != secret || cards.Secret != secret {
		t.Fatal("a webhook for WEBHOOK_URL does not carry the new secret")
	}
	if other.Secret != "another-service-secret" || f.api.Calls("PUT /v1/webhooks/"+other.ID) != 0 {
		t.Fatal("a webhook for another URL was changed")
	}
	if msgs.Name != "messages" || msgs.TargetURL != webhookURL || msgs.Filter != "mentionedPeople=me" || msgs.Status != "active" || msgs.Resource != "messages" ||
		cards.Name != "cards" || cards.TargetURL != webhookURL+"?source=cards" || cards.Status != "active" {
		t.Fatalf("webhooks changed beyond their secret: %+v %+v", msgs, cards)
	}
	f.checkLogs(secret)
	for _, outcome := range []string{`"outcome":"created"`, `"outcome":"set"`, `"outcome":"tested"`, `"outcome":"finished"`} {
		if !strings.Contains(f.logs.String(), outcome) {
			t.Fatalf("no %s line:\n%s", outcome, f.logs)
		}
	}
}

func TestEachStepCanBeRepeated(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const token = "22222222-2222-4333-8444-555555555555"
	f.start(token)
	f.mustStep(webexrotation.StepCreate, token)
	pending := f.value("AWSPENDING")
	f.mustStep(webexrotation.StepCreate, token)
	if again := f.value("AWSPENDING"); again != pending {
		t.Fatal("a repeated createSecret replaced the pending secret")
	}
	f.mustStep(webexrotation.StepSet, token)
	puts := f.api.Calls("PUT /v1/webhooks/" + f.ids["messages"])
	f.mustStep(webexrotation.StepSet, token)
	if n := f.api.Calls("PUT /v1/webhooks/" + f.ids["messages"]); n != puts || puts != 1 {
		t.Fatalf("%d then %d updates of a webhook; want 1, not repeated", puts, n)
	}
	f.mustStep(webexrotation.StepTest, token)
	f.mustStep(webexrotation.StepTest, token)
	f.mustStep(webexrotation.StepFinish, token)
	after := f.stages()
	f.mustStep(webexrotation.StepFinish, token)
	// Once current, every step is a no-op.
	for _, step := range []string{webexrotation.StepCreate, webexrotation.StepSet, webexrotation.StepTest} {
		f.mustStep(step, token)
	}
	if got := f.stages(); fmt.Sprint(got) != fmt.Sprint(after) || f.value("AWSCURRENT") != pending || f.value("AWSPREVIOUS") != oldSecret {
		t.Fatalf("stages %v after repeats, want %v", got, after)
	}
	if !strings.Contains(f.logs.String(), `"outcome":"already_created"`) || !strings.Contains(f.logs.String(), `"outcome":"already_set"`) ||
		!strings.Contains(f.logs.String(), `"outcome":"already_current"`) {
		t.Fatalf("repeats not logged as such:\n%s", f.logs)
	}
}

func TestAWebexFailureInSetSecretThenARetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const token = "33333333-2222-4333-8444-555555555555"
	f.start(token)
	f.mustStep(webexrotation.StepCreate, token)
	pending := f.value("AWSPENDING")
	f.api.FailNext("PUT /v1/webhooks/"+f.ids["cards"], 503, 1)
	err := f.step(webexrotation.StepSet, token)
	if !errors.Is(err, webexapi.ErrUnavailable) || !strings.Contains(err.Error(), "1 of 2 webhooks not updated") {
		t.Fatalf("setSecret: %v, want 1 of 2 webhooks not updated", err)
	}
	if f.webhook("messages").Secret != pending || f.webhook("cards").Secret != oldSecret {
		t.Fatal("want the first webhook on the pending secret, the failed one on the old")
	}
	if err := f.step(webexrotation.StepTest, token); err == nil || !strings.Contains(err.Error(), "1 do not carry the pending secret") {
		t.Fatalf("testSecret after a partial setSecret: %v", err)
	}
	if got := f.stages()[token]; !slices.Equal(got, []string{"AWSPENDING"}) {
		t.Fatalf("the failed rotation moved stages: %v", got)
	}
	// Secrets Manager retries the step.
	f.mustStep(webexrotation.StepSet, token)
	if f.webhook("cards").Secret != pending || f.api.Calls("PUT /v1/webhooks/"+f.ids["messages"]) != 1 || f.api.Calls("PUT /v1/webhooks/"+f.ids["cards"]) != 2 {
		t.Fatal("the retry did not update just the webhook left behind")
	}
	f.mustStep(webexrotation.StepTest, token)
	f.mustStep(webexrotation.StepFinish, token)
	if f.value("AWSCURRENT") != pending {
		t.Fatal("the rotation did not finish")
	}
	if !strings.Contains(f.logs.String(), `"outcome":"failed"`) {
		t.Fatalf("no failed line:\n%s", f.logs)
	}
	f.checkLogs(pending)
}

func TestStepsFailWithoutChangingAnythingWhenWebexIsDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		breakIt func(*fixture)
		wantErr error
	}{
		{"reports a refused token", func(f *fixture) { f.api.Token = "another-token" }, webexapi.ErrUnauthorized},
		{"reports Webex down", func(f *fixture) { f.api.FailWith(502) }, webexapi.ErrUnavailable},
		{"reports Webex rate limiting past the retries", func(f *fixture) { f.api.RateLimit(100, "0") }, webexapi.ErrRateLimited},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			const token = "44444444-2222-4333-8444-555555555555"
			f.start(token)
			f.mustStep(webexrotation.StepCreate, token)
			tc.breakIt(f)
			for _, step := range []string{webexrotation.StepSet, webexrotation.StepTest} {
				if err := f.step(step, token); !errors.Is(err, tc.wantErr) {
					t.Fatalf("%s: %v, want %v", step, err, tc.wantErr)
				}
			}
			if f.webhook("messages").Secret != oldSecret || f.webhook("cards").Secret != oldSecret {
				t.Fatal("a webhook changed")
			}
			if f.value("AWSCURRENT") != oldSecret {
				t.Fatal("the current secret changed")
			}
		})
	}
}

func TestTestSecretRefusesWebhooksNotReady(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spoil   func(*fixture)
		wantErr string
	}{
		{"refuses an inactive webhook", func(f *fixture) { f.api.SetWebhookStatus(f.ids["cards"], "inactive") }, "1 are not active"},
		{"refuses a webhook whose secret was changed meanwhile", func(f *fixture) {
			w := f.webhook("messages")
			w.Secret = "someone-else"
			c := &webexapi.Client{BaseURL: f.api.URL, Token: func(context.Context) (string, error) { return botToken, nil }}
			if _, err := c.UpdateWebhook(context.Background(), w.ID, w); err != nil {
				f.t.Fatal(err)
			}
		}, "1 do not carry the pending secret"},
		{"refuses a new webhook with the old secret", func(f *fixture) {
			f.api.AddWebhook(webexapi.Webhook{Name: "late", TargetURL: webhookURL, Resource: "memberships", Event: "created", Secret: oldSecret})
		}, "1 do not carry the pending secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			const token = "55555555-2222-4333-8444-555555555555"
			f.start(token)
			f.mustStep(webexrotation.StepCreate, token)
			f.mustStep(webexrotation.StepSet, token)
			tc.spoil(f)
			if err := f.step(webexrotation.StepTest, token); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("testSecret: %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestSetSecretKeepsAnInactiveWebhookInactive(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const token = "66666666-2222-4333-8444-555555555555"
	f.api.SetWebhookStatus(f.ids["cards"], "inactive")
	f.start(token)
	f.mustStep(webexrotation.StepCreate, token)
	f.mustStep(webexrotation.StepSet, token)
	if w := f.webhook("cards"); w.Status != "inactive" || w.Secret != f.value("AWSPENDING") {
		t.Fatalf("webhook %+v: want inactive with the pending secret", w)
	}
}

func TestPreconditions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(f *fixture) string // returns the token
		step    string
		wantErr string
	}{
		{"refuses a secret without rotation turned on", func(f *fixture) string {
			out, err := f.sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(f.secretID),
				ClientRequestToken: aws.String("77777777-2222-4333-8444-555555555555"), SecretString: aws.String("x"), VersionStages: []string{"AWSPENDING"}})
			if err != nil {
				f.t.Fatal(err)
			}
			return aws.ToString(out.VersionId)
		}, webexrotation.StepCreate, "rotation is not enabled"},
		{"refuses a token that is not a version of the secret", func(f *fixture) string {
			f.start("77777777-2222-4333-8444-555555555556")
			return "99999999-2222-4333-8444-555555555555"
		}, webexrotation.StepCreate, "not a version of the secret"},
		{"refuses a version that is neither pending nor current", func(f *fixture) string {
			const first = "77777777-2222-4333-8444-555555555557"
			f.start(first)
			f.mustStep(webexrotation.StepCreate, first)
			f.mustStep(webexrotation.StepSet, first)
			f.mustStep(webexrotation.StepTest, first)
			f.mustStep(webexrotation.StepFinish, first)
			for v, s := range f.stages() {
				if slices.Contains(s, "AWSPREVIOUS") {
					return v
				}
			}
			return ""
		}, webexrotation.StepSet, "neither AWSPENDING nor AWSCURRENT"},
		{"refuses an unknown step", func(f *fixture) string {
			f.start("77777777-2222-4333-8444-555555555558")
			return "77777777-2222-4333-8444-555555555558"
		}, "rotateSecret", "unknown step"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			token := tc.prepare(f)
			puts := f.api.Calls("PUT /v1/webhooks/" + f.ids["messages"])
			if err := f.step(tc.step, token); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("%s: %v, want %q", tc.step, err, tc.wantErr)
			}
			if f.api.Calls("PUT /v1/webhooks/"+f.ids["messages"]) != puts {
				t.Fatal("a refused step changed a webhook")
			}
		})
	}
}

func TestSetSecretRefusesWhenNoWebhookTargetsTheURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *webexrotation.Config) { c.WebhookURL = "https://nothing.example/webex" })
	const token = "88888888-2222-4333-8444-555555555555"
	f.start(token)
	f.mustStep(webexrotation.StepCreate, token)
	if err := f.step(webexrotation.StepSet, token); err == nil || !strings.Contains(err.Error(), "none of the bot's 3 webhooks targets WEBHOOK_URL") {
		t.Fatalf("setSecret: %v", err)
	}
}

func TestSetSecretWaitsBeforeChangingWebhooks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *webexrotation.Config) { c.Wait = time.Minute })
	const token = "99999999-3333-4333-8444-555555555555"
	f.start(token)
	f.mustStep(webexrotation.StepCreate, token)
	// A deadline shorter than the wait: refused at once, nothing changed.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := f.r.Handle(ctx, events.SecretsManagerSecretRotationEvent{Step: webexrotation.StepSet, SecretID: f.secretID, ClientRequestToken: token})
	if err == nil || !strings.Contains(err.Error(), "raise the function's timeout") || f.webhook("messages").Secret != oldSecret {
		t.Fatalf("setSecret with too little time: %v", err)
	}
	// Cancelled while waiting: nothing changed.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	err = f.r.Handle(ctx, events.SecretsManagerSecretRotationEvent{Step: webexrotation.StepSet, SecretID: f.secretID, ClientRequestToken: token})
	if !errors.Is(err, context.Canceled) || f.webhook("messages").Secret != oldSecret {
		t.Fatalf("setSecret cancelled while waiting: %v", err)
	}
}

func TestNewSecretsAreRandom(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 2; i++ {
		f := newFixture(t, nil)
		token := fmt.Sprintf("aaaaaaaa-2222-4333-8444-55555555555%d", i)
		f.start(token)
		f.mustStep(webexrotation.StepCreate, token)
		v := f.value("AWSPENDING")
		if !hex64.MatchString(v) || seen[v] || v == oldSecret {
			t.Fatalf("secret %q: want 64 fresh hex digits", v)
		}
		seen[v] = true
	}
}

func TestNewRefusesAnEmptyWebhookURL(t *testing.T) {
	t.Parallel()
	_, err := webexrotation.New(webexrotation.Config{Secrets: &secretsmanager.Client{}, Webex: &webexapi.Client{}})
	if err == nil || !strings.Contains(err.Error(), "WEBHOOK_URL") {
		t.Fatalf("New: %v", err)
	}
}

func TestWaitFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    time.Duration
		wantErr bool
	}{
		{"defaults to the default SECRETS_TTL plus a minute", nil, 6 * time.Minute, false},
		{"adds a minute to SECRETS_TTL", map[string]string{"SECRETS_TTL": "2m"}, 3 * time.Minute, false},
		{"takes ROTATION_WAIT as given", map[string]string{"ROTATION_WAIT": "90s", "SECRETS_TTL": "2m"}, 90 * time.Second, false},
		{"accepts no wait", map[string]string{"ROTATION_WAIT": "0s"}, 0, false},
		{"refuses a negative wait", map[string]string{"ROTATION_WAIT": "-1s"}, 0, true},
		{"refuses a malformed SECRETS_TTL", map[string]string{"SECRETS_TTL": "soon"}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := webexrotation.WaitFromEnv(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("WaitFromEnv = %s, %v; want %s (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
