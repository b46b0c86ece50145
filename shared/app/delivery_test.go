package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/internal/testenv/lambdastub"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/answer"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/bus"
	"github.com/webhookguard/webhookguard/shared/dedup"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// busEvent is an EventBridge event as a rule delivers it to SQS.
type busEvent struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// ruleQueue creates a bus with a rule matching every webhookguard event,
// targeting a queue, and returns the bus and the queue's URL.
func ruleQueue(t *testing.T) (busName, queueURL string) {
	t.Helper()
	s := mototest.Shared(t)
	busName = s.CreateBus(t, fmt.Sprintf("bus-%d", seq.Add(1)))
	return busName, s.RouteToQueue(t, busName, "all", `{"source":[{"prefix":"webhookguard."}]}`)
}

// busEvents returns the events the rule delivered.
func busEvents(t *testing.T, queueURL string) []busEvent {
	t.Helper()
	var out []busEvent
	for _, m := range mototest.Shared(t).Receive(t, queueURL, 10) {
		var e busEvent
		if err := json.Unmarshal([]byte(m.Body), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func assertLog(t *testing.T, f *fixture, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(f.logs.String(), w) {
			t.Fatalf("log lacks %s:\n%s", w, f.logs.String())
		}
	}
}

func TestEventBridgeDestination(t *testing.T) {
	t.Parallel()
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			busName, rq := ruleQueue(t)
			f := newFixture(t, p, "k", func(c *app.Config, _ *app.Clients) { c.QueueURL, c.EventBusName = "", busName })
			if resp := f.send("k", sample.Spec{}); resp.StatusCode != 200 {
				t.Fatalf("status %d\n%s", resp.StatusCode, f.logs.String())
			}
			if resp := f.send("forged", sample.Spec{}); resp.StatusCode != 401 {
				t.Fatalf("forged: status %d", resp.StatusCode)
			}
			got := busEvents(t, rq)
			if len(got) != 1 {
				t.Fatalf("%d events through the rule, want 1 (none for the forged request)", len(got))
			}
			e, err := envelope.Decode(got[0].Detail)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := e.RawBody()
			wantType := p.EventType(p.Sample.ContentType, p.Sample.Body)
			if got[0].Source != "webhookguard."+p.Name || got[0].DetailType != wantType || e.EventType != wantType ||
				!bytes.Equal(body, p.Sample.Body) || e.DedupKey != p.DedupKey(p.Sample.ContentType, p.Sample.Body) {
				t.Fatalf("event %s %s, envelope %+v", got[0].Source, got[0].DetailType, e)
			}
			assertLog(t, f, `"bus":"delivered"`, `"busErrors":0`)
		})
	}
}

func TestEventBridgeFailuresAnswer503(t *testing.T) {
	t.Parallel()
	down := mototest.Down(t)
	tests := []struct {
		name string
		bus  func(t *testing.T) (string, *app.Clients)
	}{
		{"EventBridge unreachable", func(t *testing.T) (string, *app.Clients) {
			return "b", &app.Clients{Bus: bus.NewClient(down.Config())}
		}},
		{"a bus that does not exist", func(t *testing.T) (string, *app.Clients) { return "no-such-bus", nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name, cl := tc.bus(t)
			f := newFixture(t, provider.Qiscus, "k", func(c *app.Config, clients *app.Clients) {
				c.EventBusName = name
				if cl != nil {
					clients.Bus = cl.Bus
				}
			})
			resp := f.send("k", sample.Spec{})
			if resp.StatusCode != 503 || resp.Headers["Retry-After"] == "" {
				t.Fatalf("status %d headers %v, want 503 with Retry-After", resp.StatusCode, resp.Headers)
			}
			assertLog(t, f, `"reason":"bus_unavailable"`, `"queue":"delivered"`, `"bus":"failed"`)
		})
	}
}

// answerFixture is the SignalWire function with ANSWER_FUNCTION pointing at
// a Lambda stand-in.
func answerFixture(t *testing.T, result lambdastub.Result, tune func(*app.Config)) (*fixture, *lambdastub.Server) {
	t.Helper()
	stub := lambdastub.Start(t, func(lambdastub.Call) lambdastub.Result { return result })
	f := newFixture(t, provider.SignalWire, "k", func(c *app.Config, _ *app.Clients) {
		c.AnswerFunction = "phone-menu"
		if tune != nil {
			tune(c)
		}
	}, app.WithAnswerFunction(stubbed(stub)))
	return f, stub
}

// stubbed builds the answer function as answer.Build does, against the
// Lambda stand-in.
func stubbed(stub *lambdastub.Server) app.AnswerFunction {
	return func(_ aws.Config, name string, timeout time.Duration) webhook.Answerer {
		return answer.Build(stub.Config(), name, timeout)
	}
}

func TestAnswerFunction(t *testing.T) {
	t.Parallel()
	const swml = `{"version":"1.0.0","sections":{"main":[{"answer":{}},{"play":{"url":"say:Hello & welcome."}},{"hangup":{}}]}}`
	tests := []struct {
		name          string
		result        lambdastub.Result
		tune          func(*app.Config)
		secret        string
		wantStatus    int
		wantType      string
		wantBody      string
		wantReason    string
		wantCalls     int
		wantForwarded int
	}{
		{"relays the answer byte for byte", lambdastub.Answer("application/json", swml), nil, "k", 200, "application/json", swml, "none", 1, 1},
		{"answers 503 within the budget when the function is slow", lambdastub.Result{Delay: 20 * time.Second, Payload: lambdastub.Answer("text/xml", "<Response/>").Payload},
			func(c *app.Config) { c.AnswerTimeout = 300 * time.Millisecond }, "k", 503, "text/plain; charset=utf-8", "service unavailable, retry later\n", "answer_unavailable", 1, 1},
		{"answers 503 when the function fails", lambdastub.Result{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"boom"}`)}, nil, "k", 503, "", "", "answer_unavailable", 1, 1},
		{"answers 503 when the function returns another shape", lambdastub.Result{Payload: []byte(`"<Response/>"`)}, nil, "k", 503, "", "", "answer_unavailable", 1, 1},
		{"answers 503 when Lambda throttles", lambdastub.Result{ServiceError: "TooManyRequestsException", Status: http.StatusTooManyRequests}, nil, "k", 503, "", "", "answer_unavailable", 1, 1},
		{"answers answer-only without a queue", lambdastub.Answer("text/xml", "<Response/>"), func(c *app.Config) { c.QueueURL = "" }, "k", 200, "text/xml", "<Response/>", "none", 1, 0},
		{"never invokes the function for a forged request", lambdastub.Answer("text/xml", "<Response/>"), nil, "forged", 401, "", "", "no_key_matched", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, stub := answerFixture(t, tc.result, tc.tune)
			resp := f.send(tc.secret, sample.Spec{})
			if resp.StatusCode != tc.wantStatus || (tc.wantBody != "" && (resp.Body != tc.wantBody || resp.Headers["Content-Type"] != tc.wantType)) {
				t.Fatalf("response %d %q %q, want %d %q %q\n%s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body, tc.wantStatus, tc.wantType, tc.wantBody, f.logs.String())
			}
			if tc.wantStatus == 503 && resp.Headers["Retry-After"] == "" {
				t.Fatalf("503 without Retry-After")
			}
			assertLog(t, f, `"reason":"`+tc.wantReason+`"`)
			calls := stub.Calls()
			if len(calls) != tc.wantCalls {
				t.Fatalf("%d invocations, want %d", len(calls), tc.wantCalls)
			}
			if len(calls) == 1 {
				e, err := envelope.Decode(calls[0].Payload)
				body, _ := e.RawBody()
				if err != nil || !bytes.Equal(body, provider.SignalWire.Sample.Body) || e.Provider != "signalwire" {
					t.Fatalf("payload %s (%v), want the envelope", calls[0].Payload, err)
				}
			}
			if got := len(f.drain()); got != tc.wantForwarded {
				t.Fatalf("%d queued, want %d", got, tc.wantForwarded)
			}
		})
	}
}

func TestAnswerAndQueueCompose(t *testing.T) {
	t.Parallel()
	t.Run("200 only when the queue took the event too", func(t *testing.T) {
		down := mototest.Down(t)
		f, stub := answerFixture(t, lambdastub.Answer("text/xml", "<Response/>"), nil)
		f2 := newFixture(t, provider.SignalWire, "k", func(c *app.Config, cl *app.Clients) {
			c.AnswerFunction = "phone-menu"
			cl.Queue = app.ClientsFromConfig(down.Config()).Queue
		}, app.WithAnswerFunction(stubbed(stub)))
		if resp := f.send("k", sample.Spec{}); resp.StatusCode != 200 || len(f.drain()) != 1 {
			t.Fatalf("both up: status %d", resp.StatusCode)
		}
		if resp := f2.send("k", sample.Spec{}); resp.StatusCode != 503 {
			t.Fatalf("queue down: status %d, want 503", resp.StatusCode)
		}
		assertLog(t, f2, `"reason":"queue_unavailable"`, `"answer":"delivered"`, `"queue":"failed"`)
	})
}

func TestAnswerFunctionOnlyForSignalWire(t *testing.T) {
	t.Parallel()
	for _, p := range []provider.Provider{provider.Webex, provider.Qiscus} {
		cfg := app.Config{SecretID: "s", AnswerFunction: "phone-menu", QueueURL: "https://q"}
		_, err := app.NewHandler(context.Background(), p, cfg, app.ClientsFromConfig(mototest.Down(t).Config()), nil)
		if err == nil || !strings.Contains(err.Error(), "ANSWER_FUNCTION") {
			t.Fatalf("%s: %v, want a refusal naming ANSWER_FUNCTION", p.Name, err)
		}
	}
	_, err := app.NewHandler(context.Background(), provider.SignalWire, app.Config{SecretID: "s"}, app.ClientsFromConfig(mototest.Down(t).Config()), nil)
	if err == nil || !strings.Contains(err.Error(), "no destination: set QUEUE_URL, EVENT_BUS_NAME or (SignalWire only) ANSWER_FUNCTION") {
		t.Fatalf("no destination: %v", err)
	}
	cfg := app.Config{SecretID: "s", AnswerFunction: "phone-menu"}
	_, err = app.NewHandler(context.Background(), provider.SignalWire, cfg, app.ClientsFromConfig(mototest.Down(t).Config()), nil)
	if err == nil || !strings.Contains(err.Error(), "app.WithAnswerFunction") {
		t.Fatalf("ANSWER_FUNCTION without WithAnswerFunction: %v", err)
	}
}

// guarded returns a fixture whose replay guard uses table, reached through
// ddb (by default a proxy that gives moto_server DynamoDB's per-item
// atomicity; handlers sharing a table share it).
func guarded(t *testing.T, p provider.Provider, table string, ddb *mototest.Server, tune func(*app.Config, *app.Clients), opts ...app.Option) *fixture {
	t.Helper()
	if ddb == nil {
		ddb = mototest.Shared(t).Serialized(t)
	}
	return newFixture(t, p, "k", func(c *app.Config, cl *app.Clients) {
		c.DedupTable = table
		cl.DynamoDB = dedup.NewClient(ddb.Config())
		// A generous budget (the guard's calls get a quarter of it):
		// these tests pin what is forwarded, not how fast.
		c.RequestTimeout = 40 * time.Second
		if tune != nil {
			tune(c, cl)
		}
	}, opts...)
}

func newTable(t *testing.T) string {
	return mototest.Shared(t).CreateDedupTable(t, fmt.Sprintf("dedup-%d", seq.Add(1)))
}

func TestReplayGuardRefusesRetriesAndReplays(t *testing.T) {
	t.Parallel()
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			f := guarded(t, p, newTable(t), nil, nil)
			spec := sample.Spec{}
			for i, want := range []string{`"outcome":"accepted"`, `"outcome":"duplicate"`, `"outcome":"duplicate"`} {
				if resp := f.send("k", spec); resp.StatusCode != 200 {
					t.Fatalf("copy %d: status %d", i, resp.StatusCode)
				}
				if lines := strings.Split(strings.TrimSpace(f.logs.String()), "\n"); !strings.Contains(lines[len(lines)-1], want) {
					t.Fatalf("copy %d: log %s, want %s", i, lines[len(lines)-1], want)
				}
			}
			if got := len(f.drain()); got != 1 {
				t.Fatalf("%d forwarded, want 1", got)
			}
			assertLog(t, f, `"reason":"replayed_signature"`, `"duplicates":1`, `{"Name":"duplicates","Unit":"Count"}`)
			// The same event signed with another key is another request:
			// the guard lets it through, and dedupKey tells the consumer.
			f.moto.PutSecret(t, f.secretID, "k2")
			if resp := f.send("k2", spec); resp.StatusCode != 200 {
				t.Fatalf("re-signed: status %d", resp.StatusCode)
			}
			got := f.drain()
			if len(got) != 1 || got[0].DedupKey != p.DedupKey(p.Sample.ContentType, p.Sample.Body) {
				t.Fatalf("re-signed copy: %+v", got)
			}
		})
	}
}

func TestReplayGuardRefusesAReplayDaysLater(t *testing.T) {
	t.Parallel()
	s := mototest.Shared(t)
	table := newTable(t)
	now := time.Now()
	var mu sync.Mutex
	g, err := dedup.New(dedup.Config{Client: dedup.NewClient(s.Config()), Table: table, Timeout: 30 * time.Second,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, provider.Webex, "k", nil, app.WithGuard(g))
	send := func(after time.Duration, wantOutcome string) {
		mu.Lock()
		now = now.Add(after)
		mu.Unlock()
		if resp := f.send("k", sample.Spec{}); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if lines := strings.Split(strings.TrimSpace(f.logs.String()), "\n"); !strings.Contains(lines[len(lines)-1], wantOutcome) {
			t.Fatalf("after %s: %s, want %s", after, lines[len(lines)-1], wantOutcome)
		}
	}
	send(0, `"outcome":"accepted"`)
	send(3*24*time.Hour, `"outcome":"duplicate"`)
	send(3*24*time.Hour, `"outcome":"duplicate"`)
	send(2*24*time.Hour, `"outcome":"accepted"`) // 8 days on: past the window, as the README says
	if got := len(f.drain()); got != 2 {
		t.Fatalf("%d forwarded, want 2", got)
	}
}

// TestReplayGuardRefusesReEncodings sends bodies an attacker can build from
// one captured SignalWire compatibility request: the signature covers the
// parameters concatenated without separators, so all of them verify with
// the captured signature. Only the genuine one is forwarded.
func TestReplayGuardRefusesReEncodings(t *testing.T) {
	t.Parallel()
	f := guarded(t, provider.SignalWire, newTable(t), nil, nil)
	const url = "https://abc123.execute-api.us-east-1.amazonaws.com/signalwire"
	genuine := "CallSid=CA1&CallStatus=ringing&From=%2B15551234567&To=%2B15557654321"
	spec := sample.Spec{Provider: provider.SignalWire, Secret: []byte("k"), URL: url, ContentType: "application/x-www-form-urlencoded", Body: []byte(genuine)}
	captured, err := spec.Headers()
	if err != nil {
		t.Fatal(err)
	}
	bodies := []string{
		genuine,
		"To=%2B15557654321&From=%2B15551234567&CallStatus=ringing&CallSid=CA1",  // reordered
		"CallSid=CA1&CallStatus=ringing&From=%2b15551234567&To=%2b15557654321",  // re-escaped
		"CallSid=CA1&CallStatus=ringing&Fro=m%2B15551234567&To=%2B15557654321",  // a key boundary moved: no From at all
		"CallSid=CA1&CallStatus=ringing&From=%2B15551234567&To=%2B15557654321&", // a trailing separator
	}
	for i, b := range bodies {
		in := apigw.Incoming{Method: "POST", Host: "abc123.execute-api.us-east-1.amazonaws.com", Path: "/signalwire", Header: captured.Clone(),
			Body: []byte(b), Stage: "$default", RequestID: fmt.Sprintf("r%d", i), Time: time.Now()}
		resp := invoke(t, f.h, apigw.V2Event(in))
		if resp.StatusCode != 200 {
			t.Fatalf("body %d: status %d\n%s", i, resp.StatusCode, f.logs.String())
		}
	}
	got := f.drain()
	raw, _ := got[0].RawBody()
	if len(got) != 1 || string(raw) != genuine {
		t.Fatalf("forwarded %d, first %q; want the genuine body once", len(got), raw)
	}
	if n := strings.Count(f.logs.String(), `"outcome":"duplicate"`); n != len(bodies)-1 {
		t.Fatalf("%d duplicates, want %d", n, len(bodies)-1)
	}
}

// TestReplayGuardForwardsConcurrentCopiesOnce sends many copies of one
// request at once to several handlers, each with AWS clients of its own,
// as function instances sharing the table are.
func TestReplayGuardForwardsConcurrentCopiesOnce(t *testing.T) {
	t.Parallel()
	const instances, copiesEach = 6, 8
	table := newTable(t)
	ddb := mototest.Shared(t).Serialized(t)
	var handlers []*fixture
	for i := 0; i < instances; i++ {
		handlers = append(handlers, guarded(t, provider.Webex, table, ddb, nil))
	}
	// Every handler verifies with its own secret name; sign with the
	// value they share, and send to one queue.
	ev, err := sample.Spec{Provider: provider.Webex, Secret: []byte("k"), URL: "https://h/webex", ContentType: "application/json", Body: provider.Webex.Sample.Body}.Event()
	if err != nil {
		t.Fatal(err)
	}
	statuses := make(chan int, instances*copiesEach)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, f := range handlers {
		for c := 0; c < copiesEach; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses <- invoke(t, f.h, ev).StatusCode
			}()
		}
	}
	close(start)
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	forwarded := 0
	for _, f := range handlers {
		forwarded += len(f.drain())
	}
	t.Logf("%d copies sent to %d handlers sharing one table: %d forwarded, %d answered 200 (accepted or duplicate), %d answered 503 (in flight)",
		instances*copiesEach, instances, forwarded, count[200], count[503])
	if forwarded != 1 || count[200]+count[503] != instances*copiesEach {
		t.Fatalf("forwarded %d, statuses %v; want exactly one forwarded", forwarded, count)
	}
}

func TestReplayGuardLetsTheRetryOfAFailedForwardThrough(t *testing.T) {
	t.Parallel()
	t.Run("SQS down then up: the retry is forwarded once", func(t *testing.T) {
		t.Parallel()
		sqsProxy, sqsUp := mototest.Shared(t).Switchable(t)
		f := guarded(t, provider.Qiscus, newTable(t), nil, func(_ *app.Config, cl *app.Clients) {
			cl.Queue = app.ClientsFromConfig(sqsProxy.Config()).Queue
		})
		sqsUp(false)
		if resp := f.send("k", sample.Spec{}); resp.StatusCode != 503 {
			t.Fatalf("SQS down: status %d, want 503", resp.StatusCode)
		}
		sqsUp(true)
		for i, want := range []int{200, 200} {
			if resp := f.send("k", sample.Spec{}); resp.StatusCode != want {
				t.Fatalf("retry %d: status %d", i, resp.StatusCode)
			}
		}
		if got := len(f.drain()); got != 1 {
			t.Fatalf("%d forwarded, want 1", got)
		}
		assertLog(t, f, `"reason":"queue_unavailable"`, `"outcome":"accepted"`, `"outcome":"duplicate"`)
	})
	t.Run("bus down, queue up: the retry goes to the bus only", func(t *testing.T) {
		t.Parallel()
		busName, rq := ruleQueue(t)
		ebProxy, busUp := mototest.Shared(t).Switchable(t)
		f := guarded(t, provider.Qiscus, newTable(t), nil, func(c *app.Config, cl *app.Clients) {
			c.EventBusName = busName
			cl.Bus = bus.NewClient(ebProxy.Config())
		})
		busUp(false)
		if resp := f.send("k", sample.Spec{}); resp.StatusCode != 503 {
			t.Fatalf("bus down: status %d, want 503", resp.StatusCode)
		}
		busUp(true)
		if resp := f.send("k", sample.Spec{}); resp.StatusCode != 200 {
			t.Fatalf("retry: status %d", resp.StatusCode)
		}
		if q, b := len(f.drain()), len(busEvents(t, rq)); q != 1 || b != 1 {
			t.Fatalf("queue got %d, bus %d; want each once", q, b)
		}
		assertLog(t, f, `"queue":"already_delivered"`)
	})
}

func TestReplayGuardAnswers503WhileACopyIsInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	slow := webhook.AnswerFunc(func(ctx context.Context, _ *destination.Event) (provider.Reply, error) {
		entered <- struct{}{}
		<-release
		return provider.Reply{ContentType: "text/xml", Body: "<Response/>"}, nil
	})
	f := guarded(t, provider.SignalWire, newTable(t), nil, nil, app.WithAnswerer(slow))
	first := make(chan apigw.Response)
	go func() { first <- f.send("k", sample.Spec{}) }()
	<-entered
	copy := f.send("k", sample.Spec{})
	close(release)
	if resp := <-first; resp.StatusCode != 200 || resp.Body != "<Response/>" {
		t.Fatalf("first: %d %q", resp.StatusCode, resp.Body)
	}
	if copy.StatusCode != 503 || copy.Headers["Retry-After"] == "" {
		t.Fatalf("copy in flight: status %d, want 503 with Retry-After", copy.StatusCode)
	}
	assertLog(t, f, `"reason":"in_flight"`)
	if got := len(f.drain()); got != 1 {
		t.Fatalf("%d forwarded, want 1", got)
	}
}

func TestReplayGuardUnreachableAnswers503(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		srv  func(t *testing.T) *mototest.Server
	}{
		{"DynamoDB unreachable", func(t *testing.T) *mototest.Server { return mototest.Down(t) }},
		{"DynamoDB hangs", func(t *testing.T) *mototest.Server { return mototest.Hanging(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, provider.Webex, "k", func(c *app.Config, cl *app.Clients) {
				c.DedupTable = "t"
				cl.DynamoDB = dedup.NewClient(tc.srv(t).Config())
			})
			resp := f.send("k", sample.Spec{})
			if resp.StatusCode != 503 || resp.Headers["Retry-After"] == "" {
				t.Fatalf("status %d, want 503 with Retry-After", resp.StatusCode)
			}
			assertLog(t, f, `"reason":"dedup_unavailable"`)
			if got := len(f.drain()); got != 0 {
				t.Fatalf("%d forwarded without the guard, want none", got)
			}
		})
	}
}

func TestWebexMaxEventAge(t *testing.T) {
	t.Parallel()
	event := func(ev string, created time.Time) []byte {
		data := `{"id":"M1"}`
		if !created.IsZero() {
			data = fmt.Sprintf(`{"id":"M1","created":%q}`, created.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		return []byte(fmt.Sprintf(`{"resource":"messages","event":%q,"data":%s}`, ev, data))
	}
	now := time.Now()
	tests := []struct {
		name       string
		body       []byte
		wantStatus int
		wantReason string
	}{
		{"refuses a created event older than the limit", event("created", now.Add(-2*time.Hour)), 401, "stale_event"},
		{"accepts a fresh created event", event("created", now.Add(-time.Minute)), 200, "none"},
		{"accepts an event without data.created", event("created", time.Time{}), 200, "none"},
		{"does not judge other events by data.created", event("deleted", now.Add(-48*time.Hour)), 200, "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, provider.Webex, "k", func(c *app.Config, _ *app.Clients) { c.MaxEventAge = time.Hour })
			if resp := f.send("k", sample.Spec{ContentType: "application/json", Body: tc.body}); resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			assertLog(t, f, `"reason":"`+tc.wantReason+`"`)
		})
	}
}

func TestFromEnvReadsDestinationsAndGuard(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SECRET_ID": "s", "EVENT_BUS_NAME": " webhooks ", "ANSWER_FUNCTION": "arn:aws:lambda:us-east-1:1:function:f",
		"ANSWER_TIMEOUT": "2500ms", "DEDUP_TABLE": "dedup", "DEDUP_WINDOW": "3d"}
	c, err := app.FromEnv(func(k string) string { return env[k] })
	if err != nil || c.EventBusName != "webhooks" || c.AnswerFunction != env["ANSWER_FUNCTION"] || c.AnswerTimeout != 2500*time.Millisecond ||
		c.DedupTable != "dedup" || c.DedupWindow != 72*time.Hour {
		t.Fatalf("FromEnv = %+v, %v", c, err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"refuses a window that is not a duration", map[string]string{"DEDUP_WINDOW": "a week"}, "DEDUP_WINDOW"},
		{"refuses a window of zero days", map[string]string{"DEDUP_WINDOW": "0d"}, "DEDUP_WINDOW"},
		{"refuses an answer timeout beyond the request budget", map[string]string{"ANSWER_TIMEOUT": "4s"}, "ANSWER_TIMEOUT"},
		{"refuses an answer timeout beyond a shorter request budget", map[string]string{"ANSWER_TIMEOUT": "2s", "REQUEST_TIMEOUT": "2s"}, "ANSWER_TIMEOUT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.env["SECRET_ID"] = "s"
			if _, err := app.FromEnv(func(k string) string { return tc.env[k] }); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FromEnv: %v, want an error naming %s", err, tc.want)
			}
		})
	}
}
