package echobot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhookguard/webhookguard/examples/webex-echo-bot/echobot"
	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/envelope"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

const token = "bot-token-for-tests"

// Ids of the samples.
const (
	botID      = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS8zY2RkNDA1OS05MjU4LTQ3N2QtYjQ5NC1jMTMzYWMyY2ZhZDU"
	roomGroup  = "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL1JPT00vODZhMWRhYTAtMTFkMC0xMWYxLWJiM2MtMjc4M2NhYTZlZjQy"
	roomDirect = "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL1JPT00vMjhhOTBjNzAtMTI3Zi0xMWYxLTgxMWEtZWY5MjlkNWIyMjI0"
	roomBroken = "Y2lzY29zcGFyazovL3VzL1JPT00vYnJva2Vu" // the stand-in fails posts to it
)

func readJSON(t *testing.T, name string, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// record wraps a Webex webhook body in the envelope the Webex function
// queues, as an SQS record.
func record(t *testing.T, id string, body []byte) events.SQSMessage {
	t.Helper()
	e := envelope.Envelope{Version: envelope.Version, Provider: "webex", ContentType: "application/json", KeyStage: "AWSCURRENT",
		EventType: provider.Webex.EventType("application/json", body), DedupKey: provider.Webex.DedupKey("application/json", body),
		ReceivedAt: time.Now().UTC(), RequestID: "req-" + id}
	e.SetBody(body)
	raw, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return events.SQSMessage{MessageId: id, ReceiptHandle: "rh-" + id, Body: string(raw), EventSource: "aws:sqs"}
}

// withData returns a webhook body with data fields replaced.
func withData(t *testing.T, body []byte, fields map[string]string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	data := m["data"].(map[string]any)
	for k, v := range fields {
		data[k] = v
	}
	out, _ := json.Marshal(m)
	return out
}

// standIn is the Webex stand-in, behind a proxy that fails every message
// posted to roomBroken with 503, as Webex does when it is down for one
// space's cluster.
type standIn struct {
	*webexstub.Server
	url string
}

func newStandIn(t *testing.T) *standIn {
	t.Helper()
	var bot webexapi.Person
	readJSON(t, "api.people-me.bot.derived.json", &bot)
	stub := webexstub.New(token, bot)
	t.Cleanup(stub.Close)
	target, _ := url.Parse(stub.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.Method == http.MethodPost && r.URL.Path == "/v1/messages" && bytes.Contains(body, []byte(roomBroken)) {
			http.Error(w, `{"message":"Service Unavailable","trackingId":"ROUTER_TEST"}`, http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	for _, name := range []string{"api.get-message.group-mention.real.json", "api.get-message.direct.real.json"} {
		var m webexapi.Message
		readJSON(t, name, &m)
		stub.AddMessage(m)
	}
	return &standIn{Server: stub, url: front.URL}
}

func newBot(t *testing.T, s *standIn, botIDSetting string) *echobot.Bot {
	t.Helper()
	b, err := echobot.New(echobot.Config{
		API:   &webexapi.Client{BaseURL: s.url, Token: func(context.Context) (string, error) { return token, nil }},
		BotID: botIDSetting,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type reply struct{ room, text string }

func replies(s *standIn) []reply {
	var out []reply
	for _, m := range s.Created() {
		out = append(out, reply{m.RoomID, m.Text})
	}
	return out
}

func failures(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// TestBatch feeds one batch with every kind of record and checks the
// replies the stand-in received and the records reported for retry.
func TestBatch(t *testing.T) {
	t.Parallel()
	s := newStandIn(t)
	group := readJSON(t, "messages.created.group-mention.derived.json", nil)
	direct := readJSON(t, "messages.created.direct.derived.json", nil)
	var broken webexapi.Message
	readJSON(t, "api.get-message.group-mention.real.json", &broken)
	broken.ID, broken.RoomID = "Y2lzY29zcGFyazovL3VzL01FU1NBR0UvYnJva2Vu", roomBroken
	s.AddMessage(broken)
	var own webexapi.Message // the bot's message, in an event whose data does not say so
	readJSON(t, "api.get-message.direct.real.json", &own)
	own.ID, own.PersonID = "Y2lzY29zcGFyazovL3VzL01FU1NBR0UvYm90cw", botID
	s.AddMessage(own)

	in := events.SQSEvent{Records: []events.SQSMessage{
		record(t, "group", group),
		{MessageId: "not-json", Body: "hello"},
		record(t, "own-event", readJSON(t, "messages.created.group-bot-own-thread-reply.real.json", nil)),
		record(t, "broken-room", withData(t, group, map[string]string{"id": broken.ID, "roomId": roomBroken})),
		record(t, "membership", readJSON(t, "memberships.created.bot-added.derived.json", nil)),
		{MessageId: "qiscus", Body: `{"version":1,"provider":"qiscus","body":"{}","bodyEncoding":"utf8"}`},
		record(t, "not-webex-json", []byte("resource=messages")),
		record(t, "own-message", withData(t, direct, map[string]string{"id": own.ID})),
		record(t, "direct", direct),
	}}
	resp, err := newBot(t, s, "").Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(resp); !slices.Equal(got, []string{"broken-room"}) {
		t.Fatalf("batchItemFailures %v, want exactly [broken-room]", got)
	}
	want := []reply{{roomGroup, "hello"}, {roomDirect, "This is the direct message DM me"}}
	if got := replies(s); !slices.Equal(got, want) {
		t.Fatalf("replies %q, want %q", got, want)
	}
	if n := s.Calls("GET /v1/people/me"); n != 1 {
		t.Fatalf("GET /v1/people/me called %d times, want once for the batch", n)
	}
	if n := s.Calls("GET /v1/messages/" + "Y2lzY29zcGFyazovL3VybjpURUFNOnVzLXdlc3QtMl9yL01FU1NBR0UvMDgxYzI0MTAtMTY3Ni0xMWYxLTkzYmYtY2Q2NDU0MjVmNTZm"); n != 0 {
		t.Fatalf("the bot read its own message (%d calls): its event says it is its own", n)
	}
}

func TestRecordsThatFailAreRetriedAndOnlyThey(t *testing.T) {
	t.Parallel()
	group := func(t *testing.T) []byte { return readJSON(t, "messages.created.group-mention.derived.json", nil) }
	tests := []struct {
		name        string
		botID       string
		setup       func(s *standIn)
		wantFailed  bool
		wantReplies int
	}{
		{name: "retries when Webex answers 5xx", botID: botID, setup: func(s *standIn) { s.FailNext("GET /v1/messages/", 502, 1) }, wantFailed: true},
		{name: "retries when Webex rate limits past the client's retries", botID: botID, setup: func(s *standIn) { s.RateLimit(10, "0") }, wantFailed: true},
		{name: "rides out a short rate limit", botID: botID, setup: func(s *standIn) { s.RateLimit(2, "0") }, wantReplies: 1},
		{name: "retries when Webex refuses the token", botID: botID, setup: func(s *standIn) { s.FailNext("GET /v1/messages/", 401, 1) }, wantFailed: true},
		{name: "retries when the message cannot be read yet", botID: botID, setup: func(s *standIn) { s.FailNext("GET /v1/messages/", 404, 1) }, wantFailed: true},
		{name: "retries when the bot cannot learn who it is", botID: "", setup: func(s *standIn) { s.FailNext("GET /v1/people/me", 503, 1) }, wantFailed: true},
		{name: "drops a message Webex refuses as invalid", botID: botID, setup: func(s *standIn) { s.FailNext("POST /v1/messages", 400, 1) }},
		{name: "retries when the Webex API cannot be reached", botID: botID, setup: func(s *standIn) { s.Close() }, wantFailed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStandIn(t)
			tc.setup(s)
			resp, err := newBot(t, s, tc.botID).Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{record(t, "r1", group(t))}})
			if err != nil {
				t.Fatal(err)
			}
			if got := failures(resp); (len(got) == 1 && got[0] == "r1") != tc.wantFailed || len(got) > 1 {
				t.Fatalf("batchItemFailures %v, want failed=%v", got, tc.wantFailed)
			}
			if tc.name != "retries when the Webex API cannot be reached" && len(replies(s)) != tc.wantReplies {
				t.Fatalf("replies %v, want %d", replies(s), tc.wantReplies)
			}
		})
	}
}

func TestWebexBotIDSavesTheLookup(t *testing.T) {
	t.Parallel()
	s := newStandIn(t)
	// The raw UUID form of the bot's id, as some configurations hold it.
	b := newBot(t, s, "3cdd4059-9258-477d-b494-c133ac2cfad5")
	resp, err := b.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		record(t, "own", readJSON(t, "messages.created.group-bot-own-thread-reply.real.json", nil)),
		record(t, "group", readJSON(t, "messages.created.group-mention.derived.json", nil)),
	}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v", resp, err)
	}
	if got := replies(s); len(got) != 1 || got[0] != (reply{roomGroup, "hello"}) {
		t.Fatalf("replies %v", got)
	}
	if n := s.Calls("GET /v1/people/me"); n != 0 {
		t.Fatalf("GET /v1/people/me called %d times with WEBEX_BOT_ID set and HTML to read", n)
	}
}

func TestRecordsLeftWithoutTimeAreRetried(t *testing.T) {
	t.Parallel()
	s := newStandIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second) // less than the 2 s reserve
	defer cancel()
	group := readJSON(t, "messages.created.group-mention.derived.json", nil)
	resp, err := newBot(t, s, botID).Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{record(t, "a", group), record(t, "b", group)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(resp); !slices.Equal(got, []string{"a", "b"}) || len(replies(s)) != 0 {
		t.Fatalf("failures %v, replies %v", got, replies(s))
	}
}

func TestHandleLogsWithoutContent(t *testing.T) {
	t.Parallel()
	s := newStandIn(t)
	var logs bytes.Buffer
	b, err := echobot.New(echobot.Config{
		API:   &webexapi.Client{BaseURL: s.url, Token: func(context.Context) (string, error) { return token, nil }},
		BotID: botID, Log: newJSONLogger(&logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.FailNext("POST /v1/messages", 503, 1)
	group := readJSON(t, "messages.created.group-mention.derived.json", nil)
	if _, err := b.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{record(t, "a", group), {MessageId: "b", Body: "x"}}}); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{`"messageId":"a","outcome":"failed","reason":"webex_unavailable"`, `"messageId":"b","outcome":"dropped","reason":"not_an_envelope"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %s:\n%s", want, out)
		}
	}
	for _, secret := range []string{token, "hello", "user@example.com", roomGroup, "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9lMjg5YTQ3MC05ODE4LTQ4MmItYjI1ZC00MTYyYWE4OWQ4NWU"} {
		if strings.Contains(out, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, out)
		}
	}
}
