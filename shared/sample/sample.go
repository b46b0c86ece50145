// Package sample builds signed webhook requests and the API Gateway events
// that carry them: for tests, for the sample events used with
// `sam local invoke`, and for the signing tool.
package sample

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"webhookguard/shared/apigw"
	"webhookguard/shared/provider"
)

// Spec describes one webhook delivery.
type Spec struct {
	Provider provider.Provider
	// Secret signs the request.
	Secret []byte
	// URL is the absolute URL the provider calls.
	URL         string
	ContentType string
	Body        []byte
	// V1 selects a REST API (payload 1.0) event; default HTTP API (2.0).
	V1 bool
	// Stage is the API stage, part of the URL's path for a named stage.
	Stage     string
	RequestID string
	Time      time.Time
}

// Headers returns the request headers: Content-Type and the provider's
// signature headers.
func (s Spec) Headers() (http.Header, error) {
	h, err := s.Provider.Sign(s.Secret, s.URL, s.ContentType, s.Body)
	if err != nil {
		return nil, err
	}
	if s.ContentType != "" {
		h.Set("Content-Type", s.ContentType)
	}
	return h, nil
}

// Event returns the API Gateway event carrying the signed request.
func (s Spec) Event() (*apigw.Event, error) {
	h, err := s.Headers()
	if err != nil {
		return nil, err
	}
	host, path, query, err := SplitURL(s.URL)
	if err != nil {
		return nil, err
	}
	if s.RequestID == "" {
		s.RequestID = "sample-request"
	}
	if s.Time.IsZero() {
		s.Time = time.Now()
	}
	in := apigw.Incoming{Method: http.MethodPost, Host: host, Path: path, RawQuery: query, Header: h, Body: s.Body,
		Stage: s.Stage, RequestID: s.RequestID, SourceIP: "192.0.2.10", Time: s.Time}
	if s.V1 {
		return apigw.V1Event(in), nil
	}
	return apigw.V2Event(in), nil
}

// SplitURL splits an absolute URL into host (with any port), path and raw
// query, without decoding or re-encoding anything.
func SplitURL(u string) (host, path, query string, err error) {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "", "", "", errors.New("sample: URL has no scheme")
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, query, _ = strings.Cut(rest, "?")
	host, path = rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if host == "" {
		return "", "", "", errors.New("sample: URL has no host")
	}
	return host, path, query, nil
}

// Body returns a realistic body and its Content-Type for p: a Webex message
// event, a Qiscus comment, or a SignalWire cXML call form.
func Body(p provider.Provider) (contentType string, body []byte) {
	switch p.Name {
	case provider.Webex.Name:
		return "application/json", []byte(`{"id":"Y2lzY29zcGFyazovL3VzL1dFQkhPT0svMTIz","name":"webhookguard","targetUrl":"https://example.com/webex","resource":"messages","event":"created","orgId":"Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi8x","createdBy":"Y2lzY29zcGFyazovL3VzL1BFT1BMRS9ib3Q","appId":"Y2lzY29zcGFyazovL3VzL0FQUExJQ0FUSU9OLzE","ownedBy":"creator","status":"active","created":"2026-11-22T12:00:00.000Z","actorId":"Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ","data":{"id":"Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMQ","roomId":"Y2lzY29zcGFyazovL3VzL1JPT00vMQ","roomType":"group","personId":"Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ","personEmail":"alice@example.com","created":"2026-11-22T12:00:00.000Z"}}`)
	case provider.Qiscus.Name:
		return "application/json", []byte(`{"type":"post_comment_mobile","payload":{"from":{"id":140220,"email":"guest@example.com","name":"Zoë 👋"},"room":{"id":"1234","type":"single","name":"support"},"message":{"type":"text","text":"Halo, apa kabar?"}}}`)
	default:
		return "application/x-www-form-urlencoded", []byte("AccountSid=AC0001&CallSid=CA0001&CallStatus=ringing&Direction=inbound&From=%2B15551234567&To=%2B15557654321&ApiVersion=2010-04-01")
	}
}
