package awscall

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
)

func TestResolveEndpoint(t *testing.T) {
	t.Parallel()
	base := "http://127.0.0.1:5000"
	tests := []struct {
		name string
		cfg  aws.Config
		env  map[string]string
		svc  Service
		want string
	}{
		{"uses the regional endpoint by default", aws.Config{Region: "eu-west-1"}, nil, EventBridge, "https://events.eu-west-1.amazonaws.com"},
		{"uses the China partition's suffix", aws.Config{Region: "cn-north-1"}, nil, DynamoDB, "https://dynamodb.cn-north-1.amazonaws.com.cn"},
		{"uses the FIPS endpoint when asked", aws.Config{Region: "us-east-1"}, map[string]string{"AWS_USE_FIPS_ENDPOINT": "true"}, Lambda, "https://lambda-fips.us-east-1.amazonaws.com"},
		{"uses the dual-stack endpoint when asked", aws.Config{Region: "us-east-1"}, map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "true"}, Lambda, "https://lambda.us-east-1.api.aws"},
		{"uses the configuration's base endpoint", aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(base)}, nil, DynamoDB, base},
		{"prefers the service's own endpoint variable", aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(base)}, map[string]string{"AWS_ENDPOINT_URL_EVENTBRIDGE": "http://localhost:4010"}, EventBridge, "http://localhost:4010"},
		{"ignores another service's endpoint variable", aws.Config{Region: "us-east-1"}, map[string]string{"AWS_ENDPOINT_URL_LAMBDA": "http://localhost:4010"}, DynamoDB, "https://dynamodb.us-east-1.amazonaws.com"},
		{"ignores configured endpoints when told to", aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(base)}, map[string]string{"AWS_ENDPOINT_URL_LAMBDA": "http://x", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, Lambda, "https://lambda.us-east-1.amazonaws.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := resolveEndpoint(tc.cfg, tc.svc, func(k string) string { return tc.env[k] })
			if err != nil || u.String() != tc.want {
				t.Fatalf("endpoint %v, %v; want %s", u, err, tc.want)
			}
		})
	}
}

func TestResolveEndpointRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  aws.Config
	}{
		{"refuses a configuration without a region", aws.Config{}},
		{"refuses an endpoint that is not an http URL", aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("localhost:4566")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if u, err := resolveEndpoint(tc.cfg, Lambda, func(string) string { return "" }); err == nil {
				t.Fatalf("endpoint %v, want an error", u)
			}
		})
	}
}

// server records the requests it gets and answers each with the next of
// answers (the last one repeated).
type server struct {
	*httptest.Server
	mu      sync.Mutex
	got     []*http.Request
	bodies  []string
	answers []func(http.ResponseWriter)
}

func newServer(t *testing.T, answers ...func(http.ResponseWriter)) *server {
	s := &server{answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.got)
		s.got = append(s.got, r)
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		s.answers[min(n, len(s.answers)-1)](w)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) config() aws.Config {
	return aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(s.URL), Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
}

func (s *server) requests() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.got) }

func status(code int, errType, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if errType != "" {
			w.Header().Set("X-Amzn-ErrorType", errType)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func TestJSONSignsAndSendsTheCall(t *testing.T) {
	t.Parallel()
	s := newServer(t, status(200, "", `{"FailedEntryCount":0}`))
	c := New(s.config(), EventBridge, 0)
	var out struct{ FailedEntryCount int }
	if err := c.JSON(context.Background(), "1.1", "AWSEvents.PutEvents", map[string]int{"a": 1}, &out); err != nil {
		t.Fatal(err)
	}
	r := s.got[0]
	auth := r.Header.Get("Authorization")
	if r.Method != http.MethodPost || r.URL.Path != "/" || s.bodies[0] != `{"a":1}` ||
		r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" ||
		!strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKID/") || !strings.Contains(auth, "/eu-west-1/events/aws4_request") ||
		r.Header.Get("X-Amz-Date") == "" {
		t.Fatalf("request %s %s %q, headers %v", r.Method, r.URL.Path, s.bodies[0], r.Header)
	}
}

func TestDoEscapesThePath(t *testing.T) {
	t.Parallel()
	s := newServer(t, status(200, "", ``))
	c := New(s.config(), Lambda, 0)
	name := "arn:aws:lambda:us-east-1:123456789012:function:menu:live"
	if _, err := c.Do(context.Background(), Request{Method: http.MethodPost, Path: "/2015-03-31/functions/" + EscapePathSegment(name) + "/invocations"}); err != nil {
		t.Fatal(err)
	}
	if got, want := s.got[0].URL.EscapedPath(), "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amenu%3Alive/invocations"; got != want {
		t.Fatalf("path %s, want %s", got, want)
	}
}

func TestDoRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		answers     []func(http.ResponseWriter)
		maxAttempts int
		wantCalls   int
		wantCode    string // "" for success
	}{
		{"retries a 503 and succeeds", []func(http.ResponseWriter){status(503, "ServiceUnavailable", ``), status(200, "", `{}`)}, 3, 2, ""},
		{"retries throttling until the attempts run out", []func(http.ResponseWriter){status(400, "ThrottlingException", `{"message":"slow down"}`)}, 3, 3, "ThrottlingException"},
		{"does not retry a client error", []func(http.ResponseWriter){status(400, "", `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`)}, 3, 1, "ConditionalCheckFailedException"},
		{"makes one attempt when told to", []func(http.ResponseWriter){status(500, "ServiceException:http://internal.amazon.com/coral/com.amazon.coral.service/", `{"Type":"Service","message":"boom"}`)}, 1, 1, "ServiceException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tc.answers...)
			err := New(s.config(), DynamoDB, tc.maxAttempts).JSON(context.Background(), "1.0", "DynamoDB_20120810.UpdateItem", struct{}{}, nil)
			if n := s.requests(); n != tc.wantCalls {
				t.Fatalf("%d requests, want %d", n, tc.wantCalls)
			}
			var api smithy.APIError
			switch {
			case tc.wantCode == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantCode != "" && (!errors.As(err, &api) || api.ErrorCode() != tc.wantCode):
				t.Fatalf("error %v, want code %s", err, tc.wantCode)
			}
		})
	}
}

func TestDoRetriesAnUnreachableEndpointWithinTheContext(t *testing.T) {
	t.Parallel()
	s := httptest.NewServer(http.NotFoundHandler())
	url := s.URL
	s.Close()
	cfg := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(url), Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := New(cfg, EventBridge, 3).JSON(ctx, "1.1", "AWSEvents.PutEvents", struct{}{}, nil)
	var api smithy.APIError
	if err == nil || errors.As(err, &api) {
		t.Fatalf("error %v, want a transport error", err)
	}
}

func TestEscapePathSegment(t *testing.T) {
	t.Parallel()
	if got, want := EscapePathSegment("a-Z_0.~:/ é"), "a-Z_0.~%3A%2F%20%C3%A9"; got != want {
		t.Fatalf("EscapePathSegment = %q, want %q", got, want)
	}
}

// FuzzAPIError feeds arbitrary error answers: reading them never panics,
// and the code is never empty nor holds a '#' or a ':'.
func FuzzAPIError(f *testing.F) {
	f.Add(400, "", []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"x"}`))
	f.Add(429, "TooManyRequestsException:http://x", []byte(`{"Type":"User","message":"Rate exceeded"}`))
	f.Add(500, "", []byte(`not json`))
	f.Fuzz(func(t *testing.T, code int, header string, body []byte) {
		if code < 100 || code > 999 {
			return
		}
		res := &http.Response{StatusCode: code, Header: http.Header{}}
		res.Header.Set("X-Amzn-ErrorType", header)
		e := apiError(res, body)
		if strings.ContainsAny(e.Code, "#:") || (e.Code == "" && http.StatusText(code) != "") {
			t.Fatalf("code %q from header %q body %q", e.Code, header, body)
		}
	})
}
