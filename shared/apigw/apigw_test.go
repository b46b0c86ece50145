package apigw_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/shared/apigw"
)

func load(t testing.TB, name string) *apigw.Event {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var e apigw.Event
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

func TestFixtures(t *testing.T) {
	t.Parallel()
	const body = "CallSid=CA1&From=%2B15551234567"
	tests := []struct {
		name      string
		file      string
		publicURL string
		wantURL   string
	}{
		{"a REST API event keeps the stage and rebuilds the query sorted", "rest-v1.json", "", "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/signalwire?a=1&a=2&tenant=o'brien+co"},
		{"an HTTP API event keeps the stage and the query as sent", "http-v2.json", "", "https://abc123.execute-api.eu-west-1.amazonaws.com/live/signalwire?tenant=o'brien+co&a=2&a=1"},
		{"a public URL replaces host and path and keeps the query", "http-v2.json", "https://hooks.example.com/sw", "https://hooks.example.com/sw?tenant=o'brien+co&a=2&a=1"},
		{"a public URL with its own query is used as is", "http-v2.json", "https://hooks.example.com/sw?fixed=1", "https://hooks.example.com/sw?fixed=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := load(t, tc.file)
			r, err := e.Request(apigw.Options{MaxBodyBytes: 1 << 20, PublicURL: tc.publicURL, SignsURL: true})
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != "POST" || string(r.Body) != body || r.URL != tc.wantURL {
				t.Fatalf("Request = %s %q body %q, want POST %q body %q", r.Method, r.URL, r.Body, tc.wantURL, body)
			}
			if got := r.Header.Values("X-Signalwire-Signature"); len(got) != 1 || got[0] != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
				t.Fatalf("signature header = %q, want one value", got)
			}
		})
	}
}

func TestRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		event    apigw.Event
		max      int
		wantBody string
		wantErr  error
	}{
		{"decodes a base64 body", apigw.Event{Body: "aMOpbGxvIPCfkYs=", IsBase64Encoded: true, Headers: map[string]string{"host": "h"}}, 100, "héllo 👋", nil},
		{"keeps a text body byte for byte", apigw.Event{Body: "{ \"a\" : 1 }\n", Headers: map[string]string{"host": "h"}}, 100, "{ \"a\" : 1 }\n", nil},
		{"accepts a body exactly at the limit", apigw.Event{Body: "12345", Headers: map[string]string{"host": "h"}}, 5, "12345", nil},
		{"refuses a text body over the limit", apigw.Event{Body: "123456", Headers: map[string]string{"host": "h"}}, 5, "", apigw.ErrBodyTooLarge},
		{"refuses a base64 body over the limit before decoding it", apigw.Event{Body: strings.Repeat("QUFB", 100), IsBase64Encoded: true}, 30, "", apigw.ErrBodyTooLarge},
		{"refuses a decoded body one byte over the limit", apigw.Event{Body: "MTIzNDU2", IsBase64Encoded: true, Headers: map[string]string{"host": "h"}}, 5, "", apigw.ErrBodyTooLarge},
		{"refuses a body marked base64 that is not", apigw.Event{Body: "not base64!", IsBase64Encoded: true}, 100, "", apigw.ErrMalformedEvent},
		{"refuses base64 without padding", apigw.Event{Body: "YQ", IsBase64Encoded: true}, 100, "", apigw.ErrMalformedEvent},
		{"refuses an event with no host", apigw.Event{Body: "x"}, 100, "", apigw.ErrMalformedEvent},
		{"uses the domain name when the Host header is missing", apigw.Event{Body: "x", RequestContext: apigw.RequestContext{DomainName: "d"}}, 100, "x", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.event.Request(apigw.Options{MaxBodyBytes: tc.max, SignsURL: true})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && string(r.Body) != tc.wantBody {
				t.Fatalf("body = %q, want %q", r.Body, tc.wantBody)
			}
		})
	}
}

func TestHeaderMergesBothMapsWithoutCountingTwice(t *testing.T) {
	t.Parallel()
	e := apigw.Event{
		Headers:           map[string]string{"X-Spark-Signature": "b", "content-type": "application/json"},
		MultiValueHeaders: map[string][]string{"X-Spark-Signature": {"b"}, "Accept": {"a", "b"}},
	}
	h := e.Header()
	want := http.Header{"X-Spark-Signature": {"b"}, "Content-Type": {"application/json"}, "Accept": {"a", "b"}}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("Header() = %v, want %v", h, want)
	}
}

func TestMethodIsReadFromEitherFormat(t *testing.T) {
	t.Parallel()
	if m := load(t, "rest-v1.json").Method(); m != "POST" {
		t.Fatalf("1.0 method = %q", m)
	}
	e := load(t, "http-v2.json")
	e.RequestContext.HTTP.Method = "get" // the fixture has requestContext.http
	if m := e.Method(); m != "GET" {
		t.Fatalf("2.0 method = %q", m)
	}
}

func TestBuiltEventsRoundTrip(t *testing.T) {
	t.Parallel()
	in := apigw.Incoming{
		Method: "POST", Host: "api.example.com", Path: "/prod/signalwire", RawQuery: "b=2&a=it's+1",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Signalwire-Signature": {"sig"}},
		Body:   []byte("To=%2B1&To=%2B2"), Stage: "prod", RequestID: "r1", Time: time.UnixMilli(1763812800000),
	}
	for _, tc := range []struct {
		name    string
		event   *apigw.Event
		wantURL string
		wantB64 bool
	}{
		{"an HTTP API event base64-encodes a form body and keeps the raw query", apigw.V2Event(in), "https://api.example.com/prod/signalwire?b=2&a=it's+1", true},
		{"a REST API event keeps the body as text and sorts the query", apigw.V1Event(in), "https://api.example.com/prod/signalwire?a=it's+1&b=2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(tc.event)
			if err != nil {
				t.Fatal(err)
			}
			var e apigw.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			r, err := e.Request(apigw.Options{SignsURL: true})
			if err != nil {
				t.Fatal(err)
			}
			if e.IsBase64Encoded != tc.wantB64 || string(r.Body) != string(in.Body) || r.URL != tc.wantURL || r.Header.Get("X-Signalwire-Signature") != "sig" {
				t.Fatalf("round trip: base64 %v body %q url %q header %q", e.IsBase64Encoded, r.Body, r.URL, r.Header.Get("X-Signalwire-Signature"))
			}
			if e.RequestContext.RequestID != "r1" || e.RequestContext.ReceivedAt().UnixMilli() != 1763812800000 {
				t.Fatalf("request context = %+v", e.RequestContext)
			}
		})
	}
}

func TestEscapeQuery(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"o'brien co": "o'brien+co",
		"+1 555":     "%2B1+555",
		"a&b=c#d%":   "a%26b%3Dc%23d%25",
		"é":          "%C3%A9",
		"x/y?z:@!*":  "x/y?z:@!*",
	} {
		if got := apigw.EscapeQuery(in); got != want {
			t.Errorf("EscapeQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzEvent feeds arbitrary events: decoding and rebuilding never panics,
// errors are sentinels, and the body never exceeds the limit.
func FuzzEvent(f *testing.F) {
	for _, name := range []string{"rest-v1.json", "http-v2.json"} {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, 64)
	}
	f.Add([]byte(`{"body":"=","isBase64Encoded":true}`), 1)
	f.Fuzz(func(t *testing.T, raw []byte, max int) {
		var e apigw.Event
		if json.Unmarshal(raw, &e) != nil {
			return
		}
		if max < 0 {
			max = -max
		}
		r, err := e.Request(apigw.Options{MaxBodyBytes: max, SignsURL: true})
		if err != nil {
			if !errors.Is(err, apigw.ErrBodyTooLarge) && !errors.Is(err, apigw.ErrMalformedEvent) {
				t.Fatalf("err = %v, not a sentinel", err)
			}
			return
		}
		if max > 0 && len(r.Body) > max {
			t.Fatalf("body of %d bytes passed a limit of %d", len(r.Body), max)
		}
		if !strings.HasPrefix(r.URL, "https://") {
			t.Fatalf("URL %q", r.URL)
		}
	})
}

func TestReceivedAtIsReadFromEitherFormat(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]int64{"rest-v1.json": 1763810000000, "http-v2.json": 1763812800000} {
		if got := load(t, file).RequestContext.ReceivedAt(); got.UnixMilli() != want {
			t.Errorf("%s: ReceivedAt = %v, want %d ms", file, got, want)
		}
	}
}

func TestReceivedAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rc   apigw.RequestContext
		want time.Time
	}{
		{"reads an HTTP API's milliseconds", apigw.RequestContext{TimeEpoch: 1763812800123}, time.UnixMilli(1763812800123)},
		{"reads a REST API's milliseconds", apigw.RequestContext{RequestTimeEpoch: 1763812800123}, time.UnixMilli(1763812800123)},
		{"reads the seconds sam local start-api sends", apigw.RequestContext{TimeEpoch: 1763812800}, time.Unix(1763812800, 0)},
		{"says nothing when the event does not", apigw.RequestContext{}, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rc.ReceivedAt(); !got.Equal(tc.want) {
				t.Fatalf("ReceivedAt = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestURLHost(t *testing.T) {
	t.Parallel()
	const domain = "abc123.execute-api.us-east-1.amazonaws.com"
	v2 := func(domainName string, headers map[string]string) apigw.Event {
		return apigw.Event{Version: "2.0", RawPath: "/signalwire", RawQueryString: "a=1", Headers: headers,
			RequestContext: apigw.RequestContext{DomainName: domainName}}
	}
	v1 := func(domainName string, hosts ...string) apigw.Event {
		return apigw.Event{Version: "1.0", Path: "/signalwire", MultiValueHeaders: map[string][]string{"Host": hosts},
			RequestContext: apigw.RequestContext{DomainName: domainName, Path: "/prod/signalwire"}}
	}
	host := func(h string) map[string]string { return map[string]string{"host": h} }
	tests := []struct {
		name    string
		event   apigw.Event
		wantURL string
		wantErr error
	}{
		{"takes the domain name over a forged Host header", v2(domain, host("evil.example")), "https://" + domain + "/signalwire?a=1", nil},
		{"takes the domain name over a Host header with credentials", v2(domain, host("user:pass@evil.example")), "https://" + domain + "/signalwire?a=1", nil},
		{"takes the domain name of a REST API event over a forged Host header", v1(domain, "evil.example"), "https://" + domain + "/prod/signalwire", nil},
		{"takes a custom domain name", v2("hooks.example.com", host(domain)), "https://hooks.example.com/signalwire?a=1", nil},
		{"uses the Host header only when the event has no domain name", v2("", host("localhost:3000")), "https://localhost:3000/signalwire?a=1", nil},
		{"uses a bracketed IPv6 Host header", v2("", host("[::1]:3000")), "https://[::1]:3000/signalwire?a=1", nil},
		{"uses a Host header with an underscore and a trailing dot", v2("", host("my_host.example.com.")), "https://my_host.example.com./signalwire?a=1", nil},
		{"refuses an event with neither domain name nor Host header", v2("", nil), "", apigw.ErrMalformedEvent},
		{"refuses an empty Host header", v2("", host("")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a space", v2("", host("evil.example /x")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a tab", v2("", host("evil.example\t")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with credentials", v2("", host("user:pass@evil.example")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with an at sign", v2("", host("a@b")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a path", v2("", host("evil.example/x")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a query", v2("", host("evil.example?x=1")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a fragment", v2("", host("evil.example#x")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a backslash", v2("", host("evil.example\\x")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with an empty port", v2("", host("evil.example:")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with port 0", v2("", host("evil.example:0")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a port over 65535", v2("", host("evil.example:65536")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a six-digit port", v2("", host("evil.example:443443")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a port with a leading zero", v2("", host("evil.example:0443")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a negative port", v2("", host("evil.example:-1")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with a named port", v2("", host("evil.example:https")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header with two ports", v2("", host("evil.example:443:443")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header that is only a port", v2("", host(":443")), "", apigw.ErrMalformedEvent},
		{"refuses empty brackets", v2("", host("[]")), "", apigw.ErrMalformedEvent},
		{"refuses empty brackets with a port", v2("", host("[]:443")), "", apigw.ErrMalformedEvent},
		{"refuses an unclosed bracket", v2("", host("[::1")), "", apigw.ErrMalformedEvent},
		{"refuses a name in brackets", v2("", host("[evil.example]")), "", apigw.ErrMalformedEvent},
		{"refuses an IPv4 address in brackets", v2("", host("[127.0.0.1]")), "", apigw.ErrMalformedEvent},
		{"refuses an IPv6 zone", v2("", host("[fe80::1%25eth0]")), "", apigw.ErrMalformedEvent},
		{"refuses bytes after the brackets", v2("", host("[::1]x")), "", apigw.ErrMalformedEvent},
		{"refuses an unbracketed IPv6 address", v2("", host("::1")), "", apigw.ErrMalformedEvent},
		{"refuses two Host values joined by a comma", v2("", host("a.example,b.example")), "", apigw.ErrMalformedEvent},
		{"refuses a Host header sent twice", v1("", "a.example", "a.example"), "", apigw.ErrMalformedEvent},
		{"refuses a host name that is not ASCII", v2("", host("ex\u00e4mple.com")), "", apigw.ErrMalformedEvent},
		{"refuses a host name over 253 bytes", v2("", host(strings.Repeat("a", 254))), "", apigw.ErrMalformedEvent},
		{"refuses a malformed domain name", v2("evil.example/x", nil), "", apigw.ErrMalformedEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.event.URL(tc.event.Header(), "")
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("URL err = %v, want %v", err, tc.wantErr)
			}
			if u != tc.wantURL {
				t.Fatalf("URL = %q, want %q", u, tc.wantURL)
			}
		})
	}
}

// FuzzValidHost checks ValidHost against net/url: a host it accepts is one
// that, put in a URL, parses back as that URL's host, with no userinfo, and
// with a port from 1 to 65535.
func FuzzValidHost(f *testing.F) {
	for _, s := range []string{"example.com", "localhost:3000", "[::1]:443", "[]", "a@b", "a b", "a/b", "h:0", "h:65536", "[::1", "[v1.x]", "[fe80::1%25en0]", ":80", "a:1:2", "A_b-c.d.", "[::ffff:1.2.3.4]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !apigw.ValidHost(s) {
			return
		}
		if strings.ContainsAny(s, " \t\r\n@/?#\\,%") {
			t.Fatalf("ValidHost(%q) accepted a separator", s)
		}
		u, err := url.Parse("https://" + s + "/p")
		if err != nil {
			t.Fatalf("ValidHost(%q), but url.Parse: %v", s, err)
		}
		if u.Host != s || u.User != nil || u.Path != "/p" {
			t.Fatalf("ValidHost(%q), but it parses as host %q, userinfo %v, path %q", s, u.Host, u.User, u.Path)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				t.Fatalf("ValidHost(%q) accepted port %q", s, p)
			}
		}
	})
}
