package provider_test

import (
	"net/http"
	"testing"

	"webhookguard/shared/provider"
	"webhookguard/shared/verify"
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
		{"guesses a form without a Content-Type", provider.SignalWire, "", "CallSid=CA1&CallStatus=ringing", "call.ringing"},
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
			m, err := v.Verify(verify.Request{URL: tc.url, Header: http.Header(h), Body: []byte(tc.body)})
			if err != nil || m.Scheme != tc.wantScheme {
				t.Fatalf("Verify = %+v, %v; want scheme %s", m, err, tc.wantScheme)
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
