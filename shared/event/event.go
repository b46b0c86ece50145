// Package event decodes what webhookguard hands on into the provider's own
// event: the envelope (package envelope) from an SQS message, an EventBridge
// event's detail or an answer function's payload, then the verified body as
// a Webex, Qiscus or SignalWire event.
//
//	ev, err := event.FromSQS(record)      // record is an events.SQSMessage
//	// handle err (errors.Is(err, event.ErrNotEnvelope))
//	wx, err := ev.Webex()                  // event.ErrWrongProvider for a Qiscus event
//	if wx.Kind() == event.WebexMessageCreated { ... wx.Data.RoomID ... }
//
// The package is named event, not events, so that it can be imported next
// to github.com/aws/aws-lambda-go/events without an alias.
package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhookguard/webhookguard/shared/envelope"
)

// Errors of the decoders. Each error returned wraps exactly one of them.
var (
	// ErrNotEnvelope means the bytes are not a webhookguard envelope: not
	// JSON, an unknown version, no provider, or a body that cannot be
	// read. Retrying cannot help; drop the message.
	ErrNotEnvelope = errors.New("event: not a webhookguard envelope")
	// ErrWrongProvider means the envelope comes from another provider than
	// the one asked for.
	ErrWrongProvider = errors.New("event: envelope of another provider")
	// ErrUndecodable means the verified body is not an event of its
	// provider's format (not a JSON object, not a form).
	ErrUndecodable = errors.New("event: body cannot be decoded")
)

// Provider names, as in Envelope.Provider.
const (
	ProviderWebex      = "webex"
	ProviderQiscus     = "qiscus"
	ProviderSignalWire = "signalwire"
)

// Event is one verified webhook as handed on: its envelope and the exact
// body the provider sent.
type Event struct {
	// Envelope holds the envelope's fields: Provider, Source, EventType,
	// DedupKey (the provider's identity of the event, the same for every
	// delivery of it), ContentType, ReceivedAt, RequestID, KeyStage, ...
	Envelope *envelope.Envelope
	// Body is the exact body the provider sent and signed.
	Body []byte
}

// Decode reads an envelope from its JSON: an SQS message body, an
// EventBridge event's detail, or an answer function's payload. It fails
// with ErrNotEnvelope.
func Decode(b []byte) (*Event, error) {
	env, err := envelope.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotEnvelope, err)
	}
	return FromEnvelope(env)
}

// FromEnvelope reads an envelope already decoded: the payload an answer
// function receives, or destination.Event.Envelope in process. It fails
// with ErrNotEnvelope when the envelope's body cannot be read.
func FromEnvelope(env *envelope.Envelope) (*Event, error) {
	if env == nil || env.Provider == "" {
		return nil, fmt.Errorf("%w: no provider", ErrNotEnvelope)
	}
	body, err := env.RawBody()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotEnvelope, err)
	}
	return &Event{Envelope: env, Body: body}, nil
}

// FromSQS reads the envelope in an SQS message, as a Lambda function
// triggered by the events queue receives it. A message an EventBridge rule
// put on a queue is read too, whether the rule sends the whole event (the
// envelope is its detail) or only its detail (InputPath $.detail).
func FromSQS(m events.SQSMessage) (*Event, error) {
	ev, err := Decode([]byte(m.Body))
	if err == nil {
		return ev, nil
	}
	var bus events.EventBridgeEvent
	if json.Unmarshal([]byte(m.Body), &bus) == nil && bus.DetailType != "" && isObject(bus.Detail) {
		return FromEventBridge(bus)
	}
	return nil, err
}

// FromEventBridge reads the envelope in an EventBridge event: its detail
// is the envelope object.
func FromEventBridge(e events.EventBridgeEvent) (*Event, error) {
	if len(bytes.TrimSpace(e.Detail)) == 0 {
		return nil, fmt.Errorf("%w: the EventBridge event has no detail", ErrNotEnvelope)
	}
	return Decode(e.Detail)
}

// Provider returns the provider that sent the event: "webex", "qiscus" or
// "signalwire".
func (e *Event) Provider() string { return e.Envelope.Provider }

// want fails with ErrWrongProvider unless the event is provider's.
func (e *Event) want(provider string) error {
	if e.Envelope.Provider != provider {
		return fmt.Errorf("%w: %q, want %q", ErrWrongProvider, e.Envelope.Provider, provider)
	}
	return nil
}

// Webex decodes the body as a Webex webhook. It fails with
// ErrWrongProvider for another provider's event and ErrUndecodable for a
// body that is not a Webex webhook's JSON object.
func (e *Event) Webex() (*Webex, error) {
	if err := e.want(ProviderWebex); err != nil {
		return nil, err
	}
	return DecodeWebex(e.Body)
}

// Qiscus decodes the body as a Qiscus webhook. It fails with
// ErrWrongProvider for another provider's event and ErrUndecodable for a
// body that is not a Qiscus webhook's JSON object.
func (e *Event) Qiscus() (*Qiscus, error) {
	if err := e.want(ProviderQiscus); err != nil {
		return nil, err
	}
	return DecodeQiscus(e.Body)
}

// SignalWire decodes the body as a SignalWire webhook: a compatibility
// (cXML) form, a SWML request, a RELAY or status callback. It fails with
// ErrWrongProvider for another provider's event and ErrUndecodable for a
// body that is neither a form nor a JSON object.
func (e *Event) SignalWire() (*SignalWire, error) {
	if err := e.want(ProviderSignalWire); err != nil {
		return nil, err
	}
	return DecodeSignalWire(e.Envelope.ContentType, e.Body)
}

// isObject reports whether b holds a JSON object (first non-space byte
// '{'); json.Unmarshal accepts null into a struct, which is not an event.
func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// undecodable wraps a decoding failure of a provider's body.
func undecodable(provider string, err error) error {
	return fmt.Errorf("%w: %s: %v", ErrUndecodable, provider, err)
}
