// Package apigw turns an API Gateway proxy event back into the HTTP request
// the caller sent: the exact body bytes, the headers, and the URL.
//
// It reads REST API events (payload format 1.0) and HTTP API or Lambda
// Function URL events (payload format 2.0) into one Event type, telling them
// apart by the event itself:
//
//	var ev apigw.Event // unmarshalled by the Lambda runtime
//	req, err := ev.Request(apigw.Options{MaxBodyBytes: 1 << 20})
//	// req.Body is the raw body (base64 removed), req.Header is canonical
package apigw

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Errors returned by Event.Request, to be told apart with errors.Is.
var (
	// ErrMalformedEvent means the event cannot be turned into a request:
	// a body marked base64 that is not, or no host to build a URL from.
	ErrMalformedEvent = errors.New("apigw: malformed event")
	// ErrBodyTooLarge means the body is larger than Options.MaxBodyBytes.
	// It is detected before the body is decoded or hashed.
	ErrBodyTooLarge = errors.New("apigw: body too large")
)

// Event is an API Gateway proxy event in either payload format. Fields that
// exist in only one format are documented as such.
type Event struct {
	// Version is "2.0" for HTTP APIs and Function URLs, "1.0" or empty for
	// REST APIs.
	Version string `json:"version,omitempty"`
	// HTTPMethod is the method (1.0).
	HTTPMethod string `json:"httpMethod,omitempty"`
	// Path is the resource path without the stage (1.0).
	Path string `json:"path,omitempty"`
	// RawPath is the path as requested, stage included (2.0).
	RawPath string `json:"rawPath,omitempty"`
	// RawQueryString is the query string as sent, without '?' (2.0).
	RawQueryString string `json:"rawQueryString,omitempty"`
	// Headers holds one value per header; 2.0 lower-cases names and joins
	// repeated headers with commas.
	Headers map[string]string `json:"headers,omitempty"`
	// MultiValueHeaders holds every value of every header (1.0).
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	// QueryStringParameters holds decoded query parameters, one value each.
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	// MultiValueQueryStringParameters holds every decoded value (1.0).
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters,omitempty"`
	// PathParameters holds the values of the route's path variables, such
	// as {"source": "sales"} for POST /webex/{source}.
	PathParameters map[string]string `json:"pathParameters,omitempty"`
	// Body is the body, base64-encoded when IsBase64Encoded is set.
	Body string `json:"body,omitempty"`
	// IsBase64Encoded tells whether Body is base64.
	IsBase64Encoded bool           `json:"isBase64Encoded"`
	RequestContext  RequestContext `json:"requestContext"`
}

// RequestContext is the part of the event's requestContext this package
// reads.
type RequestContext struct {
	RequestID  string `json:"requestId,omitempty"`
	DomainName string `json:"domainName,omitempty"`
	Stage      string `json:"stage,omitempty"`
	// Path is the real path, stage or custom-domain base path included (1.0).
	Path string `json:"path,omitempty"`
	// HTTPMethod is the method (1.0).
	HTTPMethod string `json:"httpMethod,omitempty"`
	// HTTP describes the request (2.0).
	HTTP *HTTPContext `json:"http,omitempty"`
	// Identity describes the caller (1.0).
	Identity *Identity `json:"identity,omitempty"`
	// RequestTimeEpoch is when a REST API received the request, in Unix
	// milliseconds (1.0); read it with ReceivedAt.
	RequestTimeEpoch int64 `json:"requestTimeEpoch,omitempty"`
	// TimeEpoch is when an HTTP API received the request, in Unix
	// milliseconds (2.0; seconds under sam local); read it with ReceivedAt.
	TimeEpoch int64 `json:"timeEpoch,omitempty"`
}

// HTTPContext is requestContext.http of a 2.0 event.
type HTTPContext struct {
	Method   string `json:"method,omitempty"`
	Path     string `json:"path,omitempty"`
	SourceIP string `json:"sourceIp,omitempty"`
}

// Identity is requestContext.identity of a 1.0 event.
type Identity struct {
	SourceIP string `json:"sourceIp,omitempty"`
}

// ReceivedAt returns when API Gateway received the request, or the zero
// time when the event does not say. API Gateway sends Unix milliseconds;
// sam local start-api sends seconds in HTTP API events, which are read as
// seconds: a value below 10^11 is a date before 1973 in milliseconds.
func (c *RequestContext) ReceivedAt() time.Time {
	v := c.TimeEpoch
	if v == 0 {
		v = c.RequestTimeEpoch
	}
	switch {
	case v <= 0:
		return time.Time{}
	case v < 1e11:
		return time.Unix(v, 0)
	default:
		return time.UnixMilli(v)
	}
}

// V2 reports whether the event uses payload format 2.0.
func (e *Event) V2() bool { return e.Version == "2.0" }

// Method returns the request method in upper case.
func (e *Event) Method() string {
	m := e.HTTPMethod
	if (e.V2() || m == "") && e.RequestContext.HTTP != nil {
		m = e.RequestContext.HTTP.Method
	}
	if m == "" {
		m = e.RequestContext.HTTPMethod
	}
	return strings.ToUpper(m)
}

// Options tune Event.Request.
type Options struct {
	// MaxBodyBytes caps the decoded body; 0 means no cap.
	MaxBodyBytes int
	// SignsURL tells that the signature covers the URL, so Request.URL is
	// rebuilt.
	SignsURL bool
	// PublicURL, when set, replaces the scheme, host and path of the URL
	// (a custom domain, a base path, a proxy in front). The query string
	// that arrived is appended unless PublicURL carries its own '?'.
	PublicURL string
}

// Request is the HTTP request rebuilt from an event.
type Request struct {
	Method string
	// URL is the absolute URL the caller requested (see Event.URL); set
	// when Options.SignsURL is.
	URL string
	// Header holds every header, names canonical.
	Header http.Header
	// Body is the exact body bytes.
	Body []byte
}

// Request rebuilds the request. The body limit is checked before the body is
// decoded, on its encoded length, and again on the decoded bytes.
func (e *Event) Request(o Options) (Request, error) {
	r := Request{Method: e.Method(), Header: e.Header()}
	body, err := e.RawBody(o.MaxBodyBytes)
	if err != nil {
		return r, err
	}
	r.Body = body
	if o.SignsURL {
		r.URL, err = e.URL(r.Header, o.PublicURL)
	}
	return r, err
}

// RawBody returns the body bytes, removing the transport base64. It fails
// with ErrBodyTooLarge when the body exceeds max (0 means no cap), and with
// ErrMalformedEvent when a base64 body does not decode.
func (e *Event) RawBody(max int) ([]byte, error) {
	if !e.IsBase64Encoded {
		if max > 0 && len(e.Body) > max {
			return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, len(e.Body), max)
		}
		return []byte(e.Body), nil
	}
	if n := base64.StdEncoding.DecodedLen(len(e.Body)); max > 0 && n-2 > max {
		return nil, fmt.Errorf("%w: about %d bytes, limit %d", ErrBodyTooLarge, n, max)
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(e.Body)))
	n, err := base64.StdEncoding.Decode(b, []byte(e.Body))
	if err != nil {
		return nil, fmt.Errorf("%w: body is not base64: %v", ErrMalformedEvent, err)
	}
	if max > 0 && n > max {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, n, max)
	}
	return b[:n], nil
}

// Header merges headers and multiValueHeaders into one canonical
// http.Header. A name present in both is taken from multiValueHeaders only,
// so no value is counted twice.
func (e *Event) Header() http.Header {
	h := make(http.Header, len(e.Headers)+len(e.MultiValueHeaders))
	for k, vs := range e.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range e.Headers {
		if _, seen := h[http.CanonicalHeaderKey(k)]; !seen {
			h.Add(k, v)
		}
	}
	return h
}

// URL returns the absolute URL the caller requested.
//
// With publicURL set, it is publicURL followed by the query string that
// arrived (unless publicURL has its own query). Otherwise it is
// "https://" + host + path + query, where the host is API Gateway's
// requestContext.domainName (the name the caller reached, a custom domain
// included), or only when the event has none, the one Host header. Either
// must be a well-formed host[:port] (ValidHost), else the error wraps
// ErrMalformedEvent: the sender cannot choose the host a signature is
// checked against, nor smuggle userinfo, a path or a port into it. The path is rawPath (2.0) or requestContext.path (1.0),
// both of which include a named stage.
//
// Payload 2.0 carries the query string as sent. Payload 1.0 does not: API
// Gateway hands over decoded parameters and loses their order and original
// escaping, so the query is rebuilt with keys sorted and values escaped
// minimally (see EscapeQuery). A signature over a URL whose query was written
// otherwise cannot be checked from a 1.0 event; use an HTTP API or set
// publicURL with the query.
func (e *Event) URL(h http.Header, publicURL string) (string, error) {
	query := e.query()
	if publicURL != "" {
		if strings.Contains(publicURL, "?") || query == "" {
			return publicURL, nil
		}
		return publicURL + "?" + query, nil
	}
	host := e.RequestContext.DomainName
	if host == "" {
		hosts := h.Values("Host")
		switch {
		case len(hosts) == 0 || hosts[0] == "":
			return "", fmt.Errorf("%w: no domainName or Host header", ErrMalformedEvent)
		case len(hosts) > 1:
			return "", fmt.Errorf("%w: Host header sent %d times", ErrMalformedEvent, len(hosts))
		}
		host = hosts[0]
	}
	if !ValidHost(host) {
		return "", fmt.Errorf("%w: the host is not a host[:port]", ErrMalformedEvent)
	}
	path := e.RawPath
	if !e.V2() {
		path = e.RequestContext.Path
		if path == "" {
			path = e.Path
		}
	}
	if path == "" {
		path = "/"
	}
	u := "https://" + host + path
	if query != "" {
		u += "?" + query
	}
	return u, nil
}

// ValidHost reports whether s is a host name or IP address with an optional
// port, and nothing else: a name of at most 253 letters, digits, '-', '.'
// and '_', or an IPv6 address in brackets (without zone), then optionally
// ':' and a port from 1 to 65535 without leading zeros. It runs in time
// linear in len(s).
func ValidHost(s string) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		host, port = s[1:end], s[end+1:]
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() || a.Zone() != "" {
			return false
		}
		if port != "" && port[0] != ':' {
			return false
		}
	} else {
		if i := strings.LastIndexByte(s, ':'); i >= 0 {
			host, port = s[:i], s[i:]
		}
		if host == "" || len(host) > 253 {
			return false
		}
		for i := 0; i < len(host); i++ {
			c := host[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
				return false
			}
		}
	}
	return port == "" || validPort(port[1:])
}

// validPort reports whether s is a port number from 1 to 65535, written
// without leading zeros.
func validPort(s string) bool {
	if len(s) == 0 || len(s) > 5 || s[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n <= 65535
}

func (e *Event) query() string {
	if e.V2() {
		return e.RawQueryString
	}
	params := e.MultiValueQueryStringParameters
	if len(params) == 0 && len(e.QueryStringParameters) > 0 {
		params = make(map[string][]string, len(e.QueryStringParameters))
		for k, v := range e.QueryStringParameters {
			params[k] = []string{v}
		}
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range params[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(EscapeQuery(k))
			b.WriteByte('=')
			b.WriteString(EscapeQuery(v))
		}
	}
	return b.String()
}

// EscapeQuery escapes a decoded query key or value the way a person types it
// into a webhook URL: letters, digits and the characters -._~!$'()*,;:@/? are
// kept, a space becomes '+', and everything else is percent-encoded.
func EscapeQuery(s string) string {
	const keep = "-._~!$'()*,;:@/?"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte(keep, c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			const hexDigits = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}
