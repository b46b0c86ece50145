package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhookguard/webhookguard/internal/testenv/lambdaemu"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

const (
	token  = "Zm9vYmFy-bot-token"
	botID  = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9ib3Q"
	alice  = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ"
	broken = "Y2lzY29zcGFyazovL3VzL1JPT00vYnJva2Vu" // posts to this room fail with 503
)

// TestFunction runs the built bot under the Lambda Runtime API, as SQS
// triggers it, with its token in Secrets Manager (moto_server) and the
// Webex stand-in behind a proxy that fails the posts to one room.
func TestFunction(t *testing.T) {
	moto := mototest.Shared(t)
	secretARN := moto.CreateSecret(t, "functest-webex-bot-token", token)

	stub := webexstub.New(token, webexapi.Person{ID: botID, DisplayName: "Echo", Type: "bot"})
	defer stub.Close()
	target, _ := url.Parse(stub.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.Method == http.MethodPost && bytes.Contains(body, []byte(broken)) {
			http.Error(w, `{"message":"unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()

	messages := []struct{ id, room, person, html, text string }{
		{"MSG-A", "ROOM-A", alice, `<p><spark-mention data-object-type="person" data-object-id="` + botID + `">Echo</spark-mention> hello A</p>`, "Echo hello A"},
		{"MSG-B", "ROOM-B", alice, "", "hello B"},
		{"MSG-C", broken, alice, "", "hello C"},
		{"MSG-OWN", "ROOM-A", botID, "", "my own words"},
	}
	for _, m := range messages {
		stub.AddMessage(webexapi.Message{ID: m.id, RoomID: m.room, RoomType: "group", PersonID: m.person, HTML: m.html, Text: m.text, MentionedPeople: []string{botID}})
	}
	rec := func(id, msg, room, person string) events.SQSMessage {
		body := []byte(`{"resource":"messages","event":"created","actorId":"` + person + `","data":{"id":"` + msg + `","roomId":"` + room + `","personId":"` + person + `"}}`)
		e := envelope.Envelope{Version: envelope.Version, Provider: "webex", ContentType: "application/json",
			EventType: "messages.created", DedupKey: provider.Webex.DedupKey("application/json", body), ReceivedAt: time.Now().UTC()}
		e.SetBody(body)
		raw, _ := e.Marshal()
		return events.SQSMessage{MessageId: id, Body: string(raw), EventSource: "aws:sqs"}
	}
	batch := events.SQSEvent{Records: []events.SQSMessage{
		rec("1", "MSG-A", "ROOM-A", alice),
		rec("2", "MSG-C", broken, alice),
		{MessageId: "3", Body: "not an envelope", EventSource: "aws:sqs"},
		rec("4", "MSG-OWN", "ROOM-A", botID),
		rec("5", "MSG-B", "ROOM-B", alice),
	}}
	payload, _ := json.Marshal(batch)

	bin := lambdaemu.Build(t, ".")
	t.Run("refuses to start without its token", func(t *testing.T) {
		rt := lambdaemu.Start(t, bin, "AWS_REGION=us-east-1")
		if _, err := rt.Invoke([]byte(`{"Records":[]}`), 2*time.Second); err == nil {
			t.Fatal("the bot started without WEBEX_BOT_TOKEN_SECRET_ID")
		}
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(rt.Output(), "WEBEX_BOT_TOKEN_SECRET_ID is not set"); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("output: %s", rt.Output())
			}
		}
	})
	rt := lambdaemu.Start(t, bin,
		"WEBEX_BOT_TOKEN_SECRET_ID="+secretARN, "WEBEX_API_URL="+front.URL,
		"AWS_ENDPOINT_URL="+moto.URL, "AWS_REGION="+mototest.Region, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_LAMBDA_LOG_FORMAT=JSON")
	res, err := rt.Invoke(payload, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.SQSEventResponse
	if res.Err || json.Unmarshal(res.Payload, &resp) != nil {
		t.Fatalf("invocation failed: %s\n%s", res.Payload, rt.Output())
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if !slices.Equal(failed, []string{"2"}) {
		t.Fatalf("batchItemFailures %v, want exactly [2]\n%s", failed, rt.Output())
	}
	var got []string
	for _, m := range stub.Created() {
		got = append(got, m.RoomID+": "+m.Text)
	}
	if want := []string{"ROOM-A: hello A", "ROOM-B: hello B"}; !slices.Equal(got, want) {
		t.Fatalf("replies %q, want %q\n%s", got, want, rt.Output())
	}
	if n := stub.Calls("GET /v1/people/me"); n != 1 {
		t.Fatalf("GET /v1/people/me called %d times, want 1", n)
	}
	// The process's output is copied from a pipe: wait for the last line.
	for deadline := time.Now().Add(10 * time.Second); strings.Count(rt.Output(), `"message":"record"`) < 5 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	out := rt.Output()
	if strings.Contains(out, token) || strings.Contains(out, "hello") || strings.Count(out, `"message":"record"`) != 5 {
		t.Fatalf("the log holds the token or a text, or not one line per record:\n%s", out)
	}
}
