// Package webhook is the request path shared by every provider's function:
// rebuild the request from the API Gateway event, verify its signature with
// keys from Secrets Manager, apply an optional policy, hand the event to the
// queue, and answer. The HTTP status of every outcome is decided in one
// place, Classify.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"webhookguard/shared/apigw"
	"webhookguard/shared/queue"
	"webhookguard/shared/secrets"
	"webhookguard/shared/verify"
)

// Keys supplies the current keyring, and a fresh one after a signature
// matched no key. *secrets.Cache implements it.
type Keys interface {
	Keyring(ctx context.Context) (*secrets.Keyring, error)
	Refresh(ctx context.Context, seen *secrets.Keyring) (ring *secrets.Keyring, changed bool, err error)
}

// Policy decides whether a verified event is handed on. Returning
// forward=false acknowledges the event without forwarding it, for the given
// reason; an error means the decision could not be made, and the provider is
// asked to retry. An error should wrap ErrPolicyUnavailable.
type Policy interface {
	Decide(ctx context.Context, body []byte) (forward bool, reason string, err error)
}

// ErrPolicyUnavailable means a policy could not reach what it needed to
// decide.
var ErrPolicyUnavailable = errors.New("webhook: policy unavailable")

// errMethod means the request was not a POST.
var errMethod = errors.New("webhook: method not allowed")

// Handler serves one provider's webhooks.
type Handler struct {
	// Provider names the provider in logs, metrics and envelopes.
	Provider string
	// Keys supplies the signing keys.
	Keys Keys
	// Queue takes accepted events.
	Queue queue.Sender
	// Policy, when set, filters verified events.
	Policy Policy
	// EventType reads the provider's event type from a verified body;
	// optional.
	EventType func(contentType string, body []byte) string
	// Accepted builds the answer to an accepted request; default 200 "ok".
	Accepted func(m verify.Match) apigw.Response
	// UsesURL tells whether the provider signs the URL (SignalWire).
	UsesURL bool
	// PublicURL is the URL configured at the provider, when it cannot be
	// rebuilt from the event (SignalWire only).
	PublicURL string
	// MaxBodyBytes caps the body; default 1 MiB.
	MaxBodyBytes int
	// Timeout bounds the time spent on Secrets Manager, the policy and SQS,
	// so the function answers 503 before the provider or Lambda gives up.
	// Default 4 seconds; the Lambda deadline, less a margin, wins when
	// sooner.
	Timeout time.Duration
	// Log receives one line per request.
	Log *slog.Logger
	// Now returns the time; default time.Now.
	Now func() time.Time
}

// deadlineMargin is kept free before the Lambda deadline to write the
// answer and the log line.
const deadlineMargin = 250 * time.Millisecond

// Handle serves one API Gateway event. It never returns an error: every
// outcome, including failures of dependencies, is an HTTP answer.
func (h *Handler) Handle(ctx context.Context, ev *apigw.Event) (apigw.Response, error) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	start := now()
	rec := record{Provider: h.Provider, RequestID: ev.RequestContext.RequestID}
	resp := h.serve(ctx, ev, start, &rec)
	rec.Status = resp.StatusCode
	rec.Duration = now().Sub(start)
	rec.log(ctx, h.Log)
	return resp, nil
}

func (h *Handler) serve(ctx context.Context, ev *apigw.Event, start time.Time, rec *record) apigw.Response {
	if ev.Method() != http.MethodPost {
		return h.refuse(rec, fmt.Errorf("%w: %s", errMethod, ev.Method()))
	}
	max := h.MaxBodyBytes
	if max <= 0 {
		max = 1 << 20
	}
	rec.BodyBytes = len(ev.Body)
	req, err := ev.Request(apigw.Options{MaxBodyBytes: max, PublicURL: h.PublicURL, WithURL: h.UsesURL})
	if err != nil {
		return h.refuse(rec, err)
	}
	rec.BodyBytes = len(req.Body)

	ctx, cancel := h.budget(ctx, start)
	defer cancel()

	ring, err := h.Keys.Keyring(ctx)
	if err != nil {
		return h.refuse(rec, err)
	}
	vreq := verify.Request{URL: req.URL, Header: req.Header, Body: req.Body}
	m, err := ring.Verifier.Verify(vreq)
	if errors.Is(err, verify.ErrNoMatch) {
		// Perhaps the key was rotated since it was cached.
		fresh, changed, rerr := h.Keys.Refresh(ctx, ring)
		switch {
		case rerr == nil && changed:
			rec.Refreshed = true
			m, err = fresh.Verifier.Verify(vreq)
		case errors.Is(rerr, secrets.ErrUnavailable):
			// Secrets Manager cannot say whether the key is new: ask the
			// provider to retry rather than refuse a genuine request.
			err = rerr
		}
	}
	if err != nil {
		return h.refuse(rec, err)
	}
	rec.KeyStage, rec.Scheme, rec.URLVariant = m.Key, string(m.Scheme), string(m.URLVariant)

	if h.Policy != nil {
		forward, reason, err := h.Policy.Decide(ctx, req.Body)
		if err != nil {
			return h.refuse(rec, err)
		}
		if !forward {
			rec.Outcome, rec.Reason = OutcomeFiltered, reason
			return h.accepted(m)
		}
	}

	env := queue.Envelope{
		Version:     queue.EnvelopeVersion,
		Provider:    h.Provider,
		ContentType: req.Header.Get("Content-Type"),
		KeyStage:    m.Key,
		Scheme:      string(m.Scheme),
		ReceivedAt:  receivedAt(ev, start),
		RequestID:   ev.RequestContext.RequestID,
	}
	if m.URLVariant != "" {
		env.URL = req.URL
	}
	if h.EventType != nil {
		env.EventType = h.EventType(env.ContentType, req.Body)
		rec.EventType = env.EventType
	}
	env.SetBody(req.Body)
	if err := h.Queue.Send(ctx, &env); err != nil {
		return h.refuse(rec, err)
	}
	rec.Outcome = OutcomeAccepted
	return h.accepted(m)
}

// budget bounds ctx by Timeout and by the Lambda deadline less a margin.
func (h *Handler) budget(ctx context.Context, start time.Time) (context.Context, context.CancelFunc) {
	t := h.Timeout
	if t <= 0 {
		t = 4 * time.Second
	}
	deadline := start.Add(t)
	if d, ok := ctx.Deadline(); ok && d.Add(-deadlineMargin).Before(deadline) {
		deadline = d.Add(-deadlineMargin)
	}
	return context.WithDeadline(ctx, deadline)
}

func receivedAt(ev *apigw.Event, fallback time.Time) time.Time {
	if ms := ev.RequestContext.ReceivedAt(); ms > 0 {
		return time.UnixMilli(ms).UTC()
	}
	return fallback.UTC()
}

func (h *Handler) accepted(m verify.Match) apigw.Response {
	if h.Accepted != nil {
		return h.Accepted(m)
	}
	return textResponse(http.StatusOK, "ok\n")
}

// refuse records why the request was refused and answers with the status
// Classify gives, a fixed body, and Retry-After on 503.
func (h *Handler) refuse(rec *record, err error) apigw.Response {
	status, reason := Classify(err)
	rec.Outcome, rec.Reason, rec.Err = OutcomeRejected, reason, err
	if status >= 500 {
		rec.Outcome = OutcomeFailed
	}
	resp := textResponse(status, statusText[status])
	switch status {
	case http.StatusServiceUnavailable:
		resp.Headers["Retry-After"] = RetryAfterSeconds
	case http.StatusMethodNotAllowed:
		resp.Headers["Allow"] = http.MethodPost
	}
	return resp
}

// RetryAfterSeconds is the Retry-After value sent with 503 answers.
const RetryAfterSeconds = "5"

var statusText = map[int]string{
	http.StatusBadRequest:            "bad request\n",
	http.StatusUnauthorized:          "unauthorized\n",
	http.StatusMethodNotAllowed:      "method not allowed\n",
	http.StatusRequestEntityTooLarge: "payload too large\n",
	http.StatusInternalServerError:   "internal error\n",
	http.StatusServiceUnavailable:    "service unavailable, retry later\n",
}

func textResponse(status int, body string) apigw.Response {
	return apigw.Response{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8"},
		Body:       body,
	}
}

// Classify maps an error from the request path to its HTTP status and a
// stable reason code for logs and metrics. It is the one place where a
// status is decided. The first class the error matches wins.
func Classify(err error) (status int, reason string) {
	for _, c := range classes {
		if errors.Is(err, c.err) {
			return c.status, c.reason
		}
	}
	return http.StatusInternalServerError, "internal"
}

var classes = []struct {
	err    error
	status int
	reason string
}{
	{errMethod, http.StatusMethodNotAllowed, "method_not_allowed"},
	{apigw.ErrBodyTooLarge, http.StatusRequestEntityTooLarge, "body_too_large"},
	{apigw.ErrMalformedEvent, http.StatusBadRequest, "malformed_event"},
	{verify.ErrMissingSignature, http.StatusUnauthorized, "missing_signature"},
	{verify.ErrMalformedSignature, http.StatusUnauthorized, "malformed_signature"},
	{verify.ErrNoMatch, http.StatusUnauthorized, "no_key_matched"},
	{verify.ErrSHA256Mismatch, http.StatusUnauthorized, "sha256_mismatch"},
	{verify.ErrBodyHashMismatch, http.StatusUnauthorized, "body_hash_mismatch"},
	{verify.ErrUnsignedBody, http.StatusUnauthorized, "url_only_signature"},
	{verify.ErrMalformedBody, http.StatusBadRequest, "malformed_body"},
	{verify.ErrMalformedURL, http.StatusBadRequest, "malformed_url"},
	// A policy's failure may wrap a Secrets Manager one (its token): the
	// policy is named first.
	{ErrPolicyUnavailable, http.StatusServiceUnavailable, "policy_unavailable"},
	{secrets.ErrUnavailable, http.StatusServiceUnavailable, "secrets_unavailable"},
	{queue.ErrUnavailable, http.StatusServiceUnavailable, "queue_unavailable"},
	{queue.ErrTooLarge, http.StatusRequestEntityTooLarge, "envelope_too_large"},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "timeout"},
}
