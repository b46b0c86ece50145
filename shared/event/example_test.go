package event_test

import (
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhookguard/webhookguard/shared/event"
)

// A Lambda function triggered by the events queue decodes each record, and
// drops what is not an event it can read rather than retrying it for ever.
func Example() {
	record := events.SQSMessage{MessageId: "m-1", Body: `{"version":1,"provider":"webex","eventType":"messages.created",` +
		`"dedupKey":"messages:created:Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMQ","bodyEncoding":"utf8",` +
		`"body":"{\"resource\":\"messages\",\"event\":\"created\",\"data\":{\"id\":\"Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMQ\",\"roomId\":\"Y2lzY29zcGFyazovL3VzL1JPT00vMQ\"}}",` +
		`"keyStage":"AWSCURRENT","scheme":"webex","receivedAt":"2026-11-22T12:00:00Z","requestId":"r-1"}`}

	ev, err := event.FromSQS(record)
	if errors.Is(err, event.ErrNotEnvelope) {
		fmt.Println("drop:", err)
		return
	}
	wx, err := ev.Webex()
	if err != nil {
		fmt.Println("drop:", err)
		return
	}
	fmt.Println(ev.Envelope.DedupKey)
	fmt.Println(wx.Kind(), wx.Data.RoomID)
	// Output:
	// messages:created:Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMQ
	// messages.created Y2lzY29zcGFyazovL3VzL1JPT00vMQ
}

// A compatibility (cXML) webhook is a form; its accessors read the common
// parameters.
func ExampleEvent_SignalWire() {
	ev, err := event.Decode([]byte(`{"version":1,"provider":"signalwire","contentType":"application/x-www-form-urlencoded",` +
		`"bodyEncoding":"utf8","body":"CallSid=b3877c40&CallStatus=in-progress&From=%2B15551234567&Digits=2",` +
		`"keyStage":"AWSCURRENT","scheme":"signalwire-compat","receivedAt":"2026-11-22T12:00:00Z","requestId":"r-2"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	sw, err := ev.SignalWire()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sw, sw.Form.CallSid(), sw.Form.From(), sw.Form.Digits())
	// Output: form b3877c40 +15551234567 2
}

// Qiscus ids are read exactly, whether sent as numbers or strings.
func ExampleDecodeQiscus() {
	q, err := event.DecodeQiscus([]byte(`{"type":"post_comment_mobile","payload":{"from":{"id":1427537635,"email":"Fikri"},` +
		`"room":{"id":"93712301","type":"single"},"message":{"id":1109885152,"type":"text","text":"lagi","unix_nano_timestamp":1664855588089051000}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m := q.Payload.Message
	fmt.Println(q.Type, q.Payload.Room.ID, m.ID, m.Text, m.UnixNanoTimestamp)
	// Output: post_comment_mobile 93712301 1109885152 lagi 1664855588089051000
}

// A mention may carry a person's id as base64 or as the raw UUID.
func ExampleSameWebexID() {
	fmt.Println(event.SameWebexID("Y2lzY29zcGFyazovL3VzL1BFT1BMRS8zY2RkNDA1OS05MjU4LTQ3N2QtYjQ5NC1jMTMzYWMyY2ZhZDU",
		"3cdd4059-9258-477d-b494-c133ac2cfad5"))
	// Output: true
}
