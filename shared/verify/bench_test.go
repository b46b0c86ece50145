package verify_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"webhookguard/shared/verify"
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
		if _, err := v.Verify(r); err != nil {
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
			benchVerify(b, v, verify.Request{URL: u, Header: header(verify.HeaderSignalWire, s1), Body: body})
		})
		b.Run(sizeName(n)+"/verify-with-sha256", func(b *testing.B) {
			b.SetBytes(int64(n))
			benchVerify(b, v, verify.Request{URL: u, Header: header(verify.HeaderSignalWire, s1, verify.HeaderSignalWireSHA256, s256), Body: body})
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
			benchVerify(b, v, verify.Request{URL: u, Header: header(verify.HeaderSignalWire, sig), Body: body})
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
		if _, err := v.Verify(r); err == nil {
			b.Fatal("accepted")
		}
	}
}
