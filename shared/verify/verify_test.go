package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/shared/verify"
)

// vector is one known-answer case from testdata/vectors.json.
type vector struct {
	Name     string            `json:"name"`
	Provider string            `json:"provider"`
	Key      string            `json:"key"`
	URL      string            `json:"url"`
	Body     string            `json:"body"`
	Headers  map[string]string `json:"headers"`
	// ContentType is the Content-Type the body was sent with (SignalWire,
	// whose schemes each authenticate one shape of body).
	ContentType string            `json:"contentType"`
	Scheme      verify.Scheme     `json:"scheme"`
	Variant     verify.URLVariant `json:"variant"`
	Source      string            `json:"source"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

func newVerifier(t testing.TB, provider string, keys ...verify.Key) verify.Verifier {
	t.Helper()
	var (
		v   verify.Verifier
		err error
	)
	switch provider {
	case "webex":
		v, err = verify.NewWebex(keys...)
	case "qiscus":
		v, err = verify.NewQiscus(keys...)
	case "signalwire":
		v, err = verify.NewSignalWire(keys...)
	default:
		t.Fatalf("unknown provider %q", provider)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// header builds an http.Header the way a server does, canonicalising names.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func key(name, secret string) verify.Key { return verify.Key{Name: name, Secret: []byte(secret)} }

func TestPublicVectors(t *testing.T) {
	t.Parallel()
	for _, vc := range loadVectors(t) {
		t.Run(vc.Name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range vc.Headers {
				h.Add(k, v)
			}
			if vc.ContentType != "" {
				h.Set("Content-Type", vc.ContentType)
			}
			req := verify.Request{URL: vc.URL, Header: h, Body: []byte(vc.Body)}
			for _, keys := range [][]verify.Key{
				{key("AWSCURRENT", vc.Key)},
				{key("AWSCURRENT", "a newer key"), key("AWSPREVIOUS", vc.Key)},
			} {
				want := keys[len(keys)-1].Name
				m, err := newVerifier(t, vc.Provider, keys...).Verify(context.Background(), req)
				if err != nil {
					t.Fatalf("Verify with %d keys: %v", len(keys), err)
				}
				if m.Key != want || m.Scheme != vc.Scheme || m.URLVariant != vc.Variant {
					t.Fatalf("Verify = %+v, want key %s scheme %s variant %q", m, want, vc.Scheme, vc.Variant)
				}
			}
			if _, err := newVerifier(t, vc.Provider, key("AWSCURRENT", vc.Key+"x")).Verify(context.Background(), req); !errors.Is(err, verify.ErrNoMatch) {
				t.Fatalf("Verify with a wrong key = %v, want ErrNoMatch", err)
			}
		})
	}
}

func TestSigningReproducesPublicVectors(t *testing.T) {
	t.Parallel()
	for _, vc := range loadVectors(t) {
		t.Run(vc.Name, func(t *testing.T) {
			secret, body := []byte(vc.Key), []byte(vc.Body)
			h := http.Header{}
			for k, v := range vc.Headers {
				h.Add(k, v)
			}
			var got, want string
			switch {
			case vc.Provider == "webex":
				got, want = verify.SignWebex(secret, body), h.Get(verify.HeaderWebex)
			case vc.Provider == "qiscus":
				got, want = verify.SignQiscus(secret, body), h.Get(verify.HeaderQiscus)
			case vc.Variant != verify.URLAsGiven:
				t.Skip("signed over a URL variant")
			case vc.Scheme == verify.SchemeSignalWireJSON:
				got, _ = verify.SignSignalWireJSON(secret, vc.URL, body)
				want = h.Get(verify.HeaderSignalWire)
			default:
				var err error
				if got, err = verify.SignSignalWireCompat(secret, vc.URL, body); err != nil {
					t.Fatal(err)
				}
				want = h.Get(verify.HeaderSignalWire) + h.Get(verify.HeaderTwilio)
			}
			if got != want {
				t.Fatalf("signature = %s, want %s", got, want)
			}
		})
	}
}

func TestConstructorsRefuseMissingOrEmptyKeys(t *testing.T) {
	t.Parallel()
	constructors := map[string]func(...verify.Key) (verify.Verifier, error){
		"webex":      func(k ...verify.Key) (verify.Verifier, error) { return verify.NewWebex(k...) },
		"qiscus":     func(k ...verify.Key) (verify.Verifier, error) { return verify.NewQiscus(k...) },
		"signalwire": func(k ...verify.Key) (verify.Verifier, error) { return verify.NewSignalWire(k...) },
	}
	tests := []struct {
		name string
		keys []verify.Key
		want error
	}{
		{"refuses no keys at all", nil, verify.ErrNoKeys},
		{"refuses an empty secret", []verify.Key{key("AWSCURRENT", "")}, verify.ErrEmptyKey},
		{"refuses an empty secret behind a good one", []verify.Key{key("AWSCURRENT", "k"), key("AWSPREVIOUS", "")}, verify.ErrEmptyKey},
	}
	for provider, newV := range constructors {
		for _, tc := range tests {
			t.Run(provider+" "+tc.name, func(t *testing.T) {
				v, err := newV(tc.keys...)
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if v != nil && !isNilVerifier(v) {
					t.Fatalf("got a verifier %v alongside the error", v)
				}
			})
		}
	}
}

func isNilVerifier(v verify.Verifier) bool {
	switch x := v.(type) {
	case *verify.Webex:
		return x == nil
	case *verify.Qiscus:
		return x == nil
	case *verify.SignalWire:
		return x == nil
	}
	return false
}

func TestBodySignatures(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"W1","resource":"messages","event":"created","data":{"text":"héllo 👋"}}`)
	reserialized := []byte(`{"data":{"text":"héllo 👋"},"event":"created","id":"W1","resource":"messages"}`)
	keys := []verify.Key{key("AWSCURRENT", "new"), key("AWSPENDING", "pending"), key("AWSPREVIOUS", "old")}
	type tc struct {
		name    string
		header  http.Header
		body    []byte
		wantKey string
		wantErr error
	}
	cases := map[string]struct {
		header string
		sign   func(secret, body []byte) string
	}{
		"webex":  {verify.HeaderWebex, verify.SignWebex},
		"qiscus": {verify.HeaderQiscus, verify.SignQiscus},
	}
	for provider, p := range cases {
		sig := func(secret string, b []byte) string { return p.sign([]byte(secret), b) }
		tests := []tc{
			{"accepts the current key", header(p.header, sig("new", body)), body, "AWSCURRENT", nil},
			{"accepts the pending key", header(p.header, sig("pending", body)), body, "AWSPENDING", nil},
			{"accepts the previous key", header(p.header, sig("old", body)), body, "AWSPREVIOUS", nil},
			{"accepts upper-case hex", header(p.header, strings.ToUpper(sig("new", body))), body, "AWSCURRENT", nil},
			{"accepts a lower-case header name", header(strings.ToLower(p.header), sig("new", body)), body, "AWSCURRENT", nil},
			{"accepts white space around the value", header(p.header, " "+sig("new", body)+" "), body, "AWSCURRENT", nil},
			{"accepts an empty body", header(p.header, sig("new", nil)), nil, "AWSCURRENT", nil},
			{"refuses a missing header", header("Content-Type", "application/json"), body, "", verify.ErrMissingSignature},
			{"refuses an empty header", header(p.header, ""), body, "", verify.ErrMissingSignature},
			{"refuses a header sent twice", header(p.header, sig("new", body), p.header, sig("new", body)), body, "", verify.ErrMalformedSignature},
			{"refuses a truncated signature", header(p.header, sig("new", body)[:20]), body, "", verify.ErrMalformedSignature},
			{"refuses a signature one digit too long", header(p.header, sig("new", body)+"0"), body, "", verify.ErrMalformedSignature},
			{"refuses a non-hex signature", header(p.header, strings.Repeat("zz", len(sig("new", body))/2)), body, "", verify.ErrMalformedSignature},
			{"refuses a prefixed signature", header(p.header, "sha1="+sig("new", body)[5:]), body, "", verify.ErrMalformedSignature},
			{"refuses an unknown key", header(p.header, sig("other", body)), body, "", verify.ErrNoMatch},
			{"refuses a re-serialized body", header(p.header, sig("new", reserialized)), body, "", verify.ErrNoMatch},
			{"refuses a body with one byte changed", header(p.header, sig("new", body)), append(append([]byte(nil), body[:len(body)-1]...), ' '), "", verify.ErrNoMatch},
		}
		for _, c := range tests {
			t.Run(provider+" "+c.name, func(t *testing.T) {
				v := newVerifier(t, provider, keys...)
				m, err := v.Verify(context.Background(), verify.Request{Header: c.header, Body: c.body})
				if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				if m.Key != c.wantKey {
					t.Fatalf("key = %q, want %q", m.Key, c.wantKey)
				}
			})
		}
	}
}

func TestWebexIgnoresOtherSignatureHeaders(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"W1"}`)
	v := newVerifier(t, "webex", key("AWSCURRENT", "k"))
	h := header("X-Webex-Signature", verify.SignQiscus([]byte("k"), body))
	if _, err := v.Verify(context.Background(), verify.Request{Header: h, Body: body}); !errors.Is(err, verify.ErrMissingSignature) {
		t.Fatalf("err = %v, want ErrMissingSignature", err)
	}
}

func TestVerifiersStopWhenTheContextIsDone(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"W1"}`)
	const u = "https://example.com/hook"
	s1, _ := verify.SignSignalWireJSON([]byte("k"), u, body)
	requests := map[string]verify.Request{
		"webex":      {Header: header(verify.HeaderWebex, verify.SignWebex([]byte("k"), body)), Body: body},
		"qiscus":     {Header: header(verify.HeaderQiscus, verify.SignQiscus([]byte("k"), body)), Body: body},
		"signalwire": {URL: u, Header: header(verify.HeaderSignalWire, s1, "Content-Type", "application/json"), Body: body},
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel2()
	for provider, r := range requests {
		v := newVerifier(t, provider, key("AWSCURRENT", "k"))
		if _, err := v.Verify(context.Background(), r); err != nil {
			t.Fatalf("%s: the request does not verify: %v", provider, err)
		}
		for _, tc := range []struct {
			name string
			ctx  context.Context
			want error
		}{
			{"a cancelled context", canceled, context.Canceled},
			{"an expired context", expired, context.DeadlineExceeded},
		} {
			m, err := v.Verify(tc.ctx, r)
			if !errors.Is(err, tc.want) || m.Key != "" {
				t.Errorf("%s with %s: Verify = %+v, %v; want %v", provider, tc.name, m, err, tc.want)
			}
		}
	}
}
