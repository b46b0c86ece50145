// Package bus hands verified webhooks to an Amazon EventBridge event bus,
// one event per webhook: the event's detail is the JSON envelope (package
// envelope), its source is "webhookguard.<provider>" and its detail type the
// envelope's event type, so rules route on them without a consumer parsing
// anything. Rules can also match the envelope's own fields, such as
// detail.provider and detail.source (the multi-source name).
package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

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

// Client is the part of the EventBridge client EventBridge uses.
type Client interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
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
	entry := Entry(ev, b.BusName)
	if n := EntrySize(entry); n > MaxEntryBytes {
		return fail(destination.ErrTooLarge, fmt.Errorf("entry of %d bytes, limit %d", n, MaxEntryBytes))
	}
	out, err := b.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
	if err != nil {
		return fail(classify(err), err)
	}
	code, msg := "", ""
	if len(out.Entries) > 0 {
		code, msg = aws.ToString(out.Entries[0].ErrorCode), aws.ToString(out.Entries[0].ErrorMessage)
	}
	if out.FailedEntryCount > 0 || code != "" {
		return fail(entryError(code), fmt.Errorf("entry failed: %s: %s", code, msg))
	}
	return nil
}

func fail(sentinel, cause error) error {
	return &destination.Error{Destination: Name, Err: fmt.Errorf("%w: %w", sentinel, cause)}
}

// Entry returns the PutEvents entry of an event: source
// "webhookguard.<provider>", the event type as detail type (or
// DefaultDetailType), the envelope as detail, and the time API Gateway
// received the request.
func Entry(ev *destination.Event, busName string) ebtypes.PutEventsRequestEntry {
	e := ev.Envelope
	detailType := e.EventType
	if detailType == "" {
		detailType = DefaultDetailType
	}
	entry := ebtypes.PutEventsRequestEntry{
		EventBusName: aws.String(busName),
		Source:       aws.String(SourcePrefix + e.Provider),
		DetailType:   aws.String(detailType),
		Detail:       aws.String(string(ev.JSON)),
	}
	if !e.ReceivedAt.IsZero() {
		entry.Time = aws.Time(e.ReceivedAt)
	}
	return entry
}

// EntrySize returns the size EventBridge counts for an entry: 14 bytes for
// Time when set, and the UTF-8 bytes of Source, DetailType, Detail and each
// of Resources. EventBusName and TraceHeader do not count.
func EntrySize(e ebtypes.PutEventsRequestEntry) int {
	n := len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
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
