package webhook_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/verify"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

const (
	currentKey  = "current-secret-value"
	previousKey = "previous-secret-value"
	host        = "abc123.execute-api.eu-west-1.amazonaws.com"
)

// memQueue is an in-memory destination stand-in.
type memQueue struct {
	mu   sync.Mutex
	got  []envelope.Envelope
	fail error
}

func (q *memQueue) Name() string { return "queue" }

func (q *memQueue) Send(_ context.Context, ev *destination.Event) error {
	if q.fail != nil {
		return q.fail
	}
	back, err := envelope.Decode(ev.JSON)
	if err != nil {
		return err
	}
	q.mu.Lock()
	q.got = append(q.got, *back)
	q.mu.Unlock()
	return nil
}

// mustNew builds a handler or fails the test.
func mustNew(t testing.TB, c webhook.Config) *webhook.Handler {
	t.Helper()
	h, err := webhook.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// queueUnavailable is an SQS failure as the queue destination reports it.
var queueUnavailable = &destination.Error{Destination: "queue", Err: destination.ErrUnavailable}

// fakeKeys serves a keyring, and another one after a refresh.
type fakeKeys struct {
	ring, next *secrets.Keyring
	err        error
	refreshes  int
}

func (k *fakeKeys) Keyring(context.Context) (*secrets.Keyring, error) { return k.ring, k.err }

func (k *fakeKeys) Refresh(context.Context, *secrets.Keyring) (*secrets.Keyring, bool, error) {
	k.refreshes++
	if k.next == nil {
		return k.ring, false, secrets.ErrThrottled
	}
	k.ring, k.next = k.next, nil
	return k.ring, true, nil
}

func ring(t testing.TB, p provider.Provider, secrets_ ...string) *secrets.Keyring {
	t.Helper()
	names := []string{"AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"}
	var keys []verify.Key
	for i, s := range secrets_ {
		keys = append(keys, verify.Key{Name: names[i], Secret: []byte(s)})
	}
	v, err := p.NewVerifier(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return &secrets.Keyring{Verifier: v, Fetched: time.Now()}
}

// request describes one webhook delivery for a test.
type request struct {
	provider    provider.Provider
	v1          bool
	method      string
	contentType string
	body        []byte
	signWith    string
	query       string
	tamper      func(h http.Header)
	sent        []byte // when set, the body sent instead of the signed one
}

func (r request) event(t testing.TB) []byte {
	t.Helper()
	path := "/" + r.provider.Name
	url := "https://" + host + path
	if r.query != "" {
		url += "?" + r.query
	}
	h := http.Header{"Content-Type": {r.contentType}, "User-Agent": {"provider"}}
	if r.signWith != "" {
		sig, err := r.provider.Sign([]byte(r.signWith), url, r.contentType, r.body)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range sig {
			h[k] = vs
		}
	}
	if r.tamper != nil {
		r.tamper(h)
	}
	body := r.body
	if r.sent != nil {
		body = r.sent
	}
	in := apigw.Incoming{Method: orPost(r.method), Host: host, Path: path, RawQuery: r.query, Header: h, Body: body,
		Stage: "$default", RequestID: "req-1", Time: time.UnixMilli(1763812800000)}
	ev := apigw.V2Event(in)
	if r.v1 {
		in.Path, in.Stage = path, ""
		ev = apigw.V1Event(in)
		ev.RequestContext.Path = path
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func orPost(m string) string {
	if m == "" {
		return "POST"
	}
	return m
}

// invoke runs the event through aws-lambda-go's handler machinery, as the
// Lambda runtime does.
func invoke(t testing.TB, h *webhook.Handler, event []byte) apigw.Response {
	t.Helper()
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), event)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp apigw.Response
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	return resp
}

func TestHandler(t *testing.T) {
	t.Parallel()
	webexBody := []byte(`{"id":"W1","resource":"messages","event":"created","actorId":"P1","data":{"id":"M1","personEmail":"zoë@example.com"}}`)
	qiscusBody := []byte("{\"type\":\"post_comment_mobile\",\"payload\":{\"message\":{\"text\":\"halo 👋\"}}}")
	formBody := []byte("CallSid=CA1&CallStatus=ringing&From=%2B15551234567&To=%2B15557654321&To=%2B15550000000")
	swmlBody := []byte(`{"call":{"call_id":"c1","call_state":"created"},"vars":{}}`)
	const xmlOK = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

	tests := []struct {
		name          string
		req           request
		keysErr       error
		queueErr      error
		wantStatus    int
		wantBody      string
		wantForwarded []byte
		wantStage     string
		wantEventType string
		wantReason    string
	}{
		{"accepts a Webex event from an HTTP API", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: currentKey}, nil, nil, 200, "ok\n", webexBody, "AWSCURRENT", "messages.created", "none"},
		{"accepts a Webex event from a REST API", request{provider: provider.Webex, v1: true, contentType: "application/json", body: webexBody, signWith: currentKey}, nil, nil, 200, "ok\n", webexBody, "AWSCURRENT", "messages.created", "none"},
		{"accepts a Webex event signed with the previous key", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: previousKey}, nil, nil, 200, "ok\n", webexBody, "AWSPREVIOUS", "messages.created", "none"},
		{"accepts a Qiscus event with an emoji", request{provider: provider.Qiscus, contentType: "application/json", body: qiscusBody, signWith: currentKey}, nil, nil, 200, "ok\n", qiscusBody, "AWSCURRENT", "post_comment_mobile", "none"},
		{"accepts a Qiscus body that is not UTF-8", request{provider: provider.Qiscus, contentType: "application/octet-stream", body: []byte{0xff, 0xfe, 'x'}, signWith: currentKey}, nil, nil, 200, "ok\n", []byte{0xff, 0xfe, 'x'}, "AWSCURRENT", "", "none"},
		{"accepts a SignalWire cXML form delivered base64 by an HTTP API", request{provider: provider.SignalWire, contentType: "application/x-www-form-urlencoded", body: formBody, signWith: currentKey, query: "tenant=o'brien"}, nil, nil, 200, xmlOK, formBody, "AWSCURRENT", "call.ringing", "none"},
		{"accepts a SignalWire cXML form from a REST API", request{provider: provider.SignalWire, v1: true, contentType: "application/x-www-form-urlencoded", body: formBody, signWith: currentKey}, nil, nil, 200, xmlOK, formBody, "AWSCURRENT", "call.ringing", "none"},
		{"accepts a SWML call webhook", request{provider: provider.SignalWire, contentType: "application/json", body: swmlBody, signWith: currentKey}, nil, nil, 200, "{}", swmlBody, "AWSCURRENT", "call.created", "none"},
		{"refuses a Webex event signed with an unknown key", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: "forger"}, nil, nil, 401, "unauthorized\n", nil, "", "", "no_key_matched"},
		{"refuses a Qiscus event without a signature", request{provider: provider.Qiscus, contentType: "application/json", body: qiscusBody}, nil, nil, 401, "unauthorized\n", nil, "", "", "missing_signature"},
		{"refuses a SignalWire form whose body was altered", request{provider: provider.SignalWire, contentType: "application/x-www-form-urlencoded", body: formBody, signWith: currentKey, query: "x=1", sent: append([]byte("Extra=1&"), formBody...)}, nil, nil, 401, "unauthorized\n", nil, "", "", "no_key_matched"},
		{"refuses a SignalWire JSON webhook whose SHA-256 signature was swapped", request{provider: provider.SignalWire, contentType: "application/json", body: swmlBody, signWith: currentKey, tamper: func(h http.Header) {
			h.Set(verify.HeaderSignalWireSHA256, strings.Repeat("ab", 32))
		}}, nil, nil, 401, "unauthorized\n", nil, "", "", "sha256_mismatch"},
		{"refuses a Webex signature sent twice", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: currentKey, tamper: func(h http.Header) {
			h.Add(verify.HeaderWebex, h.Get(verify.HeaderWebex))
		}}, nil, nil, 401, "unauthorized\n", nil, "", "", "malformed_signature"},
		{"refuses a GET", request{provider: provider.Webex, method: "GET", signWith: currentKey}, nil, nil, 405, "method not allowed\n", nil, "", "", "method_not_allowed"},
		{"refuses a body over the limit", request{provider: provider.Webex, contentType: "application/json", body: bytes.Repeat([]byte("a"), 2048), signWith: currentKey}, nil, nil, 413, "payload too large\n", nil, "", "", "body_too_large"},
		{"answers 503 when the keys cannot be loaded", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: currentKey}, secrets.ErrUnavailable, nil, 503, "service unavailable, retry later\n", nil, "", "", "secrets_unavailable"},
		{"answers 503 when the queue refuses", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: currentKey}, nil, queueUnavailable, 503, "service unavailable, retry later\n", nil, "", "", "queue_unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := &memQueue{fail: tc.queueErr}
			var logs bytes.Buffer
			h := mustNew(t, webhook.Config{
				Provider:     tc.req.provider,
				Keys:         &fakeKeys{ring: ring(t, tc.req.provider, currentKey, previousKey), err: tc.keysErr},
				Destinations: []destination.Destination{q},
				MaxBodyBytes: 1024,
				Log:          slog.New(slog.NewJSONHandler(&logs, nil)),
			})
			resp := invoke(t, h, tc.req.event(t))
			if resp.StatusCode != tc.wantStatus || resp.Body != tc.wantBody {
				t.Fatalf("response = %d %q, want %d %q", resp.StatusCode, resp.Body, tc.wantStatus, tc.wantBody)
			}
			if reason := reasonOf(t, logs.String()); reason != tc.wantReason {
				t.Fatalf("reason %q, want %q", reason, tc.wantReason)
			}
			if tc.wantStatus == 503 && resp.Headers["Retry-After"] != webhook.RetryAfterSeconds {
				t.Fatalf("503 without Retry-After: %v", resp.Headers)
			}
			if tc.wantForwarded == nil {
				if len(q.got) != 0 {
					t.Fatalf("forwarded %d events, want none", len(q.got))
				}
			} else {
				if len(q.got) != 1 {
					t.Fatalf("forwarded %d events, want 1", len(q.got))
				}
				e := q.got[0]
				raw, err := e.RawBody()
				if err != nil || !bytes.Equal(raw, tc.wantForwarded) {
					t.Fatalf("forwarded body = %q (%v), want %q", raw, err, tc.wantForwarded)
				}
				if e.Provider != tc.req.provider.Name || e.KeyStage != tc.wantStage || e.EventType != tc.wantEventType || e.RequestID != "req-1" || e.ReceivedAt.UnixMilli() != 1763812800000 {
					t.Fatalf("envelope = %+v", e)
				}
			}
			assertSafeLog(t, logs.String(), tc.req.body)
		})
	}
}

// assertSafeLog checks the request produced exactly one JSON line holding
// no secret, signature or body.
func assertSafeLog(t *testing.T, logs string, body []byte) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1: %s", len(lines), logs)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("log line is not JSON: %v", err)
	}
	for _, k := range []string{"provider", "outcome", "reason", "status", "keyStage", "bodyBytes", "durationMs", "_aws"} {
		if _, ok := rec[k]; !ok {
			t.Fatalf("log line lacks %q: %s", k, lines[0])
		}
	}
	for _, secret := range []string{currentKey, previousKey, "forger"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log line carries a secret: %s", lines[0])
		}
	}
	if len(body) > 8 && strings.Contains(logs, string(body[:8])) {
		t.Fatalf("log line carries the body: %s", lines[0])
	}
}

func TestHandlerPicksUpARotatedKeyOnce(t *testing.T) {
	t.Parallel()
	body := []byte(`{"resource":"messages","event":"created"}`)
	keys := &fakeKeys{ring: ring(t, provider.Webex, "old"), next: ring(t, provider.Webex, "new", "old")}
	q := &memQueue{}
	var logs bytes.Buffer
	h := mustNew(t, webhook.Config{Provider: provider.Webex, Keys: keys, Destinations: []destination.Destination{q}, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	resp := invoke(t, h, request{provider: provider.Webex, contentType: "application/json", body: body, signWith: "new"}.event(t))
	if resp.StatusCode != 200 || keys.refreshes != 1 || len(q.got) != 1 || q.got[0].KeyStage != "AWSCURRENT" {
		t.Fatalf("status %d, refreshes %d, forwarded %d", resp.StatusCode, keys.refreshes, len(q.got))
	}
	logs.Reset()
	resp = invoke(t, h, request{provider: provider.Webex, contentType: "application/json", body: body, signWith: "forger"}.event(t))
	if reason := reasonOf(t, logs.String()); resp.StatusCode != 401 || reason != "no_key_matched" || keys.refreshes != 2 || len(q.got) != 1 {
		t.Fatalf("forged: status %d reason %q, refreshes %d, forwarded %d", resp.StatusCode, reason, keys.refreshes, len(q.got))
	}
}

type policyFunc func(ctx context.Context, body []byte) (bool, string, error)

func (f policyFunc) Decide(ctx context.Context, ev provider.PolicyEvent) (bool, string, error) {
	return f(ctx, ev.Body)
}

func TestHandlerPolicy(t *testing.T) {
	t.Parallel()
	body := []byte(`{"resource":"messages","event":"created"}`)
	tests := []struct {
		name          string
		policy        policyFunc
		wantStatus    int
		wantForwarded int
		wantReason    string
	}{
		{"forwards what the policy allows", func(context.Context, []byte) (bool, string, error) { return true, "", nil }, 200, 1, "none"},
		{"acknowledges and drops what the policy refuses", func(context.Context, []byte) (bool, string, error) { return false, "sender_not_allowed", nil }, 200, 0, "sender_not_allowed"},
		{"answers 503 when the policy cannot decide", func(context.Context, []byte) (bool, string, error) {
			return false, "", errors.New("people lookup failed")
		}, 503, 0, "policy_unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := &memQueue{}
			var logs bytes.Buffer
			h := mustNew(t, webhook.Config{Provider: provider.Webex, Keys: &fakeKeys{ring: ring(t, provider.Webex, currentKey)}, Destinations: []destination.Destination{q}, Policy: tc.policy,
				Log: slog.New(slog.NewJSONHandler(&logs, nil))})
			resp := invoke(t, h, request{provider: provider.Webex, contentType: "application/json", body: body, signWith: currentKey}.event(t))
			if resp.StatusCode != tc.wantStatus || len(q.got) != tc.wantForwarded || reasonOf(t, logs.String()) != tc.wantReason {
				t.Fatalf("status %d forwarded %d log %s", resp.StatusCode, len(q.got), logs.String())
			}
		})
	}
}

func TestHandlerAnswersBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	slow := &slowKeys{}
	var logs bytes.Buffer
	h := mustNew(t, webhook.Config{Provider: provider.Webex, Keys: slow, Destinations: []destination.Destination{&memQueue{}}, Timeout: 50 * time.Millisecond,
		Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	resp := invoke(t, h, request{provider: provider.Webex, contentType: "application/json", body: []byte("{}"), signWith: currentKey}.event(t))
	if reason := reasonOf(t, logs.String()); resp.StatusCode != 503 || reason != "timeout" || !errors.Is(slow.err, context.DeadlineExceeded) {
		t.Fatalf("status %d reason %q, dependency saw %v; want 503 timeout after the deadline", resp.StatusCode, reason, slow.err)
	}
}

// slowKeys waits for its context to end, as a dependency that hangs.
type slowKeys struct{ err error }

func (s *slowKeys) Keyring(ctx context.Context) (*secrets.Keyring, error) {
	<-ctx.Done()
	s.err = ctx.Err()
	return nil, ctx.Err()
}

func (s *slowKeys) Refresh(ctx context.Context, _ *secrets.Keyring) (*secrets.Keyring, bool, error) {
	return nil, false, ctx.Err()
}

func TestClassifyDecidesEveryStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err        error
		wantStatus int
		wantReason string
	}{
		{verify.ErrMissingSignature, 401, "missing_signature"},
		{verify.ErrMalformedSignature, 401, "malformed_signature"},
		{verify.ErrNoMatch, 401, "no_key_matched"},
		{verify.ErrSHA256Mismatch, 401, "sha256_mismatch"},
		{verify.ErrBodyHashMismatch, 401, "body_hash_mismatch"},
		{verify.ErrUnsignedBody, 401, "url_only_signature"},
		{verify.ErrSchemeMismatch, 401, "scheme_mismatch"},
		{webhook.ErrBadCredentials, 401, "bad_credentials"},
		{verify.ErrMalformedBody, 400, "malformed_body"},
		{verify.ErrMalformedURL, 400, "malformed_url"},
		{apigw.ErrMalformedEvent, 400, "malformed_event"},
		{apigw.ErrBodyTooLarge, 413, "body_too_large"},
		{&destination.Error{Destination: "queue", Err: destination.ErrTooLarge}, 413, "envelope_too_large"},
		{&destination.Error{Destination: "bus", Err: destination.ErrRejected}, 413, "envelope_rejected"},
		{&destination.Error{Destination: "bus", Err: destination.ErrUnavailable}, 503, "bus_unavailable"},
		{&destination.Error{Destination: "answer", Err: context.DeadlineExceeded}, 503, "answer_unavailable"},
		{secrets.ErrUnavailable, 503, "secrets_unavailable"},
		{webhook.ErrInFlight, 503, "in_flight"},
		{fmt.Errorf("%w: %w", webhook.ErrGuardUnavailable, context.DeadlineExceeded), 503, "dedup_unavailable"},
		{webhook.ErrStaleEvent, 401, "stale_event"},
		{queueUnavailable, 503, "queue_unavailable"},
		{webhook.ErrPolicyUnavailable, 503, "policy_unavailable"},
		{context.DeadlineExceeded, 503, "timeout"},
		{errors.New("anything else"), 500, "internal"},
	}
	for _, tc := range tests {
		status, reason := webhook.Classify(fmtWrap(tc.err))
		if status != tc.wantStatus || reason != tc.wantReason {
			t.Errorf("Classify(%v) = %d %s, want %d %s", tc.err, status, reason, tc.wantStatus, tc.wantReason)
		}
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("context"), err) }

// logLine returns the one JSON line the handler logged.
func logLine(t testing.TB, logs string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1: %s", len(lines), logs)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("log line is not JSON: %v", err)
	}
	return rec
}

// reasonOf returns the reason of the one JSON line the handler logged.
func reasonOf(t testing.TB, logs string) string {
	t.Helper()
	r, _ := logLine(t, logs)["reason"].(string)
	return r
}

func TestBasicAuthCredentials(t *testing.T) {
	t.Parallel()
	const (
		user, pass = "bob", "s3cr@t+x"
		path       = "/signalwire"
	)
	body := []byte("CallSid=CA1&CallStatus=ringing&From=%2B15551234567")
	withCreds := "https://" + user + ":s3cr%40t+x@" + host + path // as entered at SignalWire
	bare := "https://" + host + path
	basic := func(creds string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(creds)) }
	tests := []struct {
		name       string
		publicURL  string
		source     string
		signedURL  string
		auth       []string
		wantStatus int
		wantReason string
	}{
		{"accepts a message webhook signed with the credentials in the URL", withCreds, "", withCreds, []string{basic(user + ":" + pass)}, 200, "none"},
		{"accepts a call webhook signed without the credentials", withCreds, "", bare, []string{basic(user + ":" + pass)}, 200, "none"},
		{"accepts the scheme name in any case", withCreds, "", withCreds, []string{"basic  " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}, 200, "none"},
		{"refuses a request without credentials", withCreds, "", withCreds, nil, 401, "bad_credentials"},
		{"refuses a wrong password", withCreds, "", withCreds, []string{basic(user + ":wrong")}, 401, "bad_credentials"},
		{"refuses the password still percent-encoded", withCreds, "", withCreds, []string{basic(user + ":s3cr%40t+x")}, 401, "bad_credentials"},
		{"refuses the credentials sent twice", withCreds, "", withCreds, []string{basic(user + ":" + pass), basic(user + ":" + pass)}, 401, "bad_credentials"},
		{"refuses credentials that are not base64", withCreds, "", withCreds, []string{"Basic " + user + ":" + pass}, 401, "bad_credentials"},
		{"refuses another scheme", withCreds, "", withCreds, []string{"Bearer " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}, 401, "bad_credentials"},
		{"refuses right credentials with a forged signature", withCreds, "", "https://evil.example" + path, []string{basic(user + ":" + pass)}, 401, "no_key_matched"},
		{"accepts a password with bytes a URL parser refuses in userinfo", "https://bob:p|ss^@" + host + path, "", "https://bob:p|ss^@" + host + path, []string{basic("bob:p|ss^")}, 200, "none"},
		{"accepts credentials that name the source", "https://{source}:pw@" + host + path + "/{source}", "sales", "https://sales:pw@" + host + path + "/sales", []string{basic("sales:pw")}, 200, "none"},
		{"refuses another source's credentials", "https://{source}:pw@" + host + path + "/{source}", "sales", "https://sales:pw@" + host + path + "/sales", []string{basic("support:pw")}, 401, "bad_credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			sig, err := provider.SignalWire.Sign([]byte(currentKey), tc.signedURL, "application/x-www-form-urlencoded", body)
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range sig {
				h[k] = vs
			}
			h["Authorization"] = tc.auth
			reqPath := path
			cfg := webhook.Config{Provider: provider.SignalWire, PublicURL: tc.publicURL}
			if tc.source != "" {
				reqPath += "/" + tc.source
				cfg.Sources = sources{tc.source: ring(t, provider.SignalWire, currentKey)}
			} else {
				cfg.Keys = &fakeKeys{ring: ring(t, provider.SignalWire, currentKey)}
			}
			ev := apigw.V2Event(apigw.Incoming{Method: "POST", Host: host, Path: reqPath, Header: h, Body: body, RequestID: "req-1", Time: time.Now()})
			if tc.source != "" {
				ev.PathParameters = map[string]string{webhook.SourceParam: tc.source}
			}
			raw, _ := json.Marshal(ev)
			q := &memQueue{}
			var logs bytes.Buffer
			cfg.Destinations = []destination.Destination{q}
			cfg.Log = slog.New(slog.NewJSONHandler(&logs, nil))
			resp := invoke(t, mustNew(t, cfg), raw)
			if resp.StatusCode != tc.wantStatus || reasonOf(t, logs.String()) != tc.wantReason {
				t.Fatalf("status %d reason %q, want %d %q", resp.StatusCode, reasonOf(t, logs.String()), tc.wantStatus, tc.wantReason)
			}
			for _, secret := range []string{pass, "s3cr", "pw@", "%40", base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))} {
				if strings.Contains(logs.String(), secret) {
					t.Fatalf("the log line carries the credentials: %s", logs.String())
				}
			}
			if tc.wantStatus != 200 {
				if len(q.got) != 0 {
					t.Fatalf("forwarded %d events", len(q.got))
				}
				return
			}
			if len(q.got) != 1 {
				t.Fatalf("forwarded %d events, want 1", len(q.got))
			}
			e := q.got[0]
			if strings.Contains(e.URL, "@") || strings.Contains(e.URL, "s3cr") || strings.Contains(e.URL, "pw") || !strings.HasPrefix(e.URL, "https://"+host+path) {
				t.Fatalf("envelope url = %q, want the URL without credentials", e.URL)
			}
		})
	}
}

// sources serves one keyring per source name.
type sources map[string]*secrets.Keyring

func (s sources) Source(_ context.Context, name string) (secrets.Keys, map[string]string, error) {
	r, ok := s[name]
	if !ok {
		return nil, nil, secrets.ErrUnknownSource
	}
	return &fakeKeys{ring: r}, nil, nil
}

func TestNewRefusesAPublicURLItCannotUse(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"/signalwire", "signalwire", "https://bob:p%zz@h/x", "https://"} {
		_, err := webhook.New(webhook.Config{Provider: provider.SignalWire, Keys: &fakeKeys{}, Destinations: []destination.Destination{&memQueue{}}, PublicURL: u})
		if err == nil {
			t.Errorf("New accepted PublicURL %q", u)
		} else if strings.Contains(err.Error(), "p%zz") {
			t.Errorf("New's error echoes the credentials: %v", err)
		}
	}
}

func TestHandlerAnswerer(t *testing.T) {
	t.Parallel()
	form := []byte("CallSid=CA1&CallStatus=ringing")
	tests := []struct {
		name       string
		reply      provider.Reply
		err        error
		wantStatus int
		wantBody   string
		wantReason string
	}{
		{"answers with the answerer's reply", provider.Reply{ContentType: "text/xml", Body: "<Response><Hangup/></Response>"}, nil, 200, "<Response><Hangup/></Response>", `"reason":"none"`},
		{"answers 503 when the answerer fails", provider.Reply{}, errors.New("menu down"), 503, "service unavailable, retry later\n", `"reason":"answer_unavailable"`},
		{"answers 503 for a reply without a content type", provider.Reply{Body: "<Response/>"}, nil, 503, "service unavailable, retry later\n", `"reason":"answer_unavailable"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := mustNew(t, webhook.Config{Provider: provider.SignalWire, Keys: &fakeKeys{ring: ring(t, provider.SignalWire, currentKey)},
				Answerer: webhook.AnswerFunc(func(context.Context, *destination.Event) (provider.Reply, error) { return tc.reply, tc.err }),
				Log:      slog.New(slog.NewJSONHandler(&logs, nil))})
			resp := invoke(t, h, request{provider: provider.SignalWire, contentType: "application/x-www-form-urlencoded", body: form, signWith: currentKey}.event(t))
			if resp.StatusCode != tc.wantStatus || resp.Body != tc.wantBody || !strings.Contains(logs.String(), tc.wantReason) {
				t.Fatalf("response %d %q, log %s", resp.StatusCode, resp.Body, logs.String())
			}
		})
	}
}

func TestNewRefusesAnAnswererTheProviderDoesNotRead(t *testing.T) {
	t.Parallel()
	_, err := webhook.New(webhook.Config{Provider: provider.Webex, Keys: &fakeKeys{}, Answerer: webhook.AnswerFunc(nil)})
	if err == nil || !strings.Contains(err.Error(), "answer") {
		t.Fatalf("New = %v, want a refusal", err)
	}
}

// fakeGuard is an in-memory replay guard recording what the handler asks.
type fakeGuard struct {
	mu        sync.Mutex
	err       error
	delivered []string
	done      int
	aborted   [][]string
	deadline  time.Time // of the last Done or Abort context
}

func (g *fakeGuard) Begin(context.Context, string) (webhook.Ticket, error) {
	if g.err != nil {
		return nil, g.err
	}
	return fakeTicket{g}, nil
}

type fakeTicket struct{ g *fakeGuard }

func (t fakeTicket) Delivered() []string { return t.g.delivered }

func (t fakeTicket) Done(ctx context.Context) error {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	t.g.done++
	t.g.deadline, _ = ctx.Deadline()
	return nil
}

func (t fakeTicket) Abort(ctx context.Context, delivered []string) error {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	t.g.aborted = append(t.g.aborted, delivered)
	t.g.deadline, _ = ctx.Deadline()
	return nil
}

// namedQueue is a memQueue under another name.
type namedQueue struct {
	*memQueue
	name string
}

func (q namedQueue) Name() string { return q.name }

func TestHandlerGuard(t *testing.T) {
	t.Parallel()
	body := []byte(`{"resource":"messages","event":"created","data":{"id":"M1"}}`)
	busDown := &destination.Error{Destination: "bus", Err: destination.ErrUnavailable}
	tests := []struct {
		name        string
		guard       *fakeGuard
		busErr      error
		wantStatus  int
		wantLog     []string
		wantQueue   int
		wantBus     int
		wantDone    int
		wantAborted [][]string
	}{
		{"acknowledges a duplicate and forwards nothing", &fakeGuard{err: webhook.ErrDuplicate}, nil, 200,
			[]string{`"outcome":"duplicate"`, `"reason":"replayed_signature"`, `"duplicates":1`}, 0, 0, 0, nil},
		{"answers 503 to a copy in flight", &fakeGuard{err: webhook.ErrInFlight}, nil, 503, []string{`"reason":"in_flight"`}, 0, 0, 0, nil},
		{"answers 503 when the guard cannot be asked", &fakeGuard{err: fmt.Errorf("%w: timeout", webhook.ErrGuardUnavailable)}, nil, 503, []string{`"reason":"dedup_unavailable"`}, 0, 0, 0, nil},
		{"forwards and marks done", &fakeGuard{}, nil, 200, []string{`"outcome":"accepted"`}, 1, 1, 1, nil},
		{"skips the destinations an earlier attempt delivered", &fakeGuard{delivered: []string{"queue"}}, nil, 200, []string{`"queue":"already_delivered"`, `"bus":"delivered"`}, 0, 1, 1, nil},
		{"withdraws the record, keeping what was delivered, when a destination fails", &fakeGuard{}, busDown, 503, []string{`"reason":"bus_unavailable"`}, 1, 0, 0, [][]string{{"queue"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, b := &memQueue{}, &memQueue{fail: tc.busErr}
			var logs bytes.Buffer
			h := mustNew(t, webhook.Config{Provider: provider.Webex, Keys: &fakeKeys{ring: ring(t, provider.Webex, currentKey)}, Guard: tc.guard,
				Destinations: []destination.Destination{q, namedQueue{b, "bus"}}, Timeout: 50 * time.Millisecond, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out, err := lambda.NewHandler(h.Handle).Invoke(ctx, request{provider: provider.Webex, contentType: "application/json", body: body, signWith: currentKey}.event(t))
			var resp apigw.Response
			if err != nil || json.Unmarshal(out, &resp) != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus || len(q.got) != tc.wantQueue || len(b.got) != tc.wantBus || tc.guard.done != tc.wantDone ||
				fmt.Sprint(tc.guard.aborted) != fmt.Sprint(tc.wantAborted) {
				t.Fatalf("status %d, queue %d, bus %d, done %d, aborted %v\n%s", resp.StatusCode, len(q.got), len(b.got), tc.guard.done, tc.guard.aborted, logs.String())
			}
			for _, w := range tc.wantLog {
				if !strings.Contains(logs.String(), w) {
					t.Fatalf("log lacks %s: %s", w, logs.String())
				}
			}
			// Marking the record may use the time left before the Lambda
			// deadline, not only the request budget (50 ms here).
			if (tc.wantDone > 0 || tc.wantAborted != nil) && time.Until(tc.guard.deadline) < 5*time.Second {
				t.Fatalf("the guard was marked with a deadline %s away, want the Lambda deadline's", time.Until(tc.guard.deadline))
			}
		})
	}
}
