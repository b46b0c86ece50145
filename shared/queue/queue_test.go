package queue_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/queue"
)

type fakeSQS struct {
	in  *sqs.SendMessageInput
	err error
}

func (f *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.in = in
	return &sqs.SendMessageOutput{}, f.err
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
		got[k] = aws.ToString(v.StringValue)
	}
	want := map[string]string{"provider": "webex", "source": "sales", "eventType": "messages.created"}
	if aws.ToString(c.in.QueueUrl) != "q" || aws.ToString(c.in.MessageBody) != string(ev.JSON) || len(got) != len(want) {
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
