package webhook_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/verify"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// hostile is one adversarial delivery: a signed sample event for provider,
// changed by mutate, or a raw event. It must be refused with wantStatus and
// wantReason (read from the request's log line), and nothing forwarded.
type hostile struct {
	name       string
	provider   provider.Provider
	mutate     func(e map[string]any)
	raw        string // when set, the event JSON as is
	wantStatus int
	wantReason string
	// config, when set, changes the handler's configuration.
	config func(c *webhook.Config)
}

// signedEvent returns the provider's sample event, signed with currentKey,
// as a generic JSON map to mutate.
func signedEvent(t *testing.T, p provider.Provider, v1 bool) map[string]any {
	t.Helper()
	ct, body := p.Sample.ContentType, p.Sample.Body
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

// each picks the expectation of provider p: webex, qiscus or signalwire.
func each[T any](p provider.Provider, webex, qiscus, signalwire T) T {
	switch p.Name {
	case "webex":
		return webex
	case "qiscus":
		return qiscus
	}
	return signalwire
}

const (
	swURL        = "https://" + host + "/signalwire"
	forgedBase64 = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
	forgedHex    = "0000000000000000000000000000000000000000"
	formType     = "application/x-www-form-urlencoded"
	// hostileSize is the size of the costly bodies: under the default
	// body limit, so that they reach the verifier.
	hostileSize = 700 << 10
)

// sized returns prefix followed by pattern repeated as often as fits in
// hostileSize bytes with suffix, then suffix.
func sized(prefix, pattern, suffix string) []byte {
	n := hostileSize - len(prefix) - len(suffix)
	return []byte(prefix + strings.Repeat(pattern, n/len(pattern)) + suffix)
}

// swBody makes the SignalWire event carry body with contentType and the
// signature sig (the sample's own signature when sig is "").
func swBody(contentType, sig string, body []byte) func(map[string]any) {
	return func(e map[string]any) {
		e["body"], e["isBase64Encoded"] = base64.StdEncoding.EncodeToString(body), true
		headers(e)["content-type"] = contentType
		if sig != "" {
			headers(e)["x-signalwire-signature"] = sig
		}
	}
}

// reencode returns a SignalWire signature in the other scheme's encoding.
func reencode(sig string) string {
	if raw, err := hex.DecodeString(sig); err == nil {
		return base64.StdEncoding.EncodeToString(raw)
	}
	raw, _ := base64.StdEncoding.DecodeString(sig)
	return hex.EncodeToString(raw)
}

// noDomain removes requestContext.domainName and sets the Host header.
func noDomain(hostHeader string) func(map[string]any) {
	return func(e map[string]any) {
		delete(e["requestContext"].(map[string]any), "domainName")
		headers(e)["host"] = hostHeader
	}
}

// withCredentials makes the handler's public URL carry basic-auth
// credentials.
func withCredentials(c *webhook.Config) { c.PublicURL = "https://bob:s3cret@" + host + "/signalwire" }

func TestHostileInputs(t *testing.T) {
	t.Parallel()
	var cases []hostile
	for _, p := range provider.All {
		sh := sigHeader(p)
		cases = append(cases,
			hostile{name: "missing signature header", provider: p, mutate: dropHeader(sh), wantStatus: 401, wantReason: "missing_signature"},
			hostile{name: "empty signature header", provider: p, mutate: setHeader(sh, ""), wantStatus: 401, wantReason: "missing_signature"},
			hostile{name: "signature of spaces", provider: p, mutate: setHeader(sh, "    "), wantStatus: 401, wantReason: "missing_signature"},
			hostile{name: "duplicated signature joined by a comma", provider: p, mutate: func(e map[string]any) {
				headers(e)[sh] = headers(e)[sh].(string) + "," + headers(e)[sh].(string)
			}, wantStatus: 401, wantReason: "malformed_signature"},
			hostile{name: "non-hex signature", provider: p, mutate: setHeader(sh, strings.Repeat("zz", 20)), wantStatus: 401, wantReason: "malformed_signature"},
			hostile{name: "truncated signature", provider: p, mutate: func(e map[string]any) { headers(e)[sh] = headers(e)[sh].(string)[:10] }, wantStatus: 401, wantReason: "malformed_signature"},
			hostile{name: "oversized signature header", provider: p, mutate: setHeader(sh, strings.Repeat("a", 64<<10)), wantStatus: 401, wantReason: "malformed_signature"},
			hostile{name: "signature with a NUL byte", provider: p, mutate: func(e map[string]any) { headers(e)[sh] = "\x00" + headers(e)[sh].(string)[1:] }, wantStatus: 401, wantReason: "malformed_signature"},
			hostile{name: "upper-case header name with a forged value", provider: p, mutate: func(e map[string]any) {
				delete(headers(e), sh)
				headers(e)[strings.ToUpper(sh)] = strings.Repeat("0", 40)
			}, wantStatus: 401, wantReason: each(p, "no_key_matched", "malformed_signature", "scheme_mismatch")},
			hostile{name: "body marked base64 that is not", provider: p, mutate: func(e map[string]any) { e["body"], e["isBase64Encoded"] = "%%%not-base64", true }, wantStatus: 400, wantReason: "malformed_event"},
			hostile{name: "truncated body", provider: p, mutate: func(e map[string]any) {
				b, _ := (&apigw.Event{Body: e["body"].(string), IsBase64Encoded: e["isBase64Encoded"] == true}).RawBody(0)
				e["body"], e["isBase64Encoded"] = base64.StdEncoding.EncodeToString(b[:len(b)/2]), true
			}, wantStatus: 401, wantReason: "no_key_matched"},
			hostile{name: "body over the limit", provider: p, mutate: func(e map[string]any) { e["body"], e["isBase64Encoded"] = strings.Repeat("x", 2<<20), false }, wantStatus: 413, wantReason: "body_too_large"},
			hostile{name: "base64 body over the limit", provider: p, mutate: func(e map[string]any) {
				e["body"], e["isBase64Encoded"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 2<<20)), true
			}, wantStatus: 413, wantReason: "body_too_large"},
			hostile{name: "body of invalid UTF-8", provider: p, mutate: func(e map[string]any) {
				e["body"], e["isBase64Encoded"] = base64.StdEncoding.EncodeToString([]byte{0xc3, 0x28, 0xff}), true
			}, wantStatus: each(p, 401, 401, 400), wantReason: each(p, "no_key_matched", "no_key_matched", "malformed_body")},
			hostile{name: "GET instead of POST", provider: p, mutate: func(e map[string]any) {
				e["requestContext"].(map[string]any)["http"].(map[string]any)["method"] = "GET"
			}, wantStatus: 405, wantReason: "method_not_allowed"},
			hostile{name: "PUT instead of POST", provider: p, mutate: func(e map[string]any) {
				e["requestContext"].(map[string]any)["http"].(map[string]any)["method"] = "PUT"
			}, wantStatus: 405, wantReason: "method_not_allowed"},
			hostile{name: "event without a request context", provider: p, mutate: func(e map[string]any) { delete(e, "requestContext") }, wantStatus: 405, wantReason: "method_not_allowed"},
			hostile{name: "event that is an empty object", provider: p, raw: `{}`, wantStatus: 405, wantReason: "method_not_allowed"},
			// Webex and Qiscus do not sign the URL; SignalWire's cannot be
			// rebuilt without a host.
			hostile{name: "event with only a method", provider: p, raw: `{"httpMethod":"POST"}`, wantStatus: each(p, 401, 401, 400), wantReason: each(p, "missing_signature", "missing_signature", "malformed_event")},
			hostile{name: "forged signature over a body of 700 KiB", provider: p, mutate: func(e map[string]any) {
				e["body"], e["isBase64Encoded"] = base64.StdEncoding.EncodeToString(sized(`{"a":"`, "x", `"}`)), true
				headers(e)[sh] = each(p, forgedHex, strings.Repeat("0", 64), forgedBase64)
			}, wantStatus: each(p, 401, 401, 400), wantReason: each(p, "no_key_matched", "no_key_matched", "malformed_body")},
		)
	}
	sw := provider.SignalWire
	signedJSON := func(e map[string]any) string {
		s1, _ := verify.SignSignalWireJSON([]byte(currentKey), swURL, []byte(`{"call":{}}`))
		e["body"], e["isBase64Encoded"] = `{"call":{}}`, false
		headers(e)["content-type"] = "application/json"
		return s1
	}
	cases = append(cases,
		hostile{name: "SignalWire form with a bad escape", provider: sw, mutate: swBody(formType, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", []byte("CallSid=%G1&From=%2")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form with a parameter added", provider: sw, mutate: func(e map[string]any) {
			b, _ := base64.StdEncoding.DecodeString(e["body"].(string))
			e["body"] = base64.StdEncoding.EncodeToString(append(b, "&Extra=1"...))
		}, wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire form with repeated keys reordered", provider: sw, mutate: func(e map[string]any) {
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), swURL, []byte("To=a&To=b"))
			swBody(formType, s, []byte("To=b&To=a"))(e)
		}, wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire request signed for another host, with a Host header naming it", provider: sw, mutate: func(e map[string]any) {
			headers(e)["host"] = "evil.example"
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), "https://evil.example/signalwire", sw.Sample.Body)
			headers(e)["x-signalwire-signature"] = s
		}, wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire URL with a query added", provider: sw, mutate: func(e map[string]any) { e["rawQueryString"] = "admin=1" }, wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire URL with an encoded path", provider: sw, mutate: func(e map[string]any) { e["rawPath"] = "/signal%77ire" }, wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire request with no host at all", provider: sw, mutate: func(e map[string]any) {
			delete(headers(e), "host")
			delete(e["requestContext"].(map[string]any), "domainName")
		}, wantStatus: 400, wantReason: "malformed_event"},
		hostile{name: "SignalWire signature over the URL alone with a form body", provider: sw, mutate: func(e map[string]any) {
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), swURL, nil)
			headers(e)["x-signalwire-signature"] = s
		}, wantStatus: 401, wantReason: "url_only_signature"},
		hostile{name: "SignalWire bodySHA256 that does not match the body", provider: sw, mutate: func(e map[string]any) {
			u := verify.WithBodySHA256(swURL, []byte("{}"))
			_, _, q, _ := sample.SplitURL(u)
			e["rawQueryString"] = q
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), u, nil)
			headers(e)["x-signalwire-signature"] = s
		}, wantStatus: 401, wantReason: "body_hash_mismatch"},
		hostile{name: "SignalWire JSON signature with a forged SHA-256 companion", provider: sw, mutate: func(e map[string]any) {
			headers(e)["x-signalwire-signature"] = signedJSON(e)
			headers(e)["x-signalwire-sha256-signature"] = strings.Repeat("0", 64)
		}, wantStatus: 401, wantReason: "sha256_mismatch"},

		// Costly bodies (issue: cost linear in the input).
		hostile{name: "SignalWire form of 700 KiB of '+'", provider: sw, mutate: swBody(formType, forgedBase64, sized("", "+", "")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form of 700 KiB of '%41'", provider: sw, mutate: swBody(formType, forgedBase64, sized("", "%41", "")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form of 700 KiB of '='", provider: sw, mutate: swBody(formType, forgedBase64, sized("", "=", "")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form of 700 KiB of '&' with a forged signature", provider: sw, mutate: swBody(formType, forgedBase64, sized("", "&", "")), wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire form of 700 KiB of '&' signed over the URL alone", provider: sw, mutate: func(e map[string]any) {
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), swURL, nil)
			swBody(formType, s, sized("", "&", ""))(e)
		}, wantStatus: 401, wantReason: "url_only_signature"},
		hostile{name: "SignalWire form a= then 700 KiB of '+'", provider: sw, mutate: swBody(formType, forgedBase64, sized("a=", "+", "")), wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire form a= then 700 KiB of '%41'", provider: sw, mutate: swBody(formType, forgedBase64, sized("a=", "%41", "")), wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire form a= then 700 KiB of '%41x'", provider: sw, mutate: swBody(formType, forgedBase64, sized("a=", "%41x", "")), wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire form a= then 700 KiB of '+%41' with a bad escape at the end", provider: sw, mutate: swBody(formType, forgedBase64, sized("a=", "+%41", "%4")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form of tiny parameters over the cap", provider: sw, mutate: swBody(formType, forgedBase64, sized("", "a=&", "")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form of keys without values over the cap", provider: sw, mutate: swBody(formType, forgedBase64, sized("", "a&", "")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form of tiny parameters up to the cap, then a long value", provider: sw, mutate: swBody(formType, forgedBase64, sized(strings.Repeat("a=&", verify.MaxFormParams-1)+"a=", "%41", "")), wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire form with a key of 700 KiB", provider: sw, mutate: swBody(formType, forgedBase64, sized("", "k", "=v")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form of keys of the longest length", provider: sw, mutate: swBody(formType, forgedBase64, sized(strings.Repeat(strings.Repeat("k", verify.MaxFormKeyBytes)+"=%41&", verify.MaxFormParams-1)+"v=", "x%41", "")), wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire form with a key one byte too long", provider: sw, mutate: swBody(formType, forgedBase64, []byte(strings.Repeat("k", verify.MaxFormKeyBytes+1)+"=v")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire hex signature over a JSON body of 700 KiB", provider: sw, mutate: swBody("application/json", forgedHex, sized(`{"a":"`, "x", `"}`)), wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "SignalWire hex signature over 700 KiB of white space", provider: sw, mutate: swBody("application/json", forgedHex, sized("", " ", "")), wantStatus: 401, wantReason: "scheme_mismatch"},

		// One scheme per request shape.
		hostile{name: "SignalWire form signature re-encoded as hex", provider: sw, mutate: func(e map[string]any) {
			headers(e)["x-signalwire-signature"] = reencode(headers(e)["x-signalwire-signature"].(string))
		}, wantStatus: 401, wantReason: "scheme_mismatch"},
		hostile{name: "SignalWire form signature re-encoded as hex over the form's signed string as JSON", provider: sw, mutate: func(e map[string]any) {
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), swURL, []byte("To=a&From=b"))
			swBody("application/json", reencode(s), []byte("FrombToa"))(e)
		}, wantStatus: 401, wantReason: "scheme_mismatch"},
		hostile{name: "SignalWire JSON signature re-encoded as base64", provider: sw, mutate: func(e map[string]any) {
			headers(e)["x-signalwire-signature"] = reencode(signedJSON(e))
		}, wantStatus: 401, wantReason: "scheme_mismatch"},
		hostile{name: "SignalWire JSON signature re-encoded as base64, sent as a form", provider: sw, mutate: func(e map[string]any) {
			headers(e)["x-signalwire-signature"] = reencode(signedJSON(e))
			headers(e)["content-type"] = formType
		}, wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire empty form's signature re-encoded as hex", provider: sw, mutate: func(e map[string]any) {
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), swURL, nil)
			swBody("application/json", reencode(s), nil)(e)
		}, wantStatus: 401, wantReason: "scheme_mismatch"},
		hostile{name: "SignalWire form signature with the Content-Type changed to JSON", provider: sw, mutate: setHeader("content-type", "application/json"), wantStatus: 401, wantReason: "scheme_mismatch"},
		hostile{name: "SignalWire form signature without Content-Type", provider: sw, mutate: dropHeader("content-type"), wantStatus: 401, wantReason: "scheme_mismatch"},
		hostile{name: "SignalWire form with Content-Type sent twice", provider: sw, mutate: setHeader("content-type", formType+","+formType), wantStatus: 401, wantReason: "scheme_mismatch"},
		hostile{name: "SignalWire form key with a space", provider: sw, mutate: swBody(formType, forgedBase64, []byte("Call Sid=CA1")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form key with an escape", provider: sw, mutate: swBody(formType, forgedBase64, []byte("Call%53id=CA1")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form key that is empty", provider: sw, mutate: swBody(formType, forgedBase64, []byte("=CA1")), wantStatus: 400, wantReason: "malformed_body"},
		hostile{name: "SignalWire form of separators signed over the URL alone", provider: sw, mutate: func(e map[string]any) {
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), swURL, nil)
			swBody(formType, s, []byte("&&"))(e)
		}, wantStatus: 401, wantReason: "url_only_signature"},

		// The URL is ours.
		hostile{name: "SignalWire Host header with a space and no domain name", provider: sw, mutate: noDomain(host + " /x"), wantStatus: 400, wantReason: "malformed_event"},
		hostile{name: "SignalWire Host header with credentials and no domain name", provider: sw, mutate: noDomain("bob:pw@" + host), wantStatus: 400, wantReason: "malformed_event"},
		hostile{name: "SignalWire Host header with a path and no domain name", provider: sw, mutate: noDomain(host + "/signalwire"), wantStatus: 400, wantReason: "malformed_event"},
		hostile{name: "SignalWire Host header with a bad port and no domain name", provider: sw, mutate: noDomain(host + ":99999"), wantStatus: 400, wantReason: "malformed_event"},
		hostile{name: "SignalWire Host header of empty brackets and no domain name", provider: sw, mutate: noDomain("[]"), wantStatus: 400, wantReason: "malformed_event"},
		hostile{name: "SignalWire Host header signed for, while the domain name is ours", provider: sw, mutate: func(e map[string]any) {
			headers(e)["host"] = "evil.example:8443"
			s, _ := verify.SignSignalWireCompat([]byte(currentKey), "https://evil.example:8443/signalwire", sw.Sample.Body)
			headers(e)["x-signalwire-signature"] = s
		}, wantStatus: 401, wantReason: "no_key_matched"},

		// Credentials are checked.
		hostile{name: "SignalWire without the credentials of PUBLIC_URL", provider: sw, mutate: func(map[string]any) {}, wantStatus: 401, wantReason: "bad_credentials", config: withCredentials},
		hostile{name: "SignalWire with wrong credentials", provider: sw, mutate: setHeader("authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("bob:guess"))), wantStatus: 401, wantReason: "bad_credentials", config: withCredentials},
		hostile{name: "SignalWire with the credentials sent twice", provider: sw, mutate: setHeader("authorization", "Basic Ym9iOnMzY3JldA==,Basic Ym9iOnMzY3JldA=="), wantStatus: 401, wantReason: "bad_credentials", config: withCredentials},
		hostile{name: "SignalWire with the credentials but a forged signature", provider: sw, mutate: func(e map[string]any) {
			headers(e)["authorization"] = "Basic Ym9iOnMzY3JldA=="
			headers(e)["x-signalwire-signature"] = forgedBase64
		}, wantStatus: 401, wantReason: "no_key_matched", config: withCredentials},

		hostile{name: "Webex body re-serialized after signing", provider: provider.Webex, mutate: func(e map[string]any) {
			var v any
			json.Unmarshal([]byte(e["body"].(string)), &v)
			b, _ := json.Marshal(v)
			e["body"] = string(b)
		}, wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "Webex signature computed over the body with a trailing newline", provider: provider.Webex, mutate: func(e map[string]any) {
			headers(e)["x-spark-signature"] = verify.SignWebex([]byte(currentKey), []byte(e["body"].(string)+"\n"))
		}, wantStatus: 401, wantReason: "no_key_matched"},
		hostile{name: "Qiscus signature made with SHA-1 instead of SHA-256", provider: provider.Qiscus, mutate: func(e map[string]any) {
			headers(e)["qiscus-sdk-signature"] = verify.SignWebex([]byte(currentKey), []byte(e["body"].(string)))
		}, wantStatus: 401, wantReason: "malformed_signature"},
		hostile{name: "Qiscus signature in the Webex header", provider: provider.Qiscus, mutate: func(e map[string]any) {
			headers(e)["x-spark-signature"] = headers(e)["qiscus-sdk-signature"]
			delete(headers(e), "qiscus-sdk-signature")
		}, wantStatus: 401, wantReason: "missing_signature"},
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
			assertRefused(t, tc.provider, tc.config, raw, tc.wantStatus, tc.wantReason)
		})
	}
	t.Run("webex REST API event with the signature twice in multiValueHeaders", func(t *testing.T) {
		e := signedEvent(t, provider.Webex, true)
		mv := e["multiValueHeaders"].(map[string]any)
		sig := mv["X-Spark-Signature"].([]any)[0]
		mv["X-Spark-Signature"] = []any{sig, strings.Repeat("0", 40)}
		raw, _ := json.Marshal(e)
		assertRefused(t, provider.Webex, nil, raw, 401, "malformed_signature")
	})
	t.Run("signalwire REST API event with the Host header twice and no domain name", func(t *testing.T) {
		e := signedEvent(t, sw, true)
		delete(e["requestContext"].(map[string]any), "domainName")
		e["multiValueHeaders"].(map[string]any)["Host"] = []any{host, host}
		raw, _ := json.Marshal(e)
		assertRefused(t, sw, nil, raw, 400, "malformed_event")
	})
}

// assertRefused invokes the handler with raw through aws-lambda-go and checks
// the status and the reason of its log line, that nothing was forwarded,
// and that the invocation did not fail (a panic would).
func assertRefused(t *testing.T, p provider.Provider, config func(*webhook.Config), raw []byte, wantStatus int, wantReason string) {
	t.Helper()
	q := &memQueue{}
	var logs bytes.Buffer
	c := webhook.Config{Provider: p, Keys: &fakeKeys{ring: ring(t, p, currentKey, previousKey)}, Destinations: []destination.Destination{q},
		Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	if config != nil {
		config(&c)
	}
	h := mustNew(t, c)
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), raw)
	if err != nil {
		t.Fatalf("invocation failed: %v", err)
	}
	var resp apigw.Response
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if reason := reasonOf(t, logs.String()); resp.StatusCode != wantStatus || reason != wantReason {
		t.Fatalf("status %d (%q) reason %q, want %d %q", resp.StatusCode, resp.Body, reason, wantStatus, wantReason)
	}
	if len(q.got) != 0 {
		t.Fatalf("forwarded %d events", len(q.got))
	}
	if resp.StatusCode >= 400 && len(resp.Body) > 40 {
		t.Fatalf("error body is not short and fixed: %q", resp.Body)
	}
}
