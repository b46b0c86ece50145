package answer_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/webhookguard/webhookguard/internal/testenv/lambdastub"
	"github.com/webhookguard/webhookguard/shared/answer"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

var _ webhook.Answerer = (*answer.Function)(nil)

const cxml = `<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1"><Say>Press 1 &amp; wait.</Say></Gather></Response>`

func event(t *testing.T) *destination.Event {
	t.Helper()
	e := &envelope.Envelope{Version: envelope.Version, Provider: "signalwire", EventType: "call.ringing", KeyStage: "AWSCURRENT", Scheme: "signalwire-compat-form"}
	e.SetBody([]byte("CallSid=CA1&CallStatus=ringing"))
	raw, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return &destination.Event{Envelope: e, JSON: raw}
}

func TestFunctionAnswers(t *testing.T) {
	t.Parallel()
	arn := "arn:aws:lambda:us-east-1:123456789012:function:phone-menu:live"
	tests := []struct {
		name      string
		result    lambdastub.Result
		timeout   time.Duration
		want      provider.Reply
		wantErr   error
		wantCause func(error) bool
	}{
		{"relays the function's answer byte for byte", lambdastub.Answer("text/xml; charset=utf-8", cxml), 0, provider.Reply{ContentType: "text/xml; charset=utf-8", Body: cxml}, nil, nil},
		{"relays an empty body with its content type", lambdastub.Answer("application/json", ""), 0, provider.Reply{ContentType: "application/json"}, nil, nil},
		{"fails when the function fails", lambdastub.Result{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"boom","errorType":"Error"}`)}, 0, provider.Reply{}, answer.ErrFunction, nil},
		{"fails when the function returns another shape", lambdastub.Result{Payload: []byte(`{"statusCode":200,"body":"<Response/>"}`)}, 0, provider.Reply{}, answer.ErrMalformed, nil},
		{"fails when the function is slower than the timeout", lambdastub.Result{Delay: 10 * time.Second, Payload: lambdastub.Answer("text/xml", cxml).Payload}, 100 * time.Millisecond, provider.Reply{}, answer.ErrInvoke, is(context.DeadlineExceeded)},
		{"fails when Lambda throttles, without retrying", lambdastub.Result{ServiceError: "TooManyRequestsException", Status: http.StatusTooManyRequests}, 0, provider.Reply{}, answer.ErrInvoke, code("TooManyRequestsException")},
		{"fails when Lambda fails, without retrying", lambdastub.Result{ServiceError: "ServiceException", Status: http.StatusInternalServerError}, 0, provider.Reply{}, answer.ErrInvoke, code("ServiceException")},
		{"fails when the function does not exist", lambdastub.Result{ServiceError: "ResourceNotFoundException", Status: http.StatusNotFound}, 0, provider.Reply{}, answer.ErrInvoke, code("ResourceNotFoundException")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stub := lambdastub.Start(t, func(lambdastub.Call) lambdastub.Result { return tc.result })
			f := &answer.Function{Client: answer.NewClient(stub.Config()), Name: arn, Timeout: tc.timeout}
			ev := event(t)
			got, err := f.Answer(context.Background(), ev)
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Fatalf("Answer = %+v, %v; want %+v, %v", got, err, tc.want, tc.wantErr)
			}
			if tc.wantCause != nil && !tc.wantCause(err) {
				t.Fatalf("error %v lacks its cause", err)
			}
			calls := stub.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d invocations, want exactly 1", len(calls))
			}
			c := calls[0]
			if c.Function != "arn:aws:lambda:us-east-1:123456789012:function:phone-menu:live" || c.InvocationType != "RequestResponse" || !bytes.Equal(c.Payload, ev.JSON) {
				t.Fatalf("call %q %q %s, want the ARN, RequestResponse and the envelope", c.Function, c.InvocationType, c.Payload)
			}
		})
	}
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

// code matches an AWS API error of that code.
func code(want string) func(error) bool {
	return func(err error) bool {
		var api smithy.APIError
		return errors.As(err, &api) && api.ErrorCode() == want
	}
}

func TestParseResult(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", answer.MaxBodyBytes)
	tests := []struct {
		name    string
		payload string
		want    provider.Reply
		ok      bool
	}{
		{"reads cXML", `{"contentType":"text/xml","body":"<Response/>"}`, provider.Reply{ContentType: "text/xml", Body: "<Response/>"}, true},
		{"reads SWML with escapes and white space", "{ \"body\" : \"{\\\"version\\\":\\\"1.0.0\\\"}\\n\", \"contentType\": \"application/json\" }\n", provider.Reply{ContentType: "application/json", Body: "{\"version\":\"1.0.0\"}\n"}, true},
		{"reads a body of the largest size", `{"contentType":"text/plain","body":"` + big + `"}`, provider.Reply{ContentType: "text/plain", Body: big}, true},
		{"refuses a body over the limit", `{"contentType":"text/plain","body":"` + big + `a"}`, provider.Reply{}, false},
		{"refuses a result that is not JSON", `<Response/>`, provider.Reply{}, false},
		{"refuses a JSON string", `"<Response/>"`, provider.Reply{}, false},
		{"refuses null", `null`, provider.Reply{}, false},
		{"refuses an empty result", ``, provider.Reply{}, false},
		{"refuses a missing content type", `{"body":"x"}`, provider.Reply{}, false},
		{"refuses an empty content type", `{"contentType":"","body":"x"}`, provider.Reply{}, false},
		{"refuses a content type that is not a media type", `{"contentType":"xml please","body":"x"}`, provider.Reply{}, false},
		{"refuses a content type that would split a header", `{"contentType":"text/xml\r\nSet-Cookie: a=b","body":"x"}`, provider.Reply{}, false},
		{"refuses a missing body", `{"contentType":"text/xml"}`, provider.Reply{}, false},
		{"refuses a null body", `{"contentType":"text/xml","body":null}`, provider.Reply{}, false},
		{"refuses a body that is not a string", `{"contentType":"application/json","body":{"version":"1.0.0"}}`, provider.Reply{}, false},
		{"refuses another field", `{"contentType":"text/xml","body":"x","statusCode":200}`, provider.Reply{}, false},
		{"refuses data after the object", `{"contentType":"text/xml","body":"x"} {}`, provider.Reply{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := answer.ParseResult([]byte(tc.payload))
			if tc.ok != (err == nil) || got != tc.want {
				t.Fatalf("ParseResult = %+v, %v; want %+v, ok %v", got, err, tc.want, tc.ok)
			}
			if !tc.ok && !errors.Is(err, answer.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
		})
	}
}

// FuzzParseResult feeds arbitrary results to the parser: it never panics,
// and what it accepts has a content type and a body within the limit.
func FuzzParseResult(f *testing.F) {
	f.Add([]byte(`{"contentType":"text/xml","body":"<Response/>"}`))
	f.Add([]byte(`{"contentType":"text/xml; charset=utf-8","body":"\u00e9\ud800"}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		r, err := answer.ParseResult(payload)
		if err == nil && (r.ContentType == "" || len(r.Body) > answer.MaxBodyBytes) {
			t.Fatalf("accepted %+v", r)
		}
	})
}
