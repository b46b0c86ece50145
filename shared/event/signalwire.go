package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SignalWire is a SignalWire webhook. Exactly one of its parts is set,
// after the body's shape:
//
//   - Form: a compatibility (cXML) webhook, a form of Twilio-style
//     parameters (a call, a Gather or Dial action, an inbound SMS, a status
//     callback);
//   - Request: a SWML request, {call|message, vars, envs, params}, which
//     waits for a SWML document in answer;
//   - Relay: a RELAY or SWML callback, {event_type, params} (call state,
//     collect results);
//   - MessageStatus: a REST/RELAY message status callback;
//
// or none of them for a JSON webhook of another shape, whose body the
// Event holds.
type SignalWire struct {
	Form          *SignalWireForm
	Request       *SWMLRequest
	Relay         *SignalWireRelay
	MessageStatus *SignalWireMessageStatus
}

// DecodeSignalWire decodes a SignalWire webhook body sent with contentType.
// A form content type, or a body that is not JSON, is read as a form. It
// fails with ErrUndecodable when the body is neither a form nor a JSON
// object.
func DecodeSignalWire(contentType string, body []byte) (*SignalWire, error) {
	switch {
	case isFormType(contentType):
		return decodeForm(body)
	case isObject(body):
	case isJSONType(contentType) || !bytes.Contains(body, []byte("=")):
		return nil, undecodable(ProviderSignalWire, errors.New("neither a form nor a JSON object"))
	default:
		return decodeForm(body)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		return nil, undecodable(ProviderSignalWire, err)
	}
	var sw SignalWire
	var err error
	switch {
	case isObject(keys["call"]) || isObject(keys["message"]):
		sw.Request = &SWMLRequest{}
		err = decodeNumbers(body, sw.Request)
	case len(keys["event_type"]) > 0:
		sw.Relay = &SignalWireRelay{}
		err = json.Unmarshal(body, sw.Relay)
	case len(keys["status"]) > 0 && len(keys["id"]) > 0:
		sw.MessageStatus = &SignalWireMessageStatus{}
		err = json.Unmarshal(body, sw.MessageStatus)
	case len(keys["CallSid"])+len(keys["MessageSid"])+len(keys["SmsSid"])+len(keys["AccountSid"]) > 0:
		// Compatibility parameters posted as JSON (bodySHA256 URLs).
		sw.Form = &SignalWireForm{Values: url.Values{}}
		for k, v := range keys {
			if s, ok := scalar(v); ok {
				sw.Form.Values.Set(k, s)
			}
		}
	}
	if err != nil {
		return nil, undecodable(ProviderSignalWire, err)
	}
	return &sw, nil
}

// decodeForm reads a compatibility webhook's form.
func decodeForm(body []byte) (*SignalWire, error) {
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, undecodable(ProviderSignalWire, err)
	}
	return &SignalWire{Form: &SignalWireForm{Values: q}}, nil
}

// isJSONType reports whether contentType is JSON.
func isJSONType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (strings.EqualFold(mt, "application/json") || strings.HasSuffix(strings.ToLower(mt), "+json"))
}

// isFormType reports whether contentType is a form.
func isFormType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && strings.EqualFold(mt, "application/x-www-form-urlencoded")
}

// scalar returns a JSON string, number or boolean as text.
func scalar(v json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s, true
	}
	if isNumber(v) || bytes.Equal(v, []byte("true")) || bytes.Equal(v, []byte("false")) {
		return string(v), true
	}
	return "", false
}

// decodeNumbers decodes JSON into v keeping numbers as json.Number.
func decodeNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// SignalWireForm is a compatibility (cXML) webhook's parameters, with
// accessors for the common ones. SignalWire's ids (CallSid, MessageSid,
// AccountSid) are UUIDs.
type SignalWireForm struct {
	Values url.Values
}

// Get returns the first value of parameter name, "" when absent.
func (f *SignalWireForm) Get(name string) string { return f.Values.Get(name) }

// AccountSid is the project id.
func (f *SignalWireForm) AccountSid() string { return f.Get("AccountSid") }

// CallSid is the call's id; "" for a message.
func (f *SignalWireForm) CallSid() string { return f.Get("CallSid") }

// ParentCallSid is the call a <Dial> leg belongs to.
func (f *SignalWireForm) ParentCallSid() string { return f.Get("ParentCallSid") }

// CallStatus is ringing, in-progress, queued, completed, busy, failed,
// no-answer or canceled.
func (f *SignalWireForm) CallStatus() string { return f.Get("CallStatus") }

// From is the caller or sender (E.164 or SIP).
func (f *SignalWireForm) From() string { return f.Get("From") }

// To is the number or address called or messaged.
func (f *SignalWireForm) To() string { return f.Get("To") }

// Direction is inbound, outbound-api or outbound-dial.
func (f *SignalWireForm) Direction() string { return f.Get("Direction") }

// Digits are the keys pressed, on a <Gather> action request.
func (f *SignalWireForm) Digits() string { return f.Get("Digits") }

// SpeechResult is the transcribed speech, on a <Gather> action request.
func (f *SignalWireForm) SpeechResult() string { return f.Get("SpeechResult") }

// MessageSid is the message's id (MessageSid, else SmsSid); "" for a call.
func (f *SignalWireForm) MessageSid() string {
	if s := f.Get("MessageSid"); s != "" {
		return s
	}
	return f.Get("SmsSid")
}

// MessageStatus is a message's status (MessageStatus, else SmsStatus):
// queued, sending, sent, delivered, undelivered, failed, receiving or
// received. An inbound message carries none.
func (f *SignalWireForm) MessageStatus() string {
	if s := f.Get("MessageStatus"); s != "" {
		return s
	}
	return f.Get("SmsStatus")
}

// Body is an SMS's text.
func (f *SignalWireForm) Body() string { return f.Get("Body") }

// NumMedia is how many media an MMS carries (0 when absent or not a
// number).
func (f *SignalWireForm) NumMedia() int {
	n, err := strconv.Atoi(f.Get("NumMedia"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// MediaURL is the URL of an MMS's media n, counted from 0.
func (f *SignalWireForm) MediaURL(n int) string { return f.Get("MediaUrl" + strconv.Itoa(n)) }

// MediaContentType is the content type of an MMS's media n.
func (f *SignalWireForm) MediaContentType(n int) string {
	return f.Get("MediaContentType" + strconv.Itoa(n))
}

// ErrorCode is a failed message's error code, such as 30003.
func (f *SignalWireForm) ErrorCode() string { return f.Get("ErrorCode") }

// IsCall reports whether the webhook is about a call.
func (f *SignalWireForm) IsCall() bool { return f.CallSid() != "" }

// IsMessage reports whether the webhook is about a message.
func (f *SignalWireForm) IsMessage() bool { return f.MessageSid() != "" }

// SWMLRequest is the request SignalWire sends to a SWML script URL, for a
// call or a message: it waits for a SWML document in answer.
type SWMLRequest struct {
	// Call is set for a call, Message for a message.
	Call    *SWMLCall    `json:"call,omitempty"`
	Message *SWMLMessage `json:"message,omitempty"`
	// Vars holds the script's variables once methods ran (prompt_value,
	// prompt_result ...), Envs the account's, Params those a transfer or
	// execute passed. Numbers are json.Number.
	Vars   map[string]any `json:"vars,omitempty"`
	Envs   map[string]any `json:"envs,omitempty"`
	Params map[string]any `json:"params,omitempty"`
}

// Var returns variable name as text ("" when unset or not a scalar).
func (r *SWMLRequest) Var(name string) string { return text(r.Vars[name]) }

// Param returns parameter name as text ("" when unset or not a scalar).
func (r *SWMLRequest) Param(name string) string { return text(r.Params[name]) }

func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// SWMLCall is the call of a SWML request.
type SWMLCall struct {
	CallID     string `json:"call_id"`
	NodeID     string `json:"node_id,omitempty"`
	SegmentID  string `json:"segment_id,omitempty"`
	CallState  string `json:"call_state"` // created, ringing, answered, ending, ended
	Direction  string `json:"direction"`  // inbound or outbound
	Type       string `json:"type"`       // phone, sip or webrtc
	From       string `json:"from"`
	To         string `json:"to"`
	FromNumber string `json:"from_number,omitempty"`
	ToNumber   string `json:"to_number,omitempty"`
	ProjectID  string `json:"project_id"`
	SpaceID    string `json:"space_id"`
	Headers    []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers,omitempty"`
}

// SWMLMessage is the message of a SWML messaging request.
type SWMLMessage struct {
	MessageID string      `json:"message_id"`
	ProjectID string      `json:"project_id"`
	SpaceID   string      `json:"space_id"`
	Direction string      `json:"direction"`
	Type      string      `json:"type"` // sms or mms
	From      string      `json:"from"`
	To        string      `json:"to"`
	Body      string      `json:"body"`
	Media     []SWMLMedia `json:"media,omitempty"`
	Segments  json.Number `json:"segments,omitempty"`
	Timestamp string      `json:"timestamp,omitempty"`
}

// SWMLMedia is a media item of an MMS.
type SWMLMedia struct {
	URL         string      `json:"url"`
	ContentType string      `json:"content_type"`
	Size        json.Number `json:"size,omitempty"`
}

// SignalWireRelay is a RELAY or SWML callback: a call's state
// ("calling.call.state"), a prompt's result ("calling.call.collect"), a
// connect's progress ("calling.call.connect").
type SignalWireRelay struct {
	EventType    string                `json:"event_type"`
	EventChannel string                `json:"event_channel,omitempty"`
	Timestamp    json.Number           `json:"timestamp,omitempty"`
	ProjectID    string                `json:"project_id,omitempty"`
	SpaceID      string                `json:"space_id,omitempty"`
	Params       SignalWireRelayParams `json:"params"`
}

// Time is the callback's timestamp (seconds since the epoch, with a
// fraction); zero when absent.
func (r *SignalWireRelay) Time() time.Time {
	f, err := r.Timestamp.Float64()
	if err != nil || f <= 0 {
		return time.Time{}
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC().Round(time.Millisecond)
}

// SignalWireRelayParams are a RELAY callback's parameters.
type SignalWireRelayParams struct {
	CallID    string `json:"call_id"`
	NodeID    string `json:"node_id,omitempty"`
	ControlID string `json:"control_id,omitempty"`
	CallState string `json:"call_state,omitempty"` // created, ringing, answered, ending, ended
	Direction string `json:"direction,omitempty"`
	// EndReason is hangup, busy, no_answer, cancel, declined or error,
	// once the call ended.
	EndReason string `json:"end_reason,omitempty"`
	Device    struct {
		Type   string `json:"type"`
		Params struct {
			FromNumber string `json:"from_number"`
			ToNumber   string `json:"to_number"`
		} `json:"params"`
	} `json:"device"`
	// Result is a collect's result: Type digit, speech, no_input,
	// no_match, ...; Params.Digits or Params.Text.
	Result struct {
		Type   string `json:"type"`
		Params struct {
			Digits     string      `json:"digits,omitempty"`
			Terminator string      `json:"terminator,omitempty"`
			Text       string      `json:"text,omitempty"`
			Confidence json.Number `json:"confidence,omitempty"`
		} `json:"params"`
	} `json:"result"`
	// Raw is the params object as sent.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the params and keeps them in Raw.
func (p *SignalWireRelayParams) UnmarshalJSON(b []byte) error {
	type plain SignalWireRelayParams
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = SignalWireRelayParams(v)
	if string(b) != "null" {
		p.Raw = append(json.RawMessage(nil), b...)
	}
	return nil
}

// SignalWireMessageStatus is a message status callback of the REST, RELAY
// and SWML messaging APIs.
type SignalWireMessageStatus struct {
	ID               string      `json:"id"`
	ProjectID        string      `json:"project_id"`
	Status           string      `json:"status"` // queued, initiated, sent, delivered, undelivered, failed, read
	From             string      `json:"from"`
	To               string      `json:"to"`
	Body             string      `json:"body"`
	NumberOfSegments json.Number `json:"number_of_segments,omitempty"`
	Timestamp        string      `json:"timestamp,omitempty"`
	// ErrorCode and ErrorMessage say why a message failed.
	ErrorCode       ID             `json:"error_code,omitempty"`
	ErrorMessage    string         `json:"error_message,omitempty"`
	CustomVariables map[string]any `json:"custom_variables,omitempty"`
}

// String names the part that is set, for logs: "form", "swml-request",
// "relay", "message-status" or "json".
func (s *SignalWire) String() string {
	switch {
	case s.Form != nil:
		return "form"
	case s.Request != nil:
		return "swml-request"
	case s.Relay != nil:
		return "relay"
	case s.MessageStatus != nil:
		return "message-status"
	}
	return "json"
}
