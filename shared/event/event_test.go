package event_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/event"
	"github.com/webhookguard/webhookguard/shared/provider"
)

func TestDecodersRefuseWithTheirSentinel(t *testing.T) {
	t.Parallel()
	webexEnv := string(envelopeOf(t, provider.Webex, "application/json", provider.Webex.Sample.Body))
	tests := []struct {
		name    string
		sqsBody string
		decode  func(*event.Event) error
		wantErr error
	}{
		{name: "refuses a message that is not JSON", sqsBody: "hello", wantErr: event.ErrNotEnvelope},
		{name: "refuses an empty message", sqsBody: "", wantErr: event.ErrNotEnvelope},
		{name: "refuses JSON that is not an envelope", sqsBody: `{"Records":[]}`, wantErr: event.ErrNotEnvelope},
		{name: "refuses an envelope of an unknown version", sqsBody: `{"version":9,"provider":"webex","body":"{}","bodyEncoding":"utf8"}`, wantErr: event.ErrNotEnvelope},
		{name: "refuses an envelope whose base64 body is broken", sqsBody: `{"version":1,"provider":"webex","body":"%%%","bodyEncoding":"base64"}`, wantErr: event.ErrNotEnvelope},
		{name: "refuses a Webex event read as Qiscus", sqsBody: webexEnv, decode: qiscus, wantErr: event.ErrWrongProvider},
		{name: "refuses a Webex event read as SignalWire", sqsBody: webexEnv, decode: signalWire, wantErr: event.ErrWrongProvider},
		{name: "refuses a Qiscus event read as Webex", sqsBody: env("qiscus", "application/json", `{"type":"x"}`), decode: webex, wantErr: event.ErrWrongProvider},
		{name: "refuses a Webex body that is not JSON", sqsBody: env("webex", "application/json", "id=1"), decode: webex, wantErr: event.ErrUndecodable},
		{name: "refuses a Webex body that is JSON null", sqsBody: env("webex", "application/json", "null"), decode: webex, wantErr: event.ErrUndecodable},
		{name: "refuses a Webex body whose data is not an object", sqsBody: env("webex", "application/json", `{"resource":"messages","data":"x"}`), decode: webex, wantErr: event.ErrUndecodable},
		{name: "refuses a Webex body whose time is not a time", sqsBody: env("webex", "application/json", `{"data":{"created":"yesterday"}}`), decode: webex, wantErr: event.ErrUndecodable},
		{name: "refuses a Qiscus body that is a JSON array", sqsBody: env("qiscus", "application/json", `[{"type":"x"}]`), decode: qiscus, wantErr: event.ErrUndecodable},
		{name: "refuses a Qiscus id that is an object", sqsBody: env("qiscus", "application/json", `{"payload":{"from":{"id":{}}}}`), decode: qiscus, wantErr: event.ErrUndecodable},
		{name: "refuses a Qiscus timestamp that is not a whole number", sqsBody: env("qiscus", "application/json", `{"payload":{"message":{"unix_timestamp":"soon"}}}`), decode: qiscus, wantErr: event.ErrUndecodable},
		{name: "refuses a SignalWire form with a broken escape", sqsBody: env("signalwire", "application/x-www-form-urlencoded", "CallSid=%zz"), decode: signalWire, wantErr: event.ErrUndecodable},
		{name: "refuses a SignalWire JSON body that is an array", sqsBody: env("signalwire", "application/json", `[1]`), decode: signalWire, wantErr: event.ErrUndecodable},
		{name: "refuses a SignalWire body that is neither JSON nor a form", sqsBody: env("signalwire", "text/plain", "hello"), decode: signalWire, wantErr: event.ErrUndecodable},
		{name: "refuses a SWML request whose call is malformed", sqsBody: env("signalwire", "application/json", `{"call":{"call_id":7}}`), decode: signalWire, wantErr: event.ErrUndecodable},
	}
	sentinels := []error{event.ErrNotEnvelope, event.ErrWrongProvider, event.ErrUndecodable}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ev, err := event.FromSQS(events.SQSMessage{Body: tc.sqsBody})
			if err == nil {
				if tc.decode == nil {
					t.Fatal("FromSQS accepted it")
				}
				err = tc.decode(ev)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			for _, s := range sentinels {
				if s != tc.wantErr && errors.Is(err, s) {
					t.Fatalf("err = %v also wraps %v", err, s)
				}
			}
		})
	}
}

func TestFromEventBridgeRefusesAnEventWithoutDetail(t *testing.T) {
	t.Parallel()
	_, err := event.FromEventBridge(events.EventBridgeEvent{DetailType: "webhook", Detail: json.RawMessage(" ")})
	if !errors.Is(err, event.ErrNotEnvelope) {
		t.Fatalf("err = %v, want ErrNotEnvelope", err)
	}
}

func TestBase64BodiesAreDecoded(t *testing.T) {
	t.Parallel()
	body := []byte("AccountSid=a&CallSid=c&Body=%FF\xff")
	raw := envelopeOf(t, provider.SignalWire, "application/x-www-form-urlencoded", body)
	ev, err := event.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Envelope.BodyEncoding != envelope.EncodingBase64 || string(ev.Body) != string(body) {
		t.Fatalf("encoding %s body %q", ev.Envelope.BodyEncoding, ev.Body)
	}
	sw, err := ev.SignalWire()
	if err != nil || sw.Form.CallSid() != "c" || sw.Form.Body() != "\xff\xff" {
		t.Fatalf("SignalWire() = %+v, %v", sw, err)
	}
}

func TestSignalWireShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		body        string
		wantKind    string
		check       func(*event.SignalWire) bool
	}{
		{name: "reads compatibility parameters posted as JSON as a form", contentType: "application/json",
			body: `{"CallSid":"c1","CallStatus":"ringing","NumMedia":2,"Nested":{"a":1}}`, wantKind: "form",
			check: func(sw *event.SignalWire) bool {
				return sw.Form.CallSid() == "c1" && sw.Form.NumMedia() == 2 && sw.Form.Get("Nested") == ""
			}},
		{name: "reads a form without a content type", contentType: "", body: "MessageSid=m1&SmsStatus=sent", wantKind: "form",
			check: func(sw *event.SignalWire) bool {
				return sw.Form.MessageSid() == "m1" && sw.Form.MessageStatus() == "sent"
			}},
		{name: "falls back to SmsSid for the message id", contentType: "application/x-www-form-urlencoded", body: "SmsSid=s1&NumMedia=x", wantKind: "form",
			check: func(sw *event.SignalWire) bool {
				return sw.Form.MessageSid() == "s1" && sw.Form.NumMedia() == 0 && sw.Form.IsMessage()
			}},
		{name: "keeps a JSON webhook of another shape", contentType: "application/json", body: `{"ai_response":"hi"}`, wantKind: "json",
			check: func(sw *event.SignalWire) bool { return true }},
		{name: "reads numbers in SWML variables exactly", contentType: "application/json",
			body: `{"call":{"call_id":"c"},"vars":{"n":12345678901234567890,"ok":true,"list":[1]}}`, wantKind: "swml-request",
			check: func(sw *event.SignalWire) bool {
				r := sw.Request
				return r.Var("n") == "12345678901234567890" && r.Var("ok") == "true" && r.Var("list") == "" && r.Var("none") == ""
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sw, err := event.DecodeSignalWire(tc.contentType, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if sw.String() != tc.wantKind || !tc.check(sw) {
				t.Fatalf("decoded %s: %+v", sw, sw)
			}
		})
	}
}

func TestQiscusIDsKeepEveryDigit(t *testing.T) {
	t.Parallel()
	body := `{"type":"post_comment_mobile","payload":{
		"from":{"id":9007199254740993,"email":"u"},
		"room":{"id":1,"id_str":"9007199254740995","topic_id":"77"},
		"message":{"id":null,"id_str":"18446744073709551","comment_before_id":12,"unix_nano_timestamp":"1664855588089051001","unix_timestamp":1664855588},
		"channel":null}}`
	q, err := event.DecodeQiscus([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	p := q.Payload
	if p.From.ID != "9007199254740993" || p.Room.ID != "9007199254740995" || p.Room.TopicID != "77" || p.Message.ID != "18446744073709551" ||
		p.Message.CommentBeforeID != "12" || p.Message.UnixNanoTimestamp != 1664855588089051001 || q.Channel != nil {
		t.Fatalf("decoded %+v", p)
	}
	if got := p.Message.Time().Unix(); got != 1664855588 {
		t.Fatalf("Time() = %d", got)
	}
}

func TestWebexIDs(t *testing.T) {
	t.Parallel()
	const (
		b64  = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8zY2RkNDA1OS05MjU4LTQ3N2QtYjQ5NC1jMTMzYWMyY2ZhZDU"
		uuid = "3cdd4059-9258-477d-b494-c133ac2cfad5"
	)
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{name: "matches a base64 id and its raw UUID", a: b64, b: uuid, same: true},
		{name: "matches a raw UUID in upper case", a: b64, b: "3CDD4059-9258-477D-B494-C133AC2CFAD5", same: true},
		{name: "matches a padded base64 id", a: b64 + "=", b: b64, same: true},
		{name: "matches the guide's base64 of a bare UUID", a: "OTZhYmMyYWEtM2RjYy0xMWU1LWExNTItZmUzNDgxOWNkYzlh", b: "96abc2aa-3dcc-11e5-a152-fe34819cdc9a", same: true},
		{name: "tells two people apart", a: b64, b: "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9lMjg5YTQ3MC05ODE4LTQ4MmItYjI1ZC00MTYyYWE4OWQ4NWU", same: false},
		{name: "never matches an empty id", a: "", b: "", same: false},
		{name: "compares ids it cannot read as written", a: "not-an-id", b: "not-an-id", same: true},
		{name: "tells unreadable ids apart", a: "not-an-id", b: "other", same: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := event.SameWebexID(tc.a, tc.b); got != tc.same {
				t.Fatalf("SameWebexID = %v", got)
			}
		})
	}
	if got := event.WebexUUID(b64); got != uuid {
		t.Fatalf("WebexUUID = %q", got)
	}
	d := event.WebexData{MentionedPeople: []string{"x", b64}}
	if !d.Mentions(uuid) || d.Mentions("3cdd4059-0000-477d-b494-c133ac2cfad5") {
		t.Fatal("Mentions")
	}
}

// env returns an envelope of provider carrying body as text.
func env(provider, contentType, body string) string {
	e := envelope.Envelope{Version: envelope.Version, Provider: provider, ContentType: contentType}
	e.SetBody([]byte(body))
	raw, err := e.Marshal()
	if err != nil {
		panic(err)
	}
	return string(raw)
}

func webex(ev *event.Event) error      { _, err := ev.Webex(); return err }
func qiscus(ev *event.Event) error     { _, err := ev.Qiscus(); return err }
func signalWire(ev *event.Event) error { _, err := ev.SignalWire(); return err }

func TestFromEnvelopeRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	for _, e := range []*envelope.Envelope{nil, {Version: 1}, {Version: 1, Provider: "webex", BodyEncoding: "rot13"}} {
		if _, err := event.FromEnvelope(e); !errors.Is(err, event.ErrNotEnvelope) {
			t.Fatalf("FromEnvelope(%+v) = %v, want ErrNotEnvelope", e, err)
		}
	}
}

func TestFromSQSReadsAnEventBridgeEventOnAQueue(t *testing.T) {
	t.Parallel()
	env := envelopeOf(t, provider.Webex, "application/json", provider.Webex.Sample.Body)
	bus, err := json.Marshal(events.EventBridgeEvent{Version: "0", ID: "e-1", DetailType: "messages.created", Source: "webhookguard.webex",
		AccountID: "123456789012", Region: "us-east-1", Resources: []string{}, Detail: env})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := event.FromSQS(events.SQSMessage{Body: string(bus)})
	if err != nil || ev.Provider() != "webex" || string(ev.Body) != string(provider.Webex.Sample.Body) {
		t.Fatalf("FromSQS = %+v, %v", ev, err)
	}
	// An EventBridge event whose detail is not an envelope is not one.
	other := `{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`
	if _, err := event.FromSQS(events.SQSMessage{Body: other}); !errors.Is(err, event.ErrNotEnvelope) {
		t.Fatalf("FromSQS(scheduled event) = %v, want ErrNotEnvelope", err)
	}
}
