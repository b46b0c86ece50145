// Package provider describes each supported webhook provider in one place:
// its name and function, how its signatures are verified and made, how its
// event type, event identity and event time are read, what it is answered
// on success, its sample request, and its policy. Tests, sample events, the
// signing tool, the benchmark report and the local API all derive from All.
//
// Adding a provider means: a verifier in package verify, a file here that
// describes it and registers it, a functions/<name>/main.go, and a function
// block in template.yaml (see the README's "Adding a provider").
package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/verify"
)

// Provider describes one webhook provider.
type Provider struct {
	// Name is the provider's name in logs, metrics, envelopes and routes
	// (POST /<Name>), and its function's folder (functions/<Name>).
	Name string
	// FunctionID is its function's logical id in template.yaml, and the
	// Makefile's build-<FunctionID> target.
	FunctionID string
	// SignatureHeaders names the headers that carry its signatures.
	SignatureHeaders []string
	// SignsURL tells whether its signatures cover the request URL, which
	// must then be rebuilt exactly (SignalWire).
	SignsURL bool
	// NewVerifier builds a verifier over the given keys.
	NewVerifier func(keys ...verify.Key) (verify.Verifier, error)
	// Sign returns the signature headers the provider sends for a request
	// to url with body and contentType, signed with secret.
	Sign func(secret []byte, url, contentType string, body []byte) (http.Header, error)
	// EventType reads the event type from a verified body; "" when it
	// cannot be read cheaply.
	EventType func(contentType string, body []byte) string
	// DedupKey returns the provider's own identity of the event in a
	// verified body, the same for every delivery of one event, and
	// different for different events. It is printable ASCII of at most
	// MaxDedupKeyBytes; a hash of the body when the body names no event.
	DedupKey func(contentType string, body []byte) string
	// EventTime returns when the event happened, when the body says and
	// the provider's events may be refused as too old (Webex); nil
	// otherwise.
	EventTime func(body []byte) (time.Time, bool)
	// Sample is a realistic request, for tests, sample events and the
	// signing tool.
	Sample Sample
	// Reply returns, from the function's environment, what an accepted
	// request is answered with; nil means 200 "ok".
	Reply func(getenv func(string) string) (func(verify.Match) Reply, error)
	// Policy builds, from the function's environment, the policy that
	// decides which verified events are handed on; nil, or a nil Policy,
	// means every verified event is.
	Policy func(env Env) (Policy, error)
}

// Sample is a provider's sample request.
type Sample struct {
	ContentType string
	Body        []byte
}

// Reply is an answer to an accepted request.
type Reply struct {
	// ContentType is the answer's Content-Type.
	ContentType string `json:"contentType"`
	// Body is the answer's body.
	Body string `json:"body"`
}

// OK is the answer to an accepted request of a provider without a Reply.
var OK = Reply{ContentType: "text/plain; charset=utf-8", Body: "ok\n"}

// Env is what a provider's policy is built from.
type Env struct {
	// Getenv reads the function's environment.
	Getenv func(string) string
	// Secrets reads secrets such as a bot token.
	Secrets secrets.Client
	// Sources tells that the function serves several sources: the policy
	// then decides per source, from PolicyEvent.Settings over Getenv.
	Sources bool
}

// Policy decides whether a verified event is handed on. forward=false
// acknowledges the event without handing it on, for reason. An error means
// the decision could not be made (a lookup failed); the caller answers 503
// so that the provider retries.
type Policy interface {
	Decide(ctx context.Context, ev PolicyEvent) (forward bool, reason string, err error)
}

// PolicyEvent is what a policy decides on.
type PolicyEvent struct {
	// Source is the bot or project the webhook was sent to ("" for a
	// single-source deployment).
	Source string
	// Settings are the source's settings (its secret's tags), when any.
	Settings map[string]string
	// Body is the verified body.
	Body []byte
}

// All lists every provider, by name. Each provider's file adds it with
// register.
var All []Provider

// register adds p to All, keeping All sorted by name.
func register(p Provider) Provider {
	i := 0
	for i < len(All) && All[i].Name < p.Name {
		i++
	}
	All = slices.Insert(All, i, p)
	return p
}

// ByName returns the provider called name.
func ByName(name string) (Provider, bool) {
	for _, p := range All {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

// ByFunction returns the provider whose function has logical id id.
func ByFunction(id string) (Provider, bool) {
	for _, p := range All {
		if p.FunctionID == id {
			return p, true
		}
	}
	return Provider{}, false
}

// bodyHash is the identity of an event whose provider gives none: the
// SHA-256 of its body.
func bodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// MaxDedupKeyBytes is the longest dedup key.
const MaxDedupKeyBytes = 200

// dedupKey joins the parts of a provider's event identity with ':'. A key
// that would be too long or hold other than printable ASCII (ids come from
// the body) is replaced by its SHA-256, so the envelope stays small.
func dedupKey(parts ...string) string {
	k := strings.Join(parts, ":")
	if len(k) > MaxDedupKeyBytes || strings.ContainsFunc(k, func(r rune) bool { return r <= 0x20 || r > 0x7e }) {
		return bodyHash([]byte(k))
	}
	return k
}

// shortHash is 16 hex digits of the SHA-256 of parts, each ended by a NUL:
// enough to tell apart the events of one call that share its id and
// status.
func shortHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// isForm reports whether a body of contentType is a form, by the rule the
// verifier applies.
func isForm(contentType string) bool { return verify.IsForm(contentType) }
