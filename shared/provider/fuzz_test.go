package provider_test

import (
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/shared/provider"
)

// FuzzEventType feeds arbitrary bodies and content types to every event type
// and dedup key reader: none may panic, an event type is short enough for an
// SQS attribute, and a dedup key is short printable ASCII.
func FuzzEventType(f *testing.F) {
	f.Add("application/json", []byte(`{"resource":"messages","event":"created","type":"x","call":{"call_state":"created"}}`))
	f.Add("application/x-www-form-urlencoded", []byte("CallSid=CA1&CallStatus=ringing&MessageStatus=sent"))
	f.Add("", []byte("a=%zz"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		for _, p := range provider.All {
			if got := p.EventType(contentType, body); len(got) > len(body)+16 {
				t.Fatalf("%s: event type of %d bytes from a body of %d", p.Name, len(got), len(body))
			}
			key := p.DedupKey(contentType, body)
			if key == "" || len(key) > provider.MaxDedupKeyBytes || strings.ContainsFunc(key, func(r rune) bool { return r <= 0x20 || r > 0x7e }) {
				t.Fatalf("%s: dedup key %q", p.Name, key)
			}
		}
	})
}
