package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/webhookguard/webhookguard/internal/devkit/devenv"
	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/internal/moto"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/event"
	"github.com/webhookguard/webhookguard/shared/provider"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

// syncBuffer is the output of run, read while it writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// local is make run started in process on free ports.
type local struct {
	addr string
	moto string // moto_server's URL
	out  *syncBuffer
}

// start runs the local API with o (addresses filled in) and env as its
// environment, until the test ends, with a moto_server forked from the
// tests' zygote.
func start(t *testing.T, o options, env map[string]string) *local {
	t.Helper()
	o.forkMoto = true
	return startLocal(t, o, env)
}

// startLocal is start with o's own choice of moto_server: without
// forkMoto, it starts one as make run does.
func startLocal(t *testing.T, o options, env map[string]string) *local {
	t.Helper()
	mototest.Require(t)
	o.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	o.motoPort = freePort(t)
	if o.template == "" {
		o.template = "../../template.yaml"
	}
	o.quiet = true
	ctx, cancel := context.WithCancel(context.Background())
	l := &local{addr: o.addr, moto: "http://127.0.0.1:" + strconv.Itoa(o.motoPort), out: &syncBuffer{}}
	done := make(chan error, 1)
	go func() { done <- run(ctx, o, func(k string) string { return env[k] }, l.out) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if !strings.Contains(l.out.String(), "stopping") {
			t.Errorf("no clean stop:\n%s", l.out.String())
		}
	})
	l.waitFor(t, "Ctrl-C stops everything")
	return l
}

// waitFor waits until the output contains s, count times (default once).
func (l *local) waitFor(t *testing.T, s string, count ...int) {
	t.Helper()
	n := 1
	if len(count) > 0 {
		n = count[0]
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Count(l.out.String(), s) >= n {
			return
		}
	}
	t.Fatalf("%q not printed %d times within 20 s:\n%s", s, n, l.out.String())
}

// post sends p's sample (or body) signed with secret and returns the
// status and the answer.
func (l *local) post(t *testing.T, p provider.Provider, secret string, body ...string) (int, string) {
	t.Helper()
	u := "http://" + l.addr + "/" + p.Name
	ct, b := p.Sample.ContentType, p.Sample.Body
	if len(body) > 0 {
		b = []byte(body[0])
	}
	h, err := sample.Spec{Provider: p, Secret: []byte(secret), URL: u, ContentType: ct, Body: b}.Headers()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// queued returns the envelopes waiting on the local queue, deleting them.
func (l *local) queued(t *testing.T) []envelope.Envelope {
	t.Helper()
	var out []envelope.Envelope
	for _, m := range mototest.At(l.moto).Receive(t, l.moto+"/123456789012/"+devenv.QueueName, 10) {
		e, err := envelope.Decode([]byte(m.Body))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *e)
	}
	return out
}

// TestRunKeepsEventsForConsumers does what the README asks a newcomer to
// do: start the local API, send a signed and a forged webhook to each
// provider, see the signed ones printed, and find them on the queue, where
// a consumer would.
func TestRunKeepsEventsForConsumers(t *testing.T) {
	t.Parallel()
	l := startLocal(t, options{envelopes: true}, nil) // moto_server as make run starts it
	for _, p := range provider.All {
		if status, answer := l.post(t, p, devenv.Secret(p.Name)); status != 200 {
			t.Fatalf("%s signed: %d %s\n%s", p.Name, status, answer, l.out.String())
		}
		if status, _ := l.post(t, p, "wrong-key"); status != 401 {
			t.Fatalf("%s forged: status %d", p.Name, status)
		}
	}
	l.waitFor(t, "QUEUED provider=", len(provider.All))
	got := map[string]bool{}
	for _, e := range l.queued(t) {
		got[e.Provider] = true
		body, _ := e.RawBody()
		p, _ := provider.ByName(e.Provider)
		if !bytes.Equal(body, p.Sample.Body) || e.DedupKey == "" {
			t.Fatalf("queued %+v", e)
		}
	}
	for _, p := range provider.All {
		if !got[p.Name] || !strings.Contains(l.out.String(), "QUEUED provider="+p.Name) {
			t.Fatalf("no queued %s event (queue %v):\n%s", p.Name, got, l.out.String())
		}
	}
	if !strings.Contains(l.out.String(), `"bodyEncoding": "utf8"`) || !strings.Contains(l.out.String(), `"dedupKey": "`) {
		t.Fatalf("-envelopes printed no envelope:\n%s", l.out.String())
	}
	sendToSources(t, l)
}

// TestRunPassesTheEnvironmentToTheFunctions sets a Webex sender policy and
// a SignalWire answer in the environment, as a user would before make run.
func TestRunPassesTheEnvironmentToTheFunctions(t *testing.T) {
	t.Parallel()
	const cxml = `<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello from the environment</Say></Response>`
	l := start(t, options{consume: true}, map[string]string{
		"WEBEX_ALLOWED_EMAILS":     "bob@example.com", // the sample is alice's
		"SIGNALWIRE_CXML_RESPONSE": cxml,
		"PUBLIC_URL":               "https://tunnel.example.com/signalwire", // not for Webex, which does not sign the URL
	})
	if status, _ := l.post(t, provider.Webex, devenv.Secret("webex")); status != 200 {
		t.Fatalf("webex: status %d", status)
	}
	if status, answer := l.post(t, provider.Qiscus, devenv.Secret("qiscus")); status != 200 {
		t.Fatalf("qiscus: status %d %s", status, answer)
	}
	l.waitFor(t, "QUEUED provider=qiscus")
	if strings.Contains(l.out.String(), "QUEUED provider=webex") {
		t.Fatalf("the sender policy let alice's event through:\n%s", l.out.String())
	}
	// PUBLIC_URL is SignalWire's: a request signed for the local URL is
	// refused, one signed for PUBLIC_URL is accepted.
	if status, _ := l.post(t, provider.SignalWire, devenv.Secret("signalwire")); status != 401 {
		t.Fatalf("signalwire signed for the local URL: status %d, want 401 with PUBLIC_URL set", status)
	}
	u := "http://" + l.addr + "/signalwire"
	h, err := sample.Spec{Provider: provider.SignalWire, Secret: []byte(devenv.Secret("signalwire")), URL: "https://tunnel.example.com/signalwire",
		ContentType: provider.SignalWire.Sample.ContentType, Body: provider.SignalWire.Sample.Body}.Headers()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(provider.SignalWire.Sample.Body))
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(answer) != cxml {
		t.Fatalf("signalwire: %d %q, want SIGNALWIRE_CXML_RESPONSE", resp.StatusCode, answer)
	}
	// -consume empties the queue.
	l.waitFor(t, "QUEUED provider=signalwire")
	deadline := time.Now().Add(10 * time.Second)
	for len(l.queued(t)) != 0 || queueLength(t, l) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("-consume left events on the queue")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// queueLength is how many messages the queue holds, visible or not.
func queueLength(t *testing.T, l *local) int {
	t.Helper()
	out, err := mototest.At(l.moto).SQSClient().GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(l.moto + "/123456789012/" + devenv.QueueName), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"},
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range out.Attributes {
		k, _ := strconv.Atoi(v)
		n += k
	}
	return n
}

func TestRunRefusesATakenMotoPort(t *testing.T) {
	t.Parallel()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	defer other.Close()
	motoSrv := mototest.Shared(t)
	for _, tc := range []struct {
		name    string
		url     string
		wantErr string
	}{
		{name: "says when another program holds the port", url: other.URL, wantErr: "is taken by another program, not moto_server"},
		{name: "says when a moto_server already runs there", url: motoSrv.URL, wantErr: "a moto_server already answers on port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := url.Parse(tc.url)
			port, _ := strconv.Atoi(u.Port())
			var out bytes.Buffer
			err := run(context.Background(), options{addr: "127.0.0.1:0", motoPort: port, template: "../../template.yaml"}, func(string) string { return "" }, &out)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "-moto-port") {
				t.Fatalf("run = %v, want %q", err, tc.wantErr)
			}
		})
	}
	if err := moto.Check(other.URL); err == nil {
		t.Fatal("moto.Check took a plain HTTP server for moto_server")
	}
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "describes itself on -h", args: []string{"-h"}, wantCode: 0, wantStdout: "Run the webhook functions of template.yaml on this machine"},
		{name: "lists the consume flag on -h", args: []string{"-h"}, wantCode: 0, wantStdout: "-consume"},
		{name: "refuses an extra argument", args: []string{"-quiet", "now"}, wantCode: 2, wantStderr: `unexpected argument "now"`},
		{name: "refuses an unknown flag", args: []string{"-port", "3000"}, wantCode: 2, wantStderr: "flag provided but not defined: -port"},
		{name: "refuses -consume with -bot, which consumes the queue", args: []string{"-consume", "-bot"}, wantCode: 2, wantStderr: "-bot and -consume cannot be used together"},
		{name: "refuses a port out of range", args: []string{"-moto-port", "70000"}, wantCode: 2, wantStderr: "-moto-port 70000 is not a port"},
		{name: "fails with 1 on a missing template", args: []string{"-template", "testdata/none.yaml"}, wantCode: 1, wantStderr: "localapi: open testdata/none.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := cli(context.Background(), tc.args, func(string) string { return "" }, &stdout, &stderr)
			if code != tc.wantCode || !strings.Contains(stdout.String(), tc.wantStdout) || !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout.String(), stderr.String())
			}
			if code == 2 && !strings.Contains(stderr.String(), "Usage: localapi") {
				t.Fatalf("no usage on stderr:\n%s", stderr.String())
			}
		})
	}
}

// TestRunWithTheBotShowsItsReply is the README's "from make run to a bot
// reply": the reference bot consumes the queue against the local Webex
// stand-in, and its reply is printed; with -answer, the reference IVR
// answers SignalWire.
func TestRunWithTheBotShowsItsReply(t *testing.T) {
	t.Parallel()
	l := start(t, options{bot: true, answer: true}, map[string]string{"IVR_GREETING": "Welcome to the local loop."})
	if status, answer := l.post(t, provider.Webex, devenv.Secret("webex")); status != 200 {
		t.Fatalf("webex: %d %s", status, answer)
	}
	l.waitFor(t, "BOT REPLY in room Y2lzY29zcGFyazovL3VzL1JPT00vMQ: hello from webhookctl")
	if status, _ := l.post(t, provider.Qiscus, devenv.Secret("qiscus")); status != 200 {
		t.Fatalf("qiscus: status %d", status)
	}
	l.waitFor(t, "QUEUED provider=qiscus")
	for deadline := time.Now().Add(20 * time.Second); queueLength(t, l) != 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the bot left events on the queue; it drops what is not Webex")
		}
	}
	if i, j := strings.Index(l.out.String(), "QUEUED provider=webex"), strings.Index(l.out.String(), "BOT REPLY"); i < 0 || j < i {
		t.Fatalf("the reply was printed before the event:\n%s", l.out.String())
	}
	if strings.Count(l.out.String(), "BOT REPLY") != 1 {
		t.Fatalf("the bot replied more than once:\n%s", l.out.String())
	}

	// -answer: SignalWire is answered by the reference IVR.
	status, answer := l.post(t, provider.SignalWire, devenv.Secret("signalwire"))
	want := `<?xml version="1.0" encoding="UTF-8"?><Response><Say>Welcome to the local loop.</Say>` +
		`<Gather input="dtmf" numDigits="1" timeout="5" action="http://` + l.addr + `/signalwire" method="POST"><Say>Press 1 for our opening hours.</Say></Gather>` +
		`<Say>We did not receive any input. Goodbye.</Say></Response>`
	if status != 200 || answer != want {
		t.Fatalf("answer %d\n%s\nwant\n%s", status, answer, want)
	}
	status, answer = l.post(t, provider.SignalWire, devenv.Secret("signalwire"), "AccountSid=a&CallSid=c&CallStatus=in-progress&Digits=1")
	if status != 200 || !strings.Contains(answer, "<Hangup/>") {
		t.Fatalf("answer to 1: %d %s", status, answer)
	}
	l.waitFor(t, "QUEUED provider=signalwire", 2) // answered and queued
}

// sendToSources sends to the per-source routes of the template, as a
// deployment serving several bots or projects: each source is verified
// with its own development secret, and its events name it.
func sendToSources(t *testing.T, l *local) {
	for _, p := range provider.All {
		u := "http://" + l.addr + "/" + p.Name + "/beta"
		for _, tc := range []struct {
			secret string
			want   int
		}{{devenv.SourceSecret(p.Name, "beta"), 200}, {devenv.SourceSecret(p.Name, "alpha"), 401}} {
			h, err := sample.Spec{Provider: p, Secret: []byte(tc.secret), URL: u, ContentType: p.Sample.ContentType, Body: p.Sample.Body}.Headers()
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(p.Sample.Body))
			req.Header = h
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("%s source beta signed with %q: status %d, want %d\n%s", p.Name, tc.secret, resp.StatusCode, tc.want, l.out.String())
			}
		}
		l.waitFor(t, "QUEUED provider="+p.Name+" source=beta ")
	}
}

// TestRunWithABusAndTheReplayGuard hands events to a local EventBridge bus
// whose rule routes them to the queue, with the replay guard on: a
// consumer reads the bus's events from the queue, and a replayed request
// is not handed on twice.
func TestRunWithABusAndTheReplayGuard(t *testing.T) {
	t.Parallel()
	l := start(t, options{bus: true, dedup: true}, nil)
	for i := 0; i < 2; i++ { // the same signed request twice: a replay
		if status, answer := l.post(t, provider.Webex, devenv.Secret("webex")); status != 200 {
			t.Fatalf("webex #%d: %d %s", i+1, status, answer)
		}
	}
	if status, _ := l.post(t, provider.Qiscus, devenv.Secret("qiscus")); status != 200 {
		t.Fatalf("qiscus: status %d", status)
	}
	l.waitFor(t, "ON BUS provider=qiscus")
	if n := strings.Count(l.out.String(), "ON BUS provider=webex"); n != 1 {
		t.Fatalf("the webex event went on the bus %d times, want once:\n%s", n, l.out.String())
	}
	var got []string
	for deadline := time.Now().Add(20 * time.Second); len(got) < 2 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, m := range mototest.At(l.moto).Receive(t, l.moto+"/123456789012/"+devenv.QueueName, 10) {
			ev, err := event.FromSQS(events.SQSMessage{Body: m.Body})
			if err != nil {
				t.Fatalf("a consumer cannot read %s: %v", m.Body, err)
			}
			got = append(got, ev.Provider())
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"qiscus", "webex"}) {
		t.Fatalf("the queue received %v through the bus, want qiscus and webex once each", got)
	}
}

func TestRunRefusesAnAnswerFunctionItCannotInvoke(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), options{addr: "127.0.0.1:0", motoPort: freePort(t), template: "../../template.yaml"},
		func(k string) string { return map[string]string{"ANSWER_FUNCTION": "my-answer"}[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ANSWER_FUNCTION=my-answer is a Lambda function, which make run cannot invoke") {
		t.Fatalf("run = %v", err)
	}
}
