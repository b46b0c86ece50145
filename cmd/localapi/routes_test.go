package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/webhookguard/webhookguard/internal/devkit/samtemplate"
	"github.com/webhookguard/webhookguard/shared/apigw"
)

func TestServerSendsWhatAnHTTPAPISends(t *testing.T) {
	t.Parallel()
	var got *apigw.Event
	s := NewServer()
	s.Handle(samtemplate.Route{Function: "F", Method: "POST", Path: "/hook/{source}"}, func(_ context.Context, ev *apigw.Event) (apigw.Response, error) {
		got = ev
		return apigw.Response{StatusCode: 202, Headers: map[string]string{"X-A": "b"}, Body: "done"}, nil
	})
	ts := httptest.NewServer(s)
	defer ts.Close()
	resp, err := http.Post(ts.URL+"/hook/sales?b=2&a='1'", "application/x-www-form-urlencoded", strings.NewReader("To=%2B1"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 || string(body) != "done" || resp.Header.Get("X-A") != "b" {
		t.Fatalf("response %d %q %v", resp.StatusCode, body, resp.Header)
	}
	raw, err := got.RawBody(0)
	if err != nil || string(raw) != "To=%2B1" || !got.IsBase64Encoded || got.RawQueryString != "b=2&a='1'" ||
		got.Method() != "POST" || got.Headers["content-type"] != "application/x-www-form-urlencoded" || got.RawPath != "/hook/sales" || got.PathParameters["source"] != "sales" {
		t.Fatalf("event %+v", got)
	}
}
