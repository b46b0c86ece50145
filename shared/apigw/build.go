package apigw

import (
	"cmp"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Incoming describes an HTTP request as it reaches API Gateway, for building
// the event API Gateway would send to the function.
type Incoming struct {
	Method string
	// Host is the host the caller used.
	Host string
	// Path is the path as requested, stage included for a named stage.
	Path string
	// RawQuery is the query string as sent, without '?'.
	RawQuery string
	Header   http.Header
	Body     []byte
	// Stage is the API stage ("$default" for an HTTP API's default stage).
	Stage     string
	RequestID string
	SourceIP  string
	Time      time.Time
}

// V2Event returns the payload 2.0 event an HTTP API sends for in: header
// names lower-cased, repeated headers joined with commas, and the body
// base64-encoded unless its Content-Type is text (form bodies included, as
// HTTP APIs do).
func V2Event(in Incoming) *Event {
	e := &Event{
		Version:        "2.0",
		RawPath:        in.Path,
		RawQueryString: in.RawQuery,
		Headers:        map[string]string{},
	}
	for k, vs := range in.Header {
		e.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if in.Host != "" {
		e.Headers["host"] = in.Host
	}
	if in.RawQuery != "" {
		e.QueryStringParameters = map[string]string{}
		q, _ := url.ParseQuery(in.RawQuery)
		for k, vs := range q {
			e.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	e.setBody(in.Body, !isText(in.Header.Get("Content-Type")))
	rc := &e.RequestContext
	rc.RequestID, rc.DomainName, rc.Stage = in.RequestID, in.Host, cmp.Or(in.Stage, "$default")
	rc.HTTP = &HTTPContext{Method: in.Method, Path: in.Path, SourceIP: in.SourceIP}
	rc.TimeEpoch = in.Time.UnixMilli()
	return e
}

// V1Event returns the payload 1.0 event a REST API sends for in: headers in
// their original case, every value in multiValueHeaders, decoded query
// parameters, the path without the stage in path and with it in
// requestContext.path, and the body as text (no binary media types).
func V1Event(in Incoming) *Event {
	e := &Event{
		Version:           "1.0",
		HTTPMethod:        in.Method,
		Headers:           map[string]string{},
		MultiValueHeaders: map[string][]string{},
	}
	for k, vs := range in.Header {
		e.Headers[k] = vs[len(vs)-1]
		e.MultiValueHeaders[k] = append([]string(nil), vs...)
	}
	if in.Host != "" {
		e.Headers["Host"], e.MultiValueHeaders["Host"] = in.Host, []string{in.Host}
	}
	if in.RawQuery != "" {
		q, _ := url.ParseQuery(in.RawQuery)
		e.QueryStringParameters, e.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
		for k, vs := range q {
			e.QueryStringParameters[k] = vs[len(vs)-1]
			e.MultiValueQueryStringParameters[k] = vs
		}
	}
	e.setBody(in.Body, false)
	rc := &e.RequestContext
	rc.RequestID, rc.DomainName, rc.Stage, rc.HTTPMethod = in.RequestID, in.Host, cmp.Or(in.Stage, "prod"), in.Method
	rc.Path = in.Path
	e.Path = strings.TrimPrefix(in.Path, "/"+rc.Stage)
	rc.Identity = &Identity{SourceIP: in.SourceIP}
	rc.RequestTimeEpoch = in.Time.UnixMilli()
	return e
}

func (e *Event) setBody(body []byte, b64 bool) {
	if len(body) == 0 {
		return
	}
	if b64 {
		e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		return
	}
	e.Body = string(body)
}

// isText reports whether an HTTP API passes a body of this Content-Type as
// text rather than base64.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript":
		return true
	}
	return false
}
