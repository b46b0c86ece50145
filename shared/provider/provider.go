// Package provider describes each supported webhook provider: its name, how
// its signatures are verified, how its event type is read, and what a
// successful delivery is answered with.
package provider

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"webhookguard/shared/apigw"
	"webhookguard/shared/verify"
)

// Provider describes one webhook provider.
type Provider struct {
	// Name is the provider's name in logs, metrics, envelopes and routes.
	Name string
	// NewVerifier builds a verifier over the given keys.
	NewVerifier func(keys ...verify.Key) (verify.Verifier, error)
	// EventType reads the event type from a verified body; "" when it
	// cannot be read cheaply.
	EventType func(contentType string, body []byte) string
	// UsesURL tells whether signatures cover the request URL.
	UsesURL bool
}

// Webex is Cisco Webex (Webhooks API, X-Spark-Signature).
var Webex = Provider{
	Name:        "webex",
	NewVerifier: func(k ...verify.Key) (verify.Verifier, error) { return verify.NewWebex(k...) },
	EventType:   webexEventType,
}

// Qiscus is the Qiscus Chat SDK webhook (QISCUS-SDK-SIGNATURE).
var Qiscus = Provider{
	Name:        "qiscus",
	NewVerifier: func(k ...verify.Key) (verify.Verifier, error) { return verify.NewQiscus(k...) },
	EventType:   qiscusEventType,
}

// SignalWire is SignalWire, both the JSON (RELAY, SWML, Call Fabric) and the
// compatibility (cXML) webhooks.
var SignalWire = Provider{
	Name:        "signalwire",
	NewVerifier: func(k ...verify.Key) (verify.Verifier, error) { return verify.NewSignalWire(k...) },
	EventType:   signalWireEventType,
	UsesURL:     true,
}

// All lists every provider, by route order.
var All = []Provider{Webex, Qiscus, SignalWire}

// ByName returns the provider called name.
func ByName(name string) (Provider, bool) {
	for _, p := range All {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

func webexEventType(_ string, body []byte) string {
	var e struct{ Resource, Event string }
	if json.Unmarshal(body, &e) != nil || e.Resource == "" {
		return ""
	}
	return e.Resource + "." + e.Event
}

func qiscusEventType(_ string, body []byte) string {
	var e struct{ Type string }
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Type
}

func signalWireEventType(contentType string, body []byte) string {
	if isForm(contentType, body) {
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return ""
		}
		for _, k := range []string{"CallStatus", "MessageStatus", "SmsStatus", "RecordingStatus", "TranscriptionStatus"} {
			if v := q.Get(k); v != "" {
				return strings.TrimSuffix(strings.ToLower(k), "status") + "." + v
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
	var e struct {
		EventType string `json:"event_type"`
		Call      struct {
			CallState string `json:"call_state"`
		} `json:"call"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.EventType != "" {
		return e.EventType
	}
	if e.Call.CallState != "" {
		return "call." + e.Call.CallState
	}
	return ""
}

func isForm(contentType string, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		return mt == "application/x-www-form-urlencoded"
	}
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] != '{' && b[0] != '['
}

// DefaultCXMLResponse is the answer to an accepted compatibility (cXML)
// webhook: an empty <Response>, which SignalWire requires to be valid XML.
const DefaultCXMLResponse = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// DefaultJSONResponse is the answer to an accepted JSON webhook. Status
// callbacks ignore the body; a SWML script URL needs a SWML document, which
// is configured with SIGNALWIRE_JSON_RESPONSE.
const DefaultJSONResponse = `{}`

// SignalWireAnswer returns the answer to accepted SignalWire webhooks:
// cxml for compatibility requests (text/xml) and jsonBody for JSON ones
// (application/json). Empty arguments take the defaults.
func SignalWireAnswer(cxml, jsonBody string) func(verify.Match) apigw.Response {
	if cxml == "" {
		cxml = DefaultCXMLResponse
	}
	if jsonBody == "" {
		jsonBody = DefaultJSONResponse
	}
	return func(m verify.Match) apigw.Response {
		if m.Scheme == verify.SchemeSignalWireJSON {
			return apigw.Response{StatusCode: http.StatusOK, Headers: map[string]string{"Content-Type": "application/json"}, Body: jsonBody}
		}
		return apigw.Response{StatusCode: http.StatusOK, Headers: map[string]string{"Content-Type": "text/xml; charset=utf-8"}, Body: cxml}
	}
}
