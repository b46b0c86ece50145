package envelope_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/shared/envelope"
)

func TestSetBodyKeepsEveryByte(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     []byte
		encoding string
	}{
		{"keeps UTF-8 text as text", []byte("zoë 😀 {\"a\":1}"), envelope.EncodingUTF8},
		{"keeps a few control characters as text, JSON escapes them", []byte("abcdefghijklmnopqrstuvwxyz\x00b\x1fc"), envelope.EncodingUTF8},
		{"base64-encodes invalid UTF-8", []byte{0xff, 0xfe}, envelope.EncodingBase64},
		{"base64-encodes U+FFFF, which SQS refuses", []byte("a\uFFFFb"), envelope.EncodingBase64},
		{"keeps an empty body as text", []byte{}, envelope.EncodingUTF8},
		{"base64-encodes text that JSON would grow past base64", []byte(strings.Repeat(`"`, 300)), envelope.EncodingBase64},
		{"base64-encodes control characters that JSON would grow sixfold", bytes.Repeat([]byte{1}, 30), envelope.EncodingBase64},
		{"keeps text whose escapes cost as much as base64", bytes.Repeat([]byte("ab\b"), 100), envelope.EncodingUTF8},
		{"keeps text with form feeds that cost as much as base64", bytes.Repeat([]byte("ab\f"), 100), envelope.EncodingUTF8},
		{"base64-encodes line separators that JSON would double", bytes.Repeat([]byte("\u2028"), 100), envelope.EncodingBase64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if encoding := roundTrip(t, tc.body); encoding != tc.encoding {
				t.Fatalf("encoding %s, want %s", encoding, tc.encoding)
			}
		})
	}
}

func TestMarshalDoesNotEscapeHTML(t *testing.T) {
	t.Parallel()
	e := envelope.Envelope{Version: envelope.Version, Provider: "signalwire", BodyEncoding: envelope.EncodingUTF8, Body: "<Response>a&b</Response>"}
	raw, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"body":"<Response>a&b</Response>"`)) || bytes.HasSuffix(raw, []byte("\n")) {
		t.Fatalf("Marshal = %s", raw)
	}
}

func TestDecodeRefusesWhatIsNotAnEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{"refuses text that is not JSON", "not json"},
		{"refuses an unknown version", `{"version":2,"provider":"webex","bodyEncoding":"utf8"}`},
		{"refuses an envelope without a provider", `{"version":1,"bodyEncoding":"utf8"}`},
		{"refuses an unknown body encoding", `{"version":1,"provider":"webex","bodyEncoding":"rot13"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := envelope.Decode([]byte(tc.in)); !errors.Is(err, envelope.ErrMalformed) {
				t.Fatalf("Decode = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestRawBodyRefusesBadBase64(t *testing.T) {
	t.Parallel()
	e := envelope.Envelope{Body: "!!!", BodyEncoding: envelope.EncodingBase64}
	if _, err := e.RawBody(); !errors.Is(err, envelope.ErrMalformed) {
		t.Fatalf("RawBody = %v, want ErrMalformed", err)
	}
}

// FuzzEnvelopeBody checks that any body survives SetBody, Marshal, Decode
// and RawBody byte for byte.
func FuzzEnvelopeBody(f *testing.F) {
	f.Add([]byte("zoë 😀"))
	f.Add([]byte{0xff, 0x00, 0xef, 0xbf, 0xbf})
	f.Add([]byte(strings.Repeat(`"\<`, 10)))
	f.Fuzz(func(t *testing.T, body []byte) { roundTrip(t, body) })
}

// roundTrip stores body in an envelope, through JSON and back, checks the
// bytes survive, and returns the encoding used.
func roundTrip(t *testing.T, body []byte) string {
	t.Helper()
	e := envelope.Envelope{Version: envelope.Version, Provider: "qiscus"}
	e.SetBody(body)
	raw, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := envelope.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.RawBody()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("round trip of %q gave %q (%v)", body, got, err)
	}
	return back.BodyEncoding
}

// TestEnvelopeCarriesAtMostFourThirdsOfTheBody checks, for the bodies JSON
// escapes worst, that the body costs the envelope no more than its base64
// would: the bound the body limit (webhook.MaxBodyBytesLimit) rests on.
func TestEnvelopeCarriesAtMostFourThirdsOfTheBody(t *testing.T) {
	t.Parallel()
	empty := envelope.Envelope{Version: envelope.Version, Provider: "qiscus"}
	empty.SetBody(nil)
	base, err := empty.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{`"`, `\`, "\x01", "\n", "\b", "<", ">", "&", "\u2028", "\u2029", "ab\"", "a\"\"", "\xff", "\uFFFF", "é", "😀", "<a&b>"} {
		body := bytes.Repeat([]byte(pattern), 3000)
		e := envelope.Envelope{Version: envelope.Version, Provider: "qiscus"}
		e.SetBody(body)
		raw, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		// The body field, and "base64" in place of "utf8".
		limit := base64.StdEncoding.EncodedLen(len(body)) + len(envelope.EncodingBase64) - len(envelope.EncodingUTF8)
		if grew := len(raw) - len(base); grew > limit {
			t.Errorf("a body of %d bytes of %q costs the envelope %d bytes, more than its base64 (%d)", len(body), pattern, grew, limit)
		}
	}
}
