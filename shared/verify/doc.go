// Package verify proves that a webhook request was sent by its provider.
//
// It checks the signatures of Cisco Webex (X-Spark-Signature), Qiscus
// (QISCUS-SDK-SIGNATURE) and SignalWire (X-SignalWire-Signature, both the
// JSON scheme and the cXML/compatibility scheme) over the exact bytes that
// were received, against an ordered set of named keys, and reports which key
// matched. It uses only the standard library.
//
//	v, err := verify.NewWebex(verify.Key{Name: "AWSCURRENT", Secret: secret})
//	// handle err: a verifier never exists without a non-empty key
//	m, err := v.Verify(verify.Request{Header: header, Body: rawBody})
//	// err is nil, or wraps one of the Err* sentinels; m.Key names the key
//
// Every comparison of a signature is made in constant time over decoded
// bytes. A verifier cannot be built without keys or with an empty key, so it
// can never accept everything by accident.
//
// The package also signs, with the same rules, so that tests, sample events
// and the signing tool produce exactly what the providers send.
package verify
