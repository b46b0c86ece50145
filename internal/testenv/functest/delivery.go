package functest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/internal/testenv/lambdaemu"
	"github.com/webhookguard/webhookguard/internal/testenv/lambdastub"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
)

const secretValue = "Curr-s1gning-value"

// setup creates a secret for the test and returns its name.
func setup(t *testing.T, moto *mototest.Server) string {
	t.Helper()
	id := fmt.Sprintf("functest-%d", runs.Add(1))
	moto.CreateSecret(t, id, secretValue)
	return id
}

// signed returns the API Gateway event of p's sample request (or body),
// signed with secret.
func signed(t *testing.T, p provider.Provider, secret string, body []byte) *apigw.Event {
	t.Helper()
	if body == nil {
		body = p.Sample.Body
	}
	ev, err := sample.Spec{Provider: p, Secret: []byte(secret), URL: "https://abc123.execute-api.us-east-1.amazonaws.com/" + p.Name,
		ContentType: p.Sample.ContentType, Body: body}.Event()
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// send hands the event to the function and returns its answer.
func send(t *testing.T, rt *lambdaemu.Runtime, ev *apigw.Event) apigw.Response {
	t.Helper()
	lines := strings.Count(rt.Output(), `"message":"webhook"`)
	defer waitLines(rt, lines+1)
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Error(err)
		return apigw.Response{}
	}
	res, err := rt.Invoke(raw, 15*time.Second)
	var resp apigw.Response
	if err != nil || res.Err || json.Unmarshal(res.Payload, &resp) != nil {
		t.Errorf("invocation failed: %v %s\n%s", err, res.Payload, rt.Output())
	}
	return resp
}

// waitLines waits until the function has written n request lines: its
// output reaches the test through a pipe, after its answer.
func waitLines(rt *lambdaemu.Runtime, n int) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if strings.Count(rt.Output(), `"message":"webhook"`) >= n {
			return
		}
	}
}

// wantStatus checks the answer, and that the function's last request line
// gives reason (unless empty).
func wantStatus(t *testing.T, rt *lambdaemu.Runtime, resp apigw.Response, status int, reason string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d\n%s", resp.StatusCode, status, rt.Output())
	}
	if status == 503 && resp.Headers["Retry-After"] == "" {
		t.Fatalf("503 without Retry-After")
	}
	if reason == "" {
		return
	}
	out := strings.TrimSpace(rt.Output())
	last := out[strings.LastIndexByte(out, '\n')+1:]
	if !strings.Contains(last, `"reason":"`+reason+`"`) {
		t.Fatalf("last log line %s, want reason %s", last, reason)
	}
}

// exerciseBus checks the function with EVENT_BUS_NAME: accepted events
// come out of a rule on the bus with their envelope as detail; a forged
// one is put nowhere.
func exerciseBus(t *testing.T, p provider.Provider, bin string, extraEnv []string) {
	moto := mototest.Shared(t)
	secretID := setup(t, moto)
	bus := moto.CreateBus(t, "functest-bus-"+p.Name)
	routed := moto.RouteToQueue(t, bus, "by-provider", fmt.Sprintf(`{"source":["webhookguard.%s"],"detail":{"provider":[%q]}}`, p.Name, p.Name))
	env := append(functionEnv(moto, secretID, ""), "EVENT_BUS_NAME="+bus)
	rt := lambdaemu.Start(t, bin, append(env, extraEnv...)...)

	wantStatus(t, rt, send(t, rt, signed(t, p, secretValue, nil)), 200, "none")
	wantStatus(t, rt, send(t, rt, signed(t, p, "F0rged-s1gning-value", nil)), 401, "no_key_matched")
	msgs := moto.Receive(t, routed, 10)
	if len(msgs) != 1 {
		t.Fatalf("%d events through the rule, want 1", len(msgs))
	}
	var ev struct {
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal([]byte(msgs[0].Body), &ev); err != nil {
		t.Fatal(err)
	}
	e, err := envelope.Decode(ev.Detail)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := e.RawBody()
	if ev.Source != "webhookguard."+p.Name || ev.DetailType != p.EventType(p.Sample.ContentType, p.Sample.Body) || !bytes.Equal(body, p.Sample.Body) {
		t.Fatalf("event %s %s with body %q", ev.Source, ev.DetailType, body)
	}
}

// exerciseAnswer checks ANSWER_FUNCTION through AWS_ENDPOINT_URL_LAMBDA:
// for a provider that reads answers, the answer is relayed byte for byte,
// a slow or failing function answers 503 within the budget, and a refused
// request invokes nothing; any other provider refuses to start.
func exerciseAnswer(t *testing.T, p provider.Provider, bin string, extraEnv []string) {
	moto := mototest.Shared(t)
	secretID := setup(t, moto)
	const menu = `<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1"><Say>Press 1 &amp; hold.</Say></Gather></Response>`
	stub := lambdastub.Start(t, func(lambdastub.Call) lambdastub.Result { return lambdastub.Answer("text/xml; charset=utf-8", menu) })
	env := append(functionEnv(moto, secretID, ""), "ANSWER_FUNCTION=arn:aws:lambda:us-east-1:123456789012:function:menu",
		"AWS_ENDPOINT_URL_LAMBDA="+stub.URL, "ANSWER_TIMEOUT=500ms")
	rt := lambdaemu.Start(t, bin, append(env, extraEnv...)...)
	if p.Reply == nil {
		if code, err := rt.Wait(10 * time.Second); err != nil || code == 0 || !strings.Contains(rt.Output(), "ANSWER_FUNCTION") {
			t.Fatalf("exit %d (%v), want a refusal to start naming ANSWER_FUNCTION:\n%s", code, err, rt.Output())
		}
		return
	}
	resp := send(t, rt, signed(t, p, secretValue, nil))
	if resp.StatusCode != 200 || resp.Body != menu || resp.Headers["Content-Type"] != "text/xml; charset=utf-8" {
		t.Fatalf("answer %d %q %q, want the function's answer\n%s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body, rt.Output())
	}
	calls := stub.Calls()
	if len(calls) != 1 || calls[0].Function != "arn:aws:lambda:us-east-1:123456789012:function:menu" || calls[0].InvocationType != "RequestResponse" {
		t.Fatalf("calls %+v", calls)
	}
	if e, err := envelope.Decode(calls[0].Payload); err != nil || e.Provider != p.Name {
		t.Fatalf("payload %s: %v", calls[0].Payload, err)
	}
	wantStatus(t, rt, send(t, rt, signed(t, p, "F0rged-s1gning-value", nil)), 401, "no_key_matched")
	if n := len(stub.Calls()); n != 1 {
		t.Fatalf("a refused request invoked the function (%d calls)", n)
	}
	for i, res := range []lambdastub.Result{
		{Delay: time.Minute, Payload: []byte(`{}`)},
		{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"boom"}`)},
		{Payload: []byte(`{"body":"<Response/>"}`)},
	} {
		stub.SetHandler(func(lambdastub.Call) lambdastub.Result { return res })
		// Each request is another call: a new body, so another signature.
		body := append(bytes.Clone(p.Sample.Body), fmt.Sprintf("&Attempt=%d", i)...)
		wantStatus(t, rt, send(t, rt, signed(t, p, secretValue, body)), 503, "answer_unavailable")
	}
}

// exerciseGuard runs several processes of the function sharing one
// DEDUP_TABLE: retries, replays and concurrent copies are forwarded once,
// a forward that failed is forwarded on the provider's retry, and an
// unreachable table answers 503.
func exerciseGuard(t *testing.T, p provider.Provider, bin string, extraEnv []string) {
	moto := mototest.Shared(t)
	secretID := setup(t, moto)
	table := moto.CreateDedupTable(t, "functest-dedup-"+p.Name)
	queueURL := moto.CreateQueue(t, "functest-dedup-"+p.Name)
	ddb := moto.Serialized(t)
	sqsProxy, sqsUp := moto.Switchable(t)
	// A generous REQUEST_TIMEOUT (the guard's calls get a quarter of it,
	// within the emulator's deadline): this pins what is forwarded, not
	// how fast.
	env := append(functionEnv(moto, secretID, queueURL), "DEDUP_TABLE="+table, "AWS_ENDPOINT_URL_DYNAMODB="+ddb.URL, "AWS_ENDPOINT_URL_SQS="+sqsProxy.URL,
		"REQUEST_TIMEOUT=30s")
	const processes = 3
	var rts []*lambdaemu.Runtime
	for i := 0; i < processes; i++ {
		rts = append(rts, lambdaemu.Start(t, bin, append(env, extraEnv...)...))
	}
	forwarded := func() int { return len(moto.Receive(t, queueURL, 100)) }

	// A retry and a replay, each to another process.
	ev := signed(t, p, secretValue, nil)
	wantStatus(t, rts[0], send(t, rts[0], ev), 200, "none")
	wantStatus(t, rts[1], send(t, rts[1], ev), 200, "replayed_signature")
	wantStatus(t, rts[2], send(t, rts[2], ev), 200, "replayed_signature")
	if n := forwarded(); n != 1 {
		t.Fatalf("retry and replay: %d forwarded, want 1", n)
	}

	// Re-encodings of one signed SignalWire form verify with one signature.
	if p.Name == provider.SignalWire.Name {
		genuine := []byte("CallSid=CA9&CallStatus=ringing&From=%2B15551234567&To=%2B15557654321")
		ev := signed(t, p, secretValue, genuine)
		wantStatus(t, rts[0], send(t, rts[0], ev), 200, "")
		for i, b := range []string{
			"To=%2B15557654321&From=%2B15551234567&CallStatus=ringing&CallSid=CA9",
			"CallSid=CA9&CallStatus=ringing&Fro=m%2B15551234567&To=%2B15557654321",
		} {
			re := signed(t, p, secretValue, genuine)
			re.Body, re.IsBase64Encoded = b, false
			rt := rts[1+i%2]
			wantStatus(t, rt, send(t, rt, re), 200, "replayed_signature")
		}
		if n := forwarded(); n != 1 {
			t.Fatalf("re-encodings: %d forwarded, want 1", n)
		}
	}

	// Concurrent copies over every process.
	const copies = 30
	concurrent := signed(t, p, secretValue, append(bytes.Clone(p.Sample.Body), ' '))
	var wg sync.WaitGroup
	statuses := make(chan int, copies)
	for i := 0; i < copies; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- send(t, rts[i%processes], concurrent).StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	n := forwarded()
	t.Logf("%d concurrent copies over %d processes: %d forwarded; statuses %v", copies, processes, n, count)
	if n != 1 || count[200]+count[503] != copies {
		t.Fatalf("concurrent copies: %d forwarded, statuses %v; want 1 forwarded", n, count)
	}

	// SQS down, then up: the provider's retry is forwarded, once.
	failed := signed(t, p, secretValue, append(bytes.Clone(p.Sample.Body), '\n'))
	sqsUp(false)
	wantStatus(t, rts[0], send(t, rts[0], failed), 503, "queue_unavailable")
	sqsUp(true)
	wantStatus(t, rts[1], send(t, rts[1], failed), 200, "")
	wantStatus(t, rts[2], send(t, rts[2], failed), 200, "")
	if n := forwarded(); n != 1 {
		t.Fatalf("retry after a failed forward: %d forwarded, want 1", n)
	}

	// An unreachable table: 503, nothing forwarded.
	down := lambdaemu.Start(t, bin, append(append(env[:len(env):len(env)], "AWS_ENDPOINT_URL_DYNAMODB="+mototest.Down(t).URL), extraEnv...)...)
	wantStatus(t, down, send(t, down, signed(t, p, secretValue, append(bytes.Clone(p.Sample.Body), '\t'))), 503, "dedup_unavailable")
	if n := forwarded(); n != 0 {
		t.Fatalf("unreachable table: %d forwarded, want 0", n)
	}
}
