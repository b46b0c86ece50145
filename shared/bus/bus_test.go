package bus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/bus"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/envelope"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

var _ destination.Destination = (*bus.EventBridge)(nil)

func event(t *testing.T, provider, eventType, source string, body []byte) *destination.Event {
	t.Helper()
	e := &envelope.Envelope{Version: envelope.Version, Provider: provider, Source: source, EventType: eventType, KeyStage: "AWSCURRENT", Scheme: "x",
		ReceivedAt: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), RequestID: "req-1", DedupKey: "k1"}
	e.SetBody(body)
	raw, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return &destination.Event{Envelope: e, JSON: raw}
}

// busEvent is an EventBridge event as a rule delivers it to SQS.
type busEvent struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Time       string          `json:"time"`
	Detail     json.RawMessage `json:"detail"`
}

var buses atomic.Int64

func TestEventsReachARuleTarget(t *testing.T) {
	s := mototest.Shared(t)
	name := s.CreateBus(t, fmt.Sprintf("webhooks-%d", buses.Add(1)))
	// The rule matches what consumers route on: the source, the detail
	// type and the envelope's own source (the multi-source name).
	calls := s.RouteToQueue(t, name, "calls", `{"source":["webhookguard.signalwire"],"detail-type":[{"prefix":"call."}]}`)
	tenant := s.RouteToQueue(t, name, "tenant", `{"source":[{"prefix":"webhookguard."}],"detail":{"source":["acme"]}}`)
	b := &bus.EventBridge{Client: bus.NewClient(s.Config()), BusName: name}

	ringing := event(t, "signalwire", "call.ringing", "", []byte("CallSid=CA1&CallStatus=ringing"))
	acme := event(t, "webex", "", "acme", []byte(`{"resource":"messages","event":"created"}`))
	sms := event(t, "signalwire", "message.received", "", []byte("MessageSid=SM1"))
	for _, ev := range []*destination.Event{ringing, acme, sms} {
		if err := b.Send(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		queue          string
		want           *destination.Event
		source, dtType string
	}{
		{calls, ringing, "webhookguard.signalwire", "call.ringing"},
		{tenant, acme, "webhookguard.webex", bus.DefaultDetailType},
	} {
		msgs := s.Receive(t, tc.queue, 10)
		if len(msgs) != 1 {
			t.Fatalf("%d events reached the rule's queue, want 1", len(msgs))
		}
		var got busEvent
		if err := json.Unmarshal([]byte(msgs[0].Body), &got); err != nil {
			t.Fatal(err)
		}
		if got.Source != tc.source || got.DetailType != tc.dtType || got.Time != "2026-11-23T12:00:00Z" {
			t.Fatalf("event %+v, want source %s, detail-type %s, the time received", got, tc.source, tc.dtType)
		}
		e, err := envelope.Decode(got.Detail)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := e.RawBody()
		wantBody, _ := tc.want.Envelope.RawBody()
		if string(body) != string(wantBody) || *e != *decode(t, tc.want.JSON) {
			t.Fatalf("detail %+v, want the envelope %s", e, tc.want.JSON)
		}
	}
}

func decode(t *testing.T, raw []byte) *envelope.Envelope {
	t.Helper()
	e, err := envelope.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// failingEntries speaks PutEvents and fails every entry with code.
func failingEntries(t *testing.T, code string) *mototest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
			http.Error(w, "unexpected call", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprintf(w, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":%q,"ErrorMessage":"failed"}]}`, code)
	}))
	t.Cleanup(srv.Close)
	return mototest.At(srv.URL)
}

func TestSendFailures(t *testing.T) {
	s := mototest.Shared(t)
	tests := []struct {
		name    string
		client  bus.Client
		busName string
		body    []byte
		want    error
	}{
		{"asks for a retry when an entry is throttled", bus.NewClient(failingEntries(t, "ThrottlingException").Config()), "b", nil, destination.ErrUnavailable},
		{"asks for a retry when an entry meets an internal failure", bus.NewClient(failingEntries(t, "InternalFailure").Config()), "b", nil, destination.ErrUnavailable},
		{"asks for a retry when the function may not put events", bus.NewClient(failingEntries(t, "AccessDeniedException").Config()), "b", nil, destination.ErrUnavailable},
		{"refuses an entry EventBridge calls malformed", bus.NewClient(failingEntries(t, "MalformedDetail").Config()), "b", nil, destination.ErrRejected},
		{"asks for a retry when EventBridge is unreachable", bus.NewClient(mototest.Down(t).Config()), "b", nil, destination.ErrUnavailable},
		{"asks for a retry when the bus does not exist", bus.NewClient(s.Config()), "no-such-bus", nil, destination.ErrUnavailable},
		{"refuses an entry over the limit before sending it", bus.NewClient(mototest.Down(t).Config()), "b", []byte(strings.Repeat("a", bus.MaxEntryBytes)), destination.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if body == nil {
				body = []byte(`{"a":1}`)
			}
			err := (&bus.EventBridge{Client: tc.client, BusName: tc.busName}).Send(context.Background(), event(t, "qiscus", "post_comment_mobile", "", body))
			var de *destination.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &de) || de.Destination != bus.Name {
				t.Fatalf("Send = %v, want a bus error wrapping %v", err, tc.want)
			}
		})
	}
}

func TestEntrySize(t *testing.T) {
	t.Parallel()
	now := time.Now()
	e := bus.Entry{
		Source: "webhookguard.webex", DetailType: "messages.created", Detail: `{"x":"é"}`,
		Time: &now, Resources: []string{"arn:a"}, EventBusName: "not counted",
	}
	if got, want := bus.EntrySize(e), 18+16+10+14+5; got != want {
		t.Fatalf("EntrySize = %d, want %d", got, want)
	}
}

func TestTheLargestEnvelopeFits(t *testing.T) {
	t.Parallel()
	// The largest body the handler accepts, in the worst encoding (base64),
	// with the longest detail type, still fits an entry.
	body := make([]byte, 720<<10)
	for i := range body {
		body[i] = 0xff
	}
	ev := event(t, "signalwire", strings.Repeat("x", 64), "a-source-name-of-the-longest-kind-allowed-by-the-route-pattern-x", body)
	if n := bus.EntrySize(bus.NewEntry(ev, "b")); n > bus.MaxEntryBytes {
		t.Fatalf("entry of %d bytes, limit %d", n, bus.MaxEntryBytes)
	}
}
