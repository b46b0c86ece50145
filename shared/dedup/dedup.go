// Package dedup is the replay guard on Amazon DynamoDB: it records each
// verified request under an identity derived from the signature that
// verified it (webhook.GuardID: a SHA-256, never the signature itself), so
// a provider's retry, a captured request replayed later, or a re-encoding
// of one signed request is handed on once.
//
// Every call is one conditional UpdateItem, atomic per item, so concurrent
// copies on many function instances cannot both win: there is no read
// before the write. A record goes through these states:
//
//   - pending: a copy is being handed on. It holds a claim token and a
//     short lease; another copy arriving meanwhile gets webhook.ErrInFlight
//     (503, the provider retries). A lease that ran out (the instance
//     crashed) can be claimed again.
//   - done: handed on. Copies get webhook.ErrDuplicate (200, not handed
//     on) until the record expires, Window after it was first claimed.
//   - failed: handing on failed. The record keeps the destinations already
//     delivered; the provider's retry claims it again and is handed on to
//     the others only.
//
// The table has the partition key "id" (string) and DynamoDB's time to
// live on "expiresAt" (number, epoch seconds). DynamoDB deletes expired
// items within days; until then the guard treats them as absent.
package dedup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/webhookguard/webhookguard/shared/webhook"
)

// Defaults of Config.
const (
	// DefaultWindow is how long a handled request is remembered.
	DefaultWindow = 7 * 24 * time.Hour
	// DefaultLease is how long a claim blocks other copies when its holder
	// neither finishes nor withdraws it: the request budget
	// (webhook.DefaultTimeout) and a margin.
	DefaultLease = webhook.DefaultTimeout + 2*time.Second
	// DefaultTimeout bounds each DynamoDB call: a slow table answers 503
	// with time left, rather than eating the request's budget, and a slow
	// mark does not hold the answer back for long.
	DefaultTimeout = time.Second
)

// Attribute names of a record.
const (
	AttrID         = "id"         // partition key: webhook.GuardID
	AttrExpiresAt  = "expiresAt"  // epoch seconds; the table's time to live
	AttrState      = "state"      // pending, done or failed
	AttrClaim      = "claim"      // the claim token of the copy that holds it
	AttrLeaseUntil = "leaseUntil" // epoch milliseconds; pending records only
	AttrDelivered  = "delivered"  // destinations delivered; failed records only
)

// States of a record.
const (
	StatePending = "pending"
	StateDone    = "done"
	StateFailed  = "failed"
)

// ErrClaimLost means a record was claimed by another copy after this one's
// lease ran out: Done and Abort leave it alone.
var ErrClaimLost = errors.New("dedup: the claim was taken over after its lease ran out")

// Client is the DynamoDB call the guard makes: UpdateItem only. NewClient
// (client.go) returns the one that calls AWS. A failed condition is a
// *ConditionFailed error.
type Client interface {
	UpdateItem(ctx context.Context, in *UpdateItemInput) (*UpdateItemOutput, error)
}

// Config configures a Guard.
type Config struct {
	Client Client
	// Table is the table's name or ARN.
	Table string
	// Window is how long a handled request is remembered; default
	// DefaultWindow.
	Window time.Duration
	// Lease is how long a claim blocks other copies; default
	// DefaultLease. It must outlast the request budget, so that no copy
	// is handed on while the claim's holder may still be handing on.
	Lease time.Duration
	// Timeout bounds each call; default DefaultTimeout.
	Timeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Guard is the replay guard. It implements webhook.Guard and is safe for
// concurrent use.
type Guard struct{ c Config }

// New validates c and returns a Guard.
func New(c Config) (*Guard, error) {
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.Client == nil || c.Table == "":
		return nil, errors.New("dedup: a client and a table are required")
	case c.Window < time.Minute || c.Lease <= 0 || c.Timeout <= 0:
		return nil, errors.New("dedup: Window must be at least a minute; Lease and Timeout positive")
	case c.Lease >= c.Window:
		return nil, fmt.Errorf("dedup: Lease %s must be shorter than Window %s", c.Lease, c.Window)
	}
	return &Guard{c}, nil
}

// Begin claims the record of id: a new one, one that failed, one whose
// lease ran out, or one that expired. It fails with webhook.ErrDuplicate
// when id was handled within the window, webhook.ErrInFlight when another
// copy holds it, and an error wrapping webhook.ErrGuardUnavailable when
// DynamoDB cannot be asked.
func (g *Guard) Begin(ctx context.Context, id string) (webhook.Ticket, error) {
	token, err := newToken()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", webhook.ErrGuardUnavailable, err)
	}
	now := g.c.Now()
	ctx, cancel := context.WithTimeout(ctx, g.c.Timeout)
	defer cancel()
	out, err := g.c.Client.UpdateItem(ctx, &UpdateItemInput{
		TableName:                g.c.Table,
		Key:                      key(id),
		UpdateExpression:         "SET #s = :pending, #c = :claim, #l = :lease, #e = :expires",
		ConditionExpression:      "attribute_not_exists(" + AttrID + ") OR #s = :failed OR #l < :nowms OR #e < :now",
		ExpressionAttributeNames: map[string]string{"#s": AttrState, "#c": AttrClaim, "#l": AttrLeaseUntil, "#e": AttrExpiresAt},
		ExpressionAttributeValues: map[string]Value{
			":pending": str(StatePending),
			":failed":  str(StateFailed),
			":claim":   str(token),
			":lease":   num(now.Add(g.c.Lease).UnixMilli()),
			":expires": num(now.Add(g.c.Window).Unix()),
			":nowms":   num(now.UnixMilli()),
			":now":     num(now.Unix()),
		},
		ReturnValues:                        "ALL_OLD",
		ReturnValuesOnConditionCheckFailure: "ALL_OLD",
	})
	var ccf *ConditionFailed
	switch {
	case errors.As(err, &ccf):
		old := ccf.Item
		if s := old[AttrClaim].S; s != nil && *s == token {
			// An earlier attempt of this very call, retried by the SDK
			// after its answer was lost, made the claim.
			return &ticket{g: g, id: id, token: token, delivered: delivered(old)}, nil
		}
		if s := old[AttrState].S; s != nil && *s == StateDone {
			return nil, webhook.ErrDuplicate
		}
		return nil, webhook.ErrInFlight
	case err != nil:
		return nil, fmt.Errorf("%w: %w", webhook.ErrGuardUnavailable, err)
	}
	return &ticket{g: g, id: id, token: token, delivered: delivered(out.Attributes)}, nil
}

// ticket is a claimed record.
type ticket struct {
	g         *Guard
	id, token string
	delivered []string
}

// Delivered implements webhook.Ticket: the destinations an earlier, failed
// attempt delivered.
func (t *ticket) Delivered() []string { return t.delivered }

// Done records the request as handled. It fails with ErrClaimLost when
// another copy took the record over.
func (t *ticket) Done(ctx context.Context) error {
	return t.update(ctx, "SET #s = :state REMOVE #l, #d", StateDone, nil)
}

// Abort records the request as failed, keeping the destinations delivered
// so far, so the provider's retry is handed on to the others only. It
// fails with ErrClaimLost when another copy took the record over.
func (t *ticket) Abort(ctx context.Context, delivered []string) error {
	if len(delivered) == 0 {
		return t.update(ctx, "SET #s = :state REMOVE #l, #d", StateFailed, nil)
	}
	list := make([]Value, len(delivered))
	for i, d := range delivered {
		list[i] = str(d)
	}
	return t.update(ctx, "SET #s = :state, #d = :delivered REMOVE #l", StateFailed, &Value{L: list})
}

// update changes the record while this ticket's claim holds it.
func (t *ticket) update(ctx context.Context, expr, state string, delivered *Value) error {
	values := map[string]Value{":state": str(state), ":claim": str(t.token)}
	exprNames := map[string]string{"#s": AttrState, "#c": AttrClaim, "#l": AttrLeaseUntil, "#d": AttrDelivered}
	if delivered != nil {
		values[":delivered"] = *delivered
	}
	ctx, cancel := context.WithTimeout(ctx, t.g.c.Timeout)
	defer cancel()
	_, err := t.g.c.Client.UpdateItem(ctx, &UpdateItemInput{
		TableName:                 t.g.c.Table,
		Key:                       key(t.id),
		UpdateExpression:          expr,
		ConditionExpression:       "#c = :claim",
		ExpressionAttributeNames:  exprNames,
		ExpressionAttributeValues: values,
	})
	var ccf *ConditionFailed
	if errors.As(err, &ccf) {
		return ErrClaimLost
	}
	if err != nil {
		return fmt.Errorf("dedup: %w", err)
	}
	return nil
}

func key(id string) map[string]Value {
	return map[string]Value{AttrID: str(id)}
}

func str(s string) Value { return Value{S: &s} }

func num(n int64) Value {
	v := strconv.FormatInt(n, 10)
	return Value{N: &v}
}

// delivered reads a record's delivered destinations.
func delivered(item map[string]Value) []string {
	var out []string
	for _, v := range item[AttrDelivered].L {
		if v.S != nil {
			out = append(out, *v.S)
		}
	}
	return out
}

// newToken returns a random claim token.
func newToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
