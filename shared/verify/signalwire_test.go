package verify_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"webhookguard/shared/verify"
)

func TestSignalWire(t *testing.T) {
	t.Parallel()
	const (
		u    = "https://hooks.example.com/prod/signalwire?tenant=o'brien&x=a+b"
		form = "CallSid=CA1&From=%2B15551234567&To=%2B15557654321&Body=caf%C3%A9+%F0%9F%98%80&To=%2B15550000000"
	)
	jsonBody := []byte(`{"call":{"call_id":"c1","from":"+1555"} ,"vars":{"emoji":"😀"}}`)
	keys := []verify.Key{key("AWSCURRENT", "PSK_new"), key("AWSPENDING", "PSK_pending"), key("AWSPREVIOUS", "PSK_old")}

	jsonHeader := func(secret, url string, body []byte) http.Header {
		s1, s256 := verify.SignSignalWireJSON([]byte(secret), url, body)
		return header("X-SignalWire-Signature", s1, "X-SignalWire-SHA256-Signature", s256)
	}
	jsonSHA1Only := func(secret, url string, body []byte) http.Header {
		s1, _ := verify.SignSignalWireJSON([]byte(secret), url, body)
		return header("X-SignalWire-Signature", s1)
	}
	compat := func(secret, url, body string) string {
		s, err := verify.SignSignalWireCompat([]byte(secret), url, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hashed := verify.WithBodySHA256(u, jsonBody)

	tests := []struct {
		name        string
		url         string
		header      http.Header
		body        []byte
		wantKey     string
		wantScheme  verify.Scheme
		wantVariant verify.URLVariant
		wantErr     error
	}{
		{"accepts a JSON webhook with both signatures", u, jsonHeader("PSK_new", u, jsonBody), jsonBody, "AWSCURRENT", verify.SchemeSignalWireJSON, verify.URLAsGiven, nil},
		{"accepts a JSON webhook with SHA-1 only, as messaging sends", u, jsonSHA1Only("PSK_new", u, jsonBody), jsonBody, "AWSCURRENT", verify.SchemeSignalWireJSON, verify.URLAsGiven, nil},
		{"accepts a JSON webhook signed with the previous key", u, jsonHeader("PSK_old", u, jsonBody), jsonBody, "AWSPREVIOUS", verify.SchemeSignalWireJSON, verify.URLAsGiven, nil},
		{"accepts a JSON webhook signed with the pending key", u, jsonHeader("PSK_pending", u, jsonBody), jsonBody, "AWSPENDING", verify.SchemeSignalWireJSON, verify.URLAsGiven, nil},
		{"accepts a JSON webhook signed with :443 in the URL", u, jsonHeader("PSK_new", strings.Replace(u, ".com/", ".com:443/", 1), jsonBody), jsonBody, "AWSCURRENT", verify.SchemeSignalWireJSON, verify.URLPortToggled, nil},
		{"accepts a JSON webhook under the Twilio alias header", u, header("X-Twilio-Signature", jsonSHA1Only("PSK_new", u, jsonBody).Get("X-Signalwire-Signature")), jsonBody, "AWSCURRENT", verify.SchemeSignalWireJSON, verify.URLAsGiven, nil},
		{"accepts a call webhook signed without the URL's credentials", "https://bob:s3cret@hooks.example.com/sw", jsonHeader("PSK_new", "https://hooks.example.com/sw", jsonBody), jsonBody, "AWSCURRENT", verify.SchemeSignalWireJSON, verify.URLWithoutUserinfo, nil},
		{"accepts a message webhook signed with the URL's credentials", "https://bob:s3cret@hooks.example.com/sw", jsonHeader("PSK_new", "https://bob:s3cret@hooks.example.com/sw", jsonBody), jsonBody, "AWSCURRENT", verify.SchemeSignalWireJSON, verify.URLAsGiven, nil},
		{"accepts a form webhook with repeated keys in submission order", u, header("X-SignalWire-Signature", compat("PSK_new", u, form)), []byte(form), "AWSCURRENT", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"accepts a form webhook signed with the previous key", u, header("X-SignalWire-Signature", compat("PSK_old", u, form)), []byte(form), "AWSPREVIOUS", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"accepts a form webhook with an empty body", u, header("X-SignalWire-Signature", compat("PSK_new", u, "")), nil, "AWSCURRENT", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"accepts a bodySHA256 webhook", hashed, header("X-SignalWire-Signature", compat("PSK_new", hashed, "")), jsonBody, "AWSCURRENT", verify.SchemeSignalWireBodyHash, verify.URLAsGiven, nil},
		{"refuses a missing signature", u, header("Content-Type", "application/json"), jsonBody, "", "", "", verify.ErrMissingSignature},
		{"refuses an empty signature", u, header("X-SignalWire-Signature", ""), jsonBody, "", "", "", verify.ErrMissingSignature},
		{"refuses a signature sent twice", u, header("X-SignalWire-Signature", "a", "X-SignalWire-Signature", "b"), jsonBody, "", "", "", verify.ErrMalformedSignature},
		{"refuses a signature of the wrong length", u, header("X-SignalWire-Signature", "abc"), jsonBody, "", "", "", verify.ErrMalformedSignature},
		{"refuses 40 characters that are not hex", u, header("X-SignalWire-Signature", strings.Repeat("g", 40)), jsonBody, "", "", "", verify.ErrMalformedSignature},
		{"refuses 28 characters that are not base64", u, header("X-SignalWire-Signature", strings.Repeat("*", 28)), []byte(form), "", "", "", verify.ErrMalformedSignature},
		{"refuses a malformed SHA-256 companion", u, header("X-SignalWire-Signature", jsonSHA1Only("PSK_new", u, jsonBody).Get("X-Signalwire-Signature"), "X-SignalWire-SHA256-Signature", "00"), jsonBody, "", "", "", verify.ErrMalformedSignature},
		{"refuses a SHA-256 companion from another key", u, header("X-SignalWire-Signature", jsonSHA1Only("PSK_new", u, jsonBody).Get("X-Signalwire-Signature"), "X-SignalWire-SHA256-Signature", jsonHeader("PSK_old", u, jsonBody).Get("X-Signalwire-Sha256-Signature")), jsonBody, "", "", "", verify.ErrSHA256Mismatch},
		{"refuses a JSON webhook for another URL", u, jsonHeader("PSK_new", "https://evil.example.com/x", jsonBody), jsonBody, "", "", "", verify.ErrNoMatch},
		{"refuses a JSON webhook whose URL was re-encoded", u, jsonHeader("PSK_new", strings.Replace(u, "'", "%27", 1), jsonBody), jsonBody, "", "", "", verify.ErrNoMatch},
		{"refuses a JSON webhook whose body was re-serialized", u, jsonHeader("PSK_new", u, []byte(`{"call":{"call_id":"c1","from":"+1555"},"vars":{"emoji":"😀"}}`)), jsonBody, "", "", "", verify.ErrNoMatch},
		{"refuses a non-standard port", u, jsonHeader("PSK_new", strings.Replace(u, ".com/", ".com:8443/", 1), jsonBody), jsonBody, "", "", "", verify.ErrNoMatch},
		{"refuses a form webhook with a parameter added", u, header("X-SignalWire-Signature", compat("PSK_new", u, form)), []byte(form + "&Extra=1"), "", "", "", verify.ErrNoMatch},
		{"refuses repeated keys sorted by value", u, header("X-SignalWire-Signature", compat("PSK_new", u, "To=b&To=a")), []byte("To=a&To=b"), "", "", "", verify.ErrNoMatch},
		{"refuses repeated keys de-duplicated", u, header("X-SignalWire-Signature", compat("PSK_new", u, "To=a")), []byte("To=a&To=a"), "", "", "", verify.ErrNoMatch},
		{"refuses a signature over the URL alone for a form body", u, header("X-SignalWire-Signature", compat("PSK_new", u, "")), []byte(form), "", "", "", verify.ErrUnsignedBody},
		{"refuses a bodySHA256 webhook whose body was changed", hashed, header("X-SignalWire-Signature", compat("PSK_new", hashed, "")), []byte(`{"call":{}}`), "", "", "", verify.ErrBodyHashMismatch},
		{"refuses a bodySHA256 webhook signed by another key", hashed, header("X-SignalWire-Signature", compat("PSK_other", hashed, "")), jsonBody, "", "", "", verify.ErrNoMatch},
		{"refuses a form body with a bad escape", u, header("X-SignalWire-Signature", compat("PSK_new", u, "")), []byte("a=%zz"), "", "", "", verify.ErrMalformedBody},
		{"refuses a relative URL", "/signalwire", jsonHeader("PSK_new", "/signalwire", jsonBody), jsonBody, "", "", "", verify.ErrMalformedURL},
		{"refuses an empty URL", "", jsonHeader("PSK_new", "", jsonBody), jsonBody, "", "", "", verify.ErrMalformedURL},
	}
	v := newVerifier(t, "signalwire", keys...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := v.Verify(verify.Request{URL: tc.url, Header: tc.header, Body: tc.body})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if m.Key != tc.wantKey || m.Scheme != tc.wantScheme || m.URLVariant != tc.wantVariant {
				t.Fatalf("match = %+v, want key %q scheme %q variant %q", m, tc.wantKey, tc.wantScheme, tc.wantVariant)
			}
		})
	}
}
