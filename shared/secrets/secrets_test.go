package secrets_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/verify"
)

// fakeSM serves stage values from a map; a missing stage is
// ResourceNotFoundException, as in Secrets Manager. A call reads the
// values when it arrives, then waits while the fake is held.
type fakeSM struct {
	mu     sync.Mutex
	stages map[string]string
	down   bool
	broken map[string]bool // stages whose reads fail
	held   chan struct{}   // while non-nil, calls wait for it to close
	calls  atomic.Int64
	// arrived receives each call's stage, when set.
	arrived chan string
	// honourCtx makes a held call return when its context ends, as the SDK
	// does.
	honourCtx bool
}

func (f *fakeSM) set(stages map[string]string) {
	f.mu.Lock()
	f.stages = stages
	f.mu.Unlock()
}

func (f *fakeSM) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func (f *fakeSM) setArrived(c chan string) {
	f.mu.Lock()
	f.arrived = c
	f.mu.Unlock()
}

func (f *fakeSM) breakStage(stage string, broken bool) {
	f.mu.Lock()
	if f.broken == nil {
		f.broken = map[string]bool{}
	}
	f.broken[stage] = broken
	f.mu.Unlock()
}

// hold makes the next calls wait until the returned func is called.
func (f *fakeSM) hold() (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	held := make(chan struct{})
	f.held = held
	return func() {
		f.mu.Lock()
		if f.held == held {
			f.held = nil
		}
		f.mu.Unlock()
		close(held)
	}
}

var errRefused = errors.New("dial tcp: connection refused")

func (f *fakeSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls.Add(1)
	stage := aws.ToString(in.VersionStage)
	f.mu.Lock()
	down, broken, held, honour := f.down, f.broken[stage], f.held, f.honourCtx
	v, ok := f.stages[stage]
	arrived := f.arrived
	f.mu.Unlock()
	if arrived != nil {
		arrived <- stage
	}
	if held != nil {
		if honour {
			select {
			case <-held:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		} else {
			<-held
		}
	}
	switch {
	case down || broken:
		return nil, errRefused
	case !ok:
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("no such stage")}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v), VersionId: aws.String("v-" + v)}, nil
}

// clock is a fake time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	ttl        = 5 * time.Minute
	minRefresh = 30 * time.Second
)

func newCache(t *testing.T, sm *fakeSM, clk *clock) *secrets.Cache {
	t.Helper()
	c, err := secrets.New(sm, secrets.Config{
		SecretID: "s", TTL: ttl, MinRefresh: minRefresh, Now: clk.now,
		Build: func(k ...verify.Key) (verify.Verifier, error) { return verify.NewWebex(k...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// warm returns a cache that has loaded the AWSCURRENT value of stages, as
// a cold start does, with its fake Secrets Manager, its clock and the
// keyring it loaded.
func warm(t *testing.T, stages map[string]string) (*fakeSM, *clock, *secrets.Cache, *secrets.Keyring) {
	t.Helper()
	sm := &fakeSM{stages: stages}
	clk := &clock{t: time.Unix(0, 0)}
	c := newCache(t, sm, clk)
	seen, err := c.Keyring(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sm, clk, c, seen
}

// matches reports which stage's key verifies a body signed with secret.
func matches(t *testing.T, r *secrets.Keyring, secret string) string {
	t.Helper()
	body := []byte("x")
	m, err := r.Verifier.Verify(context.Background(), verify.Request{Header: http.Header{verify.HeaderWebex: {verify.SignWebex([]byte(secret), body)}}, Body: body})
	if err != nil {
		return ""
	}
	return m.Key
}

func wantCalls(t *testing.T, sm *fakeSM, want int64, why string) {
	t.Helper()
	if n := sm.calls.Load(); n != want {
		t.Fatalf("%d GetSecretValue calls, want %d: %s", n, want, why)
	}
}

func TestAColdStartReadsTheCurrentStageAloneAndTheTTLReloadEveryStage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		stages     map[string]string
		wantStages []string
		wantErr    error
	}{
		{"loads current alone", map[string]string{"AWSCURRENT": "c"}, []string{"AWSCURRENT"}, nil},
		{"loads current and previous", map[string]string{"AWSCURRENT": "c", "AWSPREVIOUS": "p"}, []string{"AWSCURRENT", "AWSPREVIOUS"}, nil},
		{"loads all three stages in order", map[string]string{"AWSPENDING": "n", "AWSCURRENT": "c", "AWSPREVIOUS": "p"}, []string{"AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"}, nil},
		{"skips an empty previous value", map[string]string{"AWSCURRENT": "c", "AWSPREVIOUS": ""}, []string{"AWSCURRENT"}, nil},
		{"fails without a current value", map[string]string{"AWSPREVIOUS": "p"}, nil, secrets.ErrUnavailable},
		{"fails with an empty current value", map[string]string{"AWSCURRENT": ""}, nil, secrets.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sm := &fakeSM{stages: tc.stages}
			clk := &clock{t: time.Unix(0, 0)}
			c := newCache(t, sm, clk)
			r, err := c.Keyring(context.Background())
			wantCalls(t, sm, 1, "a cold start reads AWSCURRENT alone")
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if len(r.Stages) != 1 || r.Stages[0] != "AWSCURRENT" {
				t.Fatalf("cold stages = %v, want [AWSCURRENT]", r.Stages)
			}
			clk.advance(ttl)
			if r, err = c.Keyring(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantCalls(t, sm, 4, "the reload after the TTL reads the three stages")
			if len(r.Stages) != len(tc.wantStages) {
				t.Fatalf("stages = %v, want %v", r.Stages, tc.wantStages)
			}
			for i := range tc.wantStages {
				if r.Stages[i] != tc.wantStages[i] {
					t.Fatalf("stages = %v, want %v", r.Stages, tc.wantStages)
				}
			}
		})
	}
}

func TestKeyringIsCachedForTheTTL(t *testing.T) {
	t.Parallel()
	sm, clk, c, _ := warm(t, map[string]string{"AWSCURRENT": "c"})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if _, err := c.Keyring(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wantCalls(t, sm, 1, "within the TTL")
	sm.set(map[string]string{"AWSCURRENT": "c2", "AWSPREVIOUS": "c"})
	clk.advance(ttl)
	r, err := c.Keyring(ctx)
	if err != nil || matches(t, r, "c2") != "AWSCURRENT" || matches(t, r, "c") != "AWSPREVIOUS" {
		t.Fatalf("after the TTL: %v %v", r, err)
	}
	wantCalls(t, sm, 4, "one reload of three stages after the TTL")
}

func TestTheFirstRefreshIsNeverThrottledAndLaterOnesAre(t *testing.T) {
	t.Parallel()
	sm, clk, c, seen := warm(t, map[string]string{"AWSCURRENT": "old", "AWSPENDING": "next"})
	ctx := context.Background()
	// The cold start read AWSCURRENT alone: the first unknown signature
	// reads the other stages, however soon it comes.
	r, changed, err := c.Refresh(ctx, seen)
	if err != nil || !changed || matches(t, r, "next") != "AWSPENDING" {
		t.Fatalf("first refresh right after a cold start: changed %v, err %v", changed, err)
	}
	if _, changed, err := c.Refresh(ctx, r); !errors.Is(err, secrets.ErrThrottled) || changed {
		t.Fatalf("second refresh within the minimum interval: changed %v, err %v; want ErrThrottled", changed, err)
	}
	wantCalls(t, sm, 4, "a cold load and one refresh")
	sm.set(map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "old"})
	clk.advance(minRefresh)
	r2, changed, err := c.Refresh(ctx, r)
	if err != nil || !changed || matches(t, r2, "new") != "AWSCURRENT" {
		t.Fatalf("refresh after rotation: changed %v, err %v", changed, err)
	}
	wantCalls(t, sm, 7, "a second refresh once the minimum interval passed")
}

func TestALoadForTheTTLDoesNotThrottleRefreshes(t *testing.T) {
	t.Parallel()
	sm, clk, c, _ := warm(t, map[string]string{"AWSCURRENT": "old"})
	ctx := context.Background()
	clk.advance(ttl)
	seen, err := c.Keyring(ctx) // a reload for the TTL, of every stage
	if err != nil {
		t.Fatal(err)
	}
	// A key put just after that reload is picked up by the first request
	// that carries it.
	sm.set(map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "old"})
	clk.advance(time.Second)
	r, changed, err := c.Refresh(ctx, seen)
	if err != nil || !changed || matches(t, r, "new") != "AWSCURRENT" {
		t.Fatalf("refresh a second after a TTL reload: changed %v, err %v", changed, err)
	}
	wantCalls(t, sm, 7, "cold load, TTL reload, refresh")
}

func TestCachedKeysServeWhileSecretsManagerIsDown(t *testing.T) {
	t.Parallel()
	sm, clk, c, _ := warm(t, map[string]string{"AWSCURRENT": "k"})
	ctx := context.Background()
	sm.setDown(true)
	clk.advance(10 * time.Minute)
	for i := 0; i < 100; i++ {
		r, err := c.Keyring(ctx)
		if err != nil || matches(t, r, "k") != "AWSCURRENT" {
			t.Fatalf("request %d with Secrets Manager down: %v", i, err)
		}
	}
	wantCalls(t, sm, 3, "one failed reload (AWSPENDING, then AWSCURRENT), then none until MinRefresh")
	sm.setDown(false)
	clk.advance(minRefresh)
	if _, err := c.Keyring(ctx); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, sm, 6, "a reload of three stages after recovery")
}

func TestColdStartFailureIsRetriedAfterASecond(t *testing.T) {
	t.Parallel()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": "k"}, down: true}
	clk := &clock{t: time.Unix(0, 0)}
	c := newCache(t, sm, clk)
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		if _, err := c.Keyring(ctx); !errors.Is(err, secrets.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	}
	wantCalls(t, sm, 1, "within a second of a failure")
	sm.setDown(false)
	clk.advance(time.Second)
	if _, err := c.Keyring(ctx); err != nil {
		t.Fatalf("after a second: %v", err)
	}
}

func TestKeyringIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": "k"}}
	c := newCache(t, sm, &clock{t: time.Unix(0, 0)})
	var wg sync.WaitGroup
	var failures atomic.Int64
	for i := 0; i < 64; i++ {
		wg.Go(func() {
			if _, err := c.Keyring(context.Background()); err != nil {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	if failures.Load() != 0 {
		t.Fatalf("%d failures", failures.Load())
	}
	wantCalls(t, sm, 1, "64 concurrent first requests share one load")
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	t.Parallel()
	if _, err := secrets.New(&fakeSM{}, secrets.Config{Build: func(...verify.Key) (verify.Verifier, error) { return nil, nil }}); err == nil {
		t.Fatal("no error without a secret id")
	}
	if _, err := secrets.New(&fakeSM{}, secrets.Config{SecretID: "s"}); err == nil {
		t.Fatal("no error without a builder")
	}
}

func TestRefreshHandsOverKeysAnotherRequestJustLoaded(t *testing.T) {
	t.Parallel()
	sm, clk, c, seen := warm(t, map[string]string{"AWSCURRENT": "old"})
	ctx := context.Background()
	sm.set(map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "old"})
	clk.advance(time.Minute)
	// Two requests signed with the new key both missed with seen; the first
	// reloads, the second must get the new keys, not ErrThrottled.
	if _, changed, err := c.Refresh(ctx, seen); err != nil || !changed {
		t.Fatalf("first refresh: changed %v, err %v", changed, err)
	}
	r, changed, err := c.Refresh(ctx, seen)
	if err != nil || !changed || matches(t, r, "new") != "AWSCURRENT" {
		t.Fatalf("second refresh: changed %v, err %v", changed, err)
	}
	wantCalls(t, sm, 4, "the second refresh must not reload")
}

func TestRefreshReportsSecretsManagerDown(t *testing.T) {
	t.Parallel()
	sm, clk, c, seen := warm(t, map[string]string{"AWSCURRENT": "k"})
	ctx := context.Background()
	sm.setDown(true)
	clk.advance(time.Minute)
	if _, _, err := c.Refresh(ctx, seen); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("refresh with Secrets Manager down: %v, want ErrUnavailable", err)
	}
	if _, _, err := c.Refresh(ctx, seen); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("refresh right after a failure: %v, want ErrUnavailable", err)
	}
	if r, err := c.Keyring(ctx); err != nil || r != seen {
		t.Fatalf("Keyring while down: %v, %v; want the cached keys", r, err)
	}
	wantCalls(t, sm, 3, "one failed refresh (AWSPENDING, then AWSCURRENT), then none until MinRefresh")
}

// TestNoLockIsHeldAcrossACall holds Secrets Manager's answer: a request
// whose budget ends returns its context's error at once (the handler
// answers 503 timeout), while the load goes on and fills the cache for the
// next request.
func TestNoLockIsHeldAcrossACall(t *testing.T) {
	t.Parallel()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": "k"}, arrived: make(chan string, 64)}
	c := newCache(t, sm, &clock{t: time.Unix(0, 0)})
	release := sm.hold()
	loaded := make(chan error, 1)
	go func() {
		_, err := c.Keyring(context.Background())
		loaded <- err
	}()
	<-sm.arrived // the load is waiting for Secrets Manager

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Keyring(ctx); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("a request whose budget ends during the load: %v, want its deadline, not ErrUnavailable", err)
	}
	if _, _, err := c.Refresh(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a refresh whose budget ended: %v, want its deadline", err)
	}
	release()
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	if r, err := c.Keyring(context.Background()); err != nil || matches(t, r, "k") != "AWSCURRENT" {
		t.Fatalf("after the load: %v", err)
	}
	wantCalls(t, sm, 1, "one load, shared")
}

func TestStaleKeysServeWhileAReloadWaits(t *testing.T) {
	t.Parallel()
	sm, clk, c, seen := warm(t, map[string]string{"AWSCURRENT": "k"})
	sm.setArrived(make(chan string, 64))
	clk.advance(ttl)
	release := sm.hold()
	defer release()
	go c.Keyring(context.Background()) // starts the reload, which waits
	<-sm.arrived
	for i := 0; i < 10; i++ {
		r, err := c.Keyring(context.Background())
		if err != nil || r != seen {
			t.Fatalf("request %d during a reload: %v, %v; want the cached keys at once", i, r, err)
		}
	}
}

// TestACancelledRequestIsNotASecretsManagerFailure: the load runs on a
// context of its own, so the SDK does not see the caller's cancellation,
// and the next request neither fails fast nor waits a retry gap.
func TestACancelledRequestIsNotASecretsManagerFailure(t *testing.T) {
	t.Parallel()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": "k"}, arrived: make(chan string, 64), honourCtx: true}
	c := newCache(t, sm, &clock{t: time.Unix(0, 0)})
	release := sm.hold()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Keyring(ctx)
		done <- err
	}()
	<-sm.arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v, want context.Canceled", err)
	}
	release()
	if r, err := c.Keyring(context.Background()); err != nil || matches(t, r, "k") != "AWSCURRENT" {
		t.Fatalf("next request: %v; want the keys the load went on to fetch", err)
	}
	wantCalls(t, sm, 1, "the load was not cut short")
}

func TestAStageThatCannotBeReadKeepsTheOthers(t *testing.T) {
	t.Parallel()
	sm, clk, c, _ := warm(t, map[string]string{"AWSCURRENT": "cur", "AWSPREVIOUS": "prev"})
	ctx := context.Background()
	clk.advance(ttl)
	if r, err := c.Keyring(ctx); err != nil || matches(t, r, "prev") != "AWSPREVIOUS" {
		t.Fatalf("full load: %v", err)
	}
	// AWSPREVIOUS cannot be read (throttled, say) while AWSCURRENT moved on.
	sm.set(map[string]string{"AWSCURRENT": "cur2", "AWSPREVIOUS": "cur"})
	sm.breakStage("AWSPREVIOUS", true)
	clk.advance(ttl)
	r, err := c.Keyring(ctx)
	switch {
	case err != nil:
		t.Fatalf("a reload that read AWSCURRENT but not AWSPREVIOUS: %v, want the keys", err)
	case matches(t, r, "cur2") != "AWSCURRENT":
		t.Fatal("the new AWSCURRENT is not served")
	case matches(t, r, "prev") != "AWSPREVIOUS":
		t.Fatal("the last AWSPREVIOUS read was dropped")
	}
	// A signature matching none may be the unread stage's: 503, not 401.
	if _, _, err := c.Refresh(ctx, r); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("unknown signature while a stage is unread: %v, want ErrUnavailable", err)
	}
	// The stage is read again after MinRefresh, before the TTL.
	sm.breakStage("AWSPREVIOUS", false)
	clk.advance(minRefresh)
	if r, err = c.Keyring(ctx); err != nil || matches(t, r, "cur") != "AWSPREVIOUS" || matches(t, r, "prev") != "" {
		t.Fatalf("after MinRefresh: %v; want AWSPREVIOUS read again", err)
	}
}

func TestRefreshWaitsForALoadThatBeganAfterTheRequest(t *testing.T) {
	t.Parallel()
	sm, clk, c, seen := warm(t, map[string]string{"AWSCURRENT": "old"})
	ctx := context.Background()
	if _, _, err := c.Refresh(ctx, seen); err != nil { // all stages read
		t.Fatal(err)
	}
	clk.advance(ttl)
	// A reload for the TTL reads AWSCURRENT, then the new key is put, and
	// a request signed with it misses with the keys served meanwhile.
	sm.setArrived(make(chan string, 64))
	release := sm.hold()
	reloaded := make(chan struct{})
	go func() {
		defer close(reloaded)
		c.Keyring(ctx)
	}()
	<-sm.arrived
	stale, err := c.Keyring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sm.set(map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "old"})
	refreshed := make(chan *secrets.Keyring, 1)
	go func() {
		r, _, err := c.Refresh(ctx, stale)
		if err != nil {
			t.Error(err)
		}
		refreshed <- r
	}()
	time.Sleep(20 * time.Millisecond) // let the refresh join the reload (either way, it must end with the new key)
	release()
	<-reloaded
	// The reload began before the request: the refresh must load again
	// rather than hand over keys that cannot hold the new one.
	if r := <-refreshed; r == nil || matches(t, r, "new") != "AWSCURRENT" {
		t.Fatal("the refresh returned keys loaded before the request")
	}
}

func TestPrefetchLoadsTheCurrentKey(t *testing.T) {
	t.Parallel()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": "k", "AWSPREVIOUS": "p"}}
	c := newCache(t, sm, &clock{t: time.Unix(0, 0)})
	if err := c.Prefetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, sm, 1, "a prefetch reads AWSCURRENT alone")
	if r, err := c.Keyring(context.Background()); err != nil || matches(t, r, "k") != "AWSCURRENT" {
		t.Fatalf("first request: %v", err)
	}
	wantCalls(t, sm, 1, "the first request uses the prefetched key")
}

func TestAFailedPrefetchDoesNotMakeTheFirstRequestFailFast(t *testing.T) {
	t.Parallel()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": "k"}, down: true}
	c := newCache(t, sm, &clock{t: time.Unix(0, 0)}) // the clock stands still
	if err := c.Prefetch(context.Background()); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("prefetch with Secrets Manager down: %v", err)
	}
	sm.setDown(false)
	if r, err := c.Keyring(context.Background()); err != nil || matches(t, r, "k") != "AWSCURRENT" {
		t.Fatalf("first request right after a failed prefetch: %v; want a new load at once", err)
	}
	wantCalls(t, sm, 2, "the failed prefetch, then the first request's load")
}

func TestAPrefetchThatRunsOutOfTimeIsForgotten(t *testing.T) {
	t.Parallel()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": "k"}, honourCtx: true}
	c := newCache(t, sm, &clock{t: time.Unix(0, 0)})
	release := sm.hold()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := c.Prefetch(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("prefetch past its deadline: %v", err)
	}
	release()
	if _, err := c.Keyring(context.Background()); err != nil {
		t.Fatalf("first request after a prefetch that ran out of time: %v; want a new load at once", err)
	}
	wantCalls(t, sm, 2, "the prefetch's load, then the first request's")
}

func TestAFirstRequestDuringThePrefetchWaitsForIt(t *testing.T) {
	t.Parallel()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": "k"}, arrived: make(chan string, 64)}
	c := newCache(t, sm, &clock{t: time.Unix(0, 0)})
	release := sm.hold()
	prefetched := make(chan error, 1)
	go func() { prefetched <- c.Prefetch(context.Background()) }()
	<-sm.arrived
	got := make(chan error, 1)
	go func() {
		_, err := c.Keyring(context.Background())
		got <- err
	}()
	release()
	if err := <-prefetched; err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	wantCalls(t, sm, 1, "one load, shared")
}
