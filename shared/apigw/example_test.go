package apigw_test

import (
	"encoding/json"
	"fmt"

	"github.com/webhookguard/webhookguard/shared/apigw"
)

func ExampleEvent_Request() {
	// An HTTP API (payload 2.0) event for a form post: the body arrives
	// base64-encoded and header names lower-cased.
	raw := `{"version":"2.0","rawPath":"/signalwire","rawQueryString":"tenant=o'brien",
		"headers":{"host":"abc123.execute-api.eu-west-1.amazonaws.com","x-signalwire-signature":"sig"},
		"requestContext":{"http":{"method":"POST"}},
		"body":"VG89JTJCMTU1NTAwMDAwMDA=","isBase64Encoded":true}`
	var ev apigw.Event
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		panic(err)
	}
	req, err := ev.Request(apigw.Options{MaxBodyBytes: 1 << 20, SignsURL: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(req.Method, req.URL)
	fmt.Println(string(req.Body))
	fmt.Println(req.Header.Get("X-SignalWire-Signature"))
	// Output:
	// POST https://abc123.execute-api.eu-west-1.amazonaws.com/signalwire?tenant=o'brien
	// To=%2B15550000000
	// sig
}
