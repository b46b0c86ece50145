package event_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhookguard/webhookguard/shared/event"
	"github.com/webhookguard/webhookguard/shared/provider"
)

// FuzzFromSQS feeds arbitrary bytes as an SQS message body: decoding never
// panics, and every failure wraps one of the package's sentinels.
func FuzzFromSQS(f *testing.F) {
	f.Add([]byte(env("webex", "application/json", string(provider.Webex.Sample.Body))))
	f.Add([]byte(env("qiscus", "application/json", string(provider.Qiscus.Sample.Body))))
	f.Add([]byte(env("signalwire", "application/x-www-form-urlencoded", string(provider.SignalWire.Sample.Body))))
	f.Add([]byte(`{"version":1,"provider":"webex","body":"e30=","bodyEncoding":"base64"}`))
	f.Add([]byte("not json"))
	f.Add([]byte(`{"detail-type":"x","detail":{"version":1,"provider":"qiscus","body":"{}","bodyEncoding":"utf8"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := event.FromSQS(events.SQSMessage{Body: string(b)})
		if err != nil {
			if !errors.Is(err, event.ErrNotEnvelope) {
				t.Fatalf("Decode: %v wraps no sentinel", err)
			}
			return
		}
		for _, decode := range []func(*event.Event) error{webex, qiscus, signalWire} {
			if err := decode(ev); err != nil && !errors.Is(err, event.ErrWrongProvider) && !errors.Is(err, event.ErrUndecodable) {
				t.Fatalf("%v wraps no sentinel", err)
			}
		}
	})
}

// FuzzProviderBodies wraps arbitrary bodies in each provider's envelope as
// the webhook functions do: the body comes back byte for byte, and the
// provider's decoder either reads it or says it cannot.
func FuzzProviderBodies(f *testing.F) {
	for _, p := range provider.All {
		f.Add(uint8(0), p.Sample.ContentType, p.Sample.Body)
	}
	f.Add(uint8(1), "application/json", []byte(`{"payload":{"from":{"id":"1"},"room":{"id":1.5e3}}}`))
	f.Add(uint8(2), "application/json", []byte(`{"event_type":"calling.call.state","params":{"call_id":"c","end_reason":null}}`))
	f.Add(uint8(2), "", []byte("Digits=1&CallSid=c"))
	f.Fuzz(func(t *testing.T, which uint8, contentType string, body []byte) {
		p := provider.All[int(which)%len(provider.All)]
		ev, err := event.Decode(envelopeOf(t, p, contentType, body))
		if err != nil {
			t.Fatalf("Decode of a well-formed envelope: %v", err)
		}
		if !bytes.Equal(ev.Body, body) {
			t.Fatalf("body changed: %q, want %q", ev.Body, body)
		}
		var derr error
		switch p.Name {
		case event.ProviderWebex:
			derr = webex(ev)
		case event.ProviderQiscus:
			derr = qiscus(ev)
		default:
			derr = signalWire(ev)
		}
		if derr != nil && !errors.Is(derr, event.ErrUndecodable) {
			t.Fatalf("%s: %v is not ErrUndecodable", p.Name, derr)
		}
	})
}
