// Package bus hands verified webhooks to an Amazon EventBridge event bus,
// one event per webhook: the event's detail is the JSON envelope (package
// envelope), its source is "webhookguard.<provider>" and its detail type the
// envelope's event type, so rules route on them without a consumer parsing
// anything. Rules can also match the envelope's own fields, such as
// detail.provider and detail.source (the multi-source name).
package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/webhookguard/webhookguard/internal/awscall"
	"github.com/webhookguard/webhookguard/shared/destination"
)

// Name is the destination's name in logs, metrics and reasons.
const Name = "bus"

// MaxEntryBytes is the largest entry this package sends, as EventBridge
// counts it (EntrySize). EventBridge documents its limit as "less than
// 1MB" without the exact byte count; 1,000,000 bytes stays under both
// readings (10^6 and 2^20), and leaves more than 48 KiB for the fields
// EventBridge adds around the detail, so the event a rule delivers still
// fits an SQS message (1 MiB).
const MaxEntryBytes = 1_000_000

// SourcePrefix starts the source of every event: SourcePrefix + provider.
const SourcePrefix = "webhookguard."

// DefaultDetailType is the detail type of an event whose type is unknown.
const DefaultDetailType = "webhook"

// Client puts entries on a bus: the EventBridge PutEvents call. NewClient
// returns the one that calls AWS.
type Client interface {
	PutEvents(ctx context.Context, entries []Entry) (*PutEventsOutput, error)
}

// Entry is one PutEvents entry. Its JSON form is the API's.
type Entry struct {
	EventBusName string     `json:"EventBusName,omitempty"`
	Source       string     `json:"Source"`
	DetailType   string     `json:"DetailType"`
	Detail       string     `json:"Detail"`
	Time         *time.Time `json:"-"`
	Resources    []string   `json:"Resources,omitempty"`
}

// MarshalJSON writes the entry as PutEvents takes it, Time in epoch
// seconds.
func (e Entry) MarshalJSON() ([]byte, error) {
	type plain Entry
	w := struct {
		plain
		Time *float64 `json:"Time,omitempty"`
	}{plain: plain(e)}
	if e.Time != nil {
		t := float64(e.Time.UnixMilli()) / 1000
		w.Time = &t
	}
	return json.Marshal(w)
}

// PutEventsOutput is PutEvents' answer: one result per entry, in order.
type PutEventsOutput struct {
	FailedEntryCount int           `json:"FailedEntryCount"`
	Entries          []EntryResult `json:"Entries"`
}

// EntryResult is the result of one entry: an event id, or an error.
type EntryResult struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// NewClient returns the Client that calls EventBridge with cfg's
// credentials, region, endpoint (AWS_ENDPOINT_URL_EVENTBRIDGE or
// AWS_ENDPOINT_URL when set) and HTTP client, retrying as cfg says.
func NewClient(cfg aws.Config) Client {
	return &api{awscall.New(cfg, awscall.EventBridge, 0)}
}

// api calls PutEvents over the AWS JSON 1.1 protocol.
type api struct{ c *awscall.Client }

func (a *api) PutEvents(ctx context.Context, entries []Entry) (*PutEventsOutput, error) {
	var out PutEventsOutput
	if err := a.c.JSON(ctx, "1.1", "AWSEvents.PutEvents", struct {
		Entries []Entry `json:"Entries"`
	}{entries}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EventBridge puts events on one bus. It implements
// destination.Destination.
type EventBridge struct {
	Client Client
	// BusName is the bus's name or ARN.
	BusName string
}

// Name implements destination.Destination.
func (b *EventBridge) Name() string { return Name }

// Send puts the event on the bus. Its errors are *destination.Error values
// wrapping destination.ErrTooLarge when the entry is larger than
// EventBridge takes, destination.ErrRejected when EventBridge refuses the
// entry as invalid, and destination.ErrUnavailable otherwise: unreachable,
// throttled, an internal failure, or a bus it cannot find or may not use.
func (b *EventBridge) Send(ctx context.Context, ev *destination.Event) error {
	entry := NewEntry(ev, b.BusName)
	if n := EntrySize(entry); n > MaxEntryBytes {
		return fail(destination.ErrTooLarge, fmt.Errorf("entry of %d bytes, limit %d", n, MaxEntryBytes))
	}
	out, err := b.Client.PutEvents(ctx, []Entry{entry})
	if err != nil {
		return fail(classify(err), err)
	}
	code, msg := "", ""
	if len(out.Entries) > 0 {
		code, msg = out.Entries[0].ErrorCode, out.Entries[0].ErrorMessage
	}
	if out.FailedEntryCount > 0 || code != "" {
		return fail(entryError(code), fmt.Errorf("entry failed: %s: %s", code, msg))
	}
	return nil
}

func fail(sentinel, cause error) error {
	return &destination.Error{Destination: Name, Err: fmt.Errorf("%w: %w", sentinel, cause)}
}

// NewEntry returns the PutEvents entry of an event: source
// "webhookguard.<provider>", the event type as detail type (or
// DefaultDetailType), the envelope as detail, and the time API Gateway
// received the request.
func NewEntry(ev *destination.Event, busName string) Entry {
	e := ev.Envelope
	detailType := e.EventType
	if detailType == "" {
		detailType = DefaultDetailType
	}
	entry := Entry{
		EventBusName: busName,
		Source:       SourcePrefix + e.Provider,
		DetailType:   detailType,
		Detail:       string(ev.JSON),
	}
	if !e.ReceivedAt.IsZero() {
		t := e.ReceivedAt
		entry.Time = &t
	}
	return entry
}

// EntrySize returns the size EventBridge counts for an entry: 14 bytes for
// Time when set, and the UTF-8 bytes of Source, DetailType, Detail and each
// of Resources. EventBusName and TraceHeader do not count.
func EntrySize(e Entry) int {
	n := len(e.Source) + len(e.DetailType) + len(e.Detail)
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// classify tells a refusal of the entry itself, which a retry cannot
// mend, from a failure worth retrying.
func classify(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		// "Total size of the entries in the request is over the limit."
		if strings.Contains(strings.ToLower(api.ErrorMessage()), "size") {
			return destination.ErrTooLarge
		}
	}
	return destination.ErrUnavailable
}

// entryError classifies the error code of a failed entry. MalformedDetail
// and InvalidArgument refuse the entry itself; every other code
// (InternalFailure, ThrottlingException, AccessDeniedException,
// NotAuthorizedFor...) is worth retrying once mended.
func entryError(code string) error {
	switch code {
	case "MalformedDetail", "InvalidArgument":
		return destination.ErrRejected
	}
	return destination.ErrUnavailable
}
