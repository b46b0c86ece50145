package webexhealth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/webexapi"
	"github.com/webhookguard/webhookguard/shared/webexhealth"
)

const (
	webhookURL = "https://abc123.execute-api.eu-west-1.amazonaws.com/webex"
	botToken   = "bot-token-value"
)

type fixture struct {
	api *webexstub.Server
	c   *webexhealth.Checker
	out *bytes.Buffer
	ids map[string]string
}

// newFixture registers: two inactive webhooks for the URL (one with a
// query of its own), an active one, and an inactive one for another URL.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{api: webexstub.New(botToken, webexapi.Person{ID: "BOT"}), out: &bytes.Buffer{}, ids: map[string]string{}}
	t.Cleanup(f.api.Close)
	for _, w := range []webexapi.Webhook{
		{Name: "messages", TargetURL: webhookURL, Resource: "messages", Event: "created", Filter: "mentionedPeople=me", Secret: "s3cret-one", Status: "inactive", OwnedBy: "creator"},
		{Name: "cards", TargetURL: webhookURL + "?source=cards", Resource: "attachmentActions", Event: "created", Secret: "s3cret-one", Status: "inactive"},
		{Name: "rooms", TargetURL: webhookURL, Resource: "rooms", Event: "created", Secret: "s3cret-one", Status: "active"},
		{Name: "elsewhere", TargetURL: "https://other.example.com/hook", Resource: "messages", Event: "created", Secret: "other", Status: "inactive"},
	} {
		f.ids[w.Name] = f.api.AddWebhook(w)
	}
	c, err := webexhealth.New(webexhealth.Config{
		Webex:      &webexapi.Client{BaseURL: f.api.URL, Token: func(context.Context) (string, error) { return botToken, nil }},
		WebhookURL: webhookURL, Out: f.out,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	return f
}

func (f *fixture) byName() map[string]webexapi.Webhook {
	out := map[string]webexapi.Webhook{}
	for _, w := range f.api.Webhooks() {
		out[w.Name] = w
	}
	return out
}

// line is the run's log line.
type line struct {
	Level                string `json:"level"`
	Message              string `json:"message"`
	Provider             string `json:"provider"`
	Checked              int    `json:"checked"`
	Inactive             int    `json:"inactive"`
	Reactivated          int    `json:"reactivated"`
	Failed               int    `json:"failed"`
	WebhookReactivations *int   `json:"webhookReactivations"`
	Error                string `json:"error"`
	AWS                  struct {
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
}

func (f *fixture) line(t *testing.T) line {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(f.out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines, want one per run:\n%s", len(lines), f.out)
	}
	var l line
	if err := json.Unmarshal([]byte(lines[0]), &l); err != nil {
		t.Fatal(err)
	}
	m := l.AWS.CloudWatchMetrics
	if len(m) != 1 || m[0].Namespace != "Webhookguard" || !reflect.DeepEqual(m[0].Dimensions, [][]string{{"provider"}}) ||
		len(m[0].Metrics) != 1 || m[0].Metrics[0].Name != "webhookReactivations" || m[0].Metrics[0].Unit != "Count" ||
		l.Provider != "webex" || l.WebhookReactivations == nil || l.Message != "webhook health" {
		t.Fatalf("not the embedded metric the alarm reads: %s", f.out)
	}
	for _, leak := range []string{"s3cret-one", botToken, f.ids["messages"], f.ids["cards"], webhookURL} {
		if strings.Contains(f.out.String(), leak) {
			t.Fatalf("the line shows %q: %s", leak, f.out)
		}
	}
	return l
}

func TestReactivatesInactiveWebhooksForTheURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.byName()
	if err := f.c.Handle(context.Background(), json.RawMessage(`{"source":"aws.events"}`)); err != nil {
		t.Fatal(err)
	}
	after := f.byName()
	for _, name := range []string{"messages", "cards"} {
		want := before[name]
		want.Status = "active"
		if !reflect.DeepEqual(after[name], want) {
			t.Fatalf("%s = %+v, want %+v (active, nothing else changed)", name, after[name], want)
		}
	}
	if after["elsewhere"].Status != "inactive" || f.api.Calls("PUT /v1/webhooks/"+f.ids["elsewhere"]) != 0 || f.api.Calls("PUT /v1/webhooks/"+f.ids["rooms"]) != 0 {
		t.Fatal("touched a webhook that needed nothing, or one for another URL")
	}
	l := f.line(t)
	if l.Level != "INFO" || l.Checked != 3 || l.Inactive != 2 || l.Reactivated != 2 || l.Failed != 0 || *l.WebhookReactivations != 2 {
		t.Fatalf("line %+v", l)
	}
}

func TestAWebexFailureFailsTheRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		breakIt         func(*fixture)
		wantErr         error
		wantReactivated int
		wantFailed      int
	}{
		{"fails when the webhooks cannot be listed", func(f *fixture) { f.api.FailNext("GET /v1/webhooks", 503, 1) }, webexapi.ErrUnavailable, 0, 0},
		{"fails when the token is refused", func(f *fixture) { f.api.Token = "other" }, webexapi.ErrUnauthorized, 0, 0},
		{"fails when one reactivation fails, after doing the others", func(f *fixture) { f.api.FailNext("PUT /v1/webhooks/"+f.ids["messages"], 500, 1) }, webexapi.ErrUnavailable, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			tc.breakIt(f)
			err := f.c.Handle(context.Background(), nil)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Handle: %v, want %v", err, tc.wantErr)
			}
			l := f.line(t)
			if l.Level != "ERROR" || l.Error == "" || l.Reactivated != tc.wantReactivated || l.Failed != tc.wantFailed || *l.WebhookReactivations != tc.wantReactivated {
				t.Fatalf("line %+v", l)
			}
		})
	}
}

func TestARunWithNothingToDo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.c.Handle(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	f.out.Reset()
	if err := f.c.Handle(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if l := f.line(t); l.Level != "INFO" || l.Checked != 3 || l.Reactivated != 0 || *l.WebhookReactivations != 0 {
		t.Fatalf("second run %+v: want nothing reactivated, and the metric at 0", l)
	}
}

func TestWarnsWhenNoWebhookTargetsTheURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, err := webexhealth.New(webexhealth.Config{Webex: &webexapi.Client{BaseURL: f.api.URL, Token: func(context.Context) (string, error) { return botToken, nil }},
		WebhookURL: "https://nothing.example/", Out: f.out})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Handle(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if l := f.line(t); l.Level != "WARN" || l.Checked != 0 {
		t.Fatalf("line %+v", l)
	}
}

func TestNewRefusesAnEmptyWebhookURL(t *testing.T) {
	t.Parallel()
	if _, err := webexhealth.New(webexhealth.Config{Webex: &webexapi.Client{}}); err == nil || !strings.Contains(err.Error(), "WEBHOOK_URL") {
		t.Fatalf("New: %v", err)
	}
}
