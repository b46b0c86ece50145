package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/queue"
	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/webexapi"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

// countingSecrets counts the GetSecretValue calls that reach the server.
type countingSecrets struct {
	secrets.Client
	n atomic.Int64
}

func (c *countingSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.n.Add(1)
	return c.Client.GetSecretValue(ctx, in, opts...)
}

// fixture is one function wired to moto_server, as main wires it.
type fixture struct {
	t        *testing.T
	moto     *mototest.Server
	p        provider.Provider
	secretID string
	queueURL string
	calls    *countingSecrets
	h        *webhook.Handler
	logs     *bytes.Buffer
}

var seq atomic.Int64

func newFixture(t *testing.T, p provider.Provider, secretValue string, tune func(*app.Config, *app.Clients), opts ...app.Option) *fixture {
	t.Helper()
	s := mototest.Shared(t)
	n := seq.Add(1)
	f := &fixture{t: t, moto: s, p: p, logs: &bytes.Buffer{}}
	f.secretID = fmt.Sprintf("%s-%s-%d", t.Name(), p.Name, n)
	f.secretID = strings.NewReplacer("/", "-", " ", "-").Replace(f.secretID)
	if secretValue != "" {
		s.CreateSecret(t, f.secretID, secretValue)
	}
	f.queueURL = s.CreateQueue(t, fmt.Sprintf("q-%d", n))
	cfg := app.Must(app.FromEnv(func(k string) string {
		return map[string]string{"SECRET_ID": f.secretID, "QUEUE_URL": f.queueURL, "MAX_BODY_BYTES": "262144"}[k]
	}))
	clients := app.ClientsFromConfig(s.Config())
	if tune != nil {
		tune(&cfg, &clients)
	}
	f.calls = &countingSecrets{Client: clients.Secrets}
	clients.Secrets = f.calls
	h, err := app.NewHandler(context.Background(), p, cfg, clients, slog.New(slog.NewJSONHandler(f.logs, nil)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return f
}

// send delivers a request signed with secret and returns the response.
func (f *fixture) send(secret string, spec sample.Spec) apigw.Response {
	f.t.Helper()
	spec.Provider, spec.Secret = f.p, []byte(secret)
	if spec.URL == "" {
		spec.URL = "https://abc123.execute-api.us-east-1.amazonaws.com/" + f.p.Name
	}
	if spec.Body == nil {
		spec.ContentType, spec.Body = f.p.Sample.ContentType, f.p.Sample.Body
	}
	ev, err := spec.Event()
	if err != nil {
		f.t.Fatal(err)
	}
	return invoke(f.t, f.h, ev)
}

// invoke hands the event to h through aws-lambda-go, as the runtime does.
func invoke(t *testing.T, h *webhook.Handler, ev *apigw.Event) apigw.Response {
	t.Helper()
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp apigw.Response
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

// drain returns every envelope waiting on the queue.
func (f *fixture) drain() []envelope.Envelope {
	f.t.Helper()
	var all []envelope.Envelope
	for {
		got := f.received()
		if len(got) == 0 {
			return all
		}
		all = append(all, got...)
	}
}

// received returns the envelopes waiting on the queue.
func (f *fixture) received() []envelope.Envelope {
	f.t.Helper()
	var out []envelope.Envelope
	for _, m := range f.moto.Receive(f.t, f.queueURL, 10) {
		var e envelope.Envelope
		if err := json.Unmarshal([]byte(m.Body), &e); err != nil {
			f.t.Fatalf("envelope %q: %v", m.Body, err)
		}
		if m.Attributes["provider"] != f.p.Name || m.Attributes["eventType"] != e.EventType {
			f.t.Fatalf("message attributes %v for envelope %+v", m.Attributes, e)
		}
		out = append(out, e)
	}
	return out
}

func TestAcceptsCurrentPreviousAndPendingKeys(t *testing.T) {
	t.Parallel()
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, p, "key-one", nil)
			f.moto.PutSecret(t, f.secretID, "key-two")                 // current: two, previous: one
			f.moto.PutSecret(t, f.secretID, "key-three", "AWSPENDING") // a rotation under way
			for _, tc := range []struct{ secret, stage string }{
				{"key-two", "AWSCURRENT"}, {"key-one", "AWSPREVIOUS"}, {"key-three", "AWSPENDING"},
			} {
				if resp := f.send(tc.secret, sample.Spec{}); resp.StatusCode != 200 {
					t.Fatalf("signed with %s: status %d", tc.stage, resp.StatusCode)
				}
				got := f.received()
				if len(got) != 1 || got[0].KeyStage != tc.stage {
					t.Fatalf("signed with %s: received %+v", tc.stage, got)
				}
			}
			if resp := f.send("key-four", sample.Spec{}); resp.StatusCode != 401 {
				t.Fatalf("unknown key: status %d", resp.StatusCode)
			}
			if got := f.received(); len(got) != 0 {
				t.Fatalf("a refused request reached the queue: %+v", got)
			}
		})
	}
}

func TestRotationWhileWarm(t *testing.T) {
	t.Parallel()
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, p, "old-key", func(c *app.Config, _ *app.Clients) { c.MinRefresh = time.Millisecond })
			if resp := f.send("old-key", sample.Spec{}); resp.StatusCode != 200 {
				t.Fatalf("warm-up: status %d", resp.StatusCode)
			}
			f.moto.PutSecret(t, f.secretID, "new-key")
			if resp := f.send("new-key", sample.Spec{}); resp.StatusCode != 200 {
				t.Fatalf("first request with the new key: status %d", resp.StatusCode)
			}
			if resp := f.send("old-key", sample.Spec{}); resp.StatusCode != 200 {
				t.Fatalf("old key after rotation: status %d", resp.StatusCode)
			}
			got := f.received()
			if len(got) != 3 || got[1].KeyStage != "AWSCURRENT" || got[2].KeyStage != "AWSPREVIOUS" {
				t.Fatalf("received %+v", got)
			}
			if n := f.calls.n.Load(); n != 4 {
				t.Fatalf("%d GetSecretValue calls, want 4 (AWSCURRENT at init, the three stages at the refresh)", n)
			}
		})
	}
}

func TestUnreachableDependencyAnswers503(t *testing.T) {
	t.Parallel()
	dead := app.ClientsFromConfig(mototest.Down(t).Config())
	tests := []struct {
		name       string
		cut        func(*app.Clients)
		wantReason string
	}{
		{"Secrets Manager unreachable at cold start", func(c *app.Clients) { c.Secrets = dead.Secrets }, "secrets_unavailable"},
		{"SQS unreachable, so never 200", func(c *app.Clients) { c.Queue = dead.Queue }, "queue_unavailable"},
	}
	for _, tc := range tests {
		for _, p := range provider.All {
			t.Run(tc.name+" "+p.Name, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, p, "k", func(_ *app.Config, c *app.Clients) { tc.cut(c) })
				resp := f.send("k", sample.Spec{})
				if resp.StatusCode != 503 || resp.Headers["Retry-After"] == "" {
					t.Fatalf("status %d headers %v, want 503 with Retry-After", resp.StatusCode, resp.Headers)
				}
				if !strings.Contains(f.logs.String(), `"reason":"`+tc.wantReason+`"`) {
					t.Fatalf("log: %s", f.logs.String())
				}
			})
		}
	}
}

func TestSecretMissingAnswers503(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provider.Webex, "", nil) // no secret created
	if resp := f.send("k", sample.Spec{}); resp.StatusCode != 503 {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
}

func TestSecretsManagerDownWhileWarmKeepsServingCachedKeys(t *testing.T) {
	t.Parallel()
	// Secrets Manager is moto_server behind a switch that makes it
	// unreachable.
	sm, smUp := mototest.Shared(t).Switchable(t)
	f := newFixture(t, provider.Qiscus, "", func(c *app.Config, cl *app.Clients) {
		c.SecretsTTL = time.Millisecond // every request wants a reload
		cl.Secrets = app.ClientsFromConfig(sm.Config()).Secrets
	})
	sm.CreateSecret(t, f.secretID, "k")
	if resp := f.send("k", sample.Spec{}); resp.StatusCode != 200 {
		t.Fatalf("warm-up: status %d", resp.StatusCode)
	}
	smUp(false)
	for i := 0; i < 3; i++ {
		if resp := f.send("k", sample.Spec{}); resp.StatusCode != 200 {
			t.Fatalf("request %d with Secrets Manager down: status %d", i, resp.StatusCode)
		}
	}
	if got := f.received(); len(got) != 4 {
		t.Fatalf("received %d, want 4 (%d left on %s); log:\n%s", len(got), f.moto.Count(t, f.queueURL), f.queueURL, f.logs.String())
	}
	// A key the cache does not hold may be a new one Secrets Manager
	// cannot be asked about: 503, so the provider retries, never 401.
	if resp := f.send("rotated-during-the-outage", sample.Spec{}); resp.StatusCode != 503 {
		t.Fatalf("unknown key with Secrets Manager down: status %d, want 503", resp.StatusCode)
	}
}

func TestEnvelopeBodyIsTheRawBodyByteForByte(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		p           provider.Provider
		v1          bool
		contentType string
		body        []byte
		encoding    string
	}{
		{"a form body an HTTP API delivered as base64", provider.SignalWire, false, "application/x-www-form-urlencoded", []byte("Body=caf%C3%A9+%F0%9F%98%80&From=%2B1555&To=a&To=b"), envelope.EncodingUTF8},
		{"a unicode JSON body with odd white space and key order", provider.Webex, false, "application/json", []byte("{ \"resource\" :\"messages\",\n\t\"event\":\"created\", \"data\":{\"text\":\"zoë 😀 \\u00e9\"} }"), envelope.EncodingUTF8},
		{"a unicode body from a REST API", provider.Qiscus, true, "application/json", []byte(`{"type":"post_comment_rest","payload":{"message":{"text":"日本語"}}}`), envelope.EncodingUTF8},
		{"a body that is not UTF-8", provider.Qiscus, false, "application/octet-stream", []byte{0xde, 0xad, 0xbe, 0xef, 0xff}, envelope.EncodingBase64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.p, "k", nil)
			if resp := f.send("k", sample.Spec{ContentType: tc.contentType, Body: tc.body, V1: tc.v1}); resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			got := f.received()
			if len(got) != 1 || got[0].BodyEncoding != tc.encoding {
				t.Fatalf("received %+v", got)
			}
			raw, err := got[0].RawBody()
			if err != nil || !bytes.Equal(raw, tc.body) {
				t.Fatalf("forwarded %q (%v), want %q", raw, err, tc.body)
			}
		})
	}
}

func TestForgedFloodCostsFewSecretsManagerCalls(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provider.Webex, "real-key", nil)
	refused := 0
	for i := 0; i < 200; i++ {
		if resp := f.send(fmt.Sprintf("forged-%d", i), sample.Spec{}); resp.StatusCode == 401 {
			refused++
		}
	}
	calls := f.calls.n.Load()
	t.Logf("200 forged requests: %d refused, %d GetSecretValue calls", refused, calls)
	if refused != 200 || calls > 6 {
		t.Fatalf("%d refused, %d GetSecretValue calls; want 200 refused and at most 6 calls", refused, calls)
	}
}

func TestWebexSenderPolicyEndToEnd(t *testing.T) {
	t.Parallel()
	bot := webexapi.Person{ID: "BOT", OrgID: "ORG-HOME"}
	tests := []struct {
		name          string
		actor         string
		tokenSecret   bool
		apiDown       bool
		wantStatus    int
		wantForwarded int
		wantReason    string
	}{
		{"drops the bot's own message and acknowledges it", "BOT", true, false, 200, 0, `"reason":"own_event"`},
		{"forwards a sender from an allowed organisation", "ALICE", true, false, 200, 1, `"outcome":"accepted"`},
		{"drops a sender from another organisation", "MALLORY", true, false, 200, 0, `"reason":"sender_not_allowed"`},
		{"answers 503 when the token secret is missing", "ALICE", false, false, 503, 0, `"reason":"policy_unavailable"`},
		{"answers 503 when the People API is down", "ALICE", true, true, 503, 0, `"reason":"policy_unavailable"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := webexstub.New("bot-token", bot)
			t.Cleanup(api.Close)
			api.AddPerson(webexapi.Person{ID: "ALICE", Emails: []string{"alice@example.com"}, OrgID: "ORG-HOME"})
			api.AddPerson(webexapi.Person{ID: "MALLORY", Emails: []string{"m@evil.example"}, OrgID: "ORG-EVIL"})
			if tc.apiDown {
				api.FailWith(http.StatusServiceUnavailable)
			}
			tokenID := strings.ReplaceAll(t.Name(), "/", "-") + "-token"
			if tc.tokenSecret {
				mototest.Shared(t).CreateSecret(t, tokenID, "bot-token")
			}
			env := map[string]string{"WEBEX_ALLOWED_ORG_IDS": "ORG-HOME", "WEBEX_BOT_TOKEN_SECRET_ID": tokenID, "WEBEX_API_URL": api.URL}
			f := newFixture(t, provider.Webex, "k", func(c *app.Config, _ *app.Clients) { c.Getenv = func(k string) string { return env[k] } })
			body := []byte(fmt.Sprintf(`{"resource":"messages","event":"created","actorId":%q,"data":{"id":"M1","personId":%q}}`, tc.actor, tc.actor))
			resp := f.send("k", sample.Spec{ContentType: "application/json", Body: body})
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.wantStatus, f.logs.String())
			}
			if got := f.received(); len(got) != tc.wantForwarded {
				t.Fatalf("%d forwarded, want %d", len(got), tc.wantForwarded)
			}
			if !strings.Contains(f.logs.String(), tc.wantReason) || strings.Contains(f.logs.String(), "bot-token") {
				t.Fatalf("log %s lacks %s or shows the token", f.logs.String(), tc.wantReason)
			}
		})
	}
}

func TestNoWebexPolicyWhenNothingIsConfigured(t *testing.T) {
	t.Parallel()
	p, err := provider.Webex.Policy(provider.Env{Getenv: func(string) string { return "" }})
	if err != nil || p != nil {
		t.Fatalf("Webex policy = %v, %v; want none", p, err)
	}
}

// refusingSQS is a stand-in for the SQS endpoint that refuses every message
// as SQS does one with characters it does not take.
func refusingSQS(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AmazonSQS.SendMessage" {
			http.Error(w, "unexpected call", http.StatusNotImplemented)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Query-Error", "InvalidMessageContents;Sender")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"com.amazonaws.sqs#InvalidMessageContents","message":"Invalid binary character '#x1' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestSQSRefusingTheMessageAnswers413 checks, through the whole function
// against SQS's own answers, that a message SQS refuses is a 413 that the
// provider does not retry for ever, with the reason in the log line, and
// never a 503.
func TestSQSRefusingTheMessageAnswers413(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		tune       func(t *testing.T, s *mototest.Server) func(*app.Config, *app.Clients)
		wantReason string
	}{
		{"a message over the queue's MaximumMessageSize", func(t *testing.T, s *mototest.Server) func(*app.Config, *app.Clients) {
			out, err := s.SQSClient().CreateQueue(context.Background(), &sqs.CreateQueueInput{
				QueueName: aws.String(fmt.Sprintf("small-%d", seq.Add(1))), Attributes: map[string]string{"MaximumMessageSize": "1024"},
			})
			if err != nil {
				t.Fatal(err)
			}
			return func(c *app.Config, _ *app.Clients) { c.QueueURL = aws.ToString(out.QueueUrl) }
		}, "envelope_too_large"},
		{"a message whose characters SQS refuses", func(t *testing.T, s *mototest.Server) func(*app.Config, *app.Clients) {
			cfg := s.Config()
			cfg.BaseEndpoint = aws.String(refusingSQS(t))
			return func(_ *app.Config, c *app.Clients) { c.Queue = queue.NewClient(cfg) }
		}, "envelope_rejected"},
	}
	for _, tc := range tests {
		for _, p := range provider.All {
			t.Run(tc.name+" "+p.Name, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, p, "k", tc.tune(t, mototest.Shared(t)))
				// A body well over 1024 bytes, of the provider's shape.
				spec := sample.Spec{ContentType: "application/json", Body: []byte(`{"type":"t","resource":"messages","event":"created","data":{"id":"` + strings.Repeat("x", 1500) + `"}}`)}
				if p.SignsURL {
					spec = sample.Spec{ContentType: "application/x-www-form-urlencoded", Body: []byte("CallSid=CA1&Body=" + strings.Repeat("x", 1500))}
				}
				resp := f.send("k", spec)
				if resp.StatusCode != 413 || resp.Headers["Retry-After"] != "" {
					t.Fatalf("status %d headers %v, want 413 without Retry-After", resp.StatusCode, resp.Headers)
				}
				if !strings.Contains(f.logs.String(), `"reason":"`+tc.wantReason+`"`) {
					t.Fatalf("log: %s", f.logs.String())
				}
			})
		}
	}
}
