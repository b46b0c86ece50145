// Package lambdastub stands in for the AWS Lambda Invoke API, which
// moto_server cannot serve without Docker: an httptest server speaking
// POST /2015-03-31/functions/{name}/invocations as Lambda does, so tests
// use the real SDK client (through AWS_ENDPOINT_URL_LAMBDA or an
// aws.Config). Function errors come back as 200 with X-Amz-Function-Error;
// service errors with their status and X-Amzn-ErrorType, as Lambda sends
// them.
package lambdastub

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Call is one invocation the stub received.
type Call struct {
	// Function is the function name or ARN, decoded from the path.
	Function string
	// Qualifier is the ?Qualifier= version or alias, if any.
	Qualifier string
	// InvocationType is the X-Amz-Invocation-Type header ("" when absent,
	// which Lambda reads as RequestResponse).
	InvocationType string
	Payload        []byte
}

// Result is what the stub answers to one call.
type Result struct {
	// Payload is the function's result (or error document).
	Payload []byte
	// FunctionError, when set ("Unhandled", "Handled"), is sent as
	// X-Amz-Function-Error: the function failed.
	FunctionError string
	// ServiceError, when set (TooManyRequestsException,
	// ResourceNotFoundException, ServiceException ...), is a failure of
	// the Lambda service itself, sent with Status.
	ServiceError string
	Status       int
	// Delay holds the answer back, as a slow function does; it ends early
	// when the caller gives up.
	Delay time.Duration
}

// Answer returns a result carrying the answer-function contract's JSON.
func Answer(contentType, body string) Result {
	b, _ := json.Marshal(map[string]string{"contentType": contentType, "body": body})
	return Result{Payload: b}
}

// Server is a running stub.
type Server struct {
	// URL is its endpoint.
	URL    string
	mu     sync.Mutex
	calls  []Call
	handle func(Call) Result
}

// Start starts a stub answering each call with handle, stopped when the
// test ends.
func Start(t testing.TB, handle func(Call) Result) *Server {
	t.Helper()
	s := &Server{handle: handle}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", s.invoke)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// SetHandler changes how later calls are answered.
func (s *Server) SetHandler(handle func(Call) Result) {
	s.mu.Lock()
	s.handle = handle
	s.mu.Unlock()
}

// Calls returns the calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Config returns an AWS configuration whose clients talk to the stub.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.URL),
	}
}

func (s *Server) invoke(w http.ResponseWriter, r *http.Request) {
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c := Call{Function: r.PathValue("name"), Qualifier: r.URL.Query().Get("Qualifier"), InvocationType: r.Header.Get("X-Amz-Invocation-Type"), Payload: payload}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	handle := s.handle
	s.mu.Unlock()
	res := handle(c)
	if res.Delay > 0 {
		select {
		case <-time.After(res.Delay):
		case <-r.Context().Done():
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", "$LATEST")
	if res.ServiceError != "" {
		h.Set("X-Amzn-ErrorType", res.ServiceError)
		if res.ServiceError == "TooManyRequestsException" {
			h.Set("Retry-After", "1")
		}
		status := res.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		w.WriteHeader(status)
		body := res.Payload
		if body == nil {
			body = []byte(`{"Type":"User","message":"` + res.ServiceError + `"}`)
		}
		_, _ = w.Write(body)
		return
	}
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
}
