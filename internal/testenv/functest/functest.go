// Package functest checks a provider's function as it is deployed: the
// package is built into a Lambda bootstrap binary, run under the Lambda
// Runtime API with moto_server standing in for Secrets Manager, SQS,
// EventBridge and DynamoDB (and lambdastub for the Lambda Invoke API), and
// fed API Gateway events of both payload formats.
package functest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/internal/testenv/lambdaemu"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
)

// Exercise builds the function in dir and checks it end to end for p: requests of every kind, the event bus, the answer function
// (or its refusal), and the replay guard shared by several processes.
// extraEnv is added to the function's environment.
func Exercise(t *testing.T, p provider.Provider, dir string, extraEnv ...string) {
	t.Helper()
	bin := lambdaemu.Build(t, dir)
	// Each part has a secret, a queue, a bus or a table of its own, and
	// processes of its own: they run in parallel.
	for _, part := range []struct {
		name string
		run  func(*testing.T, provider.Provider, string, []string)
	}{
		{"requests", exerciseRequests},
		{"event bus", exerciseBus},
		{"answer function", exerciseAnswer},
		{"replay guard", exerciseGuard},
	} {
		t.Run(part.name, func(t *testing.T) {
			t.Parallel()
			part.run(t, p, bin, extraEnv)
		})
	}
}

func exerciseRequests(t *testing.T, p provider.Provider, bin string, extraEnv []string) {
	moto := mototest.Shared(t)
	secretID, queueName := "functest-"+p.Name, "functest-"+p.Name
	moto.CreateSecret(t, secretID, "Pr3v-s1gning-value")
	moto.PutSecret(t, secretID, "Curr-s1gning-value")
	queueURL := moto.CreateQueue(t, queueName)

	env := append(functionEnv(moto, secretID, queueURL), "MAX_BODY_BYTES=65536")
	rt := lambdaemu.Start(t, bin, append(env, extraEnv...)...)

	contentType, body := p.Sample.ContentType, p.Sample.Body
	tests := []struct {
		name       string
		v1         bool
		secret     string
		method     string
		body       []byte
		wantStatus int
		wantStage  string
	}{
		{"accepts an HTTP API event signed with the current key", false, "Curr-s1gning-value", "", body, 200, "AWSCURRENT"},
		{"accepts a REST API event signed with the current key", true, "Curr-s1gning-value", "", body, 200, "AWSCURRENT"},
		{"accepts an event signed with the previous key", false, "Pr3v-s1gning-value", "", body, 200, "AWSPREVIOUS"},
		{"refuses an event signed with another key", false, "F0rged-s1gning-value", "", body, 401, ""},
		{"refuses a REST API event signed with another key", true, "F0rged-s1gning-value", "", body, 401, ""},
		{"refuses a GET", false, "Curr-s1gning-value", "GET", body, 405, ""},
		{"refuses a body over MAX_BODY_BYTES", false, "Curr-s1gning-value", "", append([]byte("Body="), bytes.Repeat([]byte("a"), 65537)...), 413, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := sample.Spec{Provider: p, Secret: []byte(tc.secret), URL: "https://abc123.execute-api.us-east-1.amazonaws.com/" + p.Name,
				ContentType: contentType, Body: tc.body, V1: tc.v1, RequestID: strings.ReplaceAll(tc.name, " ", "-")}
			ev, err := spec.Event()
			if err != nil {
				t.Fatal(err)
			}
			if tc.method != "" {
				if ev.V2() {
					ev.RequestContext.HTTP.Method = tc.method
				} else {
					ev.HTTPMethod = tc.method
				}
			}
			raw, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			res, err := rt.Invoke(raw, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var resp apigw.Response
			if res.Err || json.Unmarshal(res.Payload, &resp) != nil {
				t.Fatalf("invocation failed: %s\n%s", res.Payload, rt.Output())
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %q\n%s", resp.StatusCode, tc.wantStatus, resp.Body, rt.Output())
			}
			msgs := moto.Receive(t, queueURL, 10)
			if tc.wantStage == "" {
				if len(msgs) != 0 {
					t.Fatalf("a refused request reached the queue: %v", msgs)
				}
				return
			}
			if len(msgs) != 1 {
				t.Fatalf("%d messages on the queue, want 1", len(msgs))
			}
			var e envelope.Envelope
			if err := json.Unmarshal([]byte(msgs[0].Body), &e); err != nil {
				t.Fatal(err)
			}
			got, _ := e.RawBody()
			if !bytes.Equal(got, tc.body) || e.KeyStage != tc.wantStage || e.Provider != p.Name || e.RequestID != spec.RequestID {
				t.Fatalf("envelope %+v, body %q", e, got)
			}
		})
	}
	t.Run("a cold start over TLS opens one connection to Secrets Manager and one to SQS, both during init", func(t *testing.T) {
		e := NewEndpoints(t, moto)
		env := ColdStartSetup(t, moto, e, "functest-tls-"+p.Name)
		c := RunCold(t, bin, e, append(env, extraEnv...), ColdStartEvent(t, p))
		if c.Status != 200 || c.SecretsConns != 1 || c.SQSConns != 1 || c.InitSecretsConns != 1 || c.InitSQSConns != 1 {
			t.Fatalf("first response %d; connections to Secrets Manager %d (%d during init), to SQS %d (%d during init); want 200 and one to each, during init",
				c.Status, c.SecretsConns, c.InitSecretsConns, c.SQSConns, c.InitSQSConns)
		}
	})
	rt.Stop() // every line the process wrote is read once it has exited
	if out := rt.Output(); strings.Contains(out, "Curr-s1gning-value") || strings.Contains(out, "Pr3v-s1gning-value") || strings.Contains(out, string(body[:12])) {
		t.Fatalf("the function logged a secret or a body:\n%s", out)
	}
	if lines := strings.Count(rt.Output(), `"message":"webhook"`); lines != len(tests) {
		t.Fatalf("%d request lines for %d requests:\n%s", lines, len(tests), rt.Output())
	}
}

// StartsAtLogLevels builds the function in dir and checks,
// for each AWS_LAMBDA_LOG_LEVEL given (Lambda's levels run from TRACE to
// FATAL), that it starts and answers a signed request with 200 and a forged
// one with 401; where the level lets WARN lines through, that the forged
// request's line is written, after the genuine one's line exactly when the
// level lets INFO lines through.
func StartsAtLogLevels(t *testing.T, p provider.Provider, dir string, levels ...string) {
	t.Helper()
	moto := mototest.Shared(t)
	bin := lambdaemu.Build(t, dir)
	for _, level := range levels {
		t.Run(level, func(t *testing.T) {
			t.Parallel()
			id := fmt.Sprintf("loglevel-%s-%d", p.Name, runs.Add(1))
			moto.CreateSecret(t, id, "Curr-s1gning-value")
			queueURL := moto.CreateQueue(t, id)
			rt := lambdaemu.Start(t, bin, append(functionEnv(moto, id, queueURL), "AWS_LAMBDA_LOG_LEVEL="+level)...)
			if _, err := rt.InitDuration(10 * time.Second); err != nil {
				t.Fatalf("the function did not start: %v\n%s", err, rt.Output())
			}
			for _, c := range []struct {
				secret string
				want   int
			}{{"Curr-s1gning-value", 200}, {"F0rged-s1gning-value", 401}} {
				ev, err := sample.Spec{Provider: p, Secret: []byte(c.secret), URL: "https://abc123.execute-api.us-east-1.amazonaws.com/" + p.Name,
					ContentType: p.Sample.ContentType, Body: p.Sample.Body}.Event()
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := json.Marshal(ev)
				res, err := rt.Invoke(raw, 10*time.Second)
				if err != nil {
					t.Fatalf("invoke: %v\n%s", err, rt.Output())
				}
				var resp apigw.Response
				if res.Err || json.Unmarshal(res.Payload, &resp) != nil || resp.StatusCode != c.want {
					t.Fatalf("answer %s, want %d\n%s", res.Payload, c.want, rt.Output())
				}
			}
			if level == "ERROR" || level == "FATAL" {
				return
			}
			// The lines reach the output through a pipe: wait for the
			// forged request's, which comes after the genuine one's.
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(rt.Output(), `"outcome":"rejected"`); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("no line for the forged request at %s\n%s", level, rt.Output())
				}
			}
			accepted := strings.Contains(rt.Output(), `"outcome":"accepted"`)
			if want := level != "WARN"; accepted != want {
				t.Fatalf("line for the genuine request written: %v, want %v at %s\n%s", accepted, want, level, rt.Output())
			}
		})
	}
}

var runs atomic.Int64

// functionEnv is the environment a function gets in these checks: its
// secret and queue, moto_server as the AWS endpoint, and JSON logs as the
// template configures.
func functionEnv(moto *mototest.Server, secretID, queueURL string) []string {
	return []string{
		"SECRET_ID=" + secretID, "QUEUE_URL=" + queueURL,
		"AWS_ENDPOINT_URL=" + moto.URL, "AWS_REGION=" + mototest.Region,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
	}
}
