package verify_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/shared/verify"
)

var sentinels = []error{
	verify.ErrMissingSignature, verify.ErrMalformedSignature, verify.ErrNoMatch, verify.ErrSHA256Mismatch,
	verify.ErrBodyHashMismatch, verify.ErrUnsignedBody, verify.ErrMalformedBody, verify.ErrMalformedURL,
	verify.ErrSchemeMismatch,
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzVerifyHeaders feeds arbitrary header values, Content-Types, URLs and
// bodies to every verifier: none may panic, accept, or fail with anything
// but a sentinel.
func FuzzVerifyHeaders(f *testing.F) {
	f.Add("9ca280400995777bfb54edfc6ca12bfa4a2d0552", "", "application/json", "https://example.com/", []byte("{}"))
	f.Add("RSOYDt4T1cUTdK1PDd93/VVr8B8=", "00", "application/x-www-form-urlencoded", "https://mycompany.com/myapp.php?foo=1&bar=2", []byte("a=%zz"))
	f.Add("", "", "", "", []byte(nil))
	f.Add("c3c08c1fefaf9ee198a100d5906765a6f394bf0f", "2a29f8a92b11df39da80c3b185fd62173d49c294184da585ff951eae4433571c", "text/plain", "https://x?bodySHA256=zz", []byte("x"))
	f.Add("RSOYDt4T1cUTdK1PDd93/VVr8B8=", "", "Application/X-WWW-Form-Urlencoded; charset=utf-8", "https://h:443/", []byte("&&=&a=+%41"))
	keys := []verify.Key{key("AWSCURRENT", "k1"), key("AWSPREVIOUS", "k2")}
	verifiers := []verify.Verifier{newVerifier(f, "webex", keys...), newVerifier(f, "qiscus", keys...), newVerifier(f, "signalwire", keys...)}
	f.Fuzz(func(t *testing.T, sig, sig256, contentType, url string, body []byte) {
		h := http.Header{}
		for _, name := range []string{verify.HeaderWebex, verify.HeaderQiscus, verify.HeaderSignalWire} {
			h.Set(name, sig)
		}
		if sig256 != "" {
			h.Set(verify.HeaderSignalWireSHA256, sig256)
		}
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		for _, v := range verifiers {
			m, err := v.Verify(context.Background(), verify.Request{URL: url, Header: h, Body: body})
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

// reencode returns a SignalWire signature in the other scheme's encoding:
// hex for base64, base64 for hex.
func reencode(t *testing.T, sig string) string {
	t.Helper()
	if raw, err := hex.DecodeString(sig); err == nil {
		return base64.StdEncoding.EncodeToString(raw)
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		t.Fatalf("signature %q is neither hex nor base64", sig)
	}
	return hex.EncodeToString(raw)
}

// FuzzSignVerifyRoundTrip signs arbitrary requests for every scheme and
// checks that the right key verifies them and a wrong key does not, that
// SignalWire refuses each shape of request under the other scheme, and that
// a SignalWire signature re-encoded in the other scheme never verifies,
// whatever the Content-Type.
func FuzzSignVerifyRoundTrip(f *testing.F) {
	f.Add([]byte("secret"), "https://example.com/hook?a=1", []byte("To=a&To=b&From=%2B1"))
	f.Add([]byte("PSK_x"), "http://u:p@example.com:80/", []byte(`{"call":{"call_id":"😀"}}`))
	f.Add([]byte("k"), "https://example.com:443/x?y='z'+1", []byte{})
	f.Add([]byte("k"), "https://example.com/x", []byte("&&"))
	f.Add([]byte("k"), "https://example.com/x", []byte(" [1]"))
	const form, json = "application/x-www-form-urlencoded", "application/json"
	f.Fuzz(func(t *testing.T, secret []byte, url string, body []byte) {
		if len(secret) == 0 {
			return
		}
		keys := []verify.Key{key("AWSCURRENT", "wrong "+string(secret)), {Name: "AWSPREVIOUS", Secret: secret}}
		check := func(provider string, r verify.Request, scheme verify.Scheme) {
			t.Helper()
			m, err := newVerifier(t, provider, keys...).Verify(context.Background(), r)
			if err != nil || m.Key != "AWSPREVIOUS" || m.Scheme != scheme {
				t.Fatalf("%s %s: Verify = %+v, %v", provider, scheme, m, err)
			}
			if _, err := newVerifier(t, provider, keys[0]).Verify(context.Background(), r); !errors.Is(err, verify.ErrNoMatch) {
				t.Fatalf("%s %s with a wrong key: err = %v, want ErrNoMatch", provider, scheme, err)
			}
		}
		refused := func(r verify.Request, why string) {
			t.Helper()
			if m, err := newVerifier(t, "signalwire", keys...).Verify(context.Background(), r); err == nil {
				t.Fatalf("%s: accepted %+v", why, m)
			}
		}
		reencoded := func(r verify.Request, sig string) {
			t.Helper()
			for _, ct := range []string{form, json, "text/plain", ""} {
				h := header(verify.HeaderSignalWire, reencode(t, sig))
				if ct != "" {
					h.Set("Content-Type", ct)
				}
				refused(verify.Request{URL: r.URL, Header: h, Body: r.Body}, "a signature re-encoded in the other scheme, Content-Type "+ct)
			}
		}
		check("webex", verify.Request{Header: header(verify.HeaderWebex, verify.SignWebex(secret, body)), Body: body}, verify.SchemeWebex)
		check("qiscus", verify.Request{Header: header(verify.HeaderQiscus, verify.SignQiscus(secret, body)), Body: body}, verify.SchemeQiscus)

		if _, err := newVerifier(t, "signalwire", keys...).Verify(context.Background(), verify.Request{URL: url, Header: header(verify.HeaderSignalWire, strings.Repeat("0", 40))}); errors.Is(err, verify.ErrMalformedURL) {
			return
		}
		s1, s256 := verify.SignSignalWireJSON(secret, url, body)
		jsonReq := verify.Request{URL: url, Header: header(verify.HeaderSignalWire, s1, verify.HeaderSignalWireSHA256, s256, "Content-Type", json), Body: body}
		if h, err := verify.SignSignalWire(secret, url, json, body); err == nil {
			if verify.HasBodySHA256(url) {
				return // signed with the compatibility scheme, as SignalWire does
			}
			if h.Get(verify.HeaderSignalWire) != s1 {
				t.Fatalf("SignSignalWire chose another scheme for a JSON body: %v", h)
			}
			check("signalwire", jsonReq, verify.SchemeSignalWireJSON)
			reencoded(jsonReq, s1)
			refused(verify.Request{URL: url, Header: header(verify.HeaderSignalWire, s1, "Content-Type", form), Body: body}, "a JSON-scheme signature on a form")
		} else {
			if !errors.Is(err, verify.ErrSchemeMismatch) {
				t.Fatalf("SignSignalWire err = %v, want ErrSchemeMismatch", err)
			}
			refused(jsonReq, "a JSON-scheme signature on a body that is not JSON")
		}

		if verify.HasBodySHA256(url) {
			return
		}
		hashed := verify.WithBodySHA256(url, body)
		sb, err := verify.SignSignalWireCompat(secret, hashed, body)
		if err != nil {
			t.Fatal(err)
		}
		check("signalwire", verify.Request{URL: hashed, Header: header(verify.HeaderSignalWire, sb, "Content-Type", "text/plain"), Body: body}, verify.SchemeSignalWireBodyHash)

		if sf, err := verify.SignSignalWireCompat(secret, url, body); err == nil {
			formReq := verify.Request{URL: url, Header: header(verify.HeaderSignalWire, sf, "Content-Type", form), Body: body}
			check("signalwire", formReq, verify.SchemeSignalWireForm)
			reencoded(formReq, sf)
			refused(verify.Request{URL: url, Header: header(verify.HeaderSignalWire, sf, "Content-Type", json), Body: body}, "a compatibility signature on a body that is not a form")
		} else if !errors.Is(err, verify.ErrMalformedBody) && !errors.Is(err, verify.ErrUnsignedBody) {
			t.Fatalf("SignSignalWireCompat err = %v", err)
		}
	})
}
