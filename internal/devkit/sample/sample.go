// Package sample builds signed webhook requests and the API Gateway events
// that carry them: for tests, for the sample events used with
// `sam local invoke`, and for the signing tool.
package sample

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/provider"
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
	// Source, when set, is the {source} path parameter of the route
	// POST /<provider>/{source} the event comes through; URL names the
	// same path.
	Source string
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
	ev := apigw.V2Event(in)
	if s.V1 {
		ev = apigw.V1Event(in)
	}
	if s.Source != "" {
		ev.PathParameters = map[string]string{"source": s.Source}
	}
	return ev, nil
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
