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
	// Sign returns the signature headers the provider sends for a request
	// to url with body and contentType, signed with secret.
	Sign func(secret []byte, url, contentType string, body []byte) (http.Header, error)
}

// Webex is Cisco Webex (Webhooks API, X-Spark-Signature).
var Webex = Provider{
	Name:        "webex",
	NewVerifier: func(k ...verify.Key) (verify.Verifier, error) { return verify.NewWebex(k...) },
	EventType:   webexEventType,
	Sign: func(secret []byte, _, _ string, body []byte) (http.Header, error) {
		return http.Header{verify.HeaderWebex: {verify.SignWebex(secret, body)}}, nil
	},
}

// Qiscus is the Qiscus Chat SDK webhook (QISCUS-SDK-SIGNATURE).
var Qiscus = Provider{
	Name:        "qiscus",
	NewVerifier: func(k ...verify.Key) (verify.Verifier, error) { return verify.NewQiscus(k...) },
	EventType:   qiscusEventType,
	Sign: func(secret []byte, _, _ string, body []byte) (http.Header, error) {
		return http.Header{verify.HeaderQiscus: {verify.SignQiscus(secret, body)}}, nil
	},
}

// SignalWire is SignalWire, both the JSON (RELAY, SWML, Call Fabric) and the
// compatibility (cXML) webhooks.
var SignalWire = Provider{
	Name:        "signalwire",
	NewVerifier: func(k ...verify.Key) (verify.Verifier, error) { return verify.NewSignalWire(k...) },
	EventType:   signalWireEventType,
	UsesURL:     true,
	Sign:        signSignalWire,
}

// signSignalWire signs a form body with the compatibility scheme, a JSON
// body posted to a URL with bodySHA256 with the compatibility scheme too,
// and any other body with the JSON scheme (both signature headers).
func signSignalWire(secret []byte, url, contentType string, body []byte) (http.Header, error) {
	if isForm(contentType, body) || strings.Contains(url, "bodySHA256=") {
		s, err := verify.SignSignalWireCompat(secret, url, body)
		if err != nil {
			return nil, err
		}
		return http.Header{verify.HeaderSignalWire: {s}}, nil
	}
	s1, s256 := verify.SignSignalWireJSON(secret, url, body)
	return http.Header{verify.HeaderSignalWire: {s1}, verify.HeaderSignalWireSHA256: {s256}}, nil
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
