package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/webexapi"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// listingSecrets is a Secrets Manager client that counts the calls that
// reach the server: ListSecrets, and GetSecretValue by secret.
type listingSecrets struct {
	*secretsmanager.Client
	mu    sync.Mutex
	lists int
	gets  map[string]int
}

func (c *listingSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.mu.Lock()
	c.gets[aws.ToString(in.SecretId)]++
	c.mu.Unlock()
	return c.Client.GetSecretValue(ctx, in, opts...)
}

func (c *listingSecrets) ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	c.mu.Lock()
	c.lists++
	c.mu.Unlock()
	return c.Client.ListSecrets(ctx, in, opts...)
}

// calls returns every call made, and the GetSecretValue calls of secret id.
func (c *listingSecrets) calls(id string) (all, ofID int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	all = c.lists
	for k, n := range c.gets {
		all += n
		if k == id {
			ofID += n
		}
	}
	return all, ofID
}

// sourcesFixture is a function serving several sources, wired to
// moto_server as main wires it.
type sourcesFixture struct {
	t        *testing.T
	moto     *mototest.Server
	p        provider.Provider
	prefix   string
	queueURL string
	sm       *listingSecrets
	h        *webhook.Handler
	logs     *bytes.Buffer
}

// source is one source of a fixture: its key and its secret's tags.
type source struct {
	key  string
	tags map[string]string
}

func newSourcesFixture(t *testing.T, p provider.Provider, sources map[string]source, env map[string]string, tune func(*app.Config)) *sourcesFixture {
	t.Helper()
	s := mototest.Shared(t)
	n := seq.Add(1)
	f := &sourcesFixture{t: t, moto: s, p: p, logs: &bytes.Buffer{}, prefix: fmt.Sprintf("sources-%d/%s/", n, p.Name)}
	for name, src := range sources {
		f.addSource(name, src)
	}
	f.queueURL = s.CreateQueue(t, fmt.Sprintf("q-%d", n))
	vars := map[string]string{"SECRET_ID": f.prefix + "{source}", "QUEUE_URL": f.queueURL}
	for k, v := range env {
		vars[k] = v
	}
	cfg := app.Must(app.FromEnv(func(k string) string { return vars[k] }))
	if tune != nil {
		tune(&cfg)
	}
	clients := app.ClientsFromConfig(s.Config())
	f.sm = &listingSecrets{Client: s.SecretsClient(), gets: map[string]int{}}
	clients.Secrets = f.sm
	h, err := app.NewHandler(context.Background(), p, cfg, clients, slog.New(slog.NewJSONHandler(f.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return f
}

func (f *sourcesFixture) addSource(name string, src source) {
	f.t.Helper()
	in := &secretsmanager.CreateSecretInput{Name: aws.String(f.prefix + name), SecretString: aws.String(src.key)}
	for k, v := range src.tags {
		in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := f.moto.SecretsClient().CreateSecret(context.Background(), in); err != nil {
		f.t.Fatalf("create secret %s: %v", name, err)
	}
}

// send delivers to POST /<provider>/<name> a request signed with secret
// (the provider's sample unless spec has a body), and returns the answer.
func (f *sourcesFixture) send(name, secret string, spec sample.Spec) apigw.Response {
	f.t.Helper()
	spec.Provider, spec.Secret, spec.Source = f.p, []byte(secret), name
	if spec.URL == "" {
		spec.URL = "https://abc123.execute-api.us-east-1.amazonaws.com/" + f.p.Name + "/" + name
	}
	if spec.Body == nil {
		spec.ContentType, spec.Body = f.p.Sample.ContentType, f.p.Sample.Body
	}
	ev, err := spec.Event()
	if err != nil {
		f.t.Fatal(err)
	}
	return f.invoke(ev)
}

func (f *sourcesFixture) invoke(ev *apigw.Event) apigw.Response {
	f.t.Helper()
	raw, err := json.Marshal(ev)
	if err != nil {
		f.t.Fatal(err)
	}
	out, err := lambda.NewHandler(f.h.Handle).Invoke(context.Background(), raw)
	if err != nil {
		f.t.Fatalf("Invoke: %v", err)
	}
	var resp apigw.Response
	if err := json.Unmarshal(out, &resp); err != nil {
		f.t.Fatal(err)
	}
	return resp
}

// lastLine returns the function's last log line.
func (f *sourcesFixture) lastLine() map[string]any {
	f.t.Helper()
	lines := strings.Split(strings.TrimSpace(f.logs.String()), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		f.t.Fatalf("log line %q: %v", lines[len(lines)-1], err)
	}
	return m
}

// queued returns the messages waiting on the queue.
func (f *sourcesFixture) queued() []mototest.Message { return f.moto.Receive(f.t, f.queueURL, 10) }

// hasSourceDimension reports whether a log line's metrics have the
// [provider source outcome] dimension set.
func hasSourceDimension(line map[string]any) bool {
	b, _ := json.Marshal(line["_aws"])
	return strings.Contains(string(b), `["provider","source","outcome"]`)
}

func TestEachSourceVerifiesWithItsOwnKey(t *testing.T) {
	t.Parallel()
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			f := newSourcesFixture(t, p, map[string]source{"alpha": {key: "alpha-key"}, "beta": {key: "beta-key"}}, nil, nil)
			for _, name := range []string{"alpha", "beta"} {
				resp := f.send(name, name+"-key", sample.Spec{})
				if resp.StatusCode != 200 {
					t.Fatalf("%s signed with its key: status %d\n%s", name, resp.StatusCode, f.logs)
				}
				line := f.lastLine()
				if line["source"] != name || line["outcome"] != "accepted" || !hasSourceDimension(line) {
					t.Fatalf("%s: log line %v", name, line)
				}
				msgs := f.queued()
				if len(msgs) != 1 || msgs[0].Attributes["source"] != name || msgs[0].Attributes["provider"] != p.Name {
					t.Fatalf("%s: messages %+v", name, msgs)
				}
				var e envelope.Envelope
				if err := json.Unmarshal([]byte(msgs[0].Body), &e); err != nil || e.Source != name || e.Provider != p.Name || e.KeyStage != "AWSCURRENT" {
					t.Fatalf("%s: envelope %+v, %v", name, e, err)
				}
			}
		})
	}
}

func TestASourcesSignatureIsRefusedOnAnotherSource(t *testing.T) {
	t.Parallel()
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			f := newSourcesFixture(t, p, map[string]source{"alpha": {key: "alpha-key"}, "beta": {key: "beta-key"}}, nil, nil)
			for _, tc := range []struct{ to, signedWith string }{{"alpha", "beta-key"}, {"beta", "alpha-key"}} {
				resp := f.send(tc.to, tc.signedWith, sample.Spec{})
				if line := f.lastLine(); resp.StatusCode != 401 || line["reason"] != "no_key_matched" || line["source"] != tc.to {
					t.Fatalf("%s signed with %s: status %d, log line %v", tc.to, tc.signedWith, resp.StatusCode, line)
				}
			}
			if msgs := f.queued(); len(msgs) != 0 {
				t.Fatalf("a refused request reached the queue: %+v", msgs)
			}
		})
	}
}

func TestUnknownAndMalformedSourcesAre404(t *testing.T) {
	t.Parallel()
	f := newSourcesFixture(t, provider.Qiscus, map[string]source{"alpha": {key: "alpha-key"}}, nil, nil)
	tests := []struct {
		name       string
		source     string
		noParam    bool
		wantReason string
	}{
		{"an unknown source", "gamma", false, "unknown_source"},
		{"an unknown source with a dash", "alpha-2", false, "unknown_source"},
		{"upper case", "Alpha", false, "invalid_source"},
		{"a name too long", strings.Repeat("a", 64), false, "invalid_source"},
		{"a leading dash", "-alpha", false, "invalid_source"},
		{"dots", "..", false, "invalid_source"},
		{"a dot inside", "alpha.beta", false, "invalid_source"},
		{"a slash", "alpha/beta", false, "invalid_source"},
		{"an encoded slash", "alpha%2Fbeta", false, "invalid_source"},
		{"the empty name", "", false, "invalid_source"},
		{"the plain route, with no source", "", true, "invalid_source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := f.sm.calls("")
			ev, err := sample.Spec{Provider: f.p, Secret: []byte("alpha-key"), URL: "https://abc123.execute-api.us-east-1.amazonaws.com/qiscus/x",
				ContentType: f.p.Sample.ContentType, Body: f.p.Sample.Body}.Event()
			if err != nil {
				t.Fatal(err)
			}
			if !tc.noParam {
				ev.PathParameters = map[string]string{"source": tc.source}
			}
			resp := f.invoke(ev)
			line := f.lastLine()
			if resp.StatusCode != 404 || line["reason"] != tc.wantReason || hasSourceDimension(line) {
				t.Fatalf("status %d, log line %v; want 404 %s without a source dimension", resp.StatusCode, line, tc.wantReason)
			}
			if after, _ := f.sm.calls(""); after != before {
				t.Fatalf("%d Secrets Manager calls for one request", after-before)
			}
		})
	}
	if msgs := f.queued(); len(msgs) != 0 {
		t.Fatalf("a refused request reached the queue: %+v", msgs)
	}
}

func TestAFloodOfUnknownSourcesCostsFewSecretsManagerCalls(t *testing.T) {
	t.Parallel()
	f := newSourcesFixture(t, provider.Webex, map[string]source{"alpha": {key: "alpha-key"}, "beta": {key: "beta-key"}}, nil, nil)
	const requests = 200
	notFound := 0
	for i := 0; i < requests; i++ {
		name := fmt.Sprintf("%016x", rand.Uint64())
		if resp := f.send(name, "alpha-key", sample.Spec{}); resp.StatusCode == 404 && f.lastLine()["reason"] == "unknown_source" {
			notFound++
		}
	}
	calls, _ := f.sm.calls("")
	t.Logf("%d requests for random unknown sources: %d answered 404 unknown_source, %d Secrets Manager calls (ListSecrets + GetSecretValue)", requests, notFound, calls)
	if notFound != requests || calls > 20 {
		t.Fatalf("%d of %d answered 404 unknown_source with %d Secrets Manager calls; want all, with at most 20 calls", notFound, requests, calls)
	}
	if resp := f.send("alpha", "alpha-key", sample.Spec{}); resp.StatusCode != 200 {
		t.Fatalf("a known source after the flood: status %d", resp.StatusCode)
	}
}

func TestRotatingOneSourceLeavesTheOtherAlone(t *testing.T) {
	t.Parallel()
	f := newSourcesFixture(t, provider.Webex, map[string]source{"alpha": {key: "alpha-old"}, "beta": {key: "beta-key"}}, nil,
		func(c *app.Config) { c.MinRefresh = time.Millisecond })
	for _, tc := range []struct{ name, key string }{{"alpha", "alpha-old"}, {"beta", "beta-key"}} {
		if resp := f.send(tc.name, tc.key, sample.Spec{}); resp.StatusCode != 200 {
			t.Fatalf("warm-up of %s: status %d", tc.name, resp.StatusCode)
		}
	}
	_, betaBefore := f.sm.calls(f.prefix + "beta")
	f.moto.PutSecret(t, f.prefix+"alpha", "alpha-new")
	time.Sleep(2 * time.Millisecond) // past MinRefresh
	for _, tc := range []struct{ name, key, stage string }{{"alpha", "alpha-new", "AWSCURRENT"}, {"alpha", "alpha-old", "AWSPREVIOUS"}, {"beta", "beta-key", "AWSCURRENT"}} {
		if resp := f.send(tc.name, tc.key, sample.Spec{}); resp.StatusCode != 200 || f.lastLine()["keyStage"] != tc.stage {
			t.Fatalf("%s signed with %s: status %d, log line %v", tc.name, tc.key, resp.StatusCode, f.lastLine())
		}
	}
	if resp := f.send("beta", "alpha-new", sample.Spec{}); resp.StatusCode != 401 {
		t.Fatalf("beta signed with alpha's new key: status %d", resp.StatusCode)
	}
	_, alpha := f.sm.calls(f.prefix + "alpha")
	_, betaAfter := f.sm.calls(f.prefix + "beta")
	// beta's refused request may reload beta once (an unknown signature),
	// never because alpha rotated.
	if alpha != 4 || betaBefore != 1 || betaAfter > 4 {
		t.Fatalf("GetSecretValue calls: alpha %d (want 4: AWSCURRENT, then the three stages at the refresh), beta %d then %d (want 1, then at most one reload)", alpha, betaBefore, betaAfter)
	}
}

func TestWebexBotAndPolicyPerSource(t *testing.T) {
	t.Parallel()
	sources := map[string]source{
		"bot-a": {key: "a-key", tags: map[string]string{provider.WebexTagBotID: "BOT-A", provider.WebexTagAllowedEmails: "alice@example.com carol@example.com"}},
		"bot-b": {key: "b-key", tags: map[string]string{provider.WebexTagBotID: "BOT-B"}},
		"bot-c": {key: "c-key"},
	}
	f := newSourcesFixture(t, provider.Webex, sources, map[string]string{"WEBEX_ALLOWED_DOMAINS": "example.org"}, nil)
	event := func(actor, email string) []byte {
		return []byte(fmt.Sprintf(`{"resource":"messages","event":"created","actorId":%q,"data":{"id":"M-%s","personId":%q,"personEmail":%q}}`, actor, actor, actor, email))
	}
	tests := []struct {
		name        string
		source      string
		actor       string
		email       string
		wantOutcome string
		wantReason  string
	}{
		{"drops bot A's own message on its source", "bot-a", "BOT-A", "bot-a@webex.bot", "filtered", "own_event"},
		{"forwards bot A's message on bot B's source when its sender is allowed", "bot-b", "BOT-A", "bot-a@example.org", "accepted", "none"},
		{"drops bot B's own message on its source", "bot-b", "BOT-B", "bot-b@example.org", "filtered", "own_event"},
		{"forwards a sender the source's tags allow", "bot-a", "ALICE", "alice@example.com", "accepted", "none"},
		{"drops a sender only the function's domain allows, on a source with its own list", "bot-a", "DAVE", "dave@example.org", "filtered", "sender_not_allowed"},
		{"forwards a sender of the function's domain on a source without a list", "bot-b", "DAVE", "dave@example.org", "accepted", "none"},
		{"drops a sender outside the function's domain on a source without a list", "bot-c", "ALICE", "alice@example.com", "filtered", "sender_not_allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := f.send(tc.source, sources[tc.source].key, sample.Spec{ContentType: "application/json", Body: event(tc.actor, tc.email)})
			line := f.lastLine()
			if resp.StatusCode != 200 || line["outcome"] != tc.wantOutcome || line["reason"] != tc.wantReason || line["source"] != tc.source {
				t.Fatalf("status %d, log line %v; want 200 %s %s", resp.StatusCode, line, tc.wantOutcome, tc.wantReason)
			}
			want := 0
			if tc.wantOutcome == "accepted" {
				want = 1
			}
			if msgs := f.queued(); len(msgs) != want {
				t.Fatalf("%d messages queued, want %d", len(msgs), want)
			}
		})
	}
}

func TestWebexSourceWithItsOwnBotToken(t *testing.T) {
	t.Parallel()
	api := webexstub.New("token-of-bot-a", webexapi.Person{ID: "BOT-A", OrgID: "ORG-A"})
	t.Cleanup(api.Close)
	api.AddPerson(webexapi.Person{ID: "ALICE", Emails: []string{"alice@a.example"}, OrgID: "ORG-A"})
	api.AddPerson(webexapi.Person{ID: "MALLORY", Emails: []string{"m@evil.example"}, OrgID: "ORG-EVIL"})
	tokenID := fmt.Sprintf("sources-token-%d", seq.Add(1))
	mototest.Shared(t).CreateSecret(t, tokenID, "token-of-bot-a")
	sources := map[string]source{
		"bot-a": {key: "a-key", tags: map[string]string{provider.WebexTagBotTokenSecretID: tokenID, provider.WebexTagAllowedOrgIDs: "ORG-A"}},
		"bot-b": {key: "b-key"},
	}
	f := newSourcesFixture(t, provider.Webex, sources, map[string]string{"WEBEX_API_URL": api.URL, "WEBEX_BOT_ID": "BOT-FUNCTION"}, nil)
	tests := []struct {
		name, source, actor     string
		wantOutcome, wantReason string
	}{
		{"learns the source's bot with its token and drops its own message", "bot-a", "BOT-A", "filtered", "own_event"},
		{"forwards a sender of the source's organisation", "bot-a", "ALICE", "accepted", "none"},
		{"drops a sender of another organisation", "bot-a", "MALLORY", "filtered", "sender_not_allowed"},
		{"keeps the function's bot id on the other source", "bot-b", "BOT-FUNCTION", "filtered", "own_event"},
		{"forwards bot A's message on the other source", "bot-b", "BOT-A", "accepted", "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(fmt.Sprintf(`{"resource":"messages","event":"created","actorId":%q,"data":{"id":"M1","personId":%q}}`, tc.actor, tc.actor))
			resp := f.send(tc.source, sources[tc.source].key, sample.Spec{ContentType: "application/json", Body: body})
			if line := f.lastLine(); resp.StatusCode != 200 || line["outcome"] != tc.wantOutcome || line["reason"] != tc.wantReason {
				t.Fatalf("status %d, log line %v; want 200 %s %s", resp.StatusCode, line, tc.wantOutcome, tc.wantReason)
			}
			f.queued()
		})
	}
	if n := api.Calls("GET /v1/people/me"); n != 1 {
		t.Fatalf("%d GET /v1/people/me calls, want 1", n)
	}
	if strings.Contains(f.logs.String(), "token-of-bot-a") {
		t.Fatal("the log shows the bot token")
	}
}

func TestSignalWirePublicURLPerSource(t *testing.T) {
	t.Parallel()
	f := newSourcesFixture(t, provider.SignalWire, map[string]source{"alpha": {key: "alpha-key"}, "beta": {key: "beta-key"}},
		map[string]string{"PUBLIC_URL": "https://hooks.example.com/sw/{source}"}, nil)
	for _, tc := range []struct {
		name, source, signed string
		want                 int
	}{
		{"accepts a request signed for the source's public URL", "alpha", "https://hooks.example.com/sw/alpha", 200},
		{"accepts the other source's", "beta", "https://hooks.example.com/sw/beta", 200},
		{"refuses a request signed for another source's URL", "alpha", "https://hooks.example.com/sw/beta", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := provider.SignalWire.Sign([]byte(tc.source+"-key"), tc.signed, provider.SignalWire.Sample.ContentType, provider.SignalWire.Sample.Body)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := sample.Spec{Provider: provider.SignalWire, Secret: []byte("unused"), URL: "https://abc123.execute-api.us-east-1.amazonaws.com/signalwire/" + tc.source,
				ContentType: provider.SignalWire.Sample.ContentType, Body: provider.SignalWire.Sample.Body, Source: tc.source}.Event()
			if err != nil {
				t.Fatal(err)
			}
			for k := range ev.Headers {
				if strings.Contains(k, "signature") {
					delete(ev.Headers, k)
				}
			}
			for k, vs := range h {
				ev.Headers[strings.ToLower(k)] = vs[0]
			}
			if resp := f.invoke(ev); resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d; log line %v", resp.StatusCode, tc.want, f.lastLine())
			}
			f.queued()
		})
	}
}

func TestPublicURLMustMatchTheSources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, secretID, publicURL string
	}{
		{"refuses a public URL without {source} for several sources", "wg/signalwire/{source}", "https://hooks.example.com/sw"},
		{"refuses a public URL with {source} for a single source", "wg/signalwire", "https://hooks.example.com/sw/{source}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"SECRET_ID": tc.secretID, "QUEUE_URL": "http://127.0.0.1:1/q", "PUBLIC_URL": tc.publicURL}
			cfg := app.Must(app.FromEnv(func(k string) string { return vars[k] }))
			clients := app.ClientsFromConfig(mototest.Down(t).Config())
			if _, err := app.NewHandler(context.Background(), provider.SignalWire, cfg, clients, nil); err == nil || !strings.Contains(err.Error(), "{source}") {
				t.Fatalf("err %v, want a refusal naming {source}", err)
			}
		})
	}
}

func TestASingleSourceFunctionRefusesSourceRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, provider.Qiscus, "k", nil)
	resp := f.send("k", sample.Spec{Source: "alpha", URL: "https://abc123.execute-api.us-east-1.amazonaws.com/qiscus/alpha"})
	if resp.StatusCode != 404 || !strings.Contains(f.logs.String(), `"reason":"unknown_source"`) {
		t.Fatalf("status %d, log %s; want 404 unknown_source", resp.StatusCode, f.logs)
	}
}
