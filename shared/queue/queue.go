// Package queue hands verified webhooks to an Amazon SQS queue, one message
// per webhook: the message body is the JSON envelope (package envelope), and
// the message attributes "provider", "source" and "eventType" let consumers
// and subscription filters route without parsing the body.
package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/webhookguard/webhookguard/shared/destination"
)

// MaxMessageBytes is the largest SQS message: its body and its message
// attributes (names, types and values) together.
const MaxMessageBytes = 1 << 20

// Name is the destination's name in logs, metrics and reasons.
const Name = "queue"

// Client sends a message: the SQS SendMessage call. NewClient (client.go)
// returns the one that calls AWS.
type Client interface {
	SendMessage(ctx context.Context, in *SendMessageInput) (*SendMessageOutput, error)
}

// SQS sends events to one queue. It implements destination.Destination.
type SQS struct {
	Client   Client
	QueueURL string
}

// Name implements destination.Destination.
func (q *SQS) Name() string { return Name }

// Send sends the event as one message. Its errors are *destination.Error
// values wrapping destination.ErrTooLarge when the message is larger than
// SQS takes, destination.ErrRejected when SQS refuses its contents, and
// destination.ErrUnavailable otherwise.
func (q *SQS) Send(ctx context.Context, ev *destination.Event) error {
	attrs := Attributes(ev)
	if n := MessageSize(ev.JSON, attrs); n > MaxMessageBytes {
		return &destination.Error{Destination: Name, Err: fmt.Errorf("%w: %d bytes with attributes, limit %d", destination.ErrTooLarge, n, MaxMessageBytes)}
	}
	_, err := q.Client.SendMessage(ctx, &SendMessageInput{
		QueueURL:          q.QueueURL,
		MessageBody:       string(ev.JSON),
		MessageAttributes: attrs,
	})
	if err != nil {
		return &destination.Error{Destination: Name, Err: fmt.Errorf("%w: %w", classify(err), err)}
	}
	return nil
}

// classify tells a refusal of the message itself, which a retry cannot
// mend, from a failure worth retrying.
func classify(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch code := api.ErrorCode(); {
		case strings.HasSuffix(code, "InvalidMessageContents"):
			return destination.ErrRejected
		case strings.HasSuffix(code, "MessageTooLong"),
			code == "InvalidParameterValue" && strings.Contains(api.ErrorMessage(), "shorter than"):
			// SQS answers InvalidParameterValue, "Message must be shorter
			// than 1048576 bytes", for a message over its limit.
			return destination.ErrTooLarge
		}
	}
	return destination.ErrUnavailable
}

// Attributes returns the message attributes of an event: provider, and
// source and eventType when set.
func Attributes(ev *destination.Event) map[string]Attribute {
	e := ev.Envelope
	attrs := map[string]Attribute{
		"provider": stringAttr(e.Provider),
	}
	if e.Source != "" {
		attrs["source"] = stringAttr(e.Source)
	}
	if e.EventType != "" {
		attrs["eventType"] = stringAttr(e.EventType)
	}
	return attrs
}

func stringAttr(v string) Attribute {
	return Attribute{DataType: "String", StringValue: v}
}

// MessageSize returns the size SQS counts for a message: the body, and for
// each attribute its name, data type and value.
func MessageSize(body []byte, attrs map[string]Attribute) int {
	n := len(body)
	for name, a := range attrs {
		n += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}
