package provider_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/verify"
)

func TestEventType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		p           provider.Provider
		contentType string
		body        string
		want        string
	}{
		{"reads a Webex resource and event", provider.Webex, "application/json", `{"resource":"messages","event":"created"}`, "messages.created"},
		{"reads nothing from a Webex body that is not JSON", provider.Webex, "application/json", `nope`, ""},
		{"reads a Qiscus type", provider.Qiscus, "application/json", `{"type":"post_comment_rest"}`, "post_comment_rest"},
		{"reads a SignalWire call status from a form", provider.SignalWire, "application/x-www-form-urlencoded", "CallSid=CA1&CallStatus=completed", "call.completed"},
		{"reads a SignalWire message status from a form", provider.SignalWire, "application/x-www-form-urlencoded; charset=utf-8", "MessageSid=SM1&MessageStatus=delivered", "message.delivered"},
		{"names a SignalWire call form without status", provider.SignalWire, "application/x-www-form-urlencoded", "CallSid=CA1", "call"},
		{"reads a SignalWire RELAY event type", provider.SignalWire, "application/json", `{"event_type":"calling.call.state"}`, "calling.call.state"},
		{"reads a SWML call state", provider.SignalWire, "application/json", `{"call":{"call_state":"created"}}`, "call.created"},
		{"reads nothing from a form sent without its Content-Type", provider.SignalWire, "", "CallSid=CA1&CallStatus=ringing", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.EventType(tc.contentType, []byte(tc.body)); got != tc.want {
				t.Fatalf("EventType = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSignedRequestsVerify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		p           provider.Provider
		url         string
		contentType string
		body        string
		wantScheme  verify.Scheme
	}{
		{"signs Webex", provider.Webex, "", "application/json", `{"a":1}`, verify.SchemeWebex},
		{"signs Qiscus", provider.Qiscus, "", "application/json", `{"a":1}`, verify.SchemeQiscus},
		{"signs a SignalWire form with the compatibility scheme", provider.SignalWire, "https://h/sw", "application/x-www-form-urlencoded", "To=a&To=b", verify.SchemeSignalWireForm},
		{"signs SignalWire JSON with the JSON scheme", provider.SignalWire, "https://h/sw", "application/json", `{"call":{}}`, verify.SchemeSignalWireJSON},
		{"signs SignalWire JSON to a bodySHA256 URL with the compatibility scheme", provider.SignalWire, verify.WithBodySHA256("https://h/sw", []byte(`{"a":1}`)), "application/json", `{"a":1}`, verify.SchemeSignalWireBodyHash},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := tc.p.Sign([]byte("k"), tc.url, tc.contentType, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			v, err := tc.p.NewVerifier(verify.Key{Name: "AWSCURRENT", Secret: []byte("k")})
			if err != nil {
				t.Fatal(err)
			}
			h.Set("Content-Type", tc.contentType)
			m, err := v.Verify(context.Background(), verify.Request{URL: tc.url, Header: h, Body: []byte(tc.body)})
			if err != nil || m.Scheme != tc.wantScheme {
				t.Fatalf("Verify = %+v, %v; want scheme %s", m, err, tc.wantScheme)
			}
		})
	}
}

func TestSignalWireSignRefusesShapesNoSchemeAuthenticates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		body        string
		want        error
	}{
		{"refuses an empty JSON body", "application/json", "", verify.ErrSchemeMismatch},
		{"refuses a text body", "text/plain", "CallSidCA1", verify.ErrSchemeMismatch},
		{"refuses a form key with a space", "application/x-www-form-urlencoded", "Call Sid=CA1", verify.ErrMalformedBody},
		{"refuses a form body of separators only", "application/x-www-form-urlencoded", "&&", verify.ErrUnsignedBody},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := provider.SignalWire.Sign([]byte("k"), "https://h/sw", tc.contentType, []byte(tc.body)); !errors.Is(err, tc.want) {
				t.Fatalf("Sign err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestByName(t *testing.T) {
	t.Parallel()
	for _, p := range provider.All {
		if got, ok := provider.ByName(p.Name); !ok || got.Name != p.Name {
			t.Fatalf("ByName(%q) = %v, %v", p.Name, got.Name, ok)
		}
	}
	if _, ok := provider.ByName("github"); ok {
		t.Fatal("ByName found an unknown provider")
	}
}

func TestDedupKey(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded"
	gather := "AccountSid=AC1&CallSid=CA1&CallStatus=in-progress&Direction=inbound&Digits=1"
	tests := []struct {
		name        string
		p           provider.Provider
		contentType string
		body        string
		want        string // "" when the key must be a hash of the body
		sameAs      string // when set, a body that must give the same key
		differsFrom string // when set, a body that must give another key
	}{
		{"keys a Webex event on resource, event and data.id", provider.Webex, "application/json", `{"id":"WH","resource":"messages","event":"created","data":{"id":"M1"}}`, "messages:created:M1", "", ""},
		{"tells a Webex deletion from the creation", provider.Webex, "application/json", `{"resource":"messages","event":"deleted","data":{"id":"M1"}}`, "messages:deleted:M1", "", ""},
		{"tells two updates of one Webex room apart", provider.Webex, "application/json", `{"resource":"rooms","event":"updated","data":{"id":"R1","isLocked":true}}`, "", "", `{"resource":"rooms","event":"updated","data":{"id":"R1","isLocked":false}}`},
		{"hashes a Webex body without data.id", provider.Webex, "application/json", `{"resource":"messages"}`, "", "", ""},
		{"keys a Qiscus message on its id_str", provider.Qiscus, "application/json", `{"type":"post_comment_mobile","payload":{"message":{"id":1109885152,"id_str":"1109885152"}}}`, "post_comment_mobile:1109885152", "", ""},
		{"keys a Qiscus message on a numeric id", provider.Qiscus, "application/json", `{"type":"post_comment_rest","payload":{"message":{"id":88201}}}`, "post_comment_rest:88201", "", ""},
		{"keys a Qiscus message with id 0 on its unique_temp_id", provider.Qiscus, "application/json", `{"type":"x","payload":{"message":{"id":0,"id_str":"0","unique_temp_id":"wa_1"}}}`, "x:wa_1", "", ""},
		{"hashes a Qiscus body without a message id", provider.Qiscus, "application/json", `{"type":"x"}`, "", "", ""},
		{"keys a SignalWire call status callback on CallSid and status", provider.SignalWire, form, "CallSid=CA1&CallStatus=completed&CallbackSource=call-progress-events&SequenceNumber=4", "CA1:completed", "", ""},
		{"keys a SignalWire message status callback on MessageSid and status", provider.SignalWire, form, "MessageStatus=delivered&MessageSid=SM1&AccountSid=AC1", "SM1:delivered", "", ""},
		{"keys an inbound SignalWire message on MessageSid", provider.SignalWire, form, "MessageSid=SM2&SmsSid=SM2&Body=hi", "SM2:received", "", ""},
		{"keys a SignalWire recording callback on RecordingSid", provider.SignalWire, form, "CallSid=CA1&RecordingSid=RE1&RecordingStatus=completed", "RE1:completed", "", ""},
		{"gives every encoding of one signed call-flow form one key", provider.SignalWire, form, gather, "", "Digits=1&Direction=inbound&CallStatus=in-progress&CallSid=CA1&AccountSid=AC1", ""},
		{"tells two Gather actions of one call apart", provider.SignalWire, form, gather, "", "", "AccountSid=AC1&CallSid=CA1&CallStatus=in-progress&Direction=inbound&Digits=2"},
		{"keys a RELAY call state on call, event and state", provider.SignalWire, "application/json", `{"event_type":"calling.call.state","params":{"call_id":"c1","call_state":"ended"}}`, "c1:calling.call.state:ended", "", ""},
		{"tells two RELAY collect results of one call apart", provider.SignalWire, "application/json", `{"event_type":"calling.call.collect","params":{"call_id":"c1","result":{"type":"digit"}}}`, "", "", `{"event_type":"calling.call.collect","params":{"call_id":"c1","result":{"type":"speech"}}}`},
		{"keys a SWML message request on its message id", provider.SignalWire, "application/json", `{"message":{"message_id":"m1","direction":"inbound"},"params":{}}`, "m1", "", ""},
		{"keys a message status callback on id and status", provider.SignalWire, "application/json", `{"id":"a1","status":"delivered","to":"+1"}`, "a1:delivered", "", ""},
		{"hashes a SignalWire call id that is not printable", provider.SignalWire, form, "CallSid=C%0AA&CallStatus=completed&CallbackSource=x", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.p.DedupKey(tc.contentType, []byte(tc.body))
			switch {
			case tc.want != "" && got != tc.want:
				t.Fatalf("DedupKey = %q, want %q", got, tc.want)
			case tc.want == "" && tc.sameAs == "" && tc.differsFrom == "" && !strings.HasPrefix(got, "sha256:"):
				t.Fatalf("DedupKey = %q, want a hash", got)
			case tc.sameAs != "" && tc.p.DedupKey(tc.contentType, []byte(tc.sameAs)) != got:
				t.Fatalf("DedupKey = %q for one and %q for the other", got, tc.p.DedupKey(tc.contentType, []byte(tc.sameAs)))
			case tc.differsFrom != "" && tc.p.DedupKey(tc.contentType, []byte(tc.differsFrom)) == got:
				t.Fatalf("DedupKey = %q for both", got)
			}
		})
	}
}
