package verify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/shared/verify"
)

// The benchmarks put every verifier beside the bare minimum: the canonical
// crypto/hmac check (hmac.New, Write, Sum, hmac.Equal over the same bytes),
// so that the overhead of verification reads as a ratio of the two ns/op.

var benchSizes = []int{1 << 10, 64 << 10}

func sizeName(n int) string { return fmt.Sprintf("%dKiB", n>>10) }

// jsonBody returns a JSON body of exactly n bytes.
func jsonBody(n int) []byte {
	const head, tail = `{"data":{"text":"`, `"}}`
	return []byte(head + strings.Repeat("a", n-len(head)-len(tail)) + tail)
}

// formBody returns a form body of about n bytes with ten parameters.
func formBody(n int) []byte {
	v := url.Values{}
	for i := 0; i < 10; i++ {
		v.Add(fmt.Sprintf("Param%d", 9-i), strings.Repeat("x", n/10-12))
	}
	return []byte(v.Encode())
}

func bareHMAC(b *testing.B, newHash func() hash.Hash, secret []byte, want []byte, parts ...[]byte) {
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(newHash, secret)
		for _, p := range parts {
			m.Write(p)
		}
		if !hmac.Equal(m.Sum(nil), want) {
			b.Fatal("mismatch")
		}
	}
}

func benchVerify(b *testing.B, v verify.Verifier, r verify.Request) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWebex(b *testing.B) {
	secret := []byte("somesupersecretphrase")
	v := newVerifier(b, "webex", verify.Key{Name: "AWSCURRENT", Secret: secret})
	for _, n := range benchSizes {
		body := jsonBody(n)
		sig := verify.SignWebex(secret, body)
		want, _ := hex.DecodeString(sig)
		b.Run(sizeName(n)+"/bare-hmac", func(b *testing.B) { b.SetBytes(int64(n)); bareHMAC(b, sha1.New, secret, want, body) })
		b.Run(sizeName(n)+"/verify", func(b *testing.B) {
			b.SetBytes(int64(n))
			benchVerify(b, v, verify.Request{Header: header(verify.HeaderWebex, sig), Body: body})
		})
	}
}

func BenchmarkQiscus(b *testing.B) {
	secret := []byte("YOUR_SIGNATURE_TOKEN")
	v := newVerifier(b, "qiscus", verify.Key{Name: "AWSCURRENT", Secret: secret})
	for _, n := range benchSizes {
		body := jsonBody(n)
		sig := verify.SignQiscus(secret, body)
		want, _ := hex.DecodeString(sig)
		b.Run(sizeName(n)+"/bare-hmac", func(b *testing.B) { b.SetBytes(int64(n)); bareHMAC(b, sha256.New, secret, want, body) })
		b.Run(sizeName(n)+"/verify", func(b *testing.B) {
			b.SetBytes(int64(n))
			benchVerify(b, v, verify.Request{Header: header(verify.HeaderQiscus, sig), Body: body})
		})
	}
}

func BenchmarkSignalWireJSON(b *testing.B) {
	secret := []byte("PSK_bench")
	const u = "https://abc123.execute-api.eu-west-1.amazonaws.com/signalwire"
	v := newVerifier(b, "signalwire", verify.Key{Name: "AWSCURRENT", Secret: secret})
	for _, n := range benchSizes {
		body := jsonBody(n)
		s1, s256 := verify.SignSignalWireJSON(secret, u, body)
		want, _ := hex.DecodeString(s1)
		b.Run(sizeName(n)+"/bare-hmac", func(b *testing.B) { b.SetBytes(int64(n)); bareHMAC(b, sha1.New, secret, want, []byte(u), body) })
		b.Run(sizeName(n)+"/verify", func(b *testing.B) {
			b.SetBytes(int64(n))
			benchVerify(b, v, verify.Request{URL: u, Header: header(verify.HeaderSignalWire, s1, "Content-Type", "application/json"), Body: body})
		})
		b.Run(sizeName(n)+"/verify-with-sha256", func(b *testing.B) {
			b.SetBytes(int64(n))
			benchVerify(b, v, verify.Request{URL: u, Header: header(verify.HeaderSignalWire, s1, verify.HeaderSignalWireSHA256, s256, "Content-Type", "application/json"), Body: body})
		})
	}
}

func BenchmarkSignalWireCompat(b *testing.B) {
	secret := []byte("PSK_bench")
	const u = "https://abc123.execute-api.eu-west-1.amazonaws.com/signalwire?tenant=a"
	v := newVerifier(b, "signalwire", verify.Key{Name: "AWSCURRENT", Secret: secret})
	for _, n := range benchSizes {
		body := formBody(n)
		sig, err := verify.SignSignalWireCompat(secret, u, body)
		if err != nil {
			b.Fatal(err)
		}
		want, _ := base64.StdEncoding.DecodeString(sig)
		// The bare baseline hashes the already-built signed string.
		q, _ := url.ParseQuery(string(body))
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		signed := u
		for _, k := range keys {
			for _, val := range q[k] {
				signed += k + val
			}
		}
		b.Run(sizeName(n)+"/bare-hmac", func(b *testing.B) { b.SetBytes(int64(len(body))); bareHMAC(b, sha1.New, secret, want, []byte(signed)) })
		b.Run(sizeName(n)+"/verify", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			benchVerify(b, v, verify.Request{URL: u, Header: header(verify.HeaderSignalWire, sig, "Content-Type", "application/x-www-form-urlencoded"), Body: body})
		})
	}
}

// BenchmarkForgedWebex measures a refused request against three keys: the
// price of forged traffic.
func BenchmarkForgedWebex(b *testing.B) {
	v := newVerifier(b, "webex", key("AWSCURRENT", "a"), key("AWSPENDING", "b"), key("AWSPREVIOUS", "c"))
	body := jsonBody(1 << 10)
	r := verify.Request{Header: http.Header{verify.HeaderWebex: {verify.SignWebex([]byte("forger"), body)}}, Body: body}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(context.Background(), r); err == nil {
			b.Fatal("accepted")
		}
	}
}

// forgedURL is the URL of the forged-request benchmarks: an API Gateway URL,
// which has two variants to try (as given, and with :443).
const forgedURL = "https://abc123.execute-api.us-east-1.amazonaws.com/signalwire"

// forgedPattern is one forged SignalWire request of 1 MiB, made to cost as
// much as its shape can.
type forgedPattern struct {
	name        string
	contentType string
	sig         string // X-SignalWire-Signature
	url         string
	body        []byte
	want        error // why it is refused
}

const (
	forgedBase64 = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
	forgedHex    = "0000000000000000000000000000000000000000"
	formType     = "application/x-www-form-urlencoded"
)

// oneMiB returns exactly 1 MiB: prefix, pattern repeated as often as it
// fits whole, padding 'x' (a value byte), then suffix.
func oneMiB(prefix, pattern, suffix string) []byte {
	n := 1<<20 - len(prefix) - len(suffix)
	fill := strings.Repeat(pattern, n/len(pattern))
	return []byte(prefix + fill + strings.Repeat("x", n-len(fill)) + suffix)
}

// randomMiB returns exactly 1 MiB: prefix, then tokens drawn at random
// (with a fixed seed), padded with 'x': an arrangement of escapes no branch
// predictor can learn.
func randomMiB(prefix string, tokens ...string) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := []byte(prefix)
	for {
		t := tokens[r.IntN(len(tokens))]
		if len(b)+len(t) > 1<<20 {
			break
		}
		b = append(b, t...)
	}
	for len(b) < 1<<20 {
		b = append(b, 'x')
	}
	return b
}

// tinyParams returns count parameters "a=" followed by a last one whose
// value fills the body to 1 MiB with pattern.
func tinyParams(count int, pattern string) []byte {
	return oneMiB(strings.Repeat("a=&", count-1)+"a=", pattern, "")
}

// forgedPatterns are the costliest forged requests found: bodies that are
// refused early (a bad key, too many parameters) are listed too, to show
// that they cost next to nothing.
var forgedPatterns = []forgedPattern{
	{"all-plus", formType, forgedBase64, forgedURL, oneMiB("", "+", ""), verify.ErrMalformedBody},
	{"all-pct41", formType, forgedBase64, forgedURL, oneMiB("", "%41", ""), verify.ErrMalformedBody},
	{"all-amp", formType, forgedBase64, forgedURL, oneMiB("", "&", ""), verify.ErrNoMatch},
	{"all-eq", formType, forgedBase64, forgedURL, oneMiB("", "=", ""), verify.ErrMalformedBody},
	{"value-plus", formType, forgedBase64, forgedURL, oneMiB("a=", "+", ""), verify.ErrNoMatch},
	{"value-pct41", formType, forgedBase64, forgedURL, oneMiB("a=", "%41", ""), verify.ErrNoMatch},
	{"value-plain", formType, forgedBase64, forgedURL, oneMiB("a=", "x", ""), verify.ErrNoMatch},
	{"value-pct41-x", formType, forgedBase64, forgedURL, oneMiB("a=", "%41x", ""), verify.ErrNoMatch},
	{"value-x-pct41", formType, forgedBase64, forgedURL, oneMiB("a=", "x%41", ""), verify.ErrNoMatch},
	{"value-pct41-xx", formType, forgedBase64, forgedURL, oneMiB("a=", "%41xx", ""), verify.ErrNoMatch},
	{"value-pct41-7x", formType, forgedBase64, forgedURL, oneMiB("a=", "%41xxxxxxx", ""), verify.ErrNoMatch},
	{"value-plus-pct41", formType, forgedBase64, forgedURL, oneMiB("a=", "+%41", ""), verify.ErrNoMatch},
	{"value-x7-plus", formType, forgedBase64, forgedURL, oneMiB("a=", "xxxxxxx+", ""), verify.ErrNoMatch},
	{"value-eq", formType, forgedBase64, forgedURL, oneMiB("a=", "=", ""), verify.ErrNoMatch},
	{"tiny-params-at-cap", formType, forgedBase64, forgedURL, tinyParams(verify.MaxFormParams, "x"), verify.ErrNoMatch},
	{"tiny-params-at-cap-pct41", formType, forgedBase64, forgedURL, tinyParams(verify.MaxFormParams, "%41"), verify.ErrNoMatch},
	{"tiny-params-over-cap", formType, forgedBase64, forgedURL, oneMiB("", "a=&", ""), verify.ErrMalformedBody},
	{"keys-only-over-cap", formType, forgedBase64, forgedURL, oneMiB("", "a&", ""), verify.ErrMalformedBody},
	{"params-at-cap-4KiB-each", formType, forgedBase64, forgedURL, oneMiB(strings.Repeat("a="+strings.Repeat("%41", 1365)+"&", verify.MaxFormParams-1)+"b=", "+", ""), verify.ErrNoMatch},
	{"value-random-x-pct41", formType, forgedBase64, forgedURL, randomMiB("a=", "x", "%41"), verify.ErrNoMatch},
	{"value-random-x-plus-pct41", formType, forgedBase64, forgedURL, randomMiB("a=", "x", "+", "%41"), verify.ErrNoMatch},
	{"value-random-runs-pct41", formType, forgedBase64, forgedURL, randomMiB("a=", "%41", "x", "xx", "xxxxxxx", "xxxxxxxxx"), verify.ErrNoMatch},
	{"keys-at-max-length", formType, forgedBase64, forgedURL, oneMiB(strings.Repeat(strings.Repeat("k", verify.MaxFormKeyBytes)+"=x&", verify.MaxFormParams-1)+"v=", "+", ""), verify.ErrNoMatch},
	{"long-key", formType, forgedBase64, forgedURL, oneMiB("", "a", ""), verify.ErrMalformedBody},
	{"long-key-then-value", formType, forgedBase64, forgedURL, oneMiB("", "a", "=x"), verify.ErrMalformedBody},
	{"bad-escape-at-end", formType, forgedBase64, forgedURL, oneMiB("a=", "%41", "%4"), verify.ErrMalformedBody},
	{"json-as-form", formType, forgedBase64, forgedURL, oneMiB(`{"a":"`, "x", `"}`), verify.ErrMalformedBody},
	{"hex-json", "application/json", forgedHex, forgedURL, oneMiB(`{"a":"`, "x", `"}`), verify.ErrNoMatch},
	{"hex-json-leading-space", "application/json", forgedHex, forgedURL, oneMiB("", " ", "{}"), verify.ErrNoMatch},
	{"hex-not-json", "application/json", forgedHex, forgedURL, oneMiB("", "x", ""), verify.ErrSchemeMismatch},
	{"hex-form", formType, forgedHex, forgedURL, oneMiB("a=", "x", ""), verify.ErrSchemeMismatch},
	{"base64-json", "application/json", forgedBase64, forgedURL, oneMiB(`{"a":"`, "x", `"}`), verify.ErrSchemeMismatch},
	{"bodysha256", "application/json", forgedBase64, verify.WithBodySHA256(forgedURL, nil), oneMiB(`{"a":"`, "x", `"}`), verify.ErrNoMatch},
}

// TestForgedPatternsAreRefusedForTheirReason checks that each forged
// pattern is refused for the reason it was built for, so that the benchmark
// measures the path it names (hashing, or an early refusal).
func TestForgedPatternsAreRefusedForTheirReason(t *testing.T) {
	t.Parallel()
	v := newVerifier(t, "signalwire", verify.Key{Name: "AWSCURRENT", Secret: []byte("PSK_bench")})
	for _, p := range forgedPatterns {
		if len(p.body) != 1<<20 {
			t.Errorf("%s: body of %d bytes, want 1 MiB", p.name, len(p.body))
		}
		r := verify.Request{URL: p.url, Header: header(verify.HeaderSignalWire, p.sig, "Content-Type", p.contentType), Body: p.body}
		if _, err := v.Verify(context.Background(), r); !errors.Is(err, p.want) {
			t.Errorf("%s: err = %v, want %v", p.name, err, p.want)
		}
	}
}

// BenchmarkForged1MiB measures forged SignalWire requests of 1 MiB against
// one key, next to bare-hmac-sha1, one HMAC-SHA1 over 1 MiB: the cost of
// hostile traffic, which must stay within a few HMAC passes.
func BenchmarkForged1MiB(b *testing.B) {
	secret := []byte("PSK_bench")
	v := newVerifier(b, "signalwire", verify.Key{Name: "AWSCURRENT", Secret: secret})
	buf := make([]byte, 1<<20)
	b.Run("bare-hmac-sha1", func(b *testing.B) {
		m := hmac.New(sha1.New, secret)
		m.Write(buf)
		want := m.Sum(nil)
		stop := threadCPU()
		bareHMAC(b, sha1.New, secret, want, buf)
		reportCPU(b, stop)
	})
	for _, p := range forgedPatterns {
		r := verify.Request{URL: p.url, Header: header(verify.HeaderSignalWire, p.sig, "Content-Type", p.contentType), Body: p.body}
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			stop := threadCPU()
			for b.Loop() {
				if _, err := v.Verify(context.Background(), r); err == nil {
					b.Fatal("accepted")
				}
			}
			reportCPU(b, stop)
		})
	}
}

// reportCPU reports the CPU time per operation as cpu-ns/op, where the
// system tells it.
func reportCPU(b *testing.B, stop func() (time.Duration, bool)) {
	if d, ok := stop(); ok && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
