package webhook_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"webhookguard/shared/apigw"
	"webhookguard/shared/provider"
	"webhookguard/shared/sample"
	"webhookguard/shared/verify"
	"webhookguard/shared/webhook"
)

// hostile is one adversarial delivery: a signed sample event for provider,
// changed by mutate, or a raw event.
type hostile struct {
	name       string
	provider   provider.Provider
	mutate     func(e map[string]any)
	raw        string // when set, the event JSON as is
	wantStatus int
}

// signedEvent returns the provider's sample event, signed with currentKey,
// as a generic JSON map to mutate.
func signedEvent(t *testing.T, p provider.Provider, v1 bool) map[string]any {
	t.Helper()
	ct, body := sample.Body(p)
	ev, err := sample.Spec{Provider: p, Secret: []byte(currentKey), URL: "https://" + host + "/" + p.Name, ContentType: ct, Body: body, V1: v1}.Event()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(ev)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

func headers(e map[string]any) map[string]any { return e["headers"].(map[string]any) }

func setHeader(name, value string) func(map[string]any) {
	return func(e map[string]any) { headers(e)[name] = value }
}

func dropHeader(name string) func(map[string]any) {
	return func(e map[string]any) { delete(headers(e), name) }
}

// sigHeader returns the lower-case name of the provider's signature header.
func sigHeader(p provider.Provider) string {
	switch p.Name {
	case "webex":
		return "x-spark-signature"
	case "qiscus":
		return "qiscus-sdk-signature"
	}
	return "x-signalwire-signature"
}

func TestHostileInputs(t *testing.T) {
	t.Parallel()
	var cases []hostile
	for _, p := range provider.All {
		sh := sigHeader(p)
		noHost := 401 // Webex and Qiscus do not sign the URL
		if p.UsesURL {
			noHost = 400 // SignalWire's URL cannot be rebuilt without a host
		}
		cases = append(cases,
			hostile{"missing signature header", p, dropHeader(sh), "", 401},
			hostile{"empty signature header", p, setHeader(sh, ""), "", 401},
			hostile{"signature of spaces", p, setHeader(sh, "    "), "", 401},
			hostile{"duplicated signature joined by a comma", p, func(e map[string]any) {
				headers(e)[sh] = headers(e)[sh].(string) + "," + headers(e)[sh].(string)
			}, "", 401},
			hostile{"non-hex signature", p, setHeader(sh, strings.Repeat("zz", 20)), "", 401},
			hostile{"truncated signature", p, func(e map[string]any) { headers(e)[sh] = headers(e)[sh].(string)[:10] }, "", 401},
			hostile{"oversized signature header", p, setHeader(sh, strings.Repeat("a", 64<<10)), "", 401},
			hostile{"signature with a NUL byte", p, func(e map[string]any) { headers(e)[sh] = "\x00" + headers(e)[sh].(string)[1:] }, "", 401},
			hostile{"upper-case header name with a forged value", p, func(e map[string]any) {
				delete(headers(e), sh)
				headers(e)[strings.ToUpper(sh)] = strings.Repeat("0", 40)
			}, "", 401},
			hostile{"body marked base64 that is not", p, func(e map[string]any) { e["body"], e["isBase64Encoded"] = "%%%not-base64", true }, "", 400},
			hostile{"truncated body", p, func(e map[string]any) {
				b, _ := (&apigw.Event{Body: e["body"].(string), IsBase64Encoded: e["isBase64Encoded"] == true}).RawBody(0)
				e["body"], e["isBase64Encoded"] = base64.StdEncoding.EncodeToString(b[:len(b)/2]), true
			}, "", 401},
			hostile{"body over the limit", p, func(e map[string]any) { e["body"], e["isBase64Encoded"] = strings.Repeat("x", 2<<20), false }, "", 413},
			hostile{"base64 body over the limit", p, func(e map[string]any) {
				e["body"], e["isBase64Encoded"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 2<<20)), true
			}, "", 413},
			hostile{"body of invalid UTF-8", p, func(e map[string]any) {
				e["body"], e["isBase64Encoded"] = base64.StdEncoding.EncodeToString([]byte{0xc3, 0x28, 0xff}), true
			}, "", 401},
			hostile{"GET instead of POST", p, func(e map[string]any) {
				e["requestContext"].(map[string]any)["http"].(map[string]any)["method"] = "GET"
			}, "", 405},
			hostile{"PUT instead of POST", p, func(e map[string]any) {
				e["requestContext"].(map[string]any)["http"].(map[string]any)["method"] = "PUT"
			}, "", 405},
			hostile{"event without a request context", p, func(e map[string]any) { delete(e, "requestContext") }, "", 405},
			hostile{"event that is an empty object", p, nil, `{}`, 405},
			hostile{"event with only a method", p, nil, `{"httpMethod":"POST"}`, noHost},
		)
	}
	sw := provider.SignalWire
	cases = append(cases,
		hostile{"SignalWire form with a bad escape", sw, func(e map[string]any) {
			e["body"] = base64.StdEncoding.EncodeToString([]byte("CallSid=%G1&From=%2"))
			headers(e)["x-signalwire-signature"] = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
		}, "", 400},
		hostile{"SignalWire form with a parameter added", sw, func(e map[string]any) {
			b, _ := base64.StdEncoding.DecodeString(e["body"].(string))
			e["body"] = base64.StdEncoding.EncodeToString(append(b, "&Extra=1"...))
		}, "", 401},
		hostile{"SignalWire form with repeated keys reordered", sw, func(e map[string]any) {
			e["body"] = base64.StdEncoding.EncodeToString([]byte("To=b&To=a"))
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), "https://"+host+"/signalwire", []byte("To=a&To=b"))
			headers(e)["x-signalwire-signature"] = s
		}, "", 401},
		hostile{"SignalWire URL with a port it was not signed with", sw, func(e map[string]any) { headers(e)["host"] = host + ":8443" }, "", 401},
		hostile{"SignalWire URL with a query added", sw, func(e map[string]any) { e["rawQueryString"] = "admin=1" }, "", 401},
		hostile{"SignalWire URL with an encoded path", sw, func(e map[string]any) { e["rawPath"] = "/signal%77ire" }, "", 401},
		hostile{"SignalWire request with no host at all", sw, func(e map[string]any) {
			delete(headers(e), "host")
			delete(e["requestContext"].(map[string]any), "domainName")
		}, "", 400},
		hostile{"SignalWire signature over the URL alone with a form body", sw, func(e map[string]any) {
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), "https://"+host+"/signalwire", nil)
			headers(e)["x-signalwire-signature"] = s
		}, "", 401},
		hostile{"SignalWire bodySHA256 that does not match the body", sw, func(e map[string]any) {
			u := verify.WithBodySHA256("https://"+host+"/signalwire", []byte("{}"))
			_, _, q, _ := sample.SplitURL(u)
			e["rawQueryString"] = q
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), u, nil)
			headers(e)["x-signalwire-signature"] = s
		}, "", 401},
		hostile{"SignalWire JSON signature with a forged SHA-256 companion", sw, func(e map[string]any) {
			e["body"], e["isBase64Encoded"] = `{"call":{}}`, false
			s1, _ := verify.SignSignalWireJSON([]byte(currentKey), "https://"+host+"/signalwire", []byte(`{"call":{}}`))
			headers(e)["x-signalwire-signature"] = s1
			headers(e)["x-signalwire-sha256-signature"] = strings.Repeat("0", 64)
		}, "", 401},
		hostile{"Webex body re-serialized after signing", provider.Webex, func(e map[string]any) {
			var v any
			json.Unmarshal([]byte(e["body"].(string)), &v)
			b, _ := json.Marshal(v)
			e["body"] = string(b)
		}, "", 401},
		hostile{"Webex signature computed over the body with a trailing newline", provider.Webex, func(e map[string]any) {
			headers(e)["x-spark-signature"] = verify.SignWebex([]byte(currentKey), []byte(e["body"].(string)+"\n"))
		}, "", 401},
		hostile{"Qiscus signature made with SHA-1 instead of SHA-256", provider.Qiscus, func(e map[string]any) {
			headers(e)["qiscus-sdk-signature"] = verify.SignWebex([]byte(currentKey), []byte(e["body"].(string)))
		}, "", 401},
		hostile{"Qiscus signature in the Webex header", provider.Qiscus, func(e map[string]any) {
			headers(e)["x-spark-signature"] = headers(e)["qiscus-sdk-signature"]
			delete(headers(e), "qiscus-sdk-signature")
		}, "", 401},
	)

	if len(cases) < 40 {
		t.Fatalf("only %d hostile inputs", len(cases))
	}
	t.Logf("%d hostile inputs", len(cases))
	for _, tc := range cases {
		t.Run(tc.provider.Name+" "+tc.name, func(t *testing.T) {
			t.Parallel()
			raw := []byte(tc.raw)
			if tc.raw == "" {
				e := signedEvent(t, tc.provider, false)
				tc.mutate(e)
				raw, _ = json.Marshal(e)
			}
			assertRefused(t, tc.provider, raw, tc.wantStatus)
		})
	}
	t.Run("webex REST API event with the signature twice in multiValueHeaders", func(t *testing.T) {
		e := signedEvent(t, provider.Webex, true)
		mv := e["multiValueHeaders"].(map[string]any)
		sig := mv["X-Spark-Signature"].([]any)[0]
		mv["X-Spark-Signature"] = []any{sig, strings.Repeat("0", 40)}
		raw, _ := json.Marshal(e)
		assertRefused(t, provider.Webex, raw, 401)
	})
}

// assertRefused invokes the handler with raw through aws-lambda-go and checks
// the status, that nothing was forwarded, and that the invocation did not
// fail (a panic would).
func assertRefused(t *testing.T, p provider.Provider, raw []byte, want int) {
	t.Helper()
	q := &memQueue{}
	h := &webhook.Handler{Provider: p.Name, Keys: &fakeKeys{ring: ring(t, p, currentKey, previousKey)}, Queue: q,
		EventType: p.EventType, MaxBodyBytes: 1 << 20, UsesURL: p.UsesURL}
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("invocation failed: %v", err)
	}
	var resp apigw.Response
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("status %d (%q), want %d", resp.StatusCode, resp.Body, want)
	}
	if len(q.got) != 0 {
		t.Fatalf("forwarded %d events", len(q.got))
	}
	if resp.StatusCode >= 400 && len(resp.Body) > 40 {
		t.Fatalf("error body is not short and fixed: %q", resp.Body)
	}
}
