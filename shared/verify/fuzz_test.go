package verify_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"webhookguard/shared/verify"
)

var sentinels = []error{
	verify.ErrMissingSignature, verify.ErrMalformedSignature, verify.ErrNoMatch, verify.ErrSHA256Mismatch,
	verify.ErrBodyHashMismatch, verify.ErrUnsignedBody, verify.ErrMalformedBody, verify.ErrMalformedURL,
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzVerifyHeaders feeds arbitrary header values, URLs and bodies to every
// verifier: none may panic, accept, or fail with anything but a sentinel.
func FuzzVerifyHeaders(f *testing.F) {
	f.Add("9ca280400995777bfb54edfc6ca12bfa4a2d0552", "", "https://example.com/", []byte("{}"))
	f.Add("RSOYDt4T1cUTdK1PDd93/VVr8B8=", "00", "https://mycompany.com/myapp.php?foo=1&bar=2", []byte("a=%zz"))
	f.Add("", "", "", []byte(nil))
	f.Add("c3c08c1fefaf9ee198a100d5906765a6f394bf0f", "2a29f8a92b11df39da80c3b185fd62173d49c294184da585ff951eae4433571c", "https://x?bodySHA256=zz", []byte("x"))
	keys := []verify.Key{key("AWSCURRENT", "k1"), key("AWSPREVIOUS", "k2")}
	verifiers := []verify.Verifier{newVerifier(f, "webex", keys...), newVerifier(f, "qiscus", keys...), newVerifier(f, "signalwire", keys...)}
	f.Fuzz(func(t *testing.T, sig, sig256, url string, body []byte) {
		h := http.Header{}
		for _, name := range []string{verify.HeaderWebex, verify.HeaderQiscus, verify.HeaderSignalWire} {
			h.Set(name, sig)
		}
		if sig256 != "" {
			h.Set(verify.HeaderSignalWireSHA256, sig256)
		}
		for _, v := range verifiers {
			m, err := v.Verify(verify.Request{URL: url, Header: h, Body: body})
			if err == nil {
				// Accepting a fuzzed signature means the fuzzer forged HMAC.
				t.Fatalf("%T accepted a forged request: %+v", v, m)
			}
			if !isSentinel(err) {
				t.Fatalf("%T: err = %v, not a sentinel", v, err)
			}
		}
	})
}

// FuzzSignVerifyRoundTrip signs arbitrary requests for every scheme and
// checks that the right key verifies them and a wrong key does not.
func FuzzSignVerifyRoundTrip(f *testing.F) {
	f.Add([]byte("secret"), "https://example.com/hook?a=1", []byte("To=a&To=b&From=%2B1"))
	f.Add([]byte("PSK_x"), "http://u:p@example.com:80/", []byte(`{"call":{"call_id":"😀"}}`))
	f.Add([]byte("k"), "https://example.com:443/x?y='z'+1", []byte{})
	f.Fuzz(func(t *testing.T, secret []byte, url string, body []byte) {
		if len(secret) == 0 {
			return
		}
		keys := []verify.Key{key("AWSCURRENT", "wrong "+string(secret)), {Name: "AWSPREVIOUS", Secret: secret}}
		check := func(provider string, r verify.Request, scheme verify.Scheme) {
			t.Helper()
			m, err := newVerifier(t, provider, keys...).Verify(r)
			if err != nil || m.Key != "AWSPREVIOUS" || m.Scheme != scheme {
				t.Fatalf("%s %s: Verify = %+v, %v", provider, scheme, m, err)
			}
			if _, err := newVerifier(t, provider, keys[0]).Verify(r); !errors.Is(err, verify.ErrNoMatch) {
				t.Fatalf("%s %s with a wrong key: err = %v, want ErrNoMatch", provider, scheme, err)
			}
		}
		check("webex", verify.Request{Header: header(verify.HeaderWebex, verify.SignWebex(secret, body)), Body: body}, verify.SchemeWebex)
		check("qiscus", verify.Request{Header: header(verify.HeaderQiscus, verify.SignQiscus(secret, body)), Body: body}, verify.SchemeQiscus)

		if _, err := newVerifier(t, "signalwire", keys...).Verify(verify.Request{URL: url, Header: header(verify.HeaderSignalWire, strings.Repeat("0", 40))}); errors.Is(err, verify.ErrMalformedURL) {
			return
		}
		s1, s256 := verify.SignSignalWireJSON(secret, url, body)
		check("signalwire", verify.Request{URL: url, Header: header(verify.HeaderSignalWire, s1, verify.HeaderSignalWireSHA256, s256), Body: body}, verify.SchemeSignalWireJSON)

		if hasBodySHA256(url) {
			return
		}
		hashed := verify.WithBodySHA256(url, body)
		sb, err := verify.SignSignalWireCompat(secret, hashed, body)
		if err != nil {
			t.Fatal(err)
		}
		check("signalwire", verify.Request{URL: hashed, Header: header(verify.HeaderSignalWire, sb), Body: body}, verify.SchemeSignalWireBodyHash)

		if sf, err := verify.SignSignalWireCompat(secret, url, body); err == nil {
			check("signalwire", verify.Request{URL: url, Header: header(verify.HeaderSignalWire, sf), Body: body}, verify.SchemeSignalWireForm)
		}
	})
}

// hasBodySHA256 reports whether u already names a bodySHA256 parameter.
func hasBodySHA256(u string) bool {
	return strings.Contains(u, "?bodySHA256=") || strings.Contains(u, "&bodySHA256=")
}
