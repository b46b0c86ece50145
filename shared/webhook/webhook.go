// Package webhook is the request path shared by every provider's function:
// rebuild the request from the API Gateway event, verify its signature with
// keys from Secrets Manager, refuse replays, apply an optional policy, hand
// the event to its destinations, and answer. The HTTP status of every
// outcome is decided in one place, Classify.
package webhook

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/verify"
)

// Defaults and limits of Config.
const (
	// MaxBodyBytesLimit is the largest MaxBodyBytes: a body of this size
	// always fits in an envelope every destination takes (an SQS message
	// of 1 MiB, an EventBridge entry of at most 1,000,000 bytes),
	// whatever its bytes, since an envelope carries at most 4/3 of the
	// body (base64) plus its fields.
	MaxBodyBytesLimit = 720 << 10
	// DefaultMaxBodyBytes is MaxBodyBytes when unset.
	DefaultMaxBodyBytes = MaxBodyBytesLimit
	// DefaultTimeout is Timeout when unset: inside SignalWire's 5 s read
	// timeout, the shortest of the three providers.
	DefaultTimeout = 4 * time.Second
	// deadlineMargin is kept free before the Lambda deadline to mark the
	// replay-guard record, write the answer and the log line.
	deadlineMargin = 500 * time.Millisecond
	// finishMargin is kept free before the Lambda deadline once the guard
	// is marked: for the answer and the log line.
	finishMargin = 100 * time.Millisecond
)

// SourceParam is the path parameter that names the source on routes
// POST /<provider>/{source}. A source name is a lower-case letter or digit
// followed by up to 62 lower-case letters, digits or dashes
// (secrets.ValidSourceName); any other is refused with 404
// (invalid_source).
const SourceParam = "source"

// Sources gives the keys and settings of each source of a deployment that
// serves several (the {source} of POST /<provider>/{source}). An unknown
// source is an error wrapping secrets.ErrUnknownSource.
type Sources interface {
	Source(ctx context.Context, name string) (keys secrets.Keys, settings map[string]string, err error)
}

// Guard refuses replays: it records each verified request by an identity
// derived from its signature, and tells when one was already handled.
type Guard interface {
	// Begin records the request id as in flight. It fails with
	// ErrDuplicate when id was already handled, ErrInFlight when another
	// copy is being handled, or an error wrapping ErrGuardUnavailable.
	Begin(ctx context.Context, id string) (Ticket, error)
}

// Ticket is a request recorded as in flight by a Guard.
type Ticket interface {
	// Delivered names the destinations an earlier, failed attempt of the
	// same request already delivered to; they are not sent to again.
	Delivered() []string
	// Done records the request as handled.
	Done(ctx context.Context) error
	// Abort withdraws the record after a failure, keeping which
	// destinations were delivered, so the provider's retry is handed on to
	// the others.
	Abort(ctx context.Context, delivered []string) error
}

// Answerer computes the answer to an accepted request from user code: the
// instructions SignalWire waits for in the response to a call or message
// webhook. It gets the same event the destinations get.
type Answerer interface {
	Answer(ctx context.Context, ev *destination.Event) (provider.Reply, error)
}

// AnswerFunc adapts a function to Answerer.
type AnswerFunc func(ctx context.Context, ev *destination.Event) (provider.Reply, error)

// Answer calls f.
func (f AnswerFunc) Answer(ctx context.Context, ev *destination.Event) (provider.Reply, error) {
	return f(ctx, ev)
}

// AnswerName names the answer step in logs, metrics and reasons.
const AnswerName = "answer"

// Errors of the request path, told apart by Classify.
var (
	// ErrPolicyUnavailable means a policy could not reach what it needed
	// to decide.
	ErrPolicyUnavailable = errors.New("webhook: policy unavailable")
	// ErrDuplicate means the request's signature was already handled.
	ErrDuplicate = errors.New("webhook: replayed signature")
	// ErrInFlight means another copy of the request is being handled.
	ErrInFlight = errors.New("webhook: a copy of the request is in flight")
	// ErrGuardUnavailable means the replay guard could not be asked.
	ErrGuardUnavailable = errors.New("webhook: replay guard unavailable")
	// ErrInvalidSource means the route's source is not a source name.
	ErrInvalidSource = errors.New("webhook: invalid source name")
	// ErrBadCredentials means the request lacks the basic-auth credentials
	// of the configured public URL.
	ErrBadCredentials = errors.New("webhook: missing or wrong basic-auth credentials")
	// ErrStaleEvent means a verified event is older than MaxEventAge.
	ErrStaleEvent = errors.New("webhook: event too old")

	errMethod        = errors.New("webhook: method not allowed")
	errNoContentType = errors.New("webhook: an answer without a content type")
)

// Config configures a Handler.
type Config struct {
	// Provider describes the provider served. Required.
	Provider provider.Provider
	// Keys supplies the signing keys of a single-source deployment.
	// Exactly one of Keys and Sources is set.
	Keys secrets.Keys
	// Sources supplies the keys of each source of a deployment serving
	// several, on routes POST /<provider>/{source}.
	Sources Sources
	// Destinations take accepted events.
	Destinations []destination.Destination
	// Answerer, when set, computes the answer to accepted requests. At
	// least one destination or an answerer is required.
	Answerer Answerer
	// Guard, when set, refuses replays and duplicates.
	Guard Guard
	// Policy, when set, filters verified events.
	Policy provider.Policy
	// Reply is the answer to accepted requests when there is no Answerer
	// (and to duplicates); default the provider's, else 200 "ok".
	Reply func(verify.Match) provider.Reply
	// PublicURL is the URL configured at the provider when it cannot be
	// rebuilt from the event (only providers that sign the URL). It may
	// contain {source}, and basic-auth credentials (percent-encoded as in
	// any URL, {source} allowed there too), which requests must then carry
	// in one Authorization: Basic header. The credentials are only
	// compared: they never reach the envelope, logs or metrics.
	PublicURL string
	// MaxBodyBytes caps the body; default DefaultMaxBodyBytes, at most
	// MaxBodyBytesLimit.
	MaxBodyBytes int
	// MaxEventAge, when set, refuses events whose own time (the provider's
	// EventTime) is older.
	MaxEventAge time.Duration
	// Timeout bounds the time spent on dependencies, so the function
	// answers 503 before the provider or Lambda gives up. Default
	// DefaultTimeout; the Lambda deadline, less a margin, wins when sooner.
	Timeout time.Duration
	// Log receives one line per request; nil logs nothing.
	Log *slog.Logger
}

// Handler serves one provider's webhooks. It is safe for concurrent use.
type Handler struct {
	cfg   Config
	reply func(verify.Match) provider.Reply
	// userinfo is the public URL's basic-auth credentials as written,
	// {source} included ("" when none); credentials is them decoded,
	// "user:pass", when they do not depend on the source.
	userinfo    string
	credentials []byte
}

// New validates c, fills in the defaults and returns a Handler.
func New(c Config) (*Handler, error) {
	var errs []error
	p := c.Provider
	if p.Name == "" || p.NewVerifier == nil {
		errs = append(errs, errors.New("a provider with a name and a verifier is required"))
	}
	if (c.Keys == nil) == (c.Sources == nil) {
		errs = append(errs, errors.New("exactly one of Keys and Sources is required"))
	}
	if len(c.Destinations) == 0 && c.Answerer == nil {
		errs = append(errs, errors.New("at least one destination or an answerer is required"))
	}
	if c.Answerer != nil && p.Reply == nil {
		errs = append(errs, fmt.Errorf("%s does not read the answer to its webhooks: an answerer is not used", p.Name))
	}
	seen := map[string]bool{}
	for _, d := range c.Destinations {
		if d == nil || d.Name() == "" || d.Name() == AnswerName || seen[d.Name()] {
			errs = append(errs, errors.New("destinations need distinct names"))
			break
		}
		seen[d.Name()] = true
	}
	switch {
	case c.MaxBodyBytes == 0:
		c.MaxBodyBytes = DefaultMaxBodyBytes
	case c.MaxBodyBytes < 0 || c.MaxBodyBytes > MaxBodyBytesLimit:
		errs = append(errs, fmt.Errorf("MaxBodyBytes %d: want 1 to %d, the largest body whose envelope every destination takes", c.MaxBodyBytes, MaxBodyBytesLimit))
	}
	if c.Timeout < 0 || c.MaxEventAge < 0 {
		errs = append(errs, errors.New("Timeout and MaxEventAge cannot be negative"))
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxEventAge > 0 && p.EventTime == nil {
		errs = append(errs, fmt.Errorf("%s events carry no time to check MaxEventAge against", p.Name))
	}
	h := &Handler{cfg: c, reply: c.Reply}
	if c.PublicURL != "" {
		if !p.SignsURL {
			errs = append(errs, fmt.Errorf("%s does not sign the URL: PublicURL is not used", p.Name))
		}
		switch perSource := strings.Contains(c.PublicURL, secrets.SourcePlaceholder); {
		case c.Sources != nil && !perSource:
			errs = append(errs, errors.New("PublicURL must contain {source}: each source has its own URL"))
		case c.Sources == nil && perSource:
			errs = append(errs, errors.New("PublicURL contains {source} but the handler serves a single source"))
		}
		userinfo, err := userinfoOf(c.PublicURL)
		if err != nil {
			errs = append(errs, err)
		}
		h.userinfo = userinfo
		if userinfo != "" && !strings.Contains(userinfo, "{source}") {
			h.credentials, _ = decodeUserinfo(userinfo)
		}
	}
	if h.reply == nil && p.Reply != nil {
		r, err := p.Reply(func(string) string { return "" })
		if err != nil {
			errs = append(errs, err)
		}
		h.reply = r
	}
	if h.reply == nil {
		h.reply = func(verify.Match) provider.Reply { return provider.OK }
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return h, nil
}

// userinfoOf returns the basic-auth credentials of a public URL as written
// ("user:pass", "" when it has none). The URL is split as the verifier
// splits it: the credentials end at the last '@' before the path.
func userinfoOf(publicURL string) (string, error) {
	resolved := strings.ReplaceAll(publicURL, "{source}", "source")
	u, err := url.Parse(withoutUserinfo(resolved))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", errors.New("PublicURL is not an absolute URL")
	}
	_, rest, _ := strings.Cut(publicURL, "://")
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return "", nil
	}
	userinfo := rest[:at]
	if _, err := decodeUserinfo(strings.ReplaceAll(userinfo, "{source}", "source")); err != nil {
		return "", errors.New("PublicURL has credentials with a bad %-escape")
	}
	return userinfo, nil
}

// decodeUserinfo returns the "user:pass" a client sends in Basic
// credentials for a URL's userinfo: user and password percent-decoded ('+'
// stays '+'), joined by ':'.
func decodeUserinfo(userinfo string) ([]byte, error) {
	user, pass, _ := strings.Cut(userinfo, ":")
	u, err := url.PathUnescape(user)
	if err != nil {
		return nil, err
	}
	p, err := url.PathUnescape(pass)
	if err != nil {
		return nil, err
	}
	return []byte(u + ":" + p), nil
}

// Provider returns the provider served.
func (h *Handler) Provider() provider.Provider { return h.cfg.Provider }

// Handle serves one API Gateway event. It never returns an error: every
// outcome, including failures of dependencies, is an HTTP answer.
func (h *Handler) Handle(ctx context.Context, ev *apigw.Event) (apigw.Response, error) {
	start := time.Now()
	rec := record{Provider: h.cfg.Provider.Name, RequestID: ev.RequestContext.RequestID}
	resp := h.serve(ctx, ev, start, &rec)
	rec.Status = resp.StatusCode
	rec.Duration = time.Since(start)
	rec.log(ctx, h.cfg.Log)
	return resp, nil
}

func (h *Handler) serve(ctx context.Context, ev *apigw.Event, start time.Time, rec *record) apigw.Response {
	p := h.cfg.Provider
	if ev.Method() != http.MethodPost {
		return h.refuse(rec, fmt.Errorf("%w: %s", errMethod, ev.Method()))
	}
	source, hasSource := ev.PathParameters[SourceParam]
	switch {
	case h.cfg.Sources == nil && hasSource:
		return h.refuse(rec, fmt.Errorf("%w: this function serves a single source", secrets.ErrUnknownSource))
	case h.cfg.Sources != nil && !secrets.ValidSourceName(source):
		return h.refuse(rec, ErrInvalidSource)
	}
	rec.Source = source
	publicURL := strings.ReplaceAll(h.cfg.PublicURL, "{source}", source)
	rec.BodyBytes = len(ev.Body)
	req, err := ev.Request(apigw.Options{MaxBodyBytes: h.cfg.MaxBodyBytes, PublicURL: publicURL, SignsURL: p.SignsURL})
	if err != nil {
		return h.refuse(rec, err)
	}
	rec.BodyBytes = len(req.Body)
	if h.userinfo != "" && !h.authorized(req.Header, source) {
		return h.refuse(rec, ErrBadCredentials)
	}

	invocation := ctx
	ctx, cancel := h.budget(ctx, start)
	defer cancel()

	keys, settings := h.cfg.Keys, map[string]string(nil)
	if h.cfg.Sources != nil {
		if keys, settings, err = h.cfg.Sources.Source(ctx, source); err != nil {
			return h.refuse(rec, err)
		}
		rec.SourceKnown = true
	}
	m, err := h.verify(ctx, keys, verify.Request{URL: req.URL, Header: req.Header, Body: req.Body}, rec)
	if err != nil {
		return h.refuse(rec, err)
	}
	rec.KeyStage, rec.Scheme, rec.URLVariant = m.Key, string(m.Scheme), string(m.URLVariant)

	if h.cfg.MaxEventAge > 0 {
		if t, ok := p.EventTime(req.Body); ok && time.Since(t) > h.cfg.MaxEventAge {
			return h.refuse(rec, fmt.Errorf("%w: %s old, limit %s", ErrStaleEvent, time.Since(t).Round(time.Second), h.cfg.MaxEventAge))
		}
	}

	contentType := req.Header.Get("Content-Type")
	env := &envelope.Envelope{
		Version:     envelope.Version,
		Provider:    p.Name,
		Source:      source,
		ContentType: contentType,
		KeyStage:    m.Key,
		Scheme:      string(m.Scheme),
		ReceivedAt:  receivedAt(ev, start),
		RequestID:   ev.RequestContext.RequestID,
	}
	if m.URLVariant != "" {
		env.URL = withoutUserinfo(req.URL)
	}
	if p.EventType != nil {
		env.EventType = CleanEventType(p.EventType(contentType, req.Body))
		rec.EventType = env.EventType
	}
	if p.DedupKey != nil {
		env.DedupKey = p.DedupKey(contentType, req.Body)
	}

	var ticket Ticket
	if h.cfg.Guard != nil {
		ticket, err = h.cfg.Guard.Begin(ctx, GuardID(p.Name, source, m))
		if errors.Is(err, ErrDuplicate) {
			rec.Outcome, rec.Reason = OutcomeDuplicate, ReasonReplayedSignature
			return h.answer(http.StatusOK, h.reply(m))
		}
		if err != nil {
			return h.refuse(rec, err)
		}
	}

	if h.cfg.Policy != nil {
		forward, reason, err := h.cfg.Policy.Decide(ctx, provider.PolicyEvent{Source: source, Settings: settings, Body: req.Body})
		if err != nil {
			h.abort(invocation, ticket, nil, rec)
			return h.refuse(rec, fmt.Errorf("%w: %w", ErrPolicyUnavailable, err))
		}
		if !forward {
			h.done(invocation, ticket, rec)
			rec.Outcome, rec.Reason = OutcomeFiltered, reason
			return h.answer(http.StatusOK, h.reply(m))
		}
	}

	env.SetBody(req.Body)
	raw, err := env.Marshal()
	if err != nil {
		h.abort(invocation, ticket, nil, rec)
		return h.refuse(rec, err)
	}
	reply, delivered, err := h.deliver(ctx, &destination.Event{Envelope: env, JSON: raw}, ticket, rec)
	if err != nil {
		h.abort(invocation, ticket, delivered, rec)
		return h.refuse(rec, err)
	}
	h.done(invocation, ticket, rec)
	rec.Outcome = OutcomeAccepted
	if h.cfg.Answerer == nil {
		reply = h.reply(m)
	}
	return h.answer(http.StatusOK, reply)
}

// verify checks the request against the keys, reloading them once when no
// key matched, in case the secret was rotated since it was cached.
func (h *Handler) verify(ctx context.Context, keys secrets.Keys, vreq verify.Request, rec *record) (verify.Match, error) {
	ring, err := keys.Keyring(ctx)
	if err != nil {
		return verify.Match{}, err
	}
	m, err := ring.Verifier.Verify(ctx, vreq)
	if !errors.Is(err, verify.ErrNoMatch) {
		return m, err
	}
	fresh, changed, rerr := keys.Refresh(ctx, ring)
	switch {
	case rerr == nil && changed:
		rec.Refreshed = true
		return fresh.Verifier.Verify(ctx, vreq)
	case errors.Is(rerr, secrets.ErrUnavailable), errors.Is(rerr, context.DeadlineExceeded), errors.Is(rerr, context.Canceled):
		// Secrets Manager cannot say whether the key is new: ask the
		// provider to retry rather than refuse a genuine request.
		return m, rerr
	}
	return m, err
}

// deliver hands ev to every destination not yet delivered by an earlier
// attempt, and to the answerer, concurrently. It returns the answer, the
// destinations that took the event, and the first failure.
func (h *Handler) deliver(ctx context.Context, ev *destination.Event, ticket Ticket, rec *record) (provider.Reply, []string, error) {
	var done map[string]bool
	if ticket != nil {
		for _, d := range ticket.Delivered() {
			if done == nil {
				done = map[string]bool{}
			}
			done[d] = true
		}
	}
	type step struct {
		name string
		run  func(context.Context) error
	}
	var steps []step
	for _, d := range h.cfg.Destinations {
		if done[d.Name()] {
			rec.destination(d.Name(), DeliverySkipped, 0)
			continue
		}
		steps = append(steps, step{d.Name(), func(ctx context.Context) error { return d.Send(ctx, ev) }})
	}
	var reply provider.Reply
	if h.cfg.Answerer != nil {
		steps = append(steps, step{AnswerName, func(ctx context.Context) error {
			r, err := h.cfg.Answerer.Answer(ctx, ev)
			if err == nil && r.ContentType == "" {
				err = errNoContentType
			}
			if err != nil {
				var de *destination.Error
				if !errors.As(err, &de) {
					err = &destination.Error{Destination: AnswerName, Err: fmt.Errorf("%w: %w", destination.ErrUnavailable, err)}
				}
				return err
			}
			reply = r
			return nil
		}})
	}
	errs := make([]error, len(steps))
	took := make([]time.Duration, len(steps))
	run := func(i int) {
		t0 := time.Now()
		errs[i] = steps[i].run(ctx)
		took[i] = time.Since(t0)
	}
	if len(steps) == 1 {
		run(0)
	} else {
		var wg sync.WaitGroup
		for i := range steps {
			wg.Add(1)
			go func() { defer wg.Done(); run(i) }()
		}
		wg.Wait()
	}
	var delivered []string
	for d := range done {
		delivered = append(delivered, d)
	}
	var first error
	for i, s := range steps {
		if errs[i] != nil {
			rec.destination(s.name, DeliveryFailed, took[i])
			first = worse(first, errs[i])
			continue
		}
		rec.destination(s.name, DeliveryDone, took[i])
		if s.name != AnswerName {
			delivered = append(delivered, s.name)
		}
	}
	return reply, delivered, first
}

// worse returns the failure that decides the answer: one that retrying
// cannot mend (413) over one worth retrying (503).
func worse(a, b error) error {
	if a == nil {
		return b
	}
	sa, _ := Classify(a)
	sb, _ := Classify(b)
	if sb != http.StatusServiceUnavailable && sa == http.StatusServiceUnavailable {
		return b
	}
	return a
}

// done records the request as handled; a failure is logged, never turned
// into a refusal, since the event was handed on.
func (h *Handler) done(invocation context.Context, t Ticket, rec *record) {
	if t == nil {
		return
	}
	ctx, cancel := guardContext(invocation)
	defer cancel()
	if err := t.Done(ctx); err != nil {
		rec.GuardErr = err
	}
}

// abort withdraws the request's record so the provider's retry is handed
// on.
func (h *Handler) abort(invocation context.Context, t Ticket, delivered []string, rec *record) {
	if t == nil {
		return
	}
	ctx, cancel := guardContext(invocation)
	defer cancel()
	if err := t.Abort(ctx, delivered); err != nil {
		rec.GuardErr = err
	}
}

// guardContext is the context of marking a ticket: not the request's
// budget, which may be spent, but up to the Lambda deadline less the time
// to answer. The guard bounds its own calls too.
func guardContext(invocation context.Context) (context.Context, context.CancelFunc) {
	ctx := context.WithoutCancel(invocation)
	if d, ok := invocation.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-finishMargin))
	}
	return context.WithCancel(ctx)
}

// GuardID is the identity under which a Guard records a verified request:
// the provider, the source and the SHA-256 of the signature that matched,
// never the signature itself.
func GuardID(providerName, source string, m verify.Match) string {
	return providerName + "#" + source + "#" + hex.EncodeToString(m.Digest[:])
}

// CleanEventType returns s when it is short printable ASCII fit for a
// message attribute (letters, digits and ._:/-, at most 64), else "".
func CleanEventType(s string) string {
	if len(s) > 64 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._:/-", c) >= 0) {
			return ""
		}
	}
	return s
}

// authorized reports whether the request carries, in one Authorization
// header, the basic-auth credentials of the public URL (for source). The
// credentials are compared decoded, in constant time, and never copied
// anywhere.
func (h *Handler) authorized(hdr http.Header, source string) bool {
	vs := hdr.Values("Authorization")
	if len(vs) != 1 {
		return false
	}
	scheme, creds, ok := strings.Cut(strings.TrimSpace(vs[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(creds))
	if err != nil {
		return false
	}
	want := h.credentials
	if want == nil {
		if want, err = decodeUserinfo(strings.ReplaceAll(h.userinfo, "{source}", source)); err != nil {
			return false
		}
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}

// withoutUserinfo returns u without basic-auth credentials.
func withoutUserinfo(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		rest = rest[at+1:]
	}
	return scheme + "://" + rest
}

// budget bounds ctx by Timeout and by the Lambda deadline less a margin.
func (h *Handler) budget(ctx context.Context, start time.Time) (context.Context, context.CancelFunc) {
	deadline := start.Add(h.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Add(-deadlineMargin).Before(deadline) {
		deadline = d.Add(-deadlineMargin)
	}
	return context.WithDeadline(ctx, deadline)
}

// receivedAt is when API Gateway received the request. Events carry Unix
// milliseconds; sam local sends seconds, which are read as such.
func receivedAt(ev *apigw.Event, fallback time.Time) time.Time {
	if t := ev.RequestContext.ReceivedAt(); !t.IsZero() {
		return t.UTC()
	}
	return fallback.UTC()
}

func (h *Handler) answer(status int, r provider.Reply) apigw.Response {
	return apigw.Response{StatusCode: status, Headers: map[string]string{"Content-Type": r.ContentType}, Body: r.Body}
}

// refuse records why the request was refused and answers with the status
// Classify gives, a fixed body, and Retry-After on 503.
func (h *Handler) refuse(rec *record, err error) apigw.Response {
	status, reason := Classify(err)
	rec.Outcome, rec.Reason, rec.Err = OutcomeRejected, reason, err
	if status >= 500 {
		rec.Outcome = OutcomeFailed
	}
	resp := h.answer(status, provider.Reply{ContentType: "text/plain; charset=utf-8", Body: statusText[status]})
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
	http.StatusNotFound:              "not found\n",
	http.StatusMethodNotAllowed:      "method not allowed\n",
	http.StatusRequestEntityTooLarge: "payload too large\n",
	http.StatusInternalServerError:   "internal error\n",
	http.StatusServiceUnavailable:    "service unavailable, retry later\n",
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
	var de *destination.Error
	if errors.As(err, &de) {
		switch {
		case errors.Is(err, destination.ErrTooLarge):
			return http.StatusRequestEntityTooLarge, "envelope_too_large"
		case errors.Is(err, destination.ErrRejected):
			return http.StatusRequestEntityTooLarge, "envelope_rejected"
		default:
			return http.StatusServiceUnavailable, de.Destination + "_unavailable"
		}
	}
	for _, c := range lateClasses {
		if errors.Is(err, c.err) {
			return c.status, c.reason
		}
	}
	return http.StatusInternalServerError, "internal"
}

type class struct {
	err    error
	status int
	reason string
}

var classes = []class{
	{errMethod, http.StatusMethodNotAllowed, "method_not_allowed"},
	{ErrInvalidSource, http.StatusNotFound, "invalid_source"},
	{secrets.ErrUnknownSource, http.StatusNotFound, "unknown_source"},
	{apigw.ErrBodyTooLarge, http.StatusRequestEntityTooLarge, "body_too_large"},
	{apigw.ErrMalformedEvent, http.StatusBadRequest, "malformed_event"},
	{ErrBadCredentials, http.StatusUnauthorized, "bad_credentials"},
	{verify.ErrMissingSignature, http.StatusUnauthorized, "missing_signature"},
	{verify.ErrMalformedSignature, http.StatusUnauthorized, "malformed_signature"},
	{verify.ErrNoMatch, http.StatusUnauthorized, "no_key_matched"},
	{verify.ErrSHA256Mismatch, http.StatusUnauthorized, "sha256_mismatch"},
	{verify.ErrBodyHashMismatch, http.StatusUnauthorized, "body_hash_mismatch"},
	{verify.ErrUnsignedBody, http.StatusUnauthorized, "url_only_signature"},
	{verify.ErrSchemeMismatch, http.StatusUnauthorized, "scheme_mismatch"},
	{verify.ErrMalformedBody, http.StatusBadRequest, "malformed_body"},
	{verify.ErrMalformedURL, http.StatusBadRequest, "malformed_url"},
	{ErrStaleEvent, http.StatusUnauthorized, "stale_event"},
	{ErrInFlight, http.StatusServiceUnavailable, "in_flight"},
	{ErrGuardUnavailable, http.StatusServiceUnavailable, "dedup_unavailable"},
	// A policy's failure may wrap a Secrets Manager one (its token): the
	// policy is named first.
	{ErrPolicyUnavailable, http.StatusServiceUnavailable, "policy_unavailable"},
	{secrets.ErrUnavailable, http.StatusServiceUnavailable, "secrets_unavailable"},
}

// lateClasses are read after destination errors, which may wrap them.
var lateClasses = []class{
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "timeout"},
	{context.Canceled, http.StatusServiceUnavailable, "timeout"},
}
