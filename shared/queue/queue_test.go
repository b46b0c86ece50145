package queue_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/queue"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

type fakeSQS struct {
	in  *queue.SendMessageInput
	err error
}

func (f *fakeSQS) SendMessage(_ context.Context, in *queue.SendMessageInput) (*queue.SendMessageOutput, error) {
	f.in = in
	return &queue.SendMessageOutput{}, f.err
}

// event returns an event whose envelope carries body.
func event(t *testing.T, e envelope.Envelope, body []byte) *destination.Event {
	t.Helper()
	e.Version = envelope.Version
	e.SetBody(body)
	raw, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return &destination.Event{Envelope: &e, JSON: raw}
}

func TestSendsTheEnvelopeWithRoutingAttributes(t *testing.T) {
	t.Parallel()
	c := &fakeSQS{}
	ev := event(t, envelope.Envelope{Provider: "webex", Source: "sales", EventType: "messages.created"}, []byte(`{"a":1}`))
	if err := (&queue.SQS{Client: c, QueueURL: "q"}).Send(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range c.in.MessageAttributes {
		got[k] = v.StringValue
	}
	want := map[string]string{"provider": "webex", "source": "sales", "eventType": "messages.created"}
	if c.in.QueueURL != "q" || c.in.MessageBody != string(ev.JSON) || len(got) != len(want) {
		t.Fatalf("sent %+v, attributes %v", c.in, got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("attribute %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sqsErr  error
		body    []byte
		wantErr error
		wantAPI bool
	}{
		{"reports a network failure as unavailable", errors.New("dial tcp: connection refused"), []byte("x"), destination.ErrUnavailable, true},
		{"reports SQS refusing the contents as rejected", &smithy.GenericAPIError{Code: "InvalidMessageContents", Message: "Invalid characters"}, []byte("x"), destination.ErrRejected, true},
		{"reports SQS finding the message too long as too large", &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."}, []byte("x"), destination.ErrTooLarge, true},
		{"reports a throttled call as unavailable", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}, []byte("x"), destination.ErrUnavailable, true},
		{"refuses, without calling SQS, a message over the limit once its attributes count", nil, []byte(strings.Repeat("a", queue.MaxMessageBytes-200)), destination.ErrTooLarge, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &fakeSQS{err: tc.sqsErr}
			ev := event(t, envelope.Envelope{Provider: "signalwire", EventType: "call.ringing"}, tc.body)
			err := (&queue.SQS{Client: c, QueueURL: "q"}).Send(context.Background(), ev)
			var de *destination.Error
			if !errors.Is(err, tc.wantErr) || !errors.As(err, &de) || de.Destination != queue.Name {
				t.Fatalf("err = %v, want %v from %s", err, tc.wantErr, queue.Name)
			}
			if (c.in != nil) != tc.wantAPI {
				t.Fatalf("called SQS: %v, want %v", c.in != nil, tc.wantAPI)
			}
		})
	}
}

func TestMessageSizeCountsAttributes(t *testing.T) {
	t.Parallel()
	ev := event(t, envelope.Envelope{Provider: "webex", EventType: "messages.created"}, []byte("{}"))
	want := len(ev.JSON) + len("provider") + len("String") + len("webex") + len("eventType") + len("String") + len("messages.created")
	if got := queue.MessageSize(ev.JSON, queue.Attributes(ev)); got != want {
		t.Fatalf("MessageSize = %d, want %d", got, want)
	}
}

// TestSendsToSQS sends through the client the functions use to a queue on
// moto_server, and reads back the exact body and attributes.
func TestSendsToSQS(t *testing.T) {
	t.Parallel()
	s := mototest.Shared(t)
	url := s.CreateQueue(t, "queue-client")
	ev := event(t, envelope.Envelope{Provider: "webex", Source: "sales", EventType: "messages.created"}, []byte(`{"a":"é\u0001"}`))
	if err := (&queue.SQS{Client: queue.NewClient(s.Config()), QueueURL: url}).Send(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	msgs := s.Receive(t, url, 10)
	if len(msgs) != 1 || msgs[0].Body != string(ev.JSON) {
		t.Fatalf("received %+v, want the envelope once", msgs)
	}
}

func TestSendToAMissingQueueAsksForARetry(t *testing.T) {
	t.Parallel()
	s := mototest.Shared(t)
	ev := event(t, envelope.Envelope{Provider: "qiscus"}, []byte(`{}`))
	err := (&queue.SQS{Client: queue.NewClient(s.Config()), QueueURL: s.URL + "/123456789012/no-such-queue"}).Send(context.Background(), ev)
	var api smithy.APIError
	if !errors.Is(err, destination.ErrUnavailable) || !errors.As(err, &api) {
		t.Fatalf("Send = %v, want ErrUnavailable from an SQS error", err)
	}
}
