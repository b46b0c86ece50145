// Package destination names what an accepted webhook is handed to (an SQS
// queue, an EventBridge bus, a function that answers) and the errors they
// fail with, so the request path can decide the HTTP status of every
// failure in one place.
package destination

import (
	"context"
	"errors"

	"github.com/webhookguard/webhookguard/shared/envelope"
)

// Errors a destination wraps, in an *Error naming it.
var (
	// ErrUnavailable means the destination could not take the event now:
	// unreachable, too slow, throttled or failing. The provider is asked
	// to retry.
	ErrUnavailable = errors.New("destination: unavailable")
	// ErrTooLarge means the event is larger than the destination can ever
	// take: retrying cannot help.
	ErrTooLarge = errors.New("destination: event too large")
	// ErrRejected means the destination refused the event as invalid:
	// retrying cannot help.
	ErrRejected = errors.New("destination: event rejected")
)

// Event is an accepted webhook ready to be handed on: its envelope, and the
// envelope encoded once as JSON (envelope.Envelope.Marshal) for every
// destination to send as is.
type Event struct {
	Envelope *envelope.Envelope
	JSON     []byte
}

// Destination hands events on. Send returns nil only once the destination
// has accepted the event; its errors are *Error values.
type Destination interface {
	// Name names the destination in logs, metrics and reasons: "queue",
	// "bus".
	Name() string
	// Send hands ev on.
	Send(ctx context.Context, ev *Event) error
}

// Error is a destination's failure.
type Error struct {
	// Destination is the failing destination's name.
	Destination string
	// Err wraps ErrUnavailable, ErrTooLarge or ErrRejected, and the cause.
	Err error
}

// Error implements error.
func (e *Error) Error() string { return e.Destination + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
