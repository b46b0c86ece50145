// Package functest checks a provider's function as it is deployed: the
// package is built into a Lambda bootstrap binary, run under the Lambda
// Runtime API with moto_server standing in for Secrets Manager and SQS, and
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

	"webhookguard/shared/apigw"
	"webhookguard/shared/lambdatest"
	"webhookguard/shared/mototest"
	"webhookguard/shared/provider"
	"webhookguard/shared/queue"
	"webhookguard/shared/sample"
)

// Exercise builds the function in the current directory and checks it end
// to end for p. extraEnv is added to the function's environment.
func Exercise(t *testing.T, p provider.Provider, extraEnv ...string) {
	t.Helper()
	moto := mototest.Shared(t)
	secretID, queueName := "functest-"+p.Name, "functest-"+p.Name
	moto.CreateSecret(t, secretID, "Pr3v-s1gning-value")
	moto.PutSecret(t, secretID, "Curr-s1gning-value")
	queueURL := moto.CreateQueue(t, queueName)

	bin := lambdatest.Build(t, ".")
	env := append(functionEnv(moto, secretID, queueURL), "MAX_BODY_BYTES=65536")
	rt := lambdatest.Start(t, bin, append(env, extraEnv...)...)

	contentType, body := sample.Body(p)
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
		{"refuses a body over MAX_BODY_BYTES", false, "Curr-s1gning-value", "", bytes.Repeat([]byte("a"), 65537), 413, ""},
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
			var e queue.Envelope
			if err := json.Unmarshal([]byte(msgs[0].Body), &e); err != nil {
				t.Fatal(err)
			}
			got, _ := e.RawBody()
			if !bytes.Equal(got, tc.body) || e.KeyStage != tc.wantStage || e.Provider != p.Name || e.RequestID != spec.RequestID {
				t.Fatalf("envelope %+v, body %q", e, got)
			}
		})
	}
	if out := rt.Output(); strings.Contains(out, "Curr-s1gning-value") || strings.Contains(out, "Pr3v-s1gning-value") || strings.Contains(out, string(body[:12])) {
		t.Fatalf("the function logged a secret or a body:\n%s", out)
	}
	if lines := strings.Count(rt.Output(), `"message":"webhook"`); lines != len(tests) {
		t.Fatalf("%d request lines for %d requests:\n%s", lines, len(tests), rt.Output())
	}
}

var runs atomic.Int64

// ColdStart measures cold starts of the function in the current directory:
// per iteration a new process is started under the Runtime API and answers
// one signed event. It reports init-ms (process start to the first request
// for an invocation) and first-response-ms (to the first answer, which
// includes loading the keys and the first SQS send), and peak-rss-MiB, the
// largest resident memory of one process.
func ColdStart(b *testing.B, p provider.Provider) { coldStart(b, p, ".") }

// ColdStartBaseline measures, the same way, a bare aws-lambda-go function
// that echoes its event and touches no AWS service: the floor the
// functions' cold start is read against.
func ColdStartBaseline(b *testing.B, bareDir string) { coldStart(b, provider.Webex, bareDir) }

func coldStart(b *testing.B, p provider.Provider, dir string) {
	moto := mototest.Shared(b)
	secretID := fmt.Sprintf("coldstart-%s-%d", p.Name, runs.Add(1))
	moto.CreateSecret(b, secretID, "Curr-s1gning-value")
	queueURL := moto.CreateQueue(b, secretID)
	bin := lambdatest.Build(b, dir)
	contentType, body := sample.Body(p)
	ev, err := sample.Spec{Provider: p, Secret: []byte("Curr-s1gning-value"), URL: "https://abc123.execute-api.us-east-1.amazonaws.com/" + p.Name,
		ContentType: contentType, Body: body}.Event()
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(ev)
	env := functionEnv(moto, secretID, queueURL)
	var initTotal, firstTotal time.Duration
	var peakRSS int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		rt := lambdatest.Start(b, bin, env...)
		init, err := rt.InitDuration(10 * time.Second)
		if err != nil {
			b.Fatal(err)
		}
		res, err := rt.Invoke(raw, 10*time.Second)
		if err != nil || res.Err {
			b.Fatalf("invoke: %v %s", err, res.Payload)
		}
		initTotal += init
		firstTotal += time.Since(start)
		b.StopTimer()
		moto.Receive(b, queueURL, 10)
		rt.Stop()
		peakRSS = max(peakRSS, rt.MaxRSSKiB())
		b.StartTimer()
	}
	b.ReportMetric(float64(initTotal.Microseconds())/1000/float64(b.N), "init-ms")
	b.ReportMetric(float64(firstTotal.Microseconds())/1000/float64(b.N), "first-response-ms")
	b.ReportMetric(float64(peakRSS)/1024, "peak-rss-MiB")
}

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
