package ivr_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/examples/signalwire-answer/ivr"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/event"
	"github.com/webhookguard/webhookguard/shared/provider"
)

const (
	url    = "https://abc123.execute-api.us-east-1.amazonaws.com/signalwire"
	prolog = `<?xml version="1.0" encoding="UTF-8"?>`
	menu   = `<Gather input="dtmf" numDigits="1" timeout="5" action="` + url + `" method="POST">` +
		`<Say>Press 1 for our opening hours, or 2 to talk to someone.</Say></Gather>` +
		`<Say>We did not receive any input. Goodbye.</Say>`
)

// envelopeOf wraps body as the SignalWire function does.
func envelopeOf(t *testing.T, providerName, contentType string, body []byte) *envelope.Envelope {
	t.Helper()
	e := &envelope.Envelope{Version: envelope.Version, Provider: providerName, ContentType: contentType, URL: url, KeyStage: "AWSCURRENT"}
	e.SetBody(body)
	return e
}

func file(t *testing.T, name string) (string, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".txt") {
		return "application/x-www-form-urlencoded", b
	}
	return "application/json", b
}

func withDigits(t *testing.T, digits string) (string, []byte) {
	ct, b := file(t, "cxml.voice.gather-action.dtmf.txt")
	return ct, []byte(strings.Replace(string(b), "Digits=1", "Digits="+digits, 1))
}

func TestAnswersEveryBranch(t *testing.T) {
	t.Parallel()
	dialing := ivr.New(ivr.Config{DialTo: "+15557654321", SMSReply: ivr.DefaultSMSReply})
	tests := []struct {
		name     string
		ivr      *ivr.IVR
		request  func(t *testing.T) (string, []byte)
		wantType string
		wantBody string
	}{
		{name: "greets a new call and gathers one digit", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return file(t, "cxml.voice.inbound-call.txt") },
			wantType: ivr.ContentTypeCXML, wantBody: prolog + `<Response><Say>Thanks for calling.</Say>` + menu + `</Response>`},
		{name: "says the opening hours and hangs up on 1", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return file(t, "cxml.voice.gather-action.dtmf.txt") },
			wantType: ivr.ContentTypeCXML, wantBody: prolog + `<Response><Say>We are open Monday to Friday, nine to five. Goodbye.</Say><Hangup/></Response>`},
		{name: "dials a person on 2", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return withDigits(t, "2") },
			wantType: ivr.ContentTypeCXML, wantBody: prolog + `<Response><Say>Connecting you now.</Say><Dial>+15557654321</Dial></Response>`},
		{name: "repeats the menu on another key", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return withDigits(t, "9") },
			wantType: ivr.ContentTypeCXML, wantBody: prolog + `<Response><Say>Sorry, that is not an option.</Say>` + menu + `</Response>`},
		{name: "repeats the menu on an empty key", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return withDigits(t, "") },
			wantType: ivr.ContentTypeCXML, wantBody: prolog + `<Response><Say>Sorry, that is not an option.</Say>` + menu + `</Response>`},
		{name: "treats 2 as another key when no number is set", ivr: ivr.New(ivr.Config{}),
			request:  func(t *testing.T) (string, []byte) { return withDigits(t, "2") },
			wantType: ivr.ContentTypeCXML, wantBody: prolog + `<Response><Say>Sorry, that is not an option.</Say>` + strings.Replace(menu, ", or 2 to talk to someone", "", 1) + `</Response>`},
		{name: "greets again on a speech result, which the menu does not ask for", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return file(t, "cxml.voice.gather-action.speech.txt") },
			wantType: ivr.ContentTypeCXML, wantBody: prolog + `<Response><Say>Thanks for calling.</Say>` + menu + `</Response>`},
		{name: "answers a call status callback with an empty document", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return file(t, "cxml.voice.status-callback.completed.txt") },
			wantType: ivr.ContentTypeCXML, wantBody: provider.DefaultCXMLReply},
		{name: "replies to an inbound SMS", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return file(t, "cxml.messaging.inbound-sms.txt") },
			wantType: ivr.ContentTypeCXML, wantBody: prolog + `<Response><Message>Thanks for your message. We will get back to you shortly.</Message></Response>`},
		{name: "replies to an inbound MMS", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return file(t, "cxml.messaging.inbound-mms.txt") },
			wantType: ivr.ContentTypeCXML, wantBody: prolog + `<Response><Message>Thanks for your message. We will get back to you shortly.</Message></Response>`},
		{name: "does not reply to an SMS when no reply is set", ivr: ivr.New(ivr.Config{}),
			request:  func(t *testing.T) (string, []byte) { return file(t, "cxml.messaging.inbound-sms.txt") },
			wantType: ivr.ContentTypeCXML, wantBody: provider.DefaultCXMLReply},
		{name: "answers a message status callback with an empty document", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return file(t, "cxml.messaging.status-callback.delivered.txt") },
			wantType: ivr.ContentTypeCXML, wantBody: provider.DefaultCXMLReply},
		{name: "escapes what it says and where it posts", ivr: ivr.New(ivr.Config{Greeting: `Hi <"Tom"> & co`, ActionURL: "https://u:p@h/sw?a=1&b='2'"}),
			request:  func(t *testing.T) (string, []byte) { return file(t, "cxml.voice.inbound-call.txt") },
			wantType: ivr.ContentTypeCXML, wantBody: prolog + `<Response><Say>Hi &lt;&#34;Tom&#34;&gt; &amp; co</Say>` +
				`<Gather input="dtmf" numDigits="1" timeout="5" action="https://u:p@h/sw?a=1&amp;b=&#39;2&#39;" method="POST"><Say>Press 1 for our opening hours.</Say></Gather>` +
				`<Say>We did not receive any input. Goodbye.</Say></Response>`},
		{name: "answers a SWML call request with the SWML menu", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return file(t, "swml.call-request.real.json") },
			wantType: ivr.ContentTypeSWML, wantBody: `{"sections":{"main":[{"answer":{}},{"play":{"url":"say:Thanks for calling."}},{"transfer":{"dest":"menu"}}],` +
				`"menu":[{"prompt":{"initial_timeout":5,"max_digits":1,"play":"say:Press 1 for our opening hours, or 2 to talk to someone."}},` +
				`{"switch":{"case":{"1":[{"play":{"url":"say:We are open Monday to Friday, nine to five. Goodbye."}},{"hangup":{}}],` +
				`"2":[{"play":{"url":"say:Connecting you now."}},{"connect":{"to":"+15557654321"}},{"hangup":{}}]},` +
				`"default":[{"play":{"url":"say:Sorry, that is not an option."}},{"transfer":{"dest":"menu"}}],"variable":"prompt_value"}}]},"version":"1.0.0"}`},
		{name: "answers a SWML message request with an empty JSON document", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return file(t, "swml.message-request.doc.json") },
			wantType: ivr.ContentTypeSWML, wantBody: `{}`},
		{name: "answers a call state callback with an empty JSON document", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return file(t, "swml.call-state-callback.ended.derived.json") },
			wantType: ivr.ContentTypeSWML, wantBody: `{}`},
		{name: "answers a body it cannot read with an empty document", ivr: dialing,
			request:  func(t *testing.T) (string, []byte) { return "application/json", []byte("[1,2]") },
			wantType: ivr.ContentTypeCXML, wantBody: provider.DefaultCXMLReply},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ct, body := tc.request(t)
			got, err := tc.ivr.Answer(context.Background(), envelopeOf(t, "signalwire", ct, body))
			if err != nil {
				t.Fatal(err)
			}
			if got.ContentType != tc.wantType || got.Body != tc.wantBody {
				t.Fatalf("answer %s\n%s\nwant %s\n%s", got.ContentType, got.Body, tc.wantType, tc.wantBody)
			}
		})
	}
}

func TestRefusesAnotherProvidersEvent(t *testing.T) {
	t.Parallel()
	_, err := ivr.New(ivr.Config{}).Answer(context.Background(), envelopeOf(t, "webex", "application/json", provider.Webex.Sample.Body))
	if !errors.Is(err, ivr.ErrNotSignalWire) || !errors.Is(err, event.ErrWrongProvider) {
		t.Fatalf("err = %v, want ErrNotSignalWire", err)
	}
	if _, err := ivr.New(ivr.Config{}).Answer(context.Background(), &envelope.Envelope{}); !errors.Is(err, event.ErrNotEnvelope) {
		t.Fatalf("err = %v, want ErrNotEnvelope", err)
	}
}

func TestAnswererAnswersInProcess(t *testing.T) {
	t.Parallel()
	ct, body := file(t, "cxml.voice.gather-action.dtmf.txt")
	a := ivr.New(ivr.Config{Info: "Open all day."}).Answerer()
	got, err := a.Answer(context.Background(), &destination.Event{Envelope: envelopeOf(t, "signalwire", ct, body)})
	if err != nil || got.Body != prolog+`<Response><Say>Open all day.</Say><Hangup/></Response>` {
		t.Fatalf("Answer = %+v, %v", got, err)
	}
}

func TestFromEnvReadsEveryVariable(t *testing.T) {
	t.Parallel()
	env := map[string]string{"IVR_GREETING": " Hello ", "IVR_MENU": "m", "IVR_INFO": "i", "IVR_DIAL_TO": "sip:a@b", "IVR_CONNECTING": "c",
		"IVR_RETRY": "r", "IVR_NO_INPUT": "n", "IVR_ACTION_URL": "https://x/y"}
	got := ivr.FromEnv(func(k string) string { return env[k] })
	want := ivr.Config{Greeting: "Hello", Menu: "m", Info: "i", DialTo: "sip:a@b", Connecting: "c", Retry: "r", NoInput: "n",
		SMSReply: ivr.DefaultSMSReply, ActionURL: "https://x/y"}
	if got != want {
		t.Fatalf("FromEnv = %+v, want %+v", got, want)
	}
}
