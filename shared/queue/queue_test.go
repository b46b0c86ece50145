package queue_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"webhookguard/shared/queue"
)

func TestSetBodyKeepsEveryByte(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     []byte
		encoding string
	}{
		{"keeps UTF-8 text as text", []byte("zoë 😀 {\"a\":1}"), queue.EncodingUTF8},
		{"keeps control characters as text, JSON escapes them", []byte("a\x00b\x1fc"), queue.EncodingUTF8},
		{"base64-encodes invalid UTF-8", []byte{0xff, 0xfe}, queue.EncodingBase64},
		{"base64-encodes U+FFFF, which SQS refuses", []byte("a\uFFFFb"), queue.EncodingBase64},
		{"keeps an empty body as text", []byte{}, queue.EncodingUTF8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if encoding := roundTrip(t, tc.body); encoding != tc.encoding {
				t.Fatalf("encoding %s, want %s", encoding, tc.encoding)
			}
		})
	}
}

type fakeSQS struct {
	in  *sqs.SendMessageInput
	err error
}

func (f *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.in = in
	return &sqs.SendMessageOutput{}, f.err
}

func TestSQSSend(t *testing.T) {
	t.Parallel()
	t.Run("sends the envelope with provider and event type attributes", func(t *testing.T) {
		c := &fakeSQS{}
		e := &queue.Envelope{Version: 1, Provider: "webex", EventType: "messages.created"}
		e.SetBody([]byte(`{"a":1}`))
		if err := (&queue.SQS{Client: c, QueueURL: "q"}).Send(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		if aws.ToString(c.in.QueueUrl) != "q" || aws.ToString(c.in.MessageAttributes["provider"].StringValue) != "webex" ||
			aws.ToString(c.in.MessageAttributes["eventType"].StringValue) != "messages.created" ||
			!strings.Contains(aws.ToString(c.in.MessageBody), `"body":"{\"a\":1}"`) {
			t.Fatalf("sent %+v", c.in)
		}
	})
	t.Run("reports an SQS failure as ErrUnavailable", func(t *testing.T) {
		err := (&queue.SQS{Client: &fakeSQS{err: errors.New("connection refused")}}).Send(context.Background(), &queue.Envelope{})
		if !errors.Is(err, queue.ErrUnavailable) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("refuses an envelope larger than an SQS message", func(t *testing.T) {
		c := &fakeSQS{}
		e := &queue.Envelope{}
		e.SetBody(bytes.Repeat([]byte{0xff}, queue.MaxMessageBytes))
		if err := (&queue.SQS{Client: c}).Send(context.Background(), e); !errors.Is(err, queue.ErrTooLarge) || c.in != nil {
			t.Fatalf("err = %v, sent %v", err, c.in != nil)
		}
	})
}

// FuzzEnvelopeBody checks that any body survives SetBody, JSON and RawBody
// byte for byte.
func FuzzEnvelopeBody(f *testing.F) {
	f.Add([]byte("zoë 😀"))
	f.Add([]byte{0xff, 0x00, 0xef, 0xbf, 0xbf})
	f.Fuzz(func(t *testing.T, body []byte) { roundTrip(t, body) })
}

// roundTrip stores body in an envelope, through JSON and back, checks the
// bytes survive, and returns the encoding used.
func roundTrip(t *testing.T, body []byte) string {
	t.Helper()
	var e queue.Envelope
	e.SetBody(body)
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var back queue.Envelope
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	got, err := back.RawBody()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("round trip of %q gave %q (%v)", body, got, err)
	}
	return back.BodyEncoding
}
