package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/provider"
)

// Drill timings, compressed: SECRETS_TTL 500 ms instead of 5 min,
// SECRETS_MIN_REFRESH 250 ms instead of 30 s, still several times as long
// as a load from moto_server takes.
const (
	drillTTL        = 500 * time.Millisecond
	drillMinRefresh = 250 * time.Millisecond
)

// drill runs genuine requests, signed with the sender's key of the moment,
// and forged ones, signed with random keys, against one function until
// stop is called.
type drill struct {
	f         *fixture
	senderKey atomic.Value
	mu        sync.Mutex
	// refusedAt holds when each refused genuine request started;
	// lastAccepted when the last accepted one did.
	refusedAt             []time.Time
	lastAccepted          time.Time
	genuine, failed       atomic.Int64
	forged, forgedRefused atomic.Int64
	stopped               chan struct{}
	wg                    sync.WaitGroup
	start                 time.Time
}

func startDrill(t *testing.T, p provider.Provider) *drill {
	t.Helper()
	d := &drill{stopped: make(chan struct{})}
	d.f = newFixture(t, p, "key-one", func(c *app.Config, _ *app.Clients) {
		c.SecretsTTL, c.MinRefresh = drillTTL, drillMinRefresh
	})
	d.start = time.Now()
	d.senderKey.Store("key-one")
	loop := func(send func(), pause time.Duration) {
		d.wg.Go(func() {
			for {
				select {
				case <-d.stopped:
					return
				case <-time.After(pause):
					send()
				}
			}
		})
	}
	for w := 0; w < 3; w++ {
		loop(d.sendGenuine, 0)
	}
	// Forged requests cost no call to moto_server, and would take all the
	// CPU the genuine ones leave; a pause of 2 ms between them still sends
	// several in each SECRETS_MIN_REFRESH window (some hundreds in a
	// drill), so the throttle is always at work.
	loop(d.sendForged, 2*time.Millisecond)
	return d
}

// await waits until cond holds, failing the test after a minute.
func (d *drill) await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within a minute", what)
		}
	}
}

// awaitGenuine waits until n more genuine requests have been answered.
func (d *drill) awaitGenuine(t *testing.T, n int64) {
	t.Helper()
	from := d.genuine.Load()
	d.await(t, "genuine requests", func() bool { return d.genuine.Load() >= from+n })
}

// sendGenuine sends a request signed with the sender's key.
func (d *drill) sendGenuine() {
	at := time.Now()
	resp := d.f.send(d.senderKey.Load().(string), sample.Spec{})
	d.genuine.Add(1)
	switch resp.StatusCode {
	case 200:
		d.mu.Lock()
		if at.After(d.lastAccepted) {
			d.lastAccepted = at
		}
		d.mu.Unlock()
	case 401:
		d.mu.Lock()
		d.refusedAt = append(d.refusedAt, at)
		d.mu.Unlock()
	default:
		d.failed.Add(1)
	}
}

// sendForged sends a request signed with a random key.
func (d *drill) sendForged() {
	key := make([]byte, 16)
	rand.Read(key)
	resp := d.f.send(hex.EncodeToString(key), sample.Spec{})
	d.forged.Add(1)
	if resp.StatusCode == 401 {
		d.forgedRefused.Add(1)
	}
}

// stop ends the traffic and checks what holds in every drill: no genuine
// request failed, every forged one was refused with no_key_matched, every
// accepted request reached the queue, and Secrets Manager calls stayed
// within the budget of the throttle: AWSCURRENT at init, then three stages
// per reload, at most one reload for the TTL and one refresh per
// SECRETS_MIN_REFRESH, plus one for the first refresh.
func (d *drill) stop(t *testing.T) (stages map[string]int) {
	t.Helper()
	close(d.stopped)
	d.wg.Wait()
	took := time.Since(d.start)
	f := d.f
	if d.failed.Load() != 0 || d.forgedRefused.Load() != d.forged.Load() || d.genuine.Load() < 20 || d.forged.Load() < 5 {
		t.Fatalf("%d genuine requests, %d failed; %d forged, %d refused: want none failed and every forged one refused",
			d.genuine.Load(), d.failed.Load(), d.forged.Load(), d.forgedRefused.Load())
	}
	logs := f.logs.String()
	refused := int64(len(d.refusedAt))
	if n := int64(strings.Count(logs, `"reason":"no_key_matched"`)); n != d.forged.Load()+refused {
		t.Fatalf("%d no_key_matched lines for %d refused requests", n, d.forged.Load()+refused)
	}
	accepted := d.genuine.Load() - refused
	if n := f.moto.Count(t, f.queueURL); int64(n) != accepted {
		t.Fatalf("%d messages on the queue for %d accepted requests", n, accepted)
	}
	stages = map[string]int{}
	for _, stage := range []string{"AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"} {
		stages[stage] = strings.Count(logs, `"keyStage":"`+stage+`"`)
	}
	reloads := int64(took/drillTTL) + int64(took/drillMinRefresh) + 3
	if calls := f.calls.n.Load(); calls > 1+3*reloads {
		t.Fatalf("%d GetSecretValue calls in %s, want at most %d", calls, took.Round(time.Millisecond), 1+3*reloads)
	}
	return stages
}

// TestRotationDrill rotates a secret the way the README says, under
// concurrent genuine traffic and forged traffic signed with random keys:
// the new value is staged AWSPENDING, the sender switches to it no sooner
// than SECRETS_TTL later, the rotation finishes (AWSCURRENT moves to it),
// and a straggler still signs with the old key. No genuine request may be
// refused.
func TestRotationDrill(t *testing.T) {
	t.Parallel()
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			d := startDrill(t, p)
			sm, ctx := d.f.moto.SecretsClient(), context.Background()
			oldVersion := currentVersion(t, sm, d.f.secretID)
			pause := func(dt time.Duration) { time.Sleep(dt) }
			pause(drillTTL)
			// 1. The rotation stages the new value.
			put, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(d.f.secretID),
				SecretString: aws.String("key-two"), VersionStages: []string{"AWSPENDING"}})
			if err != nil {
				t.Fatal(err)
			}
			// 2. SECRETS_TTL later, the provider starts signing with it.
			pause(drillTTL + 20*time.Millisecond)
			d.senderKey.Store("key-two")
			d.awaitGenuine(t, 5)
			pause(drillTTL)
			// 3. The rotation finishes: the new value becomes current.
			if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(d.f.secretID),
				VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: put.VersionId, RemoveFromVersionId: aws.String(oldVersion)}); err != nil {
				t.Fatal(err)
			}
			if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(d.f.secretID),
				VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: put.VersionId}); err != nil {
				t.Fatal(err)
			}
			// Once a load begun since then is over (a load under way makes
			// at most two more calls), the function holds the old key as
			// AWSPREVIOUS.
			moved := d.f.calls.n.Load()
			d.await(t, "a reload", func() bool { return d.f.calls.n.Load() >= moved+6 })
			pause(drillTTL)
			// 4. A straggler still signed with the old key passes as previous.
			d.senderKey.Store("key-one")
			d.awaitGenuine(t, 5)
			pause(drillTTL)
			stages := d.stop(t)

			t.Logf("rotation drill %s, the README's procedure: %d genuine requests, %d refused; %d forged, all refused; %d GetSecretValue calls",
				p.Name, d.genuine.Load(), len(d.refusedAt), d.forged.Load(), d.f.calls.n.Load())
			if len(d.refusedAt) != 0 {
				t.Fatalf("%d genuine requests refused; want none", len(d.refusedAt))
			}
			if stages["AWSPENDING"]+stages["AWSCURRENT"] == 0 || stages["AWSPREVIOUS"] == 0 {
				t.Fatalf("matches by stage %v: want the new key matched as pending or current and the old as previous", stages)
			}
		})
	}
}

// TestImmediateSwitchDrill puts a new value and switches the sender to it
// at once, under the same traffic, right after a forged request made the
// function reload (the worst case). Reloads for unknown signatures come at
// most once per SECRETS_MIN_REFRESH, so the function may refuse the new key
// until SECRETS_MIN_REFRESH after that reload: every refused request must
// have started less than SECRETS_MIN_REFRESH after the put completed.
func TestImmediateSwitchDrill(t *testing.T) {
	t.Parallel()
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			d := startDrill(t, p)
			time.Sleep(drillTTL)
			for {
				before := d.f.calls.n.Load()
				d.sendForged()
				if d.f.calls.n.Load() >= before+3 {
					break // a reload for an unknown signature just happened
				}
			}
			d.f.moto.PutSecret(t, d.f.secretID, "key-two") // AWSCURRENT; key-one becomes AWSPREVIOUS
			put := time.Now()
			d.senderKey.Store("key-two")
			d.sendGenuine()
			time.Sleep(3 * drillMinRefresh)
			d.awaitGenuine(t, 5)
			d.stop(t)

			var last time.Duration
			for _, at := range d.refusedAt {
				if late := at.Sub(put); late >= drillMinRefresh {
					t.Fatalf("a request started %s after the put was refused; want none after SECRETS_MIN_REFRESH (%s)", late, drillMinRefresh)
				} else if late > last {
					last = late
				}
			}
			t.Logf("rotation drill %s, immediate switch: %d genuine requests, %d refused, the last %s after the put (bound %s); %d forged, all refused; %d GetSecretValue calls",
				p.Name, d.genuine.Load(), len(d.refusedAt), last.Round(time.Millisecond), drillMinRefresh, d.forged.Load(), d.f.calls.n.Load())
			if d.lastAccepted.Sub(put) < drillMinRefresh {
				t.Fatalf("no request signed with the new key accepted after SECRETS_MIN_REFRESH")
			}
		})
	}
}

func currentVersion(t *testing.T, sm *secretsmanager.Client, id string) string {
	t.Helper()
	out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.VersionId)
}

func TestSlowDependenciesAnswer503WithinTheBudget(t *testing.T) {
	t.Parallel()
	hang := mototest.Hanging(t)
	tests := []struct {
		name       string
		tune       func(*app.Clients)
		wantReason string
	}{
		// The key load goes on, detached, for the next request.
		{"Secrets Manager hangs", func(c *app.Clients) { c.Secrets = app.ClientsFromConfig(hang.Config()).Secrets }, "timeout"},
		{"SQS hangs", func(c *app.Clients) { c.Queue = app.ClientsFromConfig(hang.Config()).Queue }, "queue_unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, provider.SignalWire, "k", func(c *app.Config, cl *app.Clients) {
				c.RequestTimeout = 300 * time.Millisecond
				tc.tune(cl)
			})
			resp := f.send("k", sample.Spec{})
			if resp.StatusCode != 503 || resp.Headers["Retry-After"] == "" {
				t.Fatalf("status %d, want 503 with Retry-After", resp.StatusCode)
			}
			logs := f.logs.String()
			if !strings.Contains(logs, `"reason":"`+tc.wantReason+`"`) || !strings.Contains(logs, "deadline exceeded") {
				t.Fatalf("log %s: want %s after the deadline", logs, tc.wantReason)
			}
		})
	}
}
