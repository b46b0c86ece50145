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

	"webhookguard/shared/secrets"
	"webhookguard/shared/verify"
)

// fakeSM serves stage values from a map; a missing stage is
// ResourceNotFoundException, as in Secrets Manager.
type fakeSM struct {
	mu     sync.Mutex
	stages map[string]string
	down   bool
	calls  atomic.Int64
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

func (f *fakeSM) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errors.New("dial tcp: connection refused")
	}
	v, ok := f.stages[aws.ToString(in.VersionStage)]
	if !ok {
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

func newCache(t *testing.T, sm *fakeSM, clk *clock) *secrets.Cache {
	t.Helper()
	c, err := secrets.New(sm, secrets.Config{
		SecretID: "s", TTL: 5 * time.Minute, MinRefresh: 30 * time.Second, Now: clk.now,
		Build: func(k ...verify.Key) (verify.Verifier, error) { return verify.NewWebex(k...) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// warm returns a cache that has loaded current as AWSCURRENT, with its fake
// Secrets Manager, its clock and the keyring it loaded.
func warm(t *testing.T, current string) (*fakeSM, *clock, *secrets.Cache, *secrets.Keyring) {
	t.Helper()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": current}}
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
	m, err := r.Verifier.Verify(verify.Request{Header: http.Header{verify.HeaderWebex: {verify.SignWebex([]byte(secret), body)}}, Body: body})
	if err != nil {
		return ""
	}
	return m.Key
}

func TestKeyringLoadsEveryStageThatExists(t *testing.T) {
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
			r, err := newCache(t, sm, &clock{t: time.Unix(0, 0)}).Keyring(context.Background())
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && len(r.Stages) != len(tc.wantStages) {
				t.Fatalf("stages = %v, want %v", r.Stages, tc.wantStages)
			}
			for i := range tc.wantStages {
				if r.Stages[i] != tc.wantStages[i] {
					t.Fatalf("stages = %v, want %v", r.Stages, tc.wantStages)
				}
			}
			if sm.calls.Load() != 3 {
				t.Fatalf("%d calls, want 3 (one per stage)", sm.calls.Load())
			}
		})
	}
}

func TestKeyringIsCachedForTheTTL(t *testing.T) {
	t.Parallel()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": "c"}}
	clk := &clock{t: time.Unix(0, 0)}
	c := newCache(t, sm, clk)
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if _, err := c.Keyring(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := sm.calls.Load(); n != 3 {
		t.Fatalf("%d calls within the TTL, want 3", n)
	}
	sm.set(map[string]string{"AWSCURRENT": "c2", "AWSPREVIOUS": "c"})
	clk.advance(5 * time.Minute)
	r, err := c.Keyring(ctx)
	if err != nil || matches(t, r, "c2") != "AWSCURRENT" || matches(t, r, "c") != "AWSPREVIOUS" {
		t.Fatalf("after the TTL: %v %v", r, err)
	}
	if n := sm.calls.Load(); n != 6 {
		t.Fatalf("%d calls after the TTL, want 6", n)
	}
}

func TestRefreshIsThrottledAndReportsChange(t *testing.T) {
	t.Parallel()
	sm, clk, c, seen := warm(t, "old")
	ctx := context.Background()
	if _, changed, err := c.Refresh(ctx, seen); !errors.Is(err, secrets.ErrThrottled) || changed {
		t.Fatalf("refresh right after a load: changed %v, err %v; want ErrThrottled", changed, err)
	}
	clk.advance(30 * time.Second)
	if _, changed, err := c.Refresh(ctx, seen); err != nil || changed {
		t.Fatalf("refresh with nothing new: changed %v, err %v", changed, err)
	}
	sm.set(map[string]string{"AWSCURRENT": "new", "AWSPREVIOUS": "old"})
	clk.advance(30 * time.Second)
	r, changed, err := c.Refresh(ctx, seen)
	if err != nil || !changed || matches(t, r, "new") != "AWSCURRENT" {
		t.Fatalf("refresh after rotation: changed %v, err %v", changed, err)
	}
	if n := sm.calls.Load(); n != 9 {
		t.Fatalf("%d calls, want 9", n)
	}
}

func TestCachedKeysServeWhileSecretsManagerIsDown(t *testing.T) {
	t.Parallel()
	sm := &fakeSM{stages: map[string]string{"AWSCURRENT": "k"}}
	clk := &clock{t: time.Unix(0, 0)}
	c := newCache(t, sm, clk)
	ctx := context.Background()
	if _, err := c.Keyring(ctx); err != nil {
		t.Fatal(err)
	}
	sm.setDown(true)
	clk.advance(10 * time.Minute)
	for i := 0; i < 100; i++ {
		r, err := c.Keyring(ctx)
		if err != nil || matches(t, r, "k") != "AWSCURRENT" {
			t.Fatalf("request %d with Secrets Manager down: %v", i, err)
		}
	}
	if n := sm.calls.Load(); n != 6 {
		t.Fatalf("%d calls, want 6: one failed reload, then none until MinRefresh", n)
	}
	sm.setDown(false)
	clk.advance(30 * time.Second)
	if _, err := c.Keyring(ctx); err != nil || sm.calls.Load() != 9 {
		t.Fatalf("after recovery: err %v, %d calls, want a reload", err, sm.calls.Load())
	}
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
	if n := sm.calls.Load(); n != 3 {
		t.Fatalf("%d calls within a second of a failure, want 3", n)
	}
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Keyring(context.Background()); err != nil {
				failures.Add(1)
			}
		}()
	}
	wg.Wait()
	if failures.Load() != 0 || sm.calls.Load() != 3 {
		t.Fatalf("%d failures, %d calls; want 0 and one load of 3 calls", failures.Load(), sm.calls.Load())
	}
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
	sm, clk, c, seen := warm(t, "old")
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
	if n := sm.calls.Load(); n != 6 {
		t.Fatalf("%d calls, want 6: the second refresh must not reload", n)
	}
}

func TestRefreshReportsSecretsManagerDown(t *testing.T) {
	t.Parallel()
	sm, clk, c, seen := warm(t, "k")
	ctx := context.Background()
	sm.setDown(true)
	clk.advance(time.Minute)
	if _, _, err := c.Refresh(ctx, seen); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("refresh with Secrets Manager down: %v, want ErrUnavailable", err)
	}
	if _, _, err := c.Refresh(ctx, seen); !errors.Is(err, secrets.ErrUnavailable) {
		t.Fatalf("throttled refresh after a failure: %v, want ErrUnavailable", err)
	}
	if r, err := c.Keyring(ctx); err != nil || r != seen {
		t.Fatalf("Keyring while down: %v, %v; want the cached keys", r, err)
	}
	if n := sm.calls.Load(); n != 6 {
		t.Fatalf("%d calls, want 6", n)
	}
}
