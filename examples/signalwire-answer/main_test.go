package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/testenv/lambdaemu"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
)

// TestFunction runs the built function under the Lambda Runtime API, as the
// SignalWire webhook function invokes it: the envelope in, the answer out.
func TestFunction(t *testing.T) {
	t.Parallel()
	rt := lambdaemu.Start(t, lambdaemu.Build(t, "."), "IVR_DIAL_TO=+15557654321", "AWS_LAMBDA_LOG_FORMAT=JSON")
	tests := []struct {
		name     string
		provider string
		body     string
		want     provider.Reply
		wantErr  bool
	}{
		{name: "routes a caller who pressed 2 to a person", provider: "signalwire",
			body: "AccountSid=a&CallSid=c&CallStatus=in-progress&Digits=2",
			want: provider.Reply{ContentType: "text/xml; charset=utf-8", Body: `<?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting you now.</Say><Dial>+15557654321</Dial></Response>`}},
		{name: "replies to an SMS", provider: "signalwire", body: "MessageSid=m&Body=hi&From=%2B1555",
			want: provider.Reply{ContentType: "text/xml; charset=utf-8", Body: `<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks for your message. We will get back to you shortly.</Message></Response>`}},
		{name: "fails on another provider's event", provider: "webex", body: `{"resource":"messages"}`, wantErr: true},
	}
	for _, tc := range tests {
		e := envelope.Envelope{Version: envelope.Version, Provider: tc.provider, ContentType: "application/x-www-form-urlencoded",
			URL: "https://example.com/signalwire", ReceivedAt: time.Now().UTC(), RequestID: "r"}
		e.SetBody([]byte(tc.body))
		payload, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		res, err := rt.Invoke(payload, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if res.Err != tc.wantErr {
			t.Fatalf("%s: error %v, payload %s\n%s", tc.name, res.Err, res.Payload, rt.Output())
		}
		if tc.wantErr {
			continue
		}
		var got provider.Reply
		if err := json.Unmarshal(res.Payload, &got); err != nil || got != tc.want {
			t.Fatalf("%s: answer %s, want %+v", tc.name, res.Payload, tc.want)
		}
	}
}
