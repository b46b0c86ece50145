package dedup_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/dedup"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

var tables atomic.Int64

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// newGuard returns a guard on a new table of the shared moto_server, with
// a clock of its own.
func newGuard(t *testing.T) (*dedup.Guard, *clock, string) {
	t.Helper()
	s := mototest.Shared(t)
	table := s.CreateDedupTable(t, fmt.Sprintf("dedup-%d", tables.Add(1)))
	c := &clock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	g, err := dedup.New(dedup.Config{Client: dedup.NewClient(s.Config()), Table: table, Now: c.Now, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return g, c, table
}

const id = "webex##5f1d0c9c2b36a1f0e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918f7e6"

func TestGuardLifecycle(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, g *dedup.Guard, c *clock)
	}{
		{"refuses a copy in flight and a copy once done", func(t *testing.T, g *dedup.Guard, _ *clock) {
			tk := mustBegin(t, g)
			if _, err := g.Begin(ctx, id); !errors.Is(err, webhook.ErrInFlight) {
				t.Fatalf("copy in flight: %v, want ErrInFlight", err)
			}
			if err := tk.Done(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := g.Begin(ctx, id); !errors.Is(err, webhook.ErrDuplicate) {
				t.Fatalf("copy once done: %v, want ErrDuplicate", err)
			}
		}},
		{"lets the retry of a failed request through", func(t *testing.T, g *dedup.Guard, _ *clock) {
			if err := mustBegin(t, g).Abort(ctx, nil); err != nil {
				t.Fatal(err)
			}
			tk := mustBegin(t, g)
			if len(tk.Delivered()) != 0 {
				t.Fatalf("delivered %v, want none", tk.Delivered())
			}
		}},
		{"remembers which destinations a failed attempt delivered", func(t *testing.T, g *dedup.Guard, _ *clock) {
			if err := mustBegin(t, g).Abort(ctx, []string{"queue"}); err != nil {
				t.Fatal(err)
			}
			tk := mustBegin(t, g)
			if !slices.Equal(tk.Delivered(), []string{"queue"}) {
				t.Fatalf("delivered %v, want [queue]", tk.Delivered())
			}
			if err := tk.Abort(ctx, []string{"queue", "bus"}); err != nil {
				t.Fatal(err)
			}
			tk = mustBegin(t, g)
			if !slices.Equal(tk.Delivered(), []string{"queue", "bus"}) {
				t.Fatalf("delivered %v, want [queue bus]", tk.Delivered())
			}
		}},
		{"refuses a replay days later, within the window", func(t *testing.T, g *dedup.Guard, c *clock) {
			if err := mustBegin(t, g).Done(ctx); err != nil {
				t.Fatal(err)
			}
			c.advance(6*24*time.Hour + 23*time.Hour)
			if _, err := g.Begin(ctx, id); !errors.Is(err, webhook.ErrDuplicate) {
				t.Fatalf("replay 6d23h later: %v, want ErrDuplicate", err)
			}
		}},
		{"cannot refuse a replay after the window", func(t *testing.T, g *dedup.Guard, c *clock) {
			if err := mustBegin(t, g).Done(ctx); err != nil {
				t.Fatal(err)
			}
			c.advance(dedup.DefaultWindow + time.Second)
			mustBegin(t, g) // DynamoDB may not have deleted the item yet
		}},
		{"lets a retry through once a crashed holder's lease ran out", func(t *testing.T, g *dedup.Guard, c *clock) {
			crashed := mustBegin(t, g)
			c.advance(dedup.DefaultLease - time.Millisecond)
			if _, err := g.Begin(ctx, id); !errors.Is(err, webhook.ErrInFlight) {
				t.Fatalf("within the lease: %v, want ErrInFlight", err)
			}
			c.advance(2 * time.Millisecond)
			tk := mustBegin(t, g)
			if err := crashed.Done(ctx); !errors.Is(err, dedup.ErrClaimLost) {
				t.Fatalf("the old holder's Done: %v, want ErrClaimLost", err)
			}
			if err := crashed.Abort(ctx, nil); !errors.Is(err, dedup.ErrClaimLost) {
				t.Fatalf("the old holder's Abort: %v, want ErrClaimLost", err)
			}
			if err := tk.Done(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := g.Begin(ctx, id); !errors.Is(err, webhook.ErrDuplicate) {
				t.Fatalf("after the new holder is done: %v, want ErrDuplicate", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, c, _ := newGuard(t)
			tc.run(t, g, c)
		})
	}
}

func mustBegin(t *testing.T, g *dedup.Guard) webhook.Ticket {
	t.Helper()
	tk, err := g.Begin(context.Background(), id)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	return tk
}

func TestRecordHoldsNoSignatureAndExpiresAfterTheWindow(t *testing.T) {
	g, c, table := newGuard(t)
	ctx := context.Background()
	if err := mustBegin(t, g).Done(ctx); err != nil {
		t.Fatal(err)
	}
	items := mototest.Shared(t).Items(t, table)
	if len(items) != 1 {
		t.Fatalf("%d items, want 1", len(items))
	}
	it := items[0]
	want := strconv.FormatInt(c.Now().Add(dedup.DefaultWindow).Unix(), 10)
	if it["id"] != id || it["state"] != dedup.StateDone || it["expiresAt"] != want || len(it["claim"]) != 32 {
		t.Fatalf("item %v", it)
	}
	for k := range it {
		if !slices.Contains([]string{"id", "state", "claim", "expiresAt"}, k) {
			t.Fatalf("a done record keeps %q: %v", k, it)
		}
	}
}

// TestConcurrentCopiesClaimOnce races copies of one request on guards with
// clients of their own, as function instances sharing the table do. The
// table is reached through mototest's Serialized, which gives moto_server
// DynamoDB's per-item atomicity.
func TestConcurrentCopiesClaimOnce(t *testing.T) {
	moto := mototest.Shared(t)
	table := moto.CreateDedupTable(t, fmt.Sprintf("dedup-%d", tables.Add(1)))
	s := moto.Serialized(t)
	const instances, rounds = 8, 20
	guards := make([]*dedup.Guard, instances)
	for i := range guards {
		// A generous timeout: this test pins who wins, not how fast.
		g, err := dedup.New(dedup.Config{Client: dedup.NewClient(s.Config()), Table: table, Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		guards[i] = g
	}
	for r := 0; r < rounds; r++ {
		var won, inFlight atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, g := range guards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := g.Begin(context.Background(), fmt.Sprintf("round-%d", r))
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, webhook.ErrInFlight):
					inFlight.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if won.Load() != 1 || inFlight.Load() != instances-1 {
			t.Fatalf("round %d: %d claims and %d in flight, want 1 and %d", r, won.Load(), inFlight.Load(), instances-1)
		}
	}
}

func TestUnreachableOrSlowTableIsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		srv  *mototest.Server
	}{
		{"refuses to guess when DynamoDB is unreachable", mototest.Down(t)},
		{"refuses to guess when DynamoDB hangs", mototest.Hanging(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := dedup.New(dedup.Config{Client: dedup.NewClient(tc.srv.Config()), Table: "t", Timeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.Begin(context.Background(), id); !errors.Is(err, webhook.ErrGuardUnavailable) {
				t.Fatalf("Begin: %v, want ErrGuardUnavailable", err)
			}
		})
	}
}

// lostAnswer makes the claim, then fails as a call whose answer was lost,
// so that the next attempt finds the claim made.
type lostAnswer struct {
	item map[string]dedup.Value
}

func (l *lostAnswer) UpdateItem(_ context.Context, in *dedup.UpdateItemInput) (*dedup.UpdateItemOutput, error) {
	if l.item == nil {
		queue := "queue"
		l.item = map[string]dedup.Value{
			"id": in.Key["id"], "state": in.ExpressionAttributeValues[":pending"], "claim": in.ExpressionAttributeValues[":claim"],
			"delivered": {L: []dedup.Value{{S: &queue}}},
		}
	}
	return nil, &dedup.ConditionFailed{Message: "The conditional request failed", Item: l.item}
}

func TestBeginRecognisesItsOwnClaim(t *testing.T) {
	g, err := dedup.New(dedup.Config{Client: &lostAnswer{}, Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := g.Begin(context.Background(), id)
	if err != nil || !slices.Equal(tk.Delivered(), []string{"queue"}) {
		t.Fatalf("Begin = %v, %v; want the claim with [queue] delivered", tk, err)
	}
	if _, err := g.Begin(context.Background(), id); !errors.Is(err, webhook.ErrInFlight) {
		t.Fatalf("another copy: %v, want ErrInFlight", err)
	}
}

func TestNewRefusesABadConfiguration(t *testing.T) {
	c := &lostAnswer{}
	tests := []struct {
		name string
		cfg  dedup.Config
	}{
		{"refuses a guard without a table", dedup.Config{Client: c}},
		{"refuses a window under a minute", dedup.Config{Client: c, Table: "t", Window: 30 * time.Second}},
		{"refuses a lease as long as the window", dedup.Config{Client: c, Table: "t", Window: time.Hour, Lease: time.Hour}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := dedup.New(tc.cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
