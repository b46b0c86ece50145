package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/queue"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// sentMessages is an SQS client that takes every message and keeps it.
type sentMessages struct{ got []*queue.SendMessageInput }

func (s *sentMessages) SendMessage(_ context.Context, in *queue.SendMessageInput) (*queue.SendMessageOutput, error) {
	s.got = append(s.got, in)
	return &queue.SendMessageOutput{}, nil
}

// sqsSize is the size SQS counts for a message sent: its body, and its
// attributes' names, types and values.
func sqsSize(in *queue.SendMessageInput) int {
	n := len(in.MessageBody)
	for name, a := range in.MessageAttributes {
		n += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

// qiscusEvent returns a Qiscus event signed with currentKey for body, to a
// source of the longest name, so that the message attributes are as large as
// they get.
func qiscusEvent(t *testing.T, body []byte) ([]byte, string) {
	t.Helper()
	source := strings.Repeat("s", 63)
	req := request{provider: provider.Qiscus, contentType: "application/json", body: body, signWith: currentKey}
	var ev apigw.Event
	if err := json.Unmarshal(req.event(t), &ev); err != nil {
		t.Fatal(err)
	}
	ev.PathParameters = map[string]string{webhook.SourceParam: source}
	raw, err := json.Marshal(&ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw, source
}

// TestBodyAtTheLimitFitsInOneSQSMessage sends bodies of MaxBodyBytesLimit
// bytes that JSON escapes worst, with an event type and a source of the
// longest lengths, through the handler to the SQS destination: each is
// queued (the destination refuses, without calling SQS, a message over
// 1 MiB with its attributes), in one message SQS takes.
func TestBodyAtTheLimitFitsInOneSQSMessage(t *testing.T) {
	t.Parallel()
	eventType := strings.Repeat("t", 64)
	for _, tc := range []struct {
		name    string
		pattern string
	}{
		{"escaped quotes, which JSON doubles", `\"`},
		{"escaped control characters, which JSON grows to six bytes", `\u0001`},
		{"quotes and backslashes, escaped exactly as much as base64 costs", `a\\`},
		{"HTML characters, which a default JSON encoder grows sixfold", "<>&"},
		{"line separators", "\u2028"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			head := `{"type":"` + eventType + `","x":"`
			n := webhook.MaxBodyBytesLimit - len(head) - len(`"}`)
			body := []byte(head + strings.Repeat(tc.pattern, n/len(tc.pattern)) + strings.Repeat("a", n%len(tc.pattern)) + `"}`)
			if len(body) != webhook.MaxBodyBytesLimit || !json.Valid(body) {
				t.Fatalf("body of %d bytes, valid JSON %v", len(body), json.Valid(body))
			}
			raw, source := qiscusEvent(t, body)
			sqsClient := &sentMessages{}
			h := mustNew(t, webhook.Config{Provider: provider.Qiscus, Sources: sources{source: ring(t, provider.Qiscus, currentKey)},
				Destinations: []destination.Destination{&queue.SQS{Client: sqsClient, QueueURL: "q"}}})
			if resp := invoke(t, h, raw); resp.StatusCode != 200 {
				t.Fatalf("status %d %q, want 200", resp.StatusCode, resp.Body)
			}
			if len(sqsClient.got) != 1 {
				t.Fatalf("%d messages sent, want 1", len(sqsClient.got))
			}
			in := sqsClient.got[0]
			if size := sqsSize(in); size > queue.MaxMessageBytes {
				t.Fatalf("message of %d bytes with its attributes, SQS takes %d", size, queue.MaxMessageBytes)
			}
			if got := in.MessageAttributes["eventType"].StringValue; got != eventType {
				t.Fatalf("eventType attribute %q, want %q", got, eventType)
			}
		})
	}
}

// eventTypeCatcher keeps the envelopes and the message attributes the SQS
// destination would send.
type eventTypeCatcher struct {
	eventType  string
	attributes map[string]string
}

func (c *eventTypeCatcher) Name() string { return "queue" }

func (c *eventTypeCatcher) Send(_ context.Context, ev *destination.Event) error {
	c.eventType = ev.Envelope.EventType
	c.attributes = map[string]string{}
	for k, v := range queue.Attributes(ev) {
		c.attributes[k] = v.StringValue
	}
	return nil
}

func TestEventTypeIsShortPrintableASCIIOrLeftOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		typ  string
		want string
	}{
		{"keeps a Qiscus type", "post_comment_mobile", "post_comment_mobile"},
		{"keeps a type of 64 characters", strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"keeps dots, colons, slashes and dashes", "a.b:c/d-e_f", "a.b:c/d-e_f"},
		{"leaves out a type of 65 characters", strings.Repeat("a", 65), ""},
		{"leaves out a type with a space", "post comment", ""},
		{"leaves out a type with a letter outside ASCII", "p\u00f6st", ""},
		{"leaves out a type with a control character", "post\ncomment", ""},
		{"leaves out a type with a quote", `post"comment`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, _ := json.Marshal(map[string]any{"type": tc.typ, "payload": map[string]any{}})
			c := &eventTypeCatcher{}
			var logs bytes.Buffer
			h := mustNew(t, webhook.Config{Provider: provider.Qiscus, Keys: &fakeKeys{ring: ring(t, provider.Qiscus, currentKey)},
				Destinations: []destination.Destination{c}, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
			resp := invoke(t, h, request{provider: provider.Qiscus, contentType: "application/json", body: body, signWith: currentKey}.event(t))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			attr, has := c.attributes["eventType"]
			if c.eventType != tc.want || has != (tc.want != "") || attr != tc.want {
				t.Fatalf("envelope eventType %q, attribute %q (%v); want %q", c.eventType, attr, has, tc.want)
			}
			logged, _ := logLine(t, logs.String())["eventType"].(string)
			if logged != tc.want {
				t.Fatalf("logged eventType %q, want %q", logged, tc.want)
			}
		})
	}
}

func TestMaxBodyBytesCannotExceedWhatCanBeQueued(t *testing.T) {
	t.Parallel()
	cfg := func(n int) webhook.Config {
		return webhook.Config{Provider: provider.Webex, Keys: &fakeKeys{}, Destinations: []destination.Destination{&memQueue{}}, MaxBodyBytes: n}
	}
	if _, err := webhook.New(cfg(webhook.MaxBodyBytesLimit)); err != nil {
		t.Fatalf("New refused MaxBodyBytes = MaxBodyBytesLimit: %v", err)
	}
	for _, n := range []int{webhook.MaxBodyBytesLimit + 1, 1 << 20, -1} {
		if _, err := webhook.New(cfg(n)); err == nil {
			t.Errorf("New accepted MaxBodyBytes = %d", n)
		}
	}
	if webhook.DefaultMaxBodyBytes > webhook.MaxBodyBytesLimit {
		t.Fatalf("DefaultMaxBodyBytes %d over MaxBodyBytesLimit %d", webhook.DefaultMaxBodyBytes, webhook.MaxBodyBytesLimit)
	}
}
