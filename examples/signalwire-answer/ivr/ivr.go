// Package ivr is the reference answer for SignalWire: the instructions a
// verified call or message webhook is answered with. A call hears a
// greeting and a one-digit menu (1: a message, 2: a transfer to a person,
// anything else: the menu again); an inbound SMS gets an automatic reply;
// status callbacks get an empty document. Compatibility webhooks are
// answered with cXML, SWML requests with a SWML document.
//
// The same code runs as a Lambda answer function (main.go: the envelope in,
// {"contentType","body"} out) and in process, as a webhook.Answerer:
//
//	menu := ivr.New(ivr.FromEnv(os.Getenv))
//	h, err := app.New(ctx, provider.SignalWire, os.Getenv, app.WithAnswerer(menu.Answerer()))
package ivr

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/event"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// Content types of the answers.
const (
	ContentTypeCXML = "text/xml; charset=utf-8"
	ContentTypeSWML = "application/json"
)

// Empty is the answer to what needs no instructions (status callbacks):
// an empty cXML document.
var Empty = provider.Reply{ContentType: ContentTypeCXML, Body: provider.DefaultCXMLReply}

// EmptyJSON is the answer to a JSON webhook that needs no instructions.
var EmptyJSON = provider.Reply{ContentType: ContentTypeSWML, Body: provider.DefaultJSONReply}

// Config is what the menu says and does. Zero values are the defaults.
type Config struct {
	// Greeting is said when a call starts, before the menu.
	Greeting string // IVR_GREETING
	// Menu offers the choices.
	Menu string // IVR_MENU
	// Info is said when the caller presses 1; then the call ends.
	Info string // IVR_INFO
	// DialTo is the number (E.164) or SIP address a caller who presses 2
	// is connected to. Empty: 2 is not offered, and is treated as any
	// other key.
	DialTo string // IVR_DIAL_TO
	// Connecting is said before the transfer.
	Connecting string // IVR_CONNECTING
	// Retry is said after a key that is not on the menu.
	Retry string // IVR_RETRY
	// NoInput is said when the caller pressed nothing; then the call ends.
	NoInput string // IVR_NO_INPUT
	// SMSReply answers an inbound SMS or MMS. Empty: no reply.
	SMSReply string // IVR_SMS_REPLY
	// ActionURL is where SignalWire posts the digit pressed: the
	// SignalWire webhook URL. Empty: the URL the request was sent to (the
	// envelope's URL), which is right unless that URL carries basic-auth
	// credentials (then set it, credentials included).
	ActionURL string // IVR_ACTION_URL
}

// Defaults of Config.
const (
	DefaultGreeting   = "Thanks for calling."
	DefaultInfo       = "We are open Monday to Friday, nine to five. Goodbye."
	DefaultConnecting = "Connecting you now."
	DefaultRetry      = "Sorry, that is not an option."
	DefaultNoInput    = "We did not receive any input. Goodbye."
	DefaultSMSReply   = "Thanks for your message. We will get back to you shortly."
)

// FromEnv reads the configuration through getenv (IVR_* variables).
func FromEnv(getenv func(string) string) Config {
	v := func(k string) string { return strings.TrimSpace(getenv(k)) }
	return Config{
		Greeting: v("IVR_GREETING"), Menu: v("IVR_MENU"), Info: v("IVR_INFO"), DialTo: v("IVR_DIAL_TO"),
		Connecting: v("IVR_CONNECTING"), Retry: v("IVR_RETRY"), NoInput: v("IVR_NO_INPUT"),
		SMSReply: cmp.Or(v("IVR_SMS_REPLY"), DefaultSMSReply), ActionURL: v("IVR_ACTION_URL"),
	}
}

// IVR answers SignalWire webhooks. It is safe for concurrent use.
type IVR struct{ cfg Config }

// New returns an IVR with cfg, defaults filled in.
func New(cfg Config) *IVR {
	cfg.Greeting = cmp.Or(cfg.Greeting, DefaultGreeting)
	cfg.Info = cmp.Or(cfg.Info, DefaultInfo)
	cfg.Connecting = cmp.Or(cfg.Connecting, DefaultConnecting)
	cfg.Retry = cmp.Or(cfg.Retry, DefaultRetry)
	cfg.NoInput = cmp.Or(cfg.NoInput, DefaultNoInput)
	if cfg.Menu == "" {
		cfg.Menu = "Press 1 for our opening hours."
		if cfg.DialTo != "" {
			cfg.Menu = "Press 1 for our opening hours, or 2 to talk to someone."
		}
	}
	return &IVR{cfg: cfg}
}

// ErrNotSignalWire means the envelope is another provider's: the answer
// function is wired to the wrong webhook function.
var ErrNotSignalWire = errors.New("ivr: not a SignalWire event")

// Answer returns the instructions for the webhook in env. A body it cannot
// read is answered with an empty document rather than an error, so that a
// call is never failed by the menu; only another provider's envelope is an
// error.
func (v *IVR) Answer(_ context.Context, env *envelope.Envelope) (provider.Reply, error) {
	ev, err := event.FromEnvelope(env)
	if err != nil {
		return provider.Reply{}, err
	}
	sw, err := ev.SignalWire()
	switch {
	case errors.Is(err, event.ErrWrongProvider):
		return provider.Reply{}, fmt.Errorf("%w: %w", ErrNotSignalWire, err)
	case err != nil:
		return Empty, nil
	case sw.Form != nil:
		return v.cxml(sw.Form, cmp.Or(v.cfg.ActionURL, env.URL)), nil
	case sw.Request != nil && sw.Request.Call != nil:
		return v.swml(), nil
	}
	return EmptyJSON, nil
}

// Answerer adapts the IVR to webhook.Answerer, for an in-process answer
// (app.WithAnswerer).
func (v *IVR) Answerer() webhook.Answerer {
	return webhook.AnswerFunc(func(ctx context.Context, ev *destination.Event) (provider.Reply, error) {
		return v.Answer(ctx, ev.Envelope)
	})
}

// ended lists the call statuses after which a call takes no instructions.
var ended = map[string]bool{"completed": true, "busy": true, "failed": true, "no-answer": true, "canceled": true}

// cxml answers a compatibility webhook.
func (v *IVR) cxml(f *event.SignalWireForm, action string) provider.Reply {
	var r response
	switch {
	case f.IsCall() && ended[f.CallStatus()]:
	case f.IsCall() && f.Values.Has("Digits"):
		switch d := f.Digits(); {
		case d == "1":
			r.say(v.cfg.Info)
			r.add("<Hangup/>")
		case d == "2" && v.cfg.DialTo != "":
			r.say(v.cfg.Connecting)
			r.add("<Dial>" + escape(v.cfg.DialTo) + "</Dial>")
		default:
			r.say(v.cfg.Retry)
			v.menu(&r, action)
		}
	case f.IsCall():
		r.say(v.cfg.Greeting)
		v.menu(&r, action)
	case f.IsMessage() && (f.MessageStatus() == "" || f.MessageStatus() == "received"):
		if v.cfg.SMSReply != "" {
			r.add("<Message>" + escape(v.cfg.SMSReply) + "</Message>")
		}
	}
	return r.reply()
}

// menu gathers one digit, posted to action.
func (v *IVR) menu(r *response, action string) {
	attrs := `input="dtmf" numDigits="1" timeout="5"`
	if action != "" {
		attrs += ` action="` + escape(action) + `" method="POST"`
	}
	r.add("<Gather " + attrs + "><Say>" + escape(v.cfg.Menu) + "</Say></Gather>")
	r.say(v.cfg.NoInput)
}

// response builds a cXML document.
type response struct{ b strings.Builder }

func (r *response) add(s string)    { r.b.WriteString(s) }
func (r *response) say(text string) { r.add("<Say>" + escape(text) + "</Say>") }

func (r *response) reply() provider.Reply {
	if r.b.Len() == 0 {
		return Empty
	}
	return provider.Reply{ContentType: ContentTypeCXML, Body: `<?xml version="1.0" encoding="UTF-8"?><Response>` + r.b.String() + `</Response>`}
}

// escape escapes text for an XML element or attribute.
func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// step is one SWML method: {"name": params}.
type step map[string]any

// swml answers a SWML call request: answer, greet, then the menu section,
// a one-digit prompt and a switch on prompt_value.
func (v *IVR) swml() provider.Reply {
	say := func(text string) step { return step{"play": map[string]any{"url": "say:" + text}} }
	cases := map[string][]step{"1": {say(v.cfg.Info), {"hangup": map[string]any{}}}}
	if v.cfg.DialTo != "" {
		cases["2"] = []step{say(v.cfg.Connecting), {"connect": map[string]any{"to": v.cfg.DialTo}}, {"hangup": map[string]any{}}}
	}
	doc := map[string]any{
		"version": "1.0.0",
		"sections": map[string][]step{
			"main": {{"answer": map[string]any{}}, say(v.cfg.Greeting), {"transfer": map[string]any{"dest": "menu"}}},
			"menu": {
				{"prompt": map[string]any{"play": "say:" + v.cfg.Menu, "max_digits": 1, "initial_timeout": 5}},
				{"switch": map[string]any{
					"variable": "prompt_value",
					"case":     cases,
					"default":  []step{say(v.cfg.Retry), {"transfer": map[string]any{"dest": "menu"}}},
				}},
			},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return EmptyJSON // maps of strings always encode
	}
	return provider.Reply{ContentType: ContentTypeSWML, Body: strings.TrimSuffix(buf.String(), "\n")}
}
