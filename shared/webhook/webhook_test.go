package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"webhookguard/shared/apigw"
	"webhookguard/shared/provider"
	"webhookguard/shared/queue"
	"webhookguard/shared/secrets"
	"webhookguard/shared/verify"
	"webhookguard/shared/webhook"
)

const (
	currentKey  = "current-secret-value"
	previousKey = "previous-secret-value"
	host        = "abc123.execute-api.eu-west-1.amazonaws.com"
)

// memQueue is an in-memory queue stand-in.
type memQueue struct {
	mu   sync.Mutex
	got  []queue.Envelope
	fail error
}

func (q *memQueue) Send(_ context.Context, e *queue.Envelope) error {
	if q.fail != nil {
		return q.fail
	}
	q.mu.Lock()
	q.got = append(q.got, *e)
	q.mu.Unlock()
	return nil
}

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
	}{
		{"accepts a Webex event from an HTTP API", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: currentKey}, nil, nil, 200, "ok\n", webexBody, "AWSCURRENT", "messages.created"},
		{"accepts a Webex event from a REST API", request{provider: provider.Webex, v1: true, contentType: "application/json", body: webexBody, signWith: currentKey}, nil, nil, 200, "ok\n", webexBody, "AWSCURRENT", "messages.created"},
		{"accepts a Webex event signed with the previous key", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: previousKey}, nil, nil, 200, "ok\n", webexBody, "AWSPREVIOUS", "messages.created"},
		{"accepts a Qiscus event with an emoji", request{provider: provider.Qiscus, contentType: "application/json", body: qiscusBody, signWith: currentKey}, nil, nil, 200, "ok\n", qiscusBody, "AWSCURRENT", "post_comment_mobile"},
		{"accepts a Qiscus body that is not UTF-8", request{provider: provider.Qiscus, contentType: "application/octet-stream", body: []byte{0xff, 0xfe, 'x'}, signWith: currentKey}, nil, nil, 200, "ok\n", []byte{0xff, 0xfe, 'x'}, "AWSCURRENT", ""},
		{"accepts a SignalWire cXML form delivered base64 by an HTTP API", request{provider: provider.SignalWire, contentType: "application/x-www-form-urlencoded", body: formBody, signWith: currentKey, query: "tenant=o'brien"}, nil, nil, 200, xmlOK, formBody, "AWSCURRENT", "call.ringing"},
		{"accepts a SignalWire cXML form from a REST API", request{provider: provider.SignalWire, v1: true, contentType: "application/x-www-form-urlencoded", body: formBody, signWith: currentKey}, nil, nil, 200, xmlOK, formBody, "AWSCURRENT", "call.ringing"},
		{"accepts a SWML call webhook", request{provider: provider.SignalWire, contentType: "application/json", body: swmlBody, signWith: currentKey}, nil, nil, 200, "{}", swmlBody, "AWSCURRENT", "call.created"},
		{"refuses a Webex event signed with an unknown key", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: "forger"}, nil, nil, 401, "unauthorized\n", nil, "", ""},
		{"refuses a Qiscus event without a signature", request{provider: provider.Qiscus, contentType: "application/json", body: qiscusBody}, nil, nil, 401, "unauthorized\n", nil, "", ""},
		{"refuses a SignalWire form whose body was altered", request{provider: provider.SignalWire, contentType: "application/x-www-form-urlencoded", body: formBody, signWith: currentKey, query: "x=1", sent: append([]byte("Extra=1&"), formBody...)}, nil, nil, 401, "unauthorized\n", nil, "", ""},
		{"refuses a SignalWire JSON webhook whose SHA-256 signature was swapped", request{provider: provider.SignalWire, contentType: "application/json", body: swmlBody, signWith: currentKey, tamper: func(h http.Header) {
			h.Set(verify.HeaderSignalWireSHA256, strings.Repeat("ab", 32))
		}}, nil, nil, 401, "unauthorized\n", nil, "", ""},
		{"refuses a Webex signature sent twice", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: currentKey, tamper: func(h http.Header) {
			h.Add(verify.HeaderWebex, h.Get(verify.HeaderWebex))
		}}, nil, nil, 401, "unauthorized\n", nil, "", ""},
		{"refuses a GET", request{provider: provider.Webex, method: "GET", signWith: currentKey}, nil, nil, 405, "method not allowed\n", nil, "", ""},
		{"refuses a body over the limit", request{provider: provider.Webex, contentType: "application/json", body: bytes.Repeat([]byte("a"), 2048), signWith: currentKey}, nil, nil, 413, "payload too large\n", nil, "", ""},
		{"answers 503 when the keys cannot be loaded", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: currentKey}, secrets.ErrUnavailable, nil, 503, "service unavailable, retry later\n", nil, "", ""},
		{"answers 503 when the queue refuses", request{provider: provider.Webex, contentType: "application/json", body: webexBody, signWith: currentKey}, nil, queue.ErrUnavailable, 503, "service unavailable, retry later\n", nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := &memQueue{fail: tc.queueErr}
			var logs bytes.Buffer
			h := &webhook.Handler{
				Provider:     tc.req.provider.Name,
				Keys:         &fakeKeys{ring: ring(t, tc.req.provider, currentKey, previousKey), err: tc.keysErr},
				Queue:        q,
				EventType:    tc.req.provider.EventType,
				MaxBodyBytes: 1024,
				Log:          slog.New(slog.NewJSONHandler(&logs, nil)),
			}
			if tc.req.provider.UsesURL {
				h.UsesURL, h.Accepted = true, provider.SignalWireAnswer("", "")
			}
			resp := invoke(t, h, tc.req.event(t))
			if resp.StatusCode != tc.wantStatus || resp.Body != tc.wantBody {
				t.Fatalf("response = %d %q, want %d %q", resp.StatusCode, resp.Body, tc.wantStatus, tc.wantBody)
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
	h := &webhook.Handler{Provider: "webex", Keys: keys, Queue: q}
	resp := invoke(t, h, request{provider: provider.Webex, contentType: "application/json", body: body, signWith: "new"}.event(t))
	if resp.StatusCode != 200 || keys.refreshes != 1 || len(q.got) != 1 || q.got[0].KeyStage != "AWSCURRENT" {
		t.Fatalf("status %d, refreshes %d, forwarded %d", resp.StatusCode, keys.refreshes, len(q.got))
	}
	resp = invoke(t, h, request{provider: provider.Webex, contentType: "application/json", body: body, signWith: "forger"}.event(t))
	if resp.StatusCode != 401 || keys.refreshes != 2 || len(q.got) != 1 {
		t.Fatalf("forged: status %d, refreshes %d, forwarded %d", resp.StatusCode, keys.refreshes, len(q.got))
	}
}

type policyFunc func(ctx context.Context, body []byte) (bool, string, error)

func (f policyFunc) Decide(ctx context.Context, body []byte) (bool, string, error) {
	return f(ctx, body)
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
		{"forwards what the policy allows", func(context.Context, []byte) (bool, string, error) { return true, "", nil }, 200, 1, `"reason":"none"`},
		{"acknowledges and drops what the policy refuses", func(context.Context, []byte) (bool, string, error) { return false, "sender_not_allowed", nil }, 200, 0, `"reason":"sender_not_allowed"`},
		{"answers 503 when the policy cannot decide", func(context.Context, []byte) (bool, string, error) {
			return false, "", webhook.ErrPolicyUnavailable
		}, 503, 0, `"reason":"policy_unavailable"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := &memQueue{}
			var logs bytes.Buffer
			h := &webhook.Handler{Provider: "webex", Keys: &fakeKeys{ring: ring(t, provider.Webex, currentKey)}, Queue: q, Policy: tc.policy,
				Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			resp := invoke(t, h, request{provider: provider.Webex, contentType: "application/json", body: body, signWith: currentKey}.event(t))
			if resp.StatusCode != tc.wantStatus || len(q.got) != tc.wantForwarded || !strings.Contains(logs.String(), tc.wantReason) {
				t.Fatalf("status %d forwarded %d log %s", resp.StatusCode, len(q.got), logs.String())
			}
		})
	}
}

func TestHandlerAnswersBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	slow := &slowKeys{}
	h := &webhook.Handler{Provider: "webex", Keys: slow, Queue: &memQueue{}, Timeout: 50 * time.Millisecond}
	resp := invoke(t, h, request{provider: provider.Webex, contentType: "application/json", body: []byte("{}"), signWith: currentKey}.event(t))
	if resp.StatusCode != 503 || !errors.Is(slow.err, context.DeadlineExceeded) {
		t.Fatalf("status %d, dependency saw %v; want 503 after the deadline", resp.StatusCode, slow.err)
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
		{verify.ErrMalformedBody, 400, "malformed_body"},
		{verify.ErrMalformedURL, 400, "malformed_url"},
		{apigw.ErrMalformedEvent, 400, "malformed_event"},
		{apigw.ErrBodyTooLarge, 413, "body_too_large"},
		{queue.ErrTooLarge, 413, "envelope_too_large"},
		{secrets.ErrUnavailable, 503, "secrets_unavailable"},
		{queue.ErrUnavailable, 503, "queue_unavailable"},
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
