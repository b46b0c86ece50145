// Package secrets keeps a provider's signing keys from AWS Secrets Manager
// in the execution environment.
//
// The secret's SecretString is the key, used as is. The version stages
// AWSCURRENT, AWSPREVIOUS and AWSPENDING are fetched together, so a request
// signed with the key of any stage verifies and a rotation needs no window of
// refused requests. Keys are cached for a TTL; after a signature that matches
// no cached key the cache may be refreshed early, at most once per minimum
// interval, so a rotation is picked up at once while forged traffic cannot
// hammer Secrets Manager. When a refresh fails, the cached keys go on
// serving.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"webhookguard/shared/verify"
)

// Version stages, in the order keys are tried.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
	StagePending  = "AWSPENDING"
)

// Stages lists the version stages fetched, in the order keys are tried:
// the current key first, then the one it replaced, then the one a rotation
// is about to make current.
var Stages = []string{StageCurrent, StagePrevious, StagePending}

// Errors returned by Cache.
var (
	// ErrUnavailable means no keys could be loaded: Secrets Manager could
	// not be reached, refused, or the secret has no usable AWSCURRENT value.
	ErrUnavailable = errors.New("secrets: keys unavailable")
	// ErrThrottled means an early refresh was skipped because the last one
	// was too recent.
	ErrThrottled = errors.New("secrets: refresh throttled")
)

// Client is the part of the Secrets Manager client the cache uses.
type Client interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Keyring is one loaded set of keys and the verifier built from them.
type Keyring struct {
	// Verifier checks requests against every loaded key.
	Verifier verify.Verifier
	// Stages names the stages that had a key, in the order they are tried.
	Stages []string
	// Fetched is when the keys were loaded.
	Fetched time.Time
	// versions identifies the loaded values, to tell whether a refresh
	// brought anything new.
	versions string
}

// Config configures a Cache.
type Config struct {
	// SecretID is the secret's name or ARN.
	SecretID string
	// TTL is how long loaded keys are used before they are refreshed.
	// Default 5 minutes.
	TTL time.Duration
	// MinRefresh is the shortest time between two refreshes caused by
	// unknown signatures or failed loads. Default 30 seconds.
	MinRefresh time.Duration
	// Build makes a verifier from the loaded keys, in stage order.
	Build func(keys ...verify.Key) (verify.Verifier, error)
	// Now returns the time; default time.Now.
	Now func() time.Time
}

// Cache loads and caches a Keyring. It is safe for concurrent use.
type Cache struct {
	client Client
	cfg    Config

	ring atomic.Pointer[Keyring]

	mu          sync.Mutex // held while loading
	lastAttempt time.Time
	lastErr     error
	calls       atomic.Int64
}

// coldRetry is the shortest time between two load attempts while no keys
// have ever loaded: short, so a Secrets Manager blip at cold start costs
// seconds, not the whole minimum refresh interval.
const coldRetry = time.Second

// New returns a cache over client. Nothing is fetched until first use.
func New(client Client, cfg Config) (*Cache, error) {
	if cfg.SecretID == "" {
		return nil, errors.New("secrets: no secret id")
	}
	if cfg.Build == nil {
		return nil, errors.New("secrets: no verifier builder")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 5 * time.Minute
	}
	if cfg.MinRefresh <= 0 {
		cfg.MinRefresh = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Cache{client: client, cfg: cfg}, nil
}

// Calls returns how many GetSecretValue calls the cache has made.
func (c *Cache) Calls() int64 { return c.calls.Load() }

// Keyring returns the cached keys, loading them when there are none or they
// are older than the TTL. When a reload fails the cached keys are returned;
// with nothing cached the error wraps ErrUnavailable.
func (c *Cache) Keyring(ctx context.Context) (*Keyring, error) {
	r := c.ring.Load()
	if r != nil && c.cfg.Now().Sub(r.Fetched) < c.cfg.TTL {
		return r, nil
	}
	if r != nil && !c.mu.TryLock() {
		return r, nil // another request is reloading; serve what we have
	} else if r == nil {
		c.mu.Lock()
	}
	defer c.mu.Unlock()
	if r = c.ring.Load(); r != nil && c.cfg.Now().Sub(r.Fetched) < c.cfg.TTL {
		return r, nil
	}
	if wait := c.retryWait(r); wait > 0 {
		if r != nil {
			return r, nil
		}
		return nil, c.lastErr
	}
	fresh, err := c.load(ctx)
	if err != nil && r != nil {
		return r, nil // keep serving the cached keys
	}
	return fresh, err
}

// Refresh reloads the keys after a signature matched none of seen, the
// keyring the caller verified with. When the cached keyring is already newer
// than seen (another request reloaded it meanwhile) it is returned at once,
// with changed set. Otherwise the keys are reloaded, unless the last load was
// less than MinRefresh ago (ErrThrottled). changed tells whether the result
// differs from seen, so verifying again is worth it. When the reload fails,
// or was throttled after a failure, the error wraps ErrUnavailable: the
// request may carry a key Secrets Manager could not be asked about.
func (c *Cache) Refresh(ctx context.Context, seen *Keyring) (ring *Keyring, changed bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.ring.Load()
	if cur != nil && cur != seen && cur.versions != versionsOf(seen) {
		return cur, true, nil
	}
	if cur != nil && c.cfg.Now().Sub(c.lastAttempt) < c.cfg.MinRefresh {
		if c.lastErr != nil {
			// Secrets Manager is failing: a new key cannot be ruled out.
			return cur, false, c.lastErr
		}
		return cur, false, ErrThrottled
	}
	r, err := c.load(ctx)
	if err != nil {
		return cur, false, err
	}
	return r, r.versions != versionsOf(seen), nil
}

func versionsOf(r *Keyring) string {
	if r == nil {
		return ""
	}
	return r.versions
}

// retryWait returns how long to wait before the next load attempt after a
// failed one; 0 when a load may start now.
func (c *Cache) retryWait(cached *Keyring) time.Duration {
	if c.lastErr == nil {
		return 0
	}
	gap := c.cfg.MinRefresh
	if cached == nil {
		gap = coldRetry
	}
	return gap - c.cfg.Now().Sub(c.lastAttempt)
}

// load fetches every stage and caches the result; c.mu must be held.
func (c *Cache) load(ctx context.Context) (*Keyring, error) {
	c.lastAttempt = c.cfg.Now()
	r, err := c.fetch(ctx)
	c.lastErr = err
	if err != nil {
		return nil, err
	}
	c.ring.Store(r)
	return r, nil
}

type stageValue struct {
	secret  string
	version string
	err     error
}

func (c *Cache) fetch(ctx context.Context) (*Keyring, error) {
	vals := make([]stageValue, len(Stages))
	var wg sync.WaitGroup
	for i, stage := range Stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.calls.Add(1)
			out, err := c.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
				SecretId:     aws.String(c.cfg.SecretID),
				VersionStage: aws.String(stage),
			})
			if err != nil {
				vals[i].err = err
				return
			}
			vals[i].secret = aws.ToString(out.SecretString)
			vals[i].version = aws.ToString(out.VersionId)
		}()
	}
	wg.Wait()

	var (
		keys     []verify.Key
		stages   []string
		versions strings.Builder
	)
	for i, stage := range Stages {
		v := vals[i]
		switch {
		case v.err != nil && stage != StageCurrent && isNotFound(v.err):
			continue // no such stage: normal outside a rotation
		case v.err != nil:
			return nil, fmt.Errorf("%w: get %s: %w", ErrUnavailable, stage, v.err)
		case v.secret == "" && stage == StageCurrent:
			return nil, fmt.Errorf("%w: %s has no SecretString", ErrUnavailable, stage)
		case v.secret == "":
			continue
		}
		keys = append(keys, verify.Key{Name: stage, Secret: []byte(v.secret)})
		stages = append(stages, stage)
		fmt.Fprintf(&versions, "%s=%s;", stage, v.version)
	}
	ver, err := c.cfg.Build(keys...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return &Keyring{Verifier: ver, Stages: stages, Fetched: c.cfg.Now(), versions: versions.String()}, nil
}

func isNotFound(err error) bool {
	var nf *smtypes.ResourceNotFoundException
	return errors.As(err, &nf)
}

// Value is one secret's AWSCURRENT SecretString, such as an API token,
// cached for a TTL. When a reload fails the cached value is kept.
type Value struct {
	client Client
	id     string
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	val     string
	fetched time.Time
}

// NewValue returns a cached value of secret id (default TTL 5 minutes).
func NewValue(client Client, id string, ttl time.Duration) *Value {
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	return &Value{client: client, id: id, ttl: ttl, now: time.Now}
}

// Get returns the value; the error wraps ErrUnavailable when there is none.
func (v *Value) Get(ctx context.Context) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.val != "" && v.now().Sub(v.fetched) < v.ttl {
		return v.val, nil
	}
	out, err := v.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(v.id)})
	switch {
	case err != nil && v.val != "":
		return v.val, nil
	case err != nil:
		return "", fmt.Errorf("%w: get %s: %w", ErrUnavailable, v.id, err)
	case aws.ToString(out.SecretString) == "":
		return "", fmt.Errorf("%w: %s has no SecretString", ErrUnavailable, v.id)
	}
	v.val, v.fetched = aws.ToString(out.SecretString), v.now()
	return v.val, nil
}
