package provider

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/webhookguard/webhookguard/shared/verify"
)

// SignalWire is SignalWire, both the JSON (RELAY, SWML, Call Fabric) and the
// compatibility (cXML) webhooks.
var SignalWire = register(Provider{
	Name:             "signalwire",
	FunctionID:       "SignalWireFunction",
	SignatureHeaders: []string{verify.HeaderSignalWire, verify.HeaderTwilio, verify.HeaderSignalWireSHA256},
	SignsURL:         true,
	NewVerifier:      func(k ...verify.Key) (verify.Verifier, error) { return verify.NewSignalWire(k...) },
	Sign:             signSignalWire,
	EventType:        signalWireEventType,
	DedupKey:         signalWireDedupKey,
	Sample: Sample{ContentType: "application/x-www-form-urlencoded",
		Body: []byte("AccountSid=AC0001&CallSid=CA0001&CallStatus=ringing&Direction=inbound&From=%2B15551234567&To=%2B15557654321&ApiVersion=2010-04-01")},
	Reply: signalWireReply,
})

// signSignalWire signs a form body, or any body posted to a URL with
// bodySHA256, with the compatibility scheme, and a JSON body with the JSON
// scheme (both signature headers), as verify.SignSignalWire decides.
func signSignalWire(secret []byte, url, contentType string, body []byte) (http.Header, error) {
	return verify.SignSignalWire(secret, url, contentType, body)
}

// signalWireStatuses are the form parameters that carry a status, in the
// order they are read, with the event family each names.
var signalWireStatuses = []struct{ param, family, sid string }{
	{"CallStatus", "call", "CallSid"},
	{"MessageStatus", "message", "MessageSid"},
	{"SmsStatus", "message", "SmsSid"},
	{"RecordingStatus", "recording", "RecordingSid"},
	{"TranscriptionStatus", "transcription", "TranscriptionSid"},
}

func signalWireEventType(contentType string, body []byte) string {
	if isForm(contentType) {
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return ""
		}
		for _, s := range signalWireStatuses {
			if v := q.Get(s.param); v != "" {
				return s.family + "." + v
			}
		}
		switch {
		case q.Has("CallSid"):
			return "call"
		case q.Has("MessageSid"), q.Has("SmsSid"):
			return "message"
		}
		return ""
	}
	e, ok := signalWireJSON(body)
	switch {
	case !ok:
		return ""
	case e.EventType != "":
		return e.EventType
	case e.Call.CallState != "":
		return "call." + e.Call.CallState
	}
	return ""
}

// signalWireDedupKey is the id of the call, message, recording or
// transcription with its status: a status callback is sent once per status.
// A call-flow request (the call's first request, a Gather or Dial action)
// shares its call's id and status with the others of that call, so it adds
// a hash of its parameters (sorted, as SignalWire signs them, so every
// encoding of one signed form gives one key).
func signalWireDedupKey(contentType string, body []byte) string {
	if isForm(contentType) {
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return bodyHash(body)
		}
		return signalWireFormKey(q, body)
	}
	e, ok := signalWireJSON(body)
	switch {
	case !ok:
	case e.EventType != "" && e.Params.CallID != "":
		if e.EventType == "calling.call.state" {
			return dedupKey(e.Params.CallID, e.EventType, e.Params.CallState)
		}
		return dedupKey(e.Params.CallID, e.EventType, shortHash(string(body)))
	case e.Call.CallID != "":
		return dedupKey(e.Call.CallID, e.Call.CallState, shortHash(string(body)))
	case e.Message.MessageID != "":
		return dedupKey(e.Message.MessageID)
	case e.ID != "" && e.Status != "":
		return dedupKey(e.ID, e.Status)
	}
	return bodyHash(body)
}

func signalWireFormKey(q url.Values, body []byte) string {
	switch {
	case q.Get("RecordingSid") != "":
		return dedupKey(q.Get("RecordingSid"), q.Get("RecordingStatus"))
	case q.Get("TranscriptionSid") != "":
		return dedupKey(q.Get("TranscriptionSid"), q.Get("TranscriptionStatus"))
	case q.Get("MessageSid") != "" || q.Get("SmsSid") != "":
		return dedupKey(cmp.Or(q.Get("MessageSid"), q.Get("SmsSid")), cmp.Or(q.Get("MessageStatus"), q.Get("SmsStatus"), "received"))
	case q.Get("CallSid") != "":
		if q.Has("CallbackSource") {
			return dedupKey(q.Get("CallSid"), q.Get("CallStatus"))
		}
		return dedupKey(q.Get("CallSid"), q.Get("CallStatus"), formHash(q))
	}
	return bodyHash(body)
}

// formHash is a short hash of a form's parameters sorted by key, repeated
// keys in the order sent.
func formHash(q url.Values) string {
	keys := slices.Sorted(maps.Keys(q))
	var parts []string
	for _, k := range keys {
		parts = append(parts, k, strconv.Itoa(len(q[k])))
		parts = append(parts, q[k]...)
	}
	return shortHash(parts...)
}

// signalWireEvent is the part of a JSON webhook read here: RELAY events
// carry event_type and params, SWML requests a call or a message, message
// status callbacks an id and a status.
type signalWireEvent struct {
	EventType string `json:"event_type"`
	Params    struct {
		CallID    string `json:"call_id"`
		CallState string `json:"call_state"`
	} `json:"params"`
	Call struct {
		CallID    string `json:"call_id"`
		CallState string `json:"call_state"`
	} `json:"call"`
	// Message is a SWML message request.
	Message struct {
		MessageID string `json:"message_id"`
	} `json:"message"`
	// ID and Status are a message status callback's.
	ID     string `json:"id"`
	Status string `json:"status"`
}

func signalWireJSON(body []byte) (signalWireEvent, bool) {
	var e signalWireEvent
	return e, json.Unmarshal(body, &e) == nil
}

// DefaultCXMLReply is the answer to an accepted compatibility (cXML)
// webhook: an empty <Response>, which SignalWire requires to be valid XML.
const DefaultCXMLReply = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// DefaultJSONReply is the answer to an accepted JSON webhook. Status
// callbacks ignore the body; a SWML script URL needs a SWML document.
const DefaultJSONReply = `{}`

// signalWireReply answers cXML requests with SIGNALWIRE_CXML_RESPONSE
// (text/xml) and JSON requests with SIGNALWIRE_JSON_RESPONSE
// (application/json); unset, the defaults.
func signalWireReply(getenv func(string) string) (func(verify.Match) Reply, error) {
	cxml := Reply{ContentType: "text/xml; charset=utf-8", Body: cmp.Or(getenv("SIGNALWIRE_CXML_RESPONSE"), DefaultCXMLReply)}
	js := Reply{ContentType: "application/json", Body: cmp.Or(getenv("SIGNALWIRE_JSON_RESPONSE"), DefaultJSONReply)}
	return func(m verify.Match) Reply {
		if m.Scheme == verify.SchemeSignalWireJSON {
			return js
		}
		return cxml
	}, nil
}
