// Package envelope is the contract between webhookguard and the code that
// consumes its events: every verified webhook is handed on as one JSON
// Envelope, on an SQS queue, an EventBridge bus (as the event's detail) or
// to an answer function (as its payload).
//
// A consumer decodes it and reads the exact bytes the provider sent:
//
//	e, err := envelope.Decode(record.Body)
//	// handle err
//	body, err := e.RawBody()
package envelope

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Version is the version of the Envelope format this package writes and
// reads.
const Version = 1

// Body encodings of Envelope.Body.
const (
	// EncodingUTF8 means Body is the body itself.
	EncodingUTF8 = "utf8"
	// EncodingBase64 means Body is the standard base64 of the body.
	EncodingBase64 = "base64"
)

// ErrMalformed means bytes are not an envelope this package can read.
var ErrMalformed = errors.New("envelope: malformed")

// Envelope is one verified webhook as consumers receive it.
type Envelope struct {
	// Version is the format version, 1.
	Version int `json:"version"`
	// Provider is "webex", "qiscus" or "signalwire".
	Provider string `json:"provider"`
	// Source names the bot or project the webhook was sent to, when the
	// deployment serves several (the {source} of /<provider>/{source});
	// empty otherwise.
	Source string `json:"source,omitempty"`
	// EventType is the provider's event type when it could be read cheaply
	// (Webex "resource.event", Qiscus "type", SignalWire "call.<status>",
	// "message.<status>", a RELAY event_type or "call.<call_state>");
	// empty otherwise. It is short printable ASCII.
	EventType string `json:"eventType,omitempty"`
	// DedupKey is the provider's own identity of the event (Webex resource,
	// event and data.id; SignalWire CallSid or MessageSid with the status;
	// Qiscus the message id, else a hash of the body). Two deliveries of
	// one event carry the same key, whatever their signatures.
	DedupKey string `json:"dedupKey,omitempty"`
	// Body is the exact body that was verified, encoded as BodyEncoding
	// says. Read it with RawBody.
	Body         string `json:"body"`
	BodyEncoding string `json:"bodyEncoding"`
	// ContentType is the request's Content-Type header.
	ContentType string `json:"contentType,omitempty"`
	// KeyStage names the Secrets Manager stage whose key matched.
	KeyStage string `json:"keyStage"`
	// Scheme names the signature scheme that matched.
	Scheme string `json:"scheme"`
	// URL is the URL the signature was checked against (SignalWire only),
	// without any credentials.
	URL string `json:"url,omitempty"`
	// ReceivedAt is when API Gateway received the request.
	ReceivedAt time.Time `json:"receivedAt"`
	// RequestID is API Gateway's request id.
	RequestID string `json:"requestId"`
}

// SetBody stores body in e: as text when it is valid UTF-8 that every
// destination can carry and JSON-escaping it costs no more than base64,
// else as base64. An envelope therefore never carries more than 4/3 of the
// body's size.
func (e *Envelope) SetBody(body []byte) {
	if isText(body) && escapedLen(body) <= base64.StdEncoding.EncodedLen(len(body)) {
		e.Body, e.BodyEncoding = string(body), EncodingUTF8
		return
	}
	e.Body, e.BodyEncoding = base64.StdEncoding.EncodeToString(body), EncodingBase64
}

// escapedLen returns the length of body once Marshal has escaped it as a
// JSON string, without the quotes.
func escapedLen(body []byte) int {
	n := len(body)
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			n++
		case c < 0x20:
			n += 5 // \u00XX
		case c == 0xe2 && i+2 < len(body) && body[i+1] == 0x80 && (body[i+2] == 0xa8 || body[i+2] == 0xa9):
			n += 3 // U+2028 and U+2029 become \u2028, \u2029
		}
	}
	return n
}

// isText reports whether body is UTF-8 made only of characters an SQS
// message may contain once JSON has escaped control characters: SQS refuses
// U+FFFE and U+FFFF, which are valid UTF-8.
func isText(body []byte) bool {
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
		b, err := base64.StdEncoding.DecodeString(e.Body)
		if err != nil {
			return nil, fmt.Errorf("%w: body is not base64: %v", ErrMalformed, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: unknown body encoding %q", ErrMalformed, e.BodyEncoding)
}

// Marshal returns e as JSON, without the HTML escaping encoding/json does
// by default: '<', '>' and '&' stay one byte each, so a cXML or form body
// does not grow on its way to a size-limited destination.
func (e *Envelope) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(e.Body) + 512)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("envelope: marshal: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// Decode reads an envelope from JSON: an SQS message body, an EventBridge
// event's detail, or an answer function's payload. It fails with
// ErrMalformed when the bytes are not an envelope of a version it knows.
func Decode(b []byte) (*Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch {
	case e.Version != Version:
		return nil, fmt.Errorf("%w: version %d, want %d", ErrMalformed, e.Version, Version)
	case e.Provider == "":
		return nil, fmt.Errorf("%w: no provider", ErrMalformed)
	case e.BodyEncoding != EncodingUTF8 && e.BodyEncoding != EncodingBase64:
		return nil, fmt.Errorf("%w: unknown body encoding %q", ErrMalformed, e.BodyEncoding)
	}
	return &e, nil
}
