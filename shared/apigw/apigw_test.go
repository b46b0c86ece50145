package apigw_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"webhookguard/shared/apigw"
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
			r, err := e.Request(apigw.Options{MaxBodyBytes: 1 << 20, PublicURL: tc.publicURL, WithURL: true})
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
			r, err := tc.event.Request(apigw.Options{MaxBodyBytes: tc.max, WithURL: true})
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
			r, err := e.Request(apigw.Options{WithURL: true})
			if err != nil {
				t.Fatal(err)
			}
			if e.IsBase64Encoded != tc.wantB64 || string(r.Body) != string(in.Body) || r.URL != tc.wantURL || r.Header.Get("X-Signalwire-Signature") != "sig" {
				t.Fatalf("round trip: base64 %v body %q url %q header %q", e.IsBase64Encoded, r.Body, r.URL, r.Header.Get("X-Signalwire-Signature"))
			}
			if e.RequestContext.RequestID != "r1" || e.RequestContext.ReceivedAt() != 1763812800000 {
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
		r, err := e.Request(apigw.Options{MaxBodyBytes: max, WithURL: true})
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
		if got := load(t, file).RequestContext.ReceivedAt(); got != want {
			t.Errorf("%s: ReceivedAt = %d, want %d", file, got, want)
		}
	}
}
