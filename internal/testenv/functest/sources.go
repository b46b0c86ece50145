package functest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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

// SecretsManagerCounter is a reverse proxy in front of a Secrets Manager
// endpoint that counts the calls going through it, by operation.
type SecretsManagerCounter struct {
	*httptest.Server
	lists, gets, others atomic.Int64
}

// CountSecretsManager starts a counting proxy to the endpoint target,
// stopped when the test ends.
func CountSecretsManager(t testing.TB, target string) *SecretsManagerCounter {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	c := &SecretsManagerCounter{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Amz-Target") {
		case "secretsmanager.ListSecrets":
			c.lists.Add(1)
		case "secretsmanager.GetSecretValue":
			c.gets.Add(1)
		default:
			c.others.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

// Calls returns the calls counted so far: ListSecrets, GetSecretValue and
// any other operation.
func (c *SecretsManagerCounter) Calls() (lists, gets, others int64) {
	return c.lists.Load(), c.gets.Load(), c.others.Load()
}

// Total returns every call counted so far.
func (c *SecretsManagerCounter) Total() int64 {
	l, g, o := c.Calls()
	return l + g + o
}

// ExerciseSources builds the function in dir and checks
// it end to end for p as a function serving several sources: SECRET_ID
// "<prefix>{source}", two sources with their own keys, HTTP API events for
// POST /<provider>/{source}, a signature of one source refused on the
// other, unknown and malformed sources answered 404, and 200 requests for
// random unknown sources answered with at most 20 Secrets Manager calls,
// counted by a proxy between the function and moto_server.
func ExerciseSources(t *testing.T, p provider.Provider, dir string) {
	t.Helper()
	moto := mototest.Shared(t)
	n := runs.Add(1)
	prefix := fmt.Sprintf("functest-%d/%s/", n, p.Name)
	keys := map[string]string{"alpha": "Alpha-s1gning-value", "beta": "Beta-s1gning-value"}
	for name, key := range keys {
		moto.CreateSecret(t, prefix+name, key)
	}
	queueURL := moto.CreateQueue(t, fmt.Sprintf("functest-sources-%s-%d", p.Name, n))
	sm := CountSecretsManager(t, moto.URL)

	bin := lambdaemu.Build(t, dir)
	env := append(functionEnv(moto, prefix+"{source}", queueURL), "AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL)
	rt := lambdaemu.Start(t, bin, env...)

	invoke := func(t *testing.T, ev *apigw.Event) apigw.Response {
		t.Helper()
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
		return resp
	}
	event := func(t *testing.T, source, secret string, v1 bool) *apigw.Event {
		t.Helper()
		ev, err := sample.Spec{Provider: p, Secret: []byte(secret), URL: "https://abc123.execute-api.us-east-1.amazonaws.com/" + p.Name + "/" + source,
			ContentType: p.Sample.ContentType, Body: p.Sample.Body, V1: v1, Source: source, RequestID: "req-" + source}.Event()
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}

	tests := []struct {
		name       string
		source     string
		secret     string
		v1         bool
		wantStatus int
	}{
		{"accepts an HTTP API event for alpha signed with alpha's key", "alpha", keys["alpha"], false, 200},
		{"accepts an HTTP API event for beta signed with beta's key", "beta", keys["beta"], false, 200},
		{"accepts a REST API event for alpha signed with alpha's key", "alpha", keys["alpha"], true, 200},
		{"refuses alpha signed with beta's key", "alpha", keys["beta"], false, 401},
		{"refuses beta signed with alpha's key", "beta", keys["alpha"], false, 401},
		{"answers 404 to an unknown source", "gamma", keys["alpha"], false, 404},
		{"answers 404 to an upper-case source", "Alpha", keys["alpha"], false, 404},
		{"answers 404 to a source with a dot", "alpha.beta", keys["alpha"], false, 404},
		{"answers 404 to a source too long", strings.Repeat("a", 64), keys["alpha"], false, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := invoke(t, event(t, tc.source, tc.secret, tc.v1))
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %q\n%s", resp.StatusCode, tc.wantStatus, resp.Body, rt.Output())
			}
			msgs := moto.Receive(t, queueURL, 10)
			if tc.wantStatus != 200 {
				if len(msgs) != 0 {
					t.Fatalf("a refused request reached the queue: %v", msgs)
				}
				return
			}
			if len(msgs) != 1 || msgs[0].Attributes["source"] != tc.source || msgs[0].Attributes["provider"] != p.Name {
				t.Fatalf("messages %+v", msgs)
			}
			var e envelope.Envelope
			if err := json.Unmarshal([]byte(msgs[0].Body), &e); err != nil || e.Source != tc.source || e.Provider != p.Name || e.KeyStage != "AWSCURRENT" {
				t.Fatalf("envelope %+v, %v", e, err)
			}
		})
	}

	t.Run("answers 200 requests for random unknown sources with at most 20 Secrets Manager calls, cold start included", func(t *testing.T) {
		// A function of its own, so that every call of its life counts.
		sm := CountSecretsManager(t, moto.URL)
		rt := lambdaemu.Start(t, bin, append(functionEnv(moto, prefix+"{source}", queueURL), "AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm.URL)...)
		const requests = 200
		for i := 0; i < requests; i++ {
			name := fmt.Sprintf("%016x", rand.Uint64())
			raw, _ := json.Marshal(event(t, name, keys["alpha"], false))
			res, err := rt.Invoke(raw, 10*time.Second)
			var resp apigw.Response
			if err != nil || res.Err || json.Unmarshal(res.Payload, &resp) != nil || resp.StatusCode != 404 {
				t.Fatalf("request %d for %s: %v %s, want 404\n%s", i, name, err, res.Payload, rt.Output())
			}
		}
		lists, gets, others := sm.Calls()
		t.Logf("%s: %d requests for random unknown sources to a new function: %d Secrets Manager calls (%d ListSecrets, %d GetSecretValue, %d other)",
			p.Name, requests, sm.Total(), lists, gets, others)
		if sm.Total() > 20 {
			t.Fatalf("%d Secrets Manager calls for %d requests, want at most 20", sm.Total(), requests)
		}
		// The function's output arrives through a pipe: give the last lines
		// time to come through.
		got := 0
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if got = strings.Count(rt.Output(), `"reason":"unknown_source"`); got >= requests || time.Now().After(deadline) {
				break
			}
		}
		if got != requests {
			t.Fatalf("%d lines with reason unknown_source, want %d", got, requests)
		}
		if msgs := moto.Receive(t, queueURL, 10); len(msgs) != 0 {
			t.Fatalf("a refused request reached the queue: %v", msgs)
		}
	})

	out := rt.Output()
	for _, key := range keys {
		if strings.Contains(out, key) {
			t.Fatalf("the function logged a secret:\n%s", out)
		}
	}
	if lines, want := strings.Count(out, `"message":"webhook"`), len(tests); lines != want {
		t.Fatalf("%d request lines for %d requests", lines, want)
	}
	if !strings.Contains(out, `"source":"alpha"`) || !strings.Contains(out, `"source":"beta"`) {
		t.Fatalf("the log lines do not name the sources:\n%s", out)
	}
}
