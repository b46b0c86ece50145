// Package answer computes the answer to a verified webhook in an AWS Lambda
// function of your own: the cXML or SWML instructions SignalWire waits for
// in the response to a call or message webhook.
//
// The function is invoked synchronously with the JSON envelope (package
// envelope) as its payload, the same envelope a queue or a bus gets, and
// returns the answer as
//
//	{"contentType": "text/xml", "body": "<Response><Say>Hello</Say></Response>"}
//
// which is relayed to the provider byte for byte with that content type.
package answer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/webhookguard/webhookguard/internal/awscall"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// DefaultTimeout is Function.Timeout when unset: inside SignalWire's 5 s
// read timeout and the request budget (webhook.DefaultTimeout, 4 s), with
// room left to answer.
const DefaultTimeout = 3 * time.Second

// MaxBodyBytes is the largest answer body relayed; a larger one is an
// error. cXML and SWML documents are a few KiB; this leaves room for long
// AI prompts in SWML.
const MaxBodyBytes = 256 << 10

// maxResultBytes caps the function's result before it is parsed: the body's
// limit with room for JSON escaping and the content type.
const maxResultBytes = 4*MaxBodyBytes + 4096

// Errors of Function.Answer, each wrapped with its cause.
var (
	// ErrInvoke means the invocation failed: the Lambda API could not be
	// reached, refused the call (throttled, not found, not allowed), or
	// the answer did not come within the timeout.
	ErrInvoke = errors.New("answer: invoke failed")
	// ErrFunction means the function itself failed (an unhandled error,
	// a timeout or a crash inside it).
	ErrFunction = errors.New("answer: the function failed")
	// ErrMalformed means the function returned something other than
	// {"contentType": "...", "body": "..."} with a non-empty, valid
	// content type and a body of at most MaxBodyBytes.
	ErrMalformed = errors.New("answer: malformed result")
)

// Client invokes a Lambda function synchronously (Invoke, invocation type
// RequestResponse). NewClient returns the one that calls AWS.
type Client interface {
	Invoke(ctx context.Context, function string, payload []byte) (*InvokeOutput, error)
}

// InvokeOutput is what an invocation returned.
type InvokeOutput struct {
	// FunctionError is set (Unhandled, Handled) when the function
	// failed; Payload then holds its error document.
	FunctionError string
	// Payload is the function's result.
	Payload []byte
}

// NewClient returns the Client that calls the Lambda Invoke API with cfg's
// credentials, region, endpoint (AWS_ENDPOINT_URL_LAMBDA or
// AWS_ENDPOINT_URL when set) and HTTP client. It makes exactly one attempt
// per call, whatever cfg says: a retry after a timeout could run your
// function twice.
func NewClient(cfg aws.Config) Client {
	return &api{awscall.New(cfg, awscall.Lambda, 1)}
}

// api calls Invoke over its REST-JSON binding.
type api struct{ c *awscall.Client }

func (a *api) Invoke(ctx context.Context, function string, payload []byte) (*InvokeOutput, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Amz-Invocation-Type", "RequestResponse")
	res, err := a.c.Do(ctx, awscall.Request{
		Method: http.MethodPost,
		Path:   "/2015-03-31/functions/" + awscall.EscapePathSegment(function) + "/invocations",
		Header: h,
		Body:   payload,
	})
	if err != nil {
		return nil, err
	}
	return &InvokeOutput{FunctionError: res.Header.Get("X-Amz-Function-Error"), Payload: res.Body}, nil
}

// Function answers by invoking a Lambda function synchronously. It
// implements webhook.Answerer.
type Function struct {
	Client Client
	// Name is the function's name, ARN or partial ARN, with an optional
	// version or alias (my-function:live).
	Name string
	// Timeout bounds each invocation; default DefaultTimeout. The
	// request's own deadline wins when sooner.
	Timeout time.Duration
}

// Answer invokes the function with the event's envelope and returns its
// answer. It makes one call; the client NewClient returns makes exactly one
// attempt, since a retry after a timeout could run your function twice.
func (f *Function) Answer(ctx context.Context, ev *destination.Event) (provider.Reply, error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := f.Client.Invoke(ctx, f.Name, ev.JSON)
	if err != nil {
		return provider.Reply{}, fmt.Errorf("%w: %w", ErrInvoke, err)
	}
	if fe := out.FunctionError; fe != "" {
		return provider.Reply{}, fmt.Errorf("%w: %s", ErrFunction, fe)
	}
	return ParseResult(out.Payload)
}

// Build returns the Function that invokes the Lambda function name with
// NewClient(cfg), each call bounded by timeout (0 for DefaultTimeout). It
// is the app.AnswerFunction of app.WithAnswerFunction.
func Build(cfg aws.Config, name string, timeout time.Duration) webhook.Answerer {
	return &Function{Client: NewClient(cfg), Name: name, Timeout: timeout}
}

// ParseResult reads a function's result: a JSON object with exactly the
// string members contentType (a valid, non-empty media type) and body (at
// most MaxBodyBytes). Anything else is an error wrapping ErrMalformed.
func ParseResult(payload []byte) (provider.Reply, error) {
	if len(payload) > maxResultBytes {
		return provider.Reply{}, fmt.Errorf("%w: result of %d bytes, limit %d", ErrMalformed, len(payload), maxResultBytes)
	}
	var r struct {
		ContentType *string `json:"contentType"`
		Body        *string `json:"body"`
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return provider.Reply{}, fmt.Errorf("%w: want {\"contentType\": string, \"body\": string}: %v", ErrMalformed, err)
	}
	if dec.More() {
		return provider.Reply{}, fmt.Errorf("%w: data after the result object", ErrMalformed)
	}
	switch {
	case r.ContentType == nil || r.Body == nil:
		return provider.Reply{}, fmt.Errorf("%w: contentType and body are both required strings", ErrMalformed)
	case len(*r.Body) > MaxBodyBytes:
		return provider.Reply{}, fmt.Errorf("%w: body of %d bytes, limit %d", ErrMalformed, len(*r.Body), MaxBodyBytes)
	case !validContentType(*r.ContentType):
		return provider.Reply{}, fmt.Errorf("%w: contentType is not a media type", ErrMalformed)
	case !utf8.ValidString(*r.Body):
		return provider.Reply{}, fmt.Errorf("%w: body is not UTF-8", ErrMalformed)
	}
	return provider.Reply{ContentType: *r.ContentType, Body: *r.Body}, nil
}

// validContentType accepts a media type with optional parameters, short and
// printable, so it is safe as a header value.
func validContentType(s string) bool {
	if s == "" || len(s) > 256 || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		return false
	}
	_, _, err := mime.ParseMediaType(s)
	return err == nil
}
