package event_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/event"
	"github.com/webhookguard/webhookguard/shared/provider"
)

// envelopeOf wraps body in the envelope the webhook functions write for p.
func envelopeOf(t testing.TB, p provider.Provider, contentType string, body []byte) []byte {
	t.Helper()
	e := envelope.Envelope{
		Version: envelope.Version, Provider: p.Name, ContentType: contentType, KeyStage: "AWSCURRENT", Scheme: "test",
		EventType: p.EventType(contentType, body), DedupKey: p.DedupKey(contentType, body),
		ReceivedAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), RequestID: "req-1",
	}
	e.SetBody(body)
	raw, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// sample reads testdata/<dir>/<name> and returns it as the event an SQS
// consumer and an EventBridge consumer receive; both must decode alike.
func sample(t *testing.T, p provider.Provider, name string) *event.Event {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", p.Name, name))
	if err != nil {
		t.Fatal(err)
	}
	ct := "application/json"
	if strings.HasSuffix(name, ".txt") {
		ct = "application/x-www-form-urlencoded"
	}
	raw := envelopeOf(t, p, ct, body)
	ev, err := event.FromSQS(events.SQSMessage{MessageId: "m1", Body: string(raw)})
	if err != nil {
		t.Fatalf("FromSQS: %v", err)
	}
	bus, err := event.FromEventBridge(events.EventBridgeEvent{DetailType: "webhook", Source: "webhookguard", Detail: raw})
	if err != nil {
		t.Fatalf("FromEventBridge: %v", err)
	}
	if !bytes.Equal(ev.Body, body) || !bytes.Equal(bus.Body, body) || *ev.Envelope != *bus.Envelope {
		t.Fatal("the SQS and EventBridge paths disagree, or the body changed")
	}
	if ev.Provider() != p.Name || ev.Envelope.DedupKey != p.DedupKey(ct, body) || ev.Envelope.ContentType != ct {
		t.Fatalf("envelope fields %+v", ev.Envelope)
	}
	return ev
}

// covers fails unless every file of testdata/<dir> has a test case.
func covers[T any](t *testing.T, dir string, cases map[string]T) {
	t.Helper()
	files, err := os.ReadDir(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := cases[f.Name()]; !ok {
			t.Errorf("testdata/%s/%s has no test case", dir, f.Name())
		}
	}
	if len(files) != len(cases) {
		t.Errorf("%d files in testdata/%s, %d cases", len(files), dir, len(cases))
	}
}

const (
	botID   = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8zY2RkNDA1OS05MjU4LTQ3N2QtYjQ5NC1jMTMzYWMyY2ZhZDU"
	userID  = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9lMjg5YTQ3MC05ODE4LTQ4MmItYjI1ZC00MTYyYWE4OWQ4NWU"
	roomGrp = "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL1JPT00vODZhMWRhYTAtMTFkMC0xMWYxLWJiM2MtMjc4M2NhYTZlZjQy"
	roomDM  = "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL1JPT00vMjhhOTBjNzAtMTI3Zi0xMWYxLTgxMWEtZWY5MjlkNWIyMjI0"
)

func TestEveryWebexSampleDecodes(t *testing.T) {
	t.Parallel()
	type want struct {
		kind, actor, dataID, roomID, roomType, person, email, parent, messageID, typ string
		mentions                                                                     []string
		created                                                                      string
		locked                                                                       bool
	}
	cases := map[string]want{
		"messages.created.guide-example.json": {kind: "messages.created",
			actor:  "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9mNWIzNjE4Ny1jOGRkLTQ3MjctOGIyZi1mOWM0NDdmMjkwNDY",
			dataID: "Y2lzY29zcGFyazovL3VzL01FU1NBR0UvOTJkYjNiZTAtNDNiZC0xMWU2LThhZTktZGQ1YjNkZmM1NjVk",
			roomID: "Y2lzY29zcGFyazovL3VzL1JPT00vYmJjZWIxYWQtNDNmMS0zYjU4LTkxNDctZjE0YmIwYzRkMTU0",
			person: "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9mNWIzNjE4Ny1jOGRkLTQ3MjctOGIyZi1mOWM0NDdmMjkwNDY",
			email:  "matt@example.com", created: "2015-10-18T14:26:16Z"},
		"messages.created.group-mention.derived.json": {kind: "messages.created", actor: userID,
			dataID: "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL01FU1NBR0UvOGRlMTdhZjAtMTYwOC0xMWYxLWI1NjctZGJmZDliNTljZWMz",
			roomID: roomGrp, roomType: "group", person: userID, email: "user@example.com", mentions: []string{botID}, created: "2026-03-02T07:22:22.111Z"},
		"messages.created.direct.derived.json": {kind: "messages.created", actor: userID,
			dataID: "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL01FU1NBR0UvMzk5YWUzMDAtMTY3Ni0xMWYxLWI3MmQtZGQ3YjE0YTcxNDA3",
			roomID: roomDM, roomType: "direct", person: userID, email: "user@example.com", created: "2026-03-02T20:27:25.36Z"},
		"messages.created.group-bot-own-thread-reply.real.json": {kind: "messages.created", actor: botID,
			dataID: "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL01FU1NBR0UvMDgxYzI0MTAtMTY3Ni0xMWYxLTkzYmYtY2Q2NDU0MjVmNTZm",
			roomID: roomGrp, roomType: "group", person: botID, email: "redacted@example.invalid",
			parent: "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL01FU1NBR0UvOGRlMTdhZjAtMTYwOC0xMWYxLWI1NjctZGJmZDliNTljZWMz", created: "2026-03-02T20:26:02.321Z"},
		"messages.deleted.derived.json": {kind: "messages.deleted", actor: userID,
			dataID: "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL01FU1NBR0UvMzk5YWUzMDAtMTY3Ni0xMWYxLWI3MmQtZGQ3YjE0YTcxNDA3",
			roomID: roomDM, roomType: "direct", person: userID, email: "user@example.com", created: "2026-03-02T20:27:25.36Z"},
		"attachmentActions.created.real.json": {kind: "attachmentActions.created", actor: userID,
			dataID:    "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL0FUVEFDSE1FTlRfQUNUSU9OL2ZiMzExYTgwLTE2NzUtMTFmMS04MzQzLTFkNDc2OTdmMWJlMQ",
			messageID: "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL01FU1NBR0UvZDFmMzUyOTAtMTYwOC0xMWYxLTg3MmItOTVkMDdlYjFkYmJk",
			roomID:    roomDM, person: userID, typ: "submit", created: "2026-03-02T20:25:40.648Z"},
		"memberships.created.bot-added.derived.json": {kind: "memberships.created", actor: userID,
			dataID: "Y2lzY29zcGFyazovL3VzL01FTUJFUlNISVAvM2NkZDQwNTktOTI1OC00NzdkLWI0OTQtYzEzM2FjMmNmYWQ1Ojg2YTFkYWEwLTExZDAtMTFmMS1iYjNjLTI3ODNjYWE2ZWY0Mg",
			roomID: roomGrp, roomType: "group", person: botID, email: "dummytestbotforchatsdk@webex.bot", created: "2026-02-24T22:35:00Z"},
		"memberships.deleted.bot-removed.derived.json": {kind: "memberships.deleted", actor: userID,
			dataID: "Y2lzY29zcGFyazovL3VzL01FTUJFUlNISVAvM2NkZDQwNTktOTI1OC00NzdkLWI0OTQtYzEzM2FjMmNmYWQ1Ojg2YTFkYWEwLTExZDAtMTFmMS1iYjNjLTI3ODNjYWE2ZWY0Mg",
			roomID: roomGrp, roomType: "group", person: botID, email: "dummytestbotforchatsdk@webex.bot", created: "2026-02-24T22:35:00Z"},
		"rooms.created.derived.json":        {kind: "rooms.created", actor: userID, dataID: roomGrp, typ: "group", created: "2026-02-24T22:31:13.482Z"},
		"rooms.updated.locked.derived.json": {kind: "rooms.updated", actor: userID, dataID: roomGrp, typ: "group", created: "2026-02-24T22:31:13.482Z", locked: true},
	}
	covers(t, "webex", cases)
	for name, w := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev := sample(t, provider.Webex, name)
			wx, err := ev.Webex()
			if err != nil {
				t.Fatal(err)
			}
			d := wx.Data
			got := want{kind: wx.Kind(), actor: wx.ActorID, dataID: d.ID, roomID: d.RoomID, roomType: d.RoomType, person: d.PersonID,
				email: d.PersonEmail, parent: d.ParentID, messageID: d.MessageID, typ: d.Type, mentions: d.MentionedPeople,
				created: d.Created.Format(time.RFC3339Nano), locked: d.IsLocked}
			if gj, wj := mustJSON(got), mustJSON(w); gj != wj {
				t.Fatalf("decoded\n%s\nwant\n%s", gj, wj)
			}
			if ev.Envelope.EventType != wx.Kind() || !strings.Contains(ev.Envelope.DedupKey, d.ID) {
				t.Fatalf("envelope eventType %q dedupKey %q", ev.Envelope.EventType, ev.Envelope.DedupKey)
			}
			if !json.Valid(d.Raw) || !bytes.Contains(ev.Body, d.Raw) {
				t.Fatalf("data.Raw %s is not the data object as sent", d.Raw)
			}
		})
	}
}

func TestEveryQiscusSampleDecodes(t *testing.T) {
	t.Parallel()
	type want struct {
		typ, fromID, fromEmail, fromName, roomID, roomType, topicID, msgID, msgType, text, tempID string
		participants                                                                              int
		unixNano                                                                                  int64
		at                                                                                        string
		appCode, channel                                                                          string
	}
	real := want{typ: "post_comment_mobile", fromID: "1427537635", fromEmail: "Fikri", fromName: "fikri@qiscus.com", roomID: "93712301",
		roomType: "single", topicID: "93712301", msgID: "1109885152", msgType: "text", text: "lagi", tempID: "bq1664855587121",
		participants: 2, unixNano: 1664855588089051000, at: "2022-10-04T03:53:08.089051Z"}
	buttons := real
	buttons.msgType, buttons.text = "buttons", ""
	cases := map[string]want{
		"post_comment_mobile.single.real.json":     real,
		"post_comment_mobile.buttons.derived.json": buttons,
		"post_comment_mobile.group.doc.json": {typ: "post_comment_mobile", fromID: "1", fromEmail: "user1@gmail.com", fromName: "User1", roomID: "1",
			roomType: "group", topicID: "1", msgType: "text", text: "ini pesan", participants: 2, at: "0001-01-01T00:00:00Z"},
		"post_comment_rest.group.derived.json": {typ: "post_comment_rest", fromID: "1500000001", fromEmail: "bot@example.com", fromName: "Example Bot",
			roomID: "93712400", roomType: "group", topicID: "93712400", msgID: "1109885999", msgType: "text", text: "Hi! How can I help?",
			tempID: "bq1664855590123", participants: 3, unixNano: 1664855590123456000, at: "2022-10-04T03:53:10.123456Z"},
		"omnichannel.bot-webhook.doc.json": {typ: "post_comment_mobile", fromID: "0", fromEmail: "6281xxx132", fromName: "Harpi", roomID: "123",
			roomType: "group", topicID: "123", msgID: "0", msgType: "text", text: "chat postman 2",
			tempID:       "wa_wamid.HBgNNjI4MTIxNzg0NDEzMhUCABIYIDJFMEFCQkEzRkVEEN0RFRjcyNTQ0ODkwMDJDQUM4MTU2AAAxaj==",
			participants: 2, unixNano: 1752212797000, at: "2025-07-11T05:46:37Z", appCode: "kovof-123", channel: "123/wa"},
	}
	covers(t, "qiscus", cases)
	for name, w := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ev := sample(t, provider.Qiscus, name)
			q, err := ev.Qiscus()
			if err != nil {
				t.Fatal(err)
			}
			p := q.Payload
			got := want{typ: q.Type, fromID: p.From.ID.String(), fromEmail: p.From.Email, fromName: p.From.Name, roomID: string(p.Room.ID),
				roomType: p.Room.Type, topicID: string(p.Room.TopicID), msgID: string(p.Message.ID), msgType: p.Message.Type, text: p.Message.Text,
				tempID: p.Message.UniqueTempID, participants: len(p.Room.Participants), unixNano: int64(p.Message.UnixNanoTimestamp),
				at: p.Message.Time().Format(time.RFC3339Nano), appCode: q.AppCode}
			if q.Channel != nil {
				got.channel = string(q.Channel.ID) + "/" + q.Channel.Source
			}
			if gj, wj := mustJSON(got), mustJSON(w); gj != wj {
				t.Fatalf("decoded\n%s\nwant\n%s", gj, wj)
			}
		})
	}
}

func TestEverySignalWireSampleDecodes(t *testing.T) {
	t.Parallel()
	const acct, call = "b3877c40-da60-4998-90ad-b792e98472af", "b3877c40-da60-4998-90ad-b792e98472ca"
	cases := map[string]func(t *testing.T, sw *event.SignalWire){
		"cxml.voice.inbound-call.txt": form(map[string]string{"AccountSid": acct, "CallSid": call, "CallStatus": "ringing", "Direction": "inbound",
			"From": "+15551234567", "To": "+15559876543"}),
		"cxml.voice.inbound-call.forwarded-with-cnam.txt": form(map[string]string{"CallSid": call, "CallStatus": "ringing",
			"CallerName": "Jane Smith", "ForwardedFrom": "+15550001111"}),
		"cxml.voice.status-callback.completed.txt": form(map[string]string{"CallSid": call, "CallStatus": "completed", "CallDuration": "94",
			"Timestamp": "Thu, 04 Apr 2024 18:32:15 +0000"}),
		"cxml.voice.status-callback.outbound-dial-ringing.txt": form(map[string]string{"CallSid": "c1a2b3c4-d5e6-4f70-8192-a3b4c5d6e7f8",
			"ParentCallSid": call, "Direction": "outbound-dial", "To": "+15553334444"}),
		"cxml.voice.gather-action.dtmf.txt":   form(map[string]string{"CallSid": call, "Digits": "1", "SpeechResult": ""}),
		"cxml.voice.gather-action.speech.txt": form(map[string]string{"Digits": "", "SpeechResult": "I need support please", "Confidence": "0.92"}),
		"cxml.voice.dial-action.txt":          form(map[string]string{"CallSid": call, "DialCallStatus": "completed", "DialCallDuration": "42"}),
		"cxml.messaging.inbound-sms.txt": form(map[string]string{"MessageSid": "0a059168-ead0-41af-9d1f-343dae832527", "Body": "Hello, I need help with my order",
			"NumMedia": "0", "From": "+15551234567", "MessageStatus": "", "CallSid": ""}),
		"cxml.messaging.inbound-mms.txt": form(map[string]string{"MessageSid": "5e1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Body": "Here is the photo", "NumMedia": "2",
			"MediaUrl1":         "https://example.signalwire.com/api/laml/2010-04-01/Accounts/b3877c40-da60-4998-90ad-b792e98472af/Messages/5e1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/Media/7a1b2c3d-0000-4000-8000-000000000002",
			"MediaContentType1": "text/vcard"}),
		"cxml.messaging.status-callback.delivered.txt":   form(map[string]string{"MessageSid": "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6", "MessageStatus": "delivered", "ErrorCode": ""}),
		"cxml.messaging.status-callback.undelivered.txt": form(map[string]string{"MessageStatus": "undelivered", "ErrorCode": "30003"}),
		"swml.call-request.real.json": request(func(t *testing.T, r *event.SWMLRequest) {
			c := r.Call
			if c == nil || c.CallID != "b5d63b2e-f75b-4dc8-b6d4-269b635f96c0" || c.CallState != "created" || c.Direction != "inbound" || c.Type != "phone" ||
				c.From != "+12135877632" || c.To != "+12089806814" || c.ProjectID != "4b7ae78a-d02e-4889-a63b-08b156d5916e" || r.Message != nil || len(r.Vars) != 0 {
				t.Fatalf("request %+v call %+v", r, c)
			}
		}),
		"swml.call-request.doc.json": request(func(t *testing.T, r *event.SWMLRequest) {
			if r.Call == nil || r.Call.CallID != "c2d3e4f5-a6b7-8901-cdef-234567890abc" || r.Call.SegmentID != "d3e4f5a6-b7c8-9012-defa-345678901bcd" ||
				r.Call.ToNumber != "+12223334445" || r.Var("prompt_value") != "" {
				t.Fatalf("request %+v", r)
			}
		}),
		"swml.call-request.after-transfer.derived.json": request(func(t *testing.T, r *event.SWMLRequest) {
			if r.Call == nil || r.Call.CallState != "answered" || r.Var("prompt_value") != "1" || r.Var("prompt_result") != "match_digits" || r.Param("digit") != "1" {
				t.Fatalf("request %+v", r)
			}
		}),
		"swml.message-request.doc.json": request(func(t *testing.T, r *event.SWMLRequest) {
			m := r.Message
			if r.Call != nil || m == nil || m.MessageID != "c2d3e4f5-a6b7-8901-cdef-234567890abc" || m.Type != "sms" || m.From != "+15551231234" ||
				m.Body != "Hello, I need help" || m.Segments != "1" || len(m.Media) != 0 {
				t.Fatalf("request %+v message %+v", r, m)
			}
		}),
		"swml.call-state-callback.answered.doc.json": relay(func(t *testing.T, r *event.SignalWireRelay) {
			if r.EventType != "calling.call.state" || r.Params.CallState != "answered" || r.Params.EndReason != "" || r.Params.Direction != "outbound" ||
				r.Params.Device.Params.ToNumber != "+15553214321" || r.Time().Format(time.RFC3339Nano) != "2021-12-20T11:33:20.123Z" {
				t.Fatalf("relay %+v at %s", r, r.Time())
			}
		}),
		"swml.call-state-callback.ended.derived.json": relay(func(t *testing.T, r *event.SignalWireRelay) {
			if r.Params.CallID != "c2d3e4f5-a6b7-8901-cdef-234567890abc" || r.Params.CallState != "ended" || r.Params.EndReason != "hangup" {
				t.Fatalf("relay %+v", r)
			}
		}),
		"swml.collect-callback.digit.doc.json": relay(func(t *testing.T, r *event.SignalWireRelay) {
			res := r.Params.Result
			if r.EventType != "calling.call.collect" || res.Type != "digit" || res.Params.Digits != "1234" || res.Params.Terminator != "#" ||
				!bytes.Contains(r.Params.Raw, []byte(`"control_id"`)) {
				t.Fatalf("relay %+v", r)
			}
		}),
		"swml.collect-callback.speech.doc.json": relay(func(t *testing.T, r *event.SignalWireRelay) {
			res := r.Params.Result
			if res.Type != "speech" || res.Params.Text != "one" || res.Params.Confidence != "0.95" {
				t.Fatalf("relay %+v", r)
			}
		}),
		"rest.message-status-callback.delivered.doc.json": func(t *testing.T, sw *event.SignalWire) {
			s := sw.MessageStatus
			if s == nil || sw.String() != "message-status" || s.ID != "a1b2c3d4-e5f6-7890-abcd-ef1234567890" || s.Status != "delivered" ||
				s.NumberOfSegments != "1" || s.ErrorCode != "" || s.CustomVariables["case_number"] != "54321" {
				t.Fatalf("message status %+v", s)
			}
		},
	}
	covers(t, "signalwire", cases)
	for name, check := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sw, err := sample(t, provider.SignalWire, name).SignalWire()
			if err != nil {
				t.Fatal(err)
			}
			check(t, sw)
		})
	}
}

// form checks a compatibility webhook's parameters through its accessors.
func form(want map[string]string) func(*testing.T, *event.SignalWire) {
	return func(t *testing.T, sw *event.SignalWire) {
		f := sw.Form
		if f == nil || sw.Request != nil || sw.Relay != nil || sw.String() != "form" {
			t.Fatalf("not a form: %+v", sw)
		}
		accessors := map[string]func() string{
			"AccountSid": f.AccountSid, "CallSid": f.CallSid, "CallStatus": f.CallStatus, "ParentCallSid": f.ParentCallSid, "From": f.From, "To": f.To,
			"Direction": f.Direction, "Digits": f.Digits, "SpeechResult": f.SpeechResult, "MessageSid": f.MessageSid, "MessageStatus": f.MessageStatus,
			"Body": f.Body, "ErrorCode": f.ErrorCode, "MediaUrl1": func() string { return f.MediaURL(1) },
			"MediaContentType1": func() string { return f.MediaContentType(1) },
			"NumMedia":          func() string { return itoa(f.NumMedia()) },
		}
		for k, v := range want {
			get, ok := accessors[k]
			if !ok {
				get = func() string { return f.Get(k) }
			}
			if got := get(); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if f.IsCall() == f.IsMessage() {
			t.Errorf("IsCall %v, IsMessage %v", f.IsCall(), f.IsMessage())
		}
	}
}

func request(check func(*testing.T, *event.SWMLRequest)) func(*testing.T, *event.SignalWire) {
	return func(t *testing.T, sw *event.SignalWire) {
		if sw.Request == nil || sw.Form != nil || sw.String() != "swml-request" {
			t.Fatalf("not a SWML request: %+v", sw)
		}
		check(t, sw.Request)
	}
}

func relay(check func(*testing.T, *event.SignalWireRelay)) func(*testing.T, *event.SignalWire) {
	return func(t *testing.T, sw *event.SignalWire) {
		if sw.Relay == nil || sw.Request != nil || sw.String() != "relay" {
			t.Fatalf("not a RELAY callback: %+v", sw)
		}
		check(t, sw.Relay)
	}
}

// mustJSON prints a want struct for comparison, its fields named.
func mustJSON(v any) string { return strings.ReplaceAll(fmt.Sprintf("%+v", v), " ", "\n ") }

func itoa(n int) string { return strconv.Itoa(n) }
