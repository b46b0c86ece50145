// Package queue hands verified webhooks to downstream consumers through
// Amazon SQS, one message per webhook.
//
// The message body is a JSON Envelope; it is the contract with consumers.
// The message attribute "provider" names the provider, and "eventType", when
// present, the provider's event type, so consumers and SQS subscription
// filters can route without parsing the body.
package queue

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// EnvelopeVersion is the version of the Envelope format.
const EnvelopeVersion = 1

// MaxMessageBytes is the largest SQS message body (1 MiB).
const MaxMessageBytes = 1 << 20

// Body encodings of Envelope.Body.
const (
	EncodingUTF8   = "utf8"
	EncodingBase64 = "base64"
)

// Errors returned by Sender.
var (
	// ErrUnavailable means the queue could not take the message; the
	// webhook was not handed on.
	ErrUnavailable = errors.New("queue: unavailable")
	// ErrTooLarge means the envelope is larger than an SQS message can be.
	ErrTooLarge = errors.New("queue: envelope too large")
)

// Envelope is one verified webhook as consumers receive it.
type Envelope struct {
	// Version is EnvelopeVersion.
	Version int `json:"version"`
	// Provider is "webex", "qiscus" or "signalwire".
	Provider string `json:"provider"`
	// EventType is the provider's event type when the function read it
	// (Webex "resource.event", Qiscus "type", SignalWire "call_state" or
	// CallStatus/MessageStatus); empty otherwise.
	EventType string `json:"eventType,omitempty"`
	// Body is the exact body that was verified: the text itself when it is
	// valid UTF-8 (BodyEncoding "utf8"), else its standard base64
	// (BodyEncoding "base64").
	Body         string `json:"body"`
	BodyEncoding string `json:"bodyEncoding"`
	// ContentType is the request's Content-Type header.
	ContentType string `json:"contentType,omitempty"`
	// KeyStage names the Secrets Manager stage whose key matched.
	KeyStage string `json:"keyStage"`
	// Scheme names the signature scheme that matched.
	Scheme string `json:"scheme"`
	// URL is the URL the signature was checked against (SignalWire only).
	URL string `json:"url,omitempty"`
	// ReceivedAt is when API Gateway received the request.
	ReceivedAt time.Time `json:"receivedAt"`
	// RequestID is API Gateway's request id.
	RequestID string `json:"requestId"`
}

// SetBody stores body in e: as text when it is valid UTF-8 that SQS can
// carry, else as base64.
func (e *Envelope) SetBody(body []byte) {
	if sqsText(body) {
		e.Body, e.BodyEncoding = string(body), EncodingUTF8
		return
	}
	e.Body, e.BodyEncoding = base64.StdEncoding.EncodeToString(body), EncodingBase64
}

// sqsText reports whether body is UTF-8 made only of characters an SQS
// message may contain once JSON has escaped control characters: SQS refuses
// U+FFFE and U+FFFF, which are valid UTF-8.
func sqsText(body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	return !bytes.Contains(body, []byte("\uFFFE")) && !bytes.Contains(body, []byte("\uFFFF"))
}

// RawBody returns the exact bytes that were verified.
func (e *Envelope) RawBody() ([]byte, error) {
	switch e.BodyEncoding {
	case EncodingUTF8:
		return []byte(e.Body), nil
	case EncodingBase64:
		return base64.StdEncoding.DecodeString(e.Body)
	}
	return nil, fmt.Errorf("queue: unknown body encoding %q", e.BodyEncoding)
}

// Sender hands one envelope on, or fails.
type Sender interface {
	Send(ctx context.Context, e *Envelope) error
}

// Client is the part of the SQS client SQS uses.
type Client interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQS sends envelopes to one queue.
type SQS struct {
	Client   Client
	QueueURL string
}

// Send marshals e and sends it as one message. It fails with ErrTooLarge or
// ErrUnavailable.
func (q *SQS) Send(ctx context.Context, e *Envelope) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("queue: marshal envelope: %w", err)
	}
	if len(b) > MaxMessageBytes {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		"provider": {DataType: aws.String("String"), StringValue: aws.String(e.Provider)},
	}
	if e.EventType != "" {
		attrs["eventType"] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(e.EventType)}
	}
	_, err = q.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(q.QueueURL),
		MessageBody:       aws.String(string(b)),
		MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}
