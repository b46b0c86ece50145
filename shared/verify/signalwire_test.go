package verify_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/shared/verify"
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
		return header("X-SignalWire-Signature", s1, "X-SignalWire-SHA256-Signature", s256, "Content-Type", "application/json")
	}
	jsonSHA1Only := func(secret, url string, body []byte) http.Header {
		s1, _ := verify.SignSignalWireJSON([]byte(secret), url, body)
		return header("X-SignalWire-Signature", s1, "Content-Type", "application/json")
	}
	// formHeader carries a compatibility signature on a form body.
	formHeader := func(sig string) http.Header {
		return header("X-SignalWire-Signature", sig, "Content-Type", "application/x-www-form-urlencoded")
	}
	compat := func(secret, url, body string) string {
		s, err := verify.SignSignalWireCompat([]byte(secret), url, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hashed := verify.WithBodySHA256(u, jsonBody)
	// hashedHeader carries a compatibility signature on a JSON body posted
	// to a URL with bodySHA256.
	hashedHeader := func(sig string) http.Header {
		return header("X-SignalWire-Signature", sig, "Content-Type", "application/json")
	}
	// reencoded returns sig in the other scheme's encoding.
	reencoded := func(sig string) string {
		if raw, err := hex.DecodeString(sig); err == nil {
			return base64.StdEncoding.EncodeToString(raw)
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(raw)
	}
	// signedString is what a compatibility signature of form covers after
	// the URL: keys and values, sorted.
	const signedString = "Bodycafé 😀CallSidCA1From+15551234567To+15557654321To+15550000000"
	formSig := compat("PSK_new", u, form)
	jsonSig := jsonSHA1Only("PSK_new", u, jsonBody).Get("X-Signalwire-Signature")
	emptyJSONSig, _ := verify.SignSignalWireJSON([]byte("PSK_new"), u, nil)
	var atCap, overCap strings.Builder
	for i := range verify.MaxFormParams {
		fmt.Fprintf(&atCap, "&P%d=%d", i, i)
	}
	overCap.WriteString(atCap.String() + "&One=more")
	formType := "application/x-www-form-urlencoded"

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
		{"accepts a call webhook signed without the URL's credentials and with :443", "https://bob:s3cret@hooks.example.com/sw", jsonHeader("PSK_new", "https://hooks.example.com:443/sw", jsonBody), jsonBody, "AWSCURRENT", verify.SchemeSignalWireJSON, verify.URLWithoutUserinfoPortToggled, nil},
		{"accepts a form webhook signed with percent-encoded credentials kept as configured", "https://bob:p%40ss@hooks.example.com/sw", formHeader(compat("PSK_new", "https://bob:p%40ss@hooks.example.com/sw", form)), []byte(form), "AWSCURRENT", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"accepts a message webhook signed with the URL's credentials", "https://bob:s3cret@hooks.example.com/sw", jsonHeader("PSK_new", "https://bob:s3cret@hooks.example.com/sw", jsonBody), jsonBody, "AWSCURRENT", verify.SchemeSignalWireJSON, verify.URLAsGiven, nil},
		{"accepts a form webhook with repeated keys in submission order", u, formHeader(compat("PSK_new", u, form)), []byte(form), "AWSCURRENT", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"accepts a form webhook signed with the previous key", u, formHeader(compat("PSK_old", u, form)), []byte(form), "AWSPREVIOUS", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"accepts a form webhook with an empty body", u, formHeader(compat("PSK_new", u, "")), nil, "AWSCURRENT", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"accepts a bodySHA256 webhook", hashed, hashedHeader(compat("PSK_new", hashed, "")), jsonBody, "AWSCURRENT", verify.SchemeSignalWireBodyHash, verify.URLAsGiven, nil},
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
		{"refuses a form webhook with a parameter added", u, formHeader(compat("PSK_new", u, form)), []byte(form + "&Extra=1"), "", "", "", verify.ErrNoMatch},
		{"refuses repeated keys sorted by value", u, formHeader(compat("PSK_new", u, "To=b&To=a")), []byte("To=a&To=b"), "", "", "", verify.ErrNoMatch},
		{"refuses repeated keys de-duplicated", u, formHeader(compat("PSK_new", u, "To=a")), []byte("To=a&To=a"), "", "", "", verify.ErrNoMatch},
		{"refuses a signature over the URL alone for a form body", u, formHeader(compat("PSK_new", u, "")), []byte(form), "", "", "", verify.ErrUnsignedBody},
		{"refuses a bodySHA256 webhook whose body was changed", hashed, hashedHeader(compat("PSK_new", hashed, "")), []byte(`{"call":{}}`), "", "", "", verify.ErrBodyHashMismatch},
		{"refuses a bodySHA256 webhook signed by another key", hashed, hashedHeader(compat("PSK_other", hashed, "")), jsonBody, "", "", "", verify.ErrNoMatch},
		{"refuses a form body with a bad escape", u, formHeader(compat("PSK_new", u, "")), []byte("a=%zz"), "", "", "", verify.ErrMalformedBody},
		{"refuses a form signature re-encoded as hex", u, header("X-SignalWire-Signature", reencoded(formSig), "Content-Type", formType), []byte(form), "", "", "", verify.ErrSchemeMismatch},
		{"refuses a form signature re-encoded as hex over the form's signed string sent as JSON", u, header("X-SignalWire-Signature", reencoded(formSig), "Content-Type", "application/json"), []byte(signedString), "", "", "", verify.ErrSchemeMismatch},
		{"refuses a form signature re-encoded as hex over the signed string sent without Content-Type", u, header("X-SignalWire-Signature", reencoded(formSig)), []byte(signedString), "", "", "", verify.ErrSchemeMismatch},
		{"refuses a JSON signature re-encoded as base64", u, header("X-SignalWire-Signature", reencoded(jsonSig), "Content-Type", "application/json"), jsonBody, "", "", "", verify.ErrSchemeMismatch},
		{"refuses a JSON signature re-encoded as base64 with a form Content-Type", u, header("X-SignalWire-Signature", reencoded(jsonSig), "Content-Type", formType), jsonBody, "", "", "", verify.ErrMalformedBody},
		{"refuses an empty form's signature re-encoded as hex", u, header("X-SignalWire-Signature", reencoded(compat("PSK_new", u, "")), "Content-Type", formType), nil, "", "", "", verify.ErrSchemeMismatch},
		{"refuses an empty form's signature re-encoded as hex with a JSON Content-Type", u, header("X-SignalWire-Signature", reencoded(compat("PSK_new", u, "")), "Content-Type", "application/json"), nil, "", "", "", verify.ErrSchemeMismatch},
		{"refuses a JSON-scheme signature over an empty body", u, header("X-SignalWire-Signature", emptyJSONSig, "Content-Type", "application/json"), nil, "", "", "", verify.ErrSchemeMismatch},
		{"refuses a JSON-scheme signature over a body that is not JSON", u, jsonSHA1Only("PSK_new", u, []byte("CallSid=CA1")), []byte("CallSid=CA1"), "", "", "", verify.ErrSchemeMismatch},
		{"refuses a JSON-scheme signature on a form", u, header("X-SignalWire-Signature", jsonSHA1Only("PSK_new", u, []byte(form)).Get("X-Signalwire-Signature"), "Content-Type", formType), []byte(form), "", "", "", verify.ErrSchemeMismatch},
		{"refuses a compatibility signature on a JSON body without bodySHA256", u, header("X-SignalWire-Signature", formSig, "Content-Type", "application/json"), []byte(form), "", "", "", verify.ErrSchemeMismatch},
		{"refuses a compatibility signature without Content-Type", u, header("X-SignalWire-Signature", formSig), []byte(form), "", "", "", verify.ErrSchemeMismatch},
		{"refuses a compatibility signature with Content-Type sent twice", u, header("X-SignalWire-Signature", formSig, "Content-Type", formType, "Content-Type", formType), []byte(form), "", "", "", verify.ErrSchemeMismatch},
		{"refuses a JSON-scheme signature with Content-Type sent twice", u, header("X-SignalWire-Signature", jsonSig, "Content-Type", "application/json", "Content-Type", "application/json"), jsonBody, "", "", "", verify.ErrSchemeMismatch},
		{"accepts a form Content-Type in any case with parameters", u, header("X-SignalWire-Signature", formSig, "Content-Type", " Application/X-WWW-Form-URLEncoded ; charset=UTF-8"), []byte(form), "AWSCURRENT", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"accepts a JSON body after white space", u, jsonHeader("PSK_new", u, []byte(" \r\n\t[1]")), []byte(" \r\n\t[1]"), "AWSCURRENT", verify.SchemeSignalWireJSON, verify.URLAsGiven, nil},
		{"refuses a signature over the URL alone for a body of separators", u, formHeader(compat("PSK_new", u, "")), []byte("&&&"), "", "", "", verify.ErrUnsignedBody},
		{"refuses a signature over the URL alone for a body of one separator", u, formHeader(compat("PSK_new", u, "")), []byte("&"), "", "", "", verify.ErrUnsignedBody},
		{"refuses a forged signature for a body of separators", u, formHeader(compat("PSK_other", u, "")), []byte("&&"), "", "", "", verify.ErrNoMatch},
		{"refuses a body of one equals sign", u, formHeader(compat("PSK_new", u, "")), []byte("="), "", "", "", verify.ErrMalformedBody},
		{"refuses a body of separators with an empty key", u, formHeader(compat("PSK_new", u, "")), []byte("&=&"), "", "", "", verify.ErrMalformedBody},
		{"refuses a form key with a space", u, formHeader(formSig), []byte("Call Sid=CA1"), "", "", "", verify.ErrMalformedBody},
		{"refuses a form key with an escape", u, formHeader(formSig), []byte("Call%53id=CA1"), "", "", "", verify.ErrMalformedBody},
		{"refuses a form key with a plus", u, formHeader(formSig), []byte("Call+Sid=CA1"), "", "", "", verify.ErrMalformedBody},
		{"refuses an empty form key", u, formHeader(formSig), []byte("CallSid=CA1&=x"), "", "", "", verify.ErrMalformedBody},
		{"refuses a form key that is not ASCII", u, formHeader(formSig), []byte("Café=1"), "", "", "", verify.ErrMalformedBody},
		{"refuses a form key with brackets", u, formHeader(formSig), []byte("To[]=1"), "", "", "", verify.ErrMalformedBody},
		{"refuses a form key with a semicolon", u, formHeader(formSig), []byte("a;b=1"), "", "", "", verify.ErrMalformedBody},
		{"accepts form keys with dots, dashes and underscores", u, formHeader(compat("PSK_new", u, "Binding.Address=x&a_b-c=1&k")), []byte("Binding.Address=x&a_b-c=1&k"), "AWSCURRENT", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"accepts a form of MaxFormParams parameters", u, formHeader(compat("PSK_new", u, atCap.String())), []byte(atCap.String()), "AWSCURRENT", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"accepts a form key of MaxFormKeyBytes", u, formHeader(compat("PSK_new", u, strings.Repeat("k", verify.MaxFormKeyBytes)+"=v")), []byte(strings.Repeat("k", verify.MaxFormKeyBytes) + "=v"), "AWSCURRENT", verify.SchemeSignalWireForm, verify.URLAsGiven, nil},
		{"refuses a form key longer than MaxFormKeyBytes", u, formHeader(formSig), []byte(strings.Repeat("k", verify.MaxFormKeyBytes+1) + "=v"), "", "", "", verify.ErrMalformedBody},
		{"refuses a form of more than MaxFormParams parameters", u, formHeader(formSig), []byte(overCap.String()), "", "", "", verify.ErrMalformedBody},
		{"refuses a relative URL", "/signalwire", jsonHeader("PSK_new", "/signalwire", jsonBody), jsonBody, "", "", "", verify.ErrMalformedURL},
		{"refuses an empty URL", "", jsonHeader("PSK_new", "", jsonBody), jsonBody, "", "", "", verify.ErrMalformedURL},
	}
	v := newVerifier(t, "signalwire", keys...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := v.Verify(context.Background(), verify.Request{URL: tc.url, Header: tc.header, Body: tc.body})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if m.Key != tc.wantKey || m.Scheme != tc.wantScheme || m.URLVariant != tc.wantVariant {
				t.Fatalf("match = %+v, want key %q scheme %q variant %q", m, tc.wantKey, tc.wantScheme, tc.wantVariant)
			}
		})
	}
}
