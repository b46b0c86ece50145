package verify_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/webhookguard/webhookguard/shared/verify"
)

func ExampleNewWebex() {
	ctx := context.Background() // in a handler, the request's context
	body := []byte(`{"id":"W1","resource":"messages","event":"created","data":{"id":"M1"}}`)
	h := http.Header{}
	h.Set("X-Spark-Signature", verify.SignWebex([]byte("old secret"), body))

	v, err := verify.NewWebex(
		verify.Key{Name: "AWSCURRENT", Secret: []byte("new secret")},
		verify.Key{Name: "AWSPREVIOUS", Secret: []byte("old secret")},
	)
	if err != nil {
		panic(err)
	}
	m, err := v.Verify(ctx, verify.Request{Header: h, Body: body})
	fmt.Println(m.Key, err)

	_, err = v.Verify(ctx, verify.Request{Header: h, Body: []byte(`{"id":"W1"}`)})
	fmt.Println(errors.Is(err, verify.ErrNoMatch))
	// Output:
	// AWSPREVIOUS <nil>
	// true
}

func ExampleNewQiscus() {
	ctx := context.Background()
	body := []byte(`{"type":"post_comment_mobile","payload":{"message":{"type":"text","text":"ini pesan"}}}`)
	h := http.Header{}
	h.Set("QISCUS-SDK-SIGNATURE", verify.SignQiscus([]byte("YOUR_SIGNATURE_TOKEN"), body))

	v, err := verify.NewQiscus(verify.Key{Name: "AWSCURRENT", Secret: []byte("YOUR_SIGNATURE_TOKEN")})
	if err != nil {
		panic(err)
	}
	m, err := v.Verify(ctx, verify.Request{Header: h, Body: body})
	fmt.Println(m.Key, m.Scheme, err)

	_, err = v.Verify(ctx, verify.Request{Header: http.Header{}, Body: body})
	fmt.Println(errors.Is(err, verify.ErrMissingSignature))
	// Output:
	// AWSCURRENT qiscus-hmac-sha256-hex <nil>
	// true
}

func ExampleNewSignalWire() {
	ctx := context.Background()
	v, err := verify.NewSignalWire(verify.Key{Name: "AWSCURRENT", Secret: []byte("12345")})
	if err != nil {
		panic(err)
	}

	// A cXML (compatibility) webhook: form parameters are signed.
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("X-SignalWire-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
	m, err := v.Verify(ctx, verify.Request{
		URL:    "https://mycompany.com/myapp.php?foo=1&bar=2",
		Header: h,
		Body:   []byte("CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"),
	})
	fmt.Println(m.Key, m.Scheme, err)

	// A SWML webhook: the URL followed by the raw JSON body is signed.
	url, body := "https://example.com/swml", []byte(`{"call":{"call_id":"c1"},"vars":{}}`)
	sha1Hex, sha256Hex := verify.SignSignalWireJSON([]byte("12345"), url, body)
	h = http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-SignalWire-Signature", sha1Hex)
	h.Set("X-SignalWire-SHA256-Signature", sha256Hex)
	m, err = v.Verify(ctx, verify.Request{URL: url, Header: h, Body: body})
	fmt.Println(m.Key, m.Scheme, err)

	// The same signature re-encoded in base64 claims the compatibility
	// scheme, which does not authenticate a JSON body.
	raw, _ := hex.DecodeString(sha1Hex)
	h.Set("X-SignalWire-Signature", base64.StdEncoding.EncodeToString(raw))
	_, err = v.Verify(ctx, verify.Request{URL: url, Header: h, Body: body})
	fmt.Println(errors.Is(err, verify.ErrSchemeMismatch))
	// Output:
	// AWSCURRENT signalwire-compat-form <nil>
	// AWSCURRENT signalwire-json <nil>
	// true
}
