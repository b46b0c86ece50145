package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/webhookguard/webhookguard/internal/testenv/mototest"
	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/verify"
)

// countingSM is a Secrets Manager client that counts the calls it makes,
// by operation and secret, and can be cut off.
type countingSM struct {
	*secretsmanager.Client
	down atomic.Bool

	mu    sync.Mutex
	lists int
	gets  map[string]int
}

func newCountingSM(s *mototest.Server) *countingSM {
	return &countingSM{Client: s.SecretsClient(), gets: map[string]int{}}
}

func (c *countingSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.mu.Lock()
	c.gets[aws.ToString(in.SecretId)]++
	c.mu.Unlock()
	if c.down.Load() {
		return nil, errors.New("dial tcp: connection refused")
	}
	return c.Client.GetSecretValue(ctx, in, opts...)
}

func (c *countingSM) ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	c.mu.Lock()
	c.lists++
	c.mu.Unlock()
	if c.down.Load() {
		return nil, errors.New("dial tcp: connection refused")
	}
	return c.Client.ListSecrets(ctx, in, opts...)
}

// counts returns the ListSecrets calls, and the GetSecretValue calls of
// secret id ("" for all of them).
func (c *countingSM) counts(id string) (lists, gets int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range c.gets {
		if id == "" || k == id {
			gets += n
		}
	}
	return c.lists, gets
}

// testClock is a fake time source.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sourcesFixture is a Sources over a moto_server, with its own secret name
// prefix, a counting client and a fake clock.
type sourcesFixture struct {
	t      *testing.T
	moto   *mototest.Server
	sm     *countingSM
	clock  *testClock
	prefix string
	src    *secrets.Sources
}

var fixtures atomic.Int64

func newSourcesFixture(t *testing.T, moto *mototest.Server, tune func(*secrets.SourcesConfig)) *sourcesFixture {
	t.Helper()
	f := &sourcesFixture{t: t, moto: moto, sm: newCountingSM(moto), clock: &testClock{t: time.Unix(1_800_000_000, 0)},
		prefix: fmt.Sprintf("wg-%d/webex/", fixtures.Add(1))}
	cfg := secrets.SourcesConfig{
		SecretID: f.prefix + secrets.SourcePlaceholder,
		Build:    func(k ...verify.Key) (verify.Verifier, error) { return verify.NewWebex(k...) },
		Now:      f.clock.now,
	}
	if tune != nil {
		tune(&cfg)
	}
	src, err := secrets.NewSources(f.sm, cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.src = src
	return f
}

// add creates source name's secret with key as its value, and tags.
func (f *sourcesFixture) add(name, key string, tags map[string]string) {
	f.t.Helper()
	in := &secretsmanager.CreateSecretInput{Name: aws.String(f.prefix + name), SecretString: aws.String(key)}
	for k, v := range tags {
		in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := f.moto.SecretsClient().CreateSecret(context.Background(), in); err != nil {
		f.t.Fatalf("create secret %s: %v", name, err)
	}
}

// stageOf returns the stage whose key verifies a body signed with secret
// for source name, or the error.
func (f *sourcesFixture) stageOf(name, secret string) (string, error) {
	f.t.Helper()
	keys, _, err := f.src.Source(context.Background(), name)
	if err != nil {
		return "", err
	}
	ring, err := keys.Keyring(context.Background())
	if err != nil {
		return "", err
	}
	body := []byte(`{"resource":"messages"}`)
	m, err := ring.Verifier.Verify(context.Background(), verify.Request{Header: http.Header{verify.HeaderWebex: {verify.SignWebex([]byte(secret), body)}}, Body: body})
	return m.Key, err
}

// TestSources runs against one moto_server; each test has its own prefix.
func TestSources(t *testing.T) {
	moto := mototest.Start(t)
	t.Run("verifies each source with its own key", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		f.add("sales", "sales-key", nil)
		f.add("support", "support-key", nil)
		tests := []struct {
			name, source, secret string
			wantStage            string
			wantErr              error
		}{
			{"sales signed with its key", "sales", "sales-key", "AWSCURRENT", nil},
			{"support signed with its key", "support", "support-key", "AWSCURRENT", nil},
			{"sales signed with the key of support", "sales", "support-key", "", verify.ErrNoMatch},
			{"support signed with the key of sales", "support", "sales-key", "", verify.ErrNoMatch},
		}
		for _, tc := range tests {
			stage, err := f.stageOf(tc.source, tc.secret)
			if stage != tc.wantStage || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Errorf("%s: stage %q, err %v; want %q, %v", tc.name, stage, err, tc.wantStage, tc.wantErr)
			}
		}
		if lists, gets := f.sm.counts(""); lists != 1 || gets != 2 {
			t.Fatalf("%d ListSecrets and %d GetSecretValue calls, want 1 and 2 (a first load reads each source's AWSCURRENT alone)", lists, gets)
		}
	})

	t.Run("takes a source's settings from its secret's webhookguard tags", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		f.add("bot-a", "k", map[string]string{"webhookguard:bot-id": "BOT-A", "webhookguard:allowed-domains": "a.example b.example", "team": "blue"})
		f.add("bot-b", "k", nil)
		_, settings, err := f.src.Source(context.Background(), "bot-a")
		if err != nil || len(settings) != 2 || settings["webhookguard:bot-id"] != "BOT-A" || settings["webhookguard:allowed-domains"] != "a.example b.example" {
			t.Fatalf("settings of bot-a: %v, %v", settings, err)
		}
		if _, settings, err = f.src.Source(context.Background(), "bot-b"); err != nil || len(settings) != 0 {
			t.Fatalf("settings of bot-b: %v, %v", settings, err)
		}
	})

	t.Run("counts only secrets named exactly prefix plus a source name", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		f.add("ok", "k", nil)
		long := strings.Repeat("a", 64)
		for _, name := range []string{"Upper", "a.b", "a/b", "-dash", "a_b", long, "ok/token"} {
			f.add(name, "k", nil)
		}
		moto.CreateSecret(t, strings.TrimSuffix(f.prefix, "/"), "k")                // the prefix without its slash
		moto.CreateSecret(t, "other/"+f.prefix+"ok2", "k")                          // the prefix inside another name
		moto.CreateSecret(t, strings.ToUpper(f.prefix[:1])+f.prefix[1:]+"ok3", "k") // another case
		if _, _, err := f.src.Source(context.Background(), "ok"); err != nil {
			t.Fatal(err)
		}
		if names := f.src.Names(); len(names) != 1 || names[0] != "ok" {
			t.Fatalf("sources %v, want [ok]", names)
		}
	})

	t.Run("answers an unknown name without a call for each", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		f.add("sales", "k", nil)
		f.add("support", "k", nil)
		const requests = 200
		unknown := 0
		for i := 0; i < requests; i++ {
			name := fmt.Sprintf("x%016x", rand.Uint64())
			if _, _, err := f.src.Source(context.Background(), name); errors.Is(err, secrets.ErrUnknownSource) {
				unknown++
			}
			f.clock.advance(100 * time.Millisecond) // 200 requests over 20 s
		}
		lists, gets := f.sm.counts("")
		t.Logf("%d requests for random unknown sources over 20 s: %d ListSecrets and %d GetSecretValue calls", requests, lists, gets)
		if unknown != requests || lists+gets > 3 || gets != 0 {
			t.Fatalf("%d unknown; %d ListSecrets and %d GetSecretValue calls, want %d unknown and at most 3 calls (one listing, one per 10 s of misses)", unknown, lists, gets, requests)
		}
	})

	t.Run("refuses names that are not source names without any call", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		for _, name := range []string{"", "Sales", "-sales", "sales.io", "a/b", "../x", strings.Repeat("a", 64), "sales\n", "säles"} {
			if _, _, err := f.src.Source(context.Background(), name); !errors.Is(err, secrets.ErrUnknownSource) {
				t.Errorf("%q: err %v, want ErrUnknownSource", name, err)
			}
		}
		if lists, gets := f.sm.counts(""); lists+gets != 0 {
			t.Fatalf("%d ListSecrets and %d GetSecretValue calls, want none", lists, gets)
		}
	})

	t.Run("finds a new source once the miss interval has passed", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		f.add("sales", "k", nil)
		if _, _, err := f.src.Source(context.Background(), "sales"); err != nil {
			t.Fatal(err)
		}
		f.add("new", "new-key", nil)
		f.clock.advance(secrets.DefaultMissInterval - time.Second)
		if _, _, err := f.src.Source(context.Background(), "new"); !errors.Is(err, secrets.ErrUnknownSource) {
			t.Fatalf("before the miss interval: err %v, want ErrUnknownSource", err)
		}
		f.clock.advance(time.Second)
		if stage, err := f.stageOf("new", "new-key"); err != nil || stage != "AWSCURRENT" {
			t.Fatalf("after the miss interval: stage %q, err %v", stage, err)
		}
		if lists, _ := f.sm.counts(""); lists != 2 {
			t.Fatalf("%d ListSecrets calls, want 2", lists)
		}
	})

	t.Run("stops serving a deleted source after the list interval", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		f.add("gone", "k", nil)
		if _, _, err := f.src.Source(context.Background(), "gone"); err != nil {
			t.Fatal(err)
		}
		if _, err := moto.SecretsClient().DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(f.prefix + "gone"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		f.clock.advance(secrets.DefaultListInterval)
		if _, _, err := f.src.Source(context.Background(), "gone"); !errors.Is(err, secrets.ErrUnknownSource) {
			t.Fatalf("err %v, want ErrUnknownSource", err)
		}
		if n := f.src.Cached(); n != 0 {
			t.Fatalf("%d key caches held, want 0", n)
		}
	})

	t.Run("reloads a rotated source and leaves the other alone", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		f.add("rotated", "old-key", nil)
		f.add("untouched", "its-key", nil)
		if stage, err := f.stageOf("rotated", "old-key"); err != nil || stage != "AWSCURRENT" {
			t.Fatalf("before the rotation: stage %q, err %v", stage, err)
		}
		untouched, _, _ := f.src.Source(context.Background(), "untouched")
		before, err := untouched.Keyring(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_, getsBefore := f.sm.counts(f.prefix + "untouched")

		moto.PutSecret(t, f.prefix+"rotated", "new-key")
		keys, _, _ := f.src.Source(context.Background(), "rotated")
		seen, _ := keys.Keyring(context.Background())
		ring, changed, err := keys.Refresh(context.Background(), seen) // a signature that matched no key
		if err != nil || !changed || len(ring.Stages) != 2 {
			t.Fatalf("refresh of the rotated source: changed %v, err %v", changed, err)
		}
		if stage, err := f.stageOf("rotated", "new-key"); err != nil || stage != "AWSCURRENT" {
			t.Fatalf("new key: stage %q, err %v", stage, err)
		}
		if stage, err := f.stageOf("rotated", "old-key"); err != nil || stage != "AWSPREVIOUS" {
			t.Fatalf("old key: stage %q, err %v", stage, err)
		}
		after, err := untouched.Keyring(context.Background())
		_, getsAfter := f.sm.counts(f.prefix + "untouched")
		if err != nil || after != before || getsAfter != getsBefore {
			t.Fatalf("the untouched source changed: same keyring %v, calls %d then %d", after == before, getsBefore, getsAfter)
		}
		if stage, err := f.stageOf("untouched", "new-key"); !errors.Is(err, verify.ErrNoMatch) {
			t.Fatalf("the rotated source's key on the untouched one: stage %q, err %v", stage, err)
		}
	})

	t.Run("holds at most MaxSources key caches, least recently used dropped", func(t *testing.T) {
		f := newSourcesFixture(t, moto, func(c *secrets.SourcesConfig) { c.MaxSources = 2 })
		for _, name := range []string{"a", "b", "c"} {
			f.add(name, "key-"+name, nil)
		}
		for _, name := range []string{"a", "b", "a", "c"} { // b is the least recently used when c comes
			if stage, err := f.stageOf(name, "key-"+name); err != nil || stage != "AWSCURRENT" {
				t.Fatalf("%s: stage %q, err %v", name, stage, err)
			}
		}
		if n := f.src.Cached(); n != 2 {
			t.Fatalf("%d key caches held, want 2", n)
		}
		for _, name := range []string{"a", "c"} {
			if _, gets := f.sm.counts(f.prefix + name); gets != 1 {
				t.Fatalf("%s: %d GetSecretValue calls, want 1 (kept)", name, gets)
			}
		}
		if _, err := f.stageOf("b", "key-b"); err != nil {
			t.Fatal(err)
		}
		if _, gets := f.sm.counts(f.prefix + "b"); gets != 2 {
			t.Fatalf("b: %d GetSecretValue calls, want 2 (dropped, then loaded again)", gets)
		}
	})

	t.Run("serves the last list while Secrets Manager cannot list", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		f.add("sales", "k", nil)
		if _, err := f.stageOf("sales", "k"); err != nil {
			t.Fatal(err)
		}
		f.sm.down.Store(true)
		f.clock.advance(secrets.DefaultListInterval)
		if _, err := f.stageOf("sales", "k"); err != nil {
			t.Fatalf("a known source with the list out of date: %v", err)
		}
		// A name missing from a list that could not be renewed may be a new
		// source: unavailable (the provider retries), not unknown.
		if _, _, err := f.src.Source(context.Background(), "maybe-new"); !errors.Is(err, secrets.ErrUnavailable) {
			t.Fatalf("a name not in the old list: err %v, want ErrUnavailable", err)
		}
	})

	t.Run("is unavailable with no list at all, and asks at most once a second", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		f.sm.down.Store(true)
		for i := 0; i < 10; i++ {
			if _, _, err := f.src.Source(context.Background(), "sales"); !errors.Is(err, secrets.ErrUnavailable) {
				t.Fatalf("err %v, want ErrUnavailable", err)
			}
		}
		if lists, _ := f.sm.counts(""); lists != 1 {
			t.Fatalf("%d ListSecrets calls, want 1", lists)
		}
		f.add("sales", "k", nil)
		f.sm.down.Store(false)
		f.clock.advance(time.Second)
		if _, err := f.stageOf("sales", "k"); err != nil {
			t.Fatalf("after Secrets Manager came back: %v", err)
		}
	})

	t.Run("prefetch lists the sources and loads no keys", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		f.add("sales", "k", nil)
		if err := f.src.Prefetch(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.src.Source(context.Background(), "sales"); err != nil {
			t.Fatal(err)
		}
		if lists, gets := f.sm.counts(""); lists != 1 || gets != 0 {
			t.Fatalf("%d ListSecrets and %d GetSecretValue calls, want 1 and 0", lists, gets)
		}
	})

	t.Run("reads every page of a long list", func(t *testing.T) {
		f := newSourcesFixture(t, moto, nil)
		const n = 120 // over the 100 secrets of one page
		for i := 0; i < n; i++ {
			f.add(fmt.Sprintf("s%03d", i), "k", nil)
		}
		if _, _, err := f.src.Source(context.Background(), fmt.Sprintf("s%03d", n-1)); err != nil {
			t.Fatal(err)
		}
		if got, lists := len(f.src.Names()), func() int { l, _ := f.sm.counts(""); return l }(); got != n || lists != 2 {
			t.Fatalf("%d sources in %d calls, want %d in 2", got, lists, n)
		}
	})
}

func TestNewSourcesRefusesABadSecretID(t *testing.T) {
	t.Parallel()
	build := func(k ...verify.Key) (verify.Verifier, error) { return verify.NewWebex(k...) }
	tests := []struct {
		name, secretID string
	}{
		{"refuses an id without {source}", "webhookguard/webex"},
		{"refuses {source} before the end", "webhookguard/{source}/webex"},
		{"refuses {source} with nothing before it", "{source}"},
		{"refuses an ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhookguard/{source}"},
		{"refuses a character no secret name has", "webhook guard/{source}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := secrets.NewSources(nil, secrets.SourcesConfig{SecretID: tc.secretID, Build: build}); err == nil {
				t.Fatalf("%q accepted", tc.secretID)
			}
		})
	}
	if _, err := secrets.NewSources(nil, secrets.SourcesConfig{SecretID: "webhookguard/webex/{source}", Build: build}); err != nil {
		t.Fatalf("a good id refused: %v", err)
	}
}

var sourceNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func TestValidSourceName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"accepts a word", "sales", true},
		{"accepts digits and inner dashes", "bot-2-eu", true},
		{"accepts a trailing dash", "a-", true},
		{"accepts 63 characters", strings.Repeat("a", 63), true},
		{"refuses the empty name", "", false},
		{"refuses upper case", "Sales", false},
		{"refuses a leading dash", "-a", false},
		{"refuses a dot", "a.b", false},
		{"refuses a slash", "a/b", false},
		{"refuses 64 characters", strings.Repeat("a", 64), false},
		{"refuses a non-ASCII letter", "é", false},
	}
	for _, tc := range tests {
		if got := secrets.ValidSourceName(tc.in); got != tc.want || got != sourceNameRE.MatchString(tc.in) {
			t.Errorf("%s: ValidSourceName(%q) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
	}
}

func FuzzValidSourceName(f *testing.F) {
	for _, s := range []string{"sales", "-a", "a-", strings.Repeat("z", 63), "A", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := secrets.ValidSourceName(s), sourceNameRE.MatchString(s); got != want {
			t.Fatalf("ValidSourceName(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

func ExampleSourceSecretID() {
	fmt.Println(secrets.SourceSecretID("webhookguard/webex/{source}", "sales"))
	// Output: webhookguard/webex/sales
}
