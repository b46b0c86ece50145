// Package secrets keeps values from AWS Secrets Manager in the execution
// environment: a provider's signing keys (Cache) and single values such as
// an API token (Value).
//
// A Cache holds the SecretString of the version stages AWSCURRENT,
// AWSPREVIOUS and AWSPENDING, so a request signed with the key of any stage
// verifies and a rotation needs no window of refused requests. Keys are
// cached for a TTL. After a signature that matches no cached key the cache
// may be refreshed early, at most once per minimum interval, so a rotation
// is picked up at once while forged traffic cannot hammer Secrets Manager.
//
// A cold start reads AWSCURRENT alone (Prefetch, during the function's
// init): one call on one connection. AWSPREVIOUS and AWSPENDING are read by
// the first refresh (which is never throttled) or the first reload after
// the TTL; every later load reads the three stages one after the other, on
// that connection, in the order a rotation moves a version (AWSPENDING,
// AWSCURRENT, AWSPREVIOUS), so that no version is missed while it moves.
//
// No lock is held across a call to Secrets Manager. One load runs at a time,
// detached from the request that started it and bounded by a timeout of its
// own; other requests serve the cached keys meanwhile, or wait for the load
// as long as their own deadline allows. When a load fails, the cached keys
// go on serving, and the failure is retried after a pause (a second while
// nothing is cached, the minimum refresh interval after).
package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/webhookguard/webhookguard/shared/verify"
)

// Version stages, in the order keys are tried.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
	StagePending  = "AWSPENDING"
)

// Stages lists the version stages loaded, in the order keys are tried:
// the current key first, then the one it replaced, then the one a rotation
// is about to make current.
var Stages = []string{StageCurrent, StagePrevious, StagePending}

// Defaults of Config.
const (
	// DefaultTTL is how long keys are used before they are reloaded.
	DefaultTTL = 5 * time.Minute
	// DefaultMinRefresh is the shortest time between two refreshes caused
	// by unknown signatures, and between a failed load and the next.
	DefaultMinRefresh = 30 * time.Second
	// DefaultLoadTimeout bounds one load.
	DefaultLoadTimeout = 10 * time.Second
)

// Errors returned by Cache.
var (
	// ErrUnavailable means keys could not be loaded: Secrets Manager could
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

// Keys supplies the keyring of one signing secret, and a fresh one after a
// signature matched none of its keys. *Cache implements it.
type Keys interface {
	Keyring(ctx context.Context) (*Keyring, error)
	Refresh(ctx context.Context, seen *Keyring) (ring *Keyring, changed bool, err error)
}

// ErrUnknownSource means a deployment serving several sources has no
// secret for the one asked for.
var ErrUnknownSource = errors.New("secrets: unknown source")

// Keyring is one loaded set of keys and the verifier built from them.
type Keyring struct {
	// Verifier checks requests against every loaded key.
	Verifier verify.Verifier
	// Stages names the stages that had a key, in the order they are tried.
	Stages []string
	// Fetched is when the load of these keys started: they hold every
	// value Secrets Manager had then.
	Fetched time.Time

	keys     []stageKey
	gen      uint64    // the number of the load
	versions string    // identifies the values, to tell whether a reload brought anything new
	expires  time.Time // when the keys are due for a reload
	// lazy means AWSPREVIOUS and AWSPENDING were not read yet (a cold
	// start reads AWSCURRENT alone).
	lazy bool
	// unread means a stage other than AWSCURRENT could not be read; the
	// last value loaded for it, if any, is kept.
	unread bool
}

// stageKey is the value of one stage.
type stageKey struct {
	stage, secret, version string
}

func (r *Keyring) key(stage string) (stageKey, bool) {
	if r != nil {
		for _, k := range r.keys {
			if k.stage == stage {
				return k, true
			}
		}
	}
	return stageKey{}, false
}

func versionsOf(r *Keyring) string {
	if r == nil {
		return ""
	}
	return r.versions
}

// Config configures a Cache.
type Config struct {
	// SecretID is the secret's name or ARN.
	SecretID string
	// TTL is how long loaded keys are used before they are reloaded.
	// Default DefaultTTL.
	TTL time.Duration
	// MinRefresh is the shortest time between two refreshes caused by
	// unknown signatures, and between a failed load and the next while
	// keys are cached. Default DefaultMinRefresh.
	MinRefresh time.Duration
	// LoadTimeout bounds one load. Default DefaultLoadTimeout.
	LoadTimeout time.Duration
	// Build makes a verifier from the loaded keys, in stage order.
	Build func(keys ...verify.Key) (verify.Verifier, error)
	// Now returns the time; default time.Now.
	Now func() time.Time
}

// Cache loads and caches a Keyring. It is safe for concurrent use.
type Cache struct {
	client Client
	cfg    Config
	ring   atomic.Pointer[Keyring]
	calls  atomic.Int64

	loads[*Keyring]
	lastRefresh time.Time // start of the last load Refresh started; guarded by mu
}

// New returns a cache over client. Nothing is fetched until first use.
func New(client Client, cfg Config) (*Cache, error) {
	if cfg.SecretID == "" {
		return nil, errors.New("secrets: no secret id")
	}
	if cfg.Build == nil {
		return nil, errors.New("secrets: no verifier builder")
	}
	cfg.TTL = orDefault(cfg.TTL, DefaultTTL)
	cfg.MinRefresh = orDefault(cfg.MinRefresh, DefaultMinRefresh)
	cfg.LoadTimeout = orDefault(cfg.LoadTimeout, DefaultLoadTimeout)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Cache{client: client, cfg: cfg}, nil
}

// orDefault returns d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Prefetch loads the AWSCURRENT key ahead of the first request, as a
// function does during its init, within ctx: on the calling goroutine, whose
// stack the init has grown already (a load of its own would start a small
// one and grow it through the SDK's deep call stack). A failure, the end of
// ctx included, is forgotten: the first request loads the key again at
// once instead of failing fast on the prefetch's error.
func (c *Cache) Prefetch(ctx context.Context) error {
	c.mu.Lock()
	if c.ring.Load() != nil {
		c.mu.Unlock()
		return nil
	}
	if f := c.flight; f != nil {
		f.forget = true
		c.mu.Unlock()
		_, err := f.wait(ctx)
		return err
	}
	started := c.cfg.Now()
	f := c.begin(started)
	f.forget = true
	c.mu.Unlock()
	lctx, cancel := context.WithTimeout(ctx, c.cfg.LoadTimeout)
	defer cancel()
	r, err := c.fetch(lctx, nil, false, started)
	if r != nil {
		r.gen = f.gen
	}
	c.finish(f, r, err, c.ring.Store)
	return err
}

// Calls returns how many GetSecretValue calls the cache has made.
func (c *Cache) Calls() int64 { return c.calls.Load() }

// Keyring returns the cached keys, loading them when there are none or they
// are due for a reload. While another request reloads them, or after a
// failed reload, the cached keys are returned. With nothing cached, the
// error wraps ErrUnavailable, or is ctx's when it ends before the load.
func (c *Cache) Keyring(ctx context.Context) (*Keyring, error) {
	r := c.ring.Load()
	if r != nil && c.cfg.Now().Before(r.expires) {
		return r, nil
	}
	c.mu.Lock()
	r = c.ring.Load()
	switch {
	case r != nil && c.cfg.Now().Before(r.expires):
		c.mu.Unlock()
		return r, nil
	case r != nil && c.flight != nil:
		c.mu.Unlock()
		return r, nil // another request is reloading; serve what we have
	case c.flight == nil && c.backingOff(c.cfg.Now(), r != nil, c.cfg.MinRefresh):
		err := c.lastErr
		c.mu.Unlock()
		if r != nil {
			return r, nil
		}
		return nil, err
	}
	f := c.flight
	if f == nil {
		f = c.startLoad(ctx, r, r != nil) // a cold start reads AWSCURRENT alone
	}
	c.mu.Unlock()
	fresh, err := f.wait(ctx)
	if err != nil && r != nil {
		return r, nil // keep serving the cached keys
	}
	return fresh, err
}

// Refresh reloads the keys after a signature matched none of seen, the
// keyring the caller verified with, and returns keys loaded since it was
// called: they hold every key Secrets Manager had when the request came.
// When a load is under way, Refresh waits for it (and for one more if that
// one started before the call). It starts a load itself unless an earlier
// refresh started less than MinRefresh ago: it then returns the cached
// keys if they differ from seen, else ErrThrottled. The first refresh after
// a cold start, which reads AWSPREVIOUS and AWSPENDING for the first time,
// is never throttled. changed tells whether the result differs from seen,
// so verifying again is worth it. The error wraps ErrUnavailable when
// Secrets Manager could not say whether the request's key exists (it
// failed, or recently failed, to read a stage), and is ctx's when ctx ends
// first.
func (c *Cache) Refresh(ctx context.Context, seen *Keyring) (ring *Keyring, changed bool, err error) {
	c.mu.Lock()
	asked := c.loads.started // loads numbered above began after the call
	for {
		cur := c.ring.Load()
		if cur != nil && cur.gen > asked {
			c.mu.Unlock()
			if cur.versions == versionsOf(seen) && cur.unread {
				return cur, false, c.errUnread()
			}
			return cur, cur.versions != versionsOf(seen), nil
		}
		f := c.flight
		if f == nil {
			now := c.cfg.Now()
			switch {
			case c.backingOff(now, cur != nil, c.cfg.MinRefresh):
				err := c.lastErr
				c.mu.Unlock()
				return cur, false, err
			case cur != nil && !cur.lazy && now.Sub(c.lastRefresh) < c.cfg.MinRefresh:
				c.mu.Unlock()
				switch {
				case cur.versions != versionsOf(seen):
					return cur, true, nil // loaded since seen: worth a try
				case cur.unread:
					return cur, false, c.errUnread()
				}
				return cur, false, ErrThrottled
			}
			c.lastRefresh = now
			f = c.startLoad(ctx, cur, true)
		}
		c.mu.Unlock()
		if _, err := f.wait(ctx); err != nil {
			return cur, false, err
		}
		c.mu.Lock()
	}
}

// errUnread is the error of a refresh that could not read every stage.
func (c *Cache) errUnread() error {
	return fmt.Errorf("%w: a version stage of %s could not be read", ErrUnavailable, c.cfg.SecretID)
}

// startLoad starts a load of every stage (all), or of AWSCURRENT alone;
// prev holds the cached keys. c.mu must be held and no load be under way.
func (c *Cache) startLoad(ctx context.Context, prev *Keyring, all bool) *flight[*Keyring] {
	started := c.cfg.Now()
	return c.start(ctx, started, c.cfg.LoadTimeout,
		func(ctx context.Context, gen uint64) (*Keyring, error) {
			r, err := c.fetch(ctx, prev, all, started)
			if r != nil {
				r.gen = gen
			}
			return r, err
		},
		func(r *Keyring) { c.ring.Store(r) })
}

// readOrder is the order a load reads the stages in: the way a rotation
// moves a version (AWSPENDING, then AWSCURRENT, then AWSPREVIOUS), so that
// a version moved on while the stages are read is read at its new stage
// and never missed.
var readOrder = []string{StagePending, StageCurrent, StagePrevious}

// fetch reads every stage (all), or AWSCURRENT alone, one after the other
// so they share a connection. A stage other than AWSCURRENT that cannot be
// read keeps its value from prev.
func (c *Cache) fetch(ctx context.Context, prev *Keyring, all bool, started time.Time) (*Keyring, error) {
	r := &Keyring{Fetched: started, lazy: !all}
	got := map[string]stageKey{}
	for _, stage := range readOrder {
		if r.lazy && stage != StageCurrent {
			continue
		}
		c.calls.Add(1)
		secret, version, err := readStage(ctx, c.client, c.cfg.SecretID, stage)
		switch {
		case err != nil && stage == StageCurrent:
			return nil, err
		case errors.Is(err, errNoValue):
			continue // no such stage: normal outside a rotation
		case err != nil:
			r.unread = true
			if k, ok := prev.key(stage); ok {
				got[stage] = k
			}
			continue
		}
		got[stage] = stageKey{stage: stage, secret: secret, version: version}
	}
	for _, stage := range Stages {
		if k, ok := got[stage]; ok {
			r.keys = append(r.keys, k)
		}
	}
	keys := make([]verify.Key, len(r.keys))
	var versions strings.Builder
	for i, k := range r.keys {
		keys[i] = verify.Key{Name: k.stage, Secret: []byte(k.secret)}
		r.Stages = append(r.Stages, k.stage)
		fmt.Fprintf(&versions, "%s=%s;", k.stage, k.version)
	}
	r.versions = versions.String()
	ver, err := c.cfg.Build(keys...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	r.Verifier = ver
	r.expires = started.Add(c.cfg.TTL)
	if r.unread {
		// Try the stage that failed again sooner than the TTL.
		r.expires = started.Add(min(c.cfg.MinRefresh, c.cfg.TTL))
	}
	return r, nil
}

// Value is one secret's AWSCURRENT SecretString, such as an API token,
// cached for a TTL. Loads follow the Cache's rules: one at a time, with no
// lock held across the call; the cached value is served while a reload
// runs and when it fails; after a failure the next load waits a second
// while nothing is cached, DefaultMinRefresh when a value is.
type Value struct {
	client Client
	id     string
	ttl    time.Duration
	now    func() time.Time

	loads[string]
	val     string // guarded by mu
	fetched time.Time
}

// NewValue returns a cached value of secret id (TTL default DefaultTTL).
func NewValue(client Client, id string, ttl time.Duration) *Value {
	return &Value{client: client, id: id, ttl: orDefault(ttl, DefaultTTL), now: time.Now}
}

// Get returns the value. With nothing cached, the error wraps
// ErrUnavailable, or is ctx's when it ends before the load.
func (v *Value) Get(ctx context.Context) (string, error) {
	v.mu.Lock()
	now, val := v.now(), v.val
	switch {
	case val != "" && now.Sub(v.fetched) < v.ttl:
		v.mu.Unlock()
		return val, nil
	case val != "" && v.flight != nil:
		v.mu.Unlock()
		return val, nil
	case v.flight == nil && v.backingOff(now, val != "", DefaultMinRefresh):
		err := v.lastErr
		v.mu.Unlock()
		if val != "" {
			return val, nil
		}
		return "", err
	}
	f := v.flight
	if f == nil {
		f = v.start(ctx, now, DefaultLoadTimeout,
			func(ctx context.Context, _ uint64) (string, error) {
				s, _, err := readStage(ctx, v.client, v.id, StageCurrent)
				return s, err
			},
			func(s string) { v.val, v.fetched = s, now })
	}
	v.mu.Unlock()
	s, err := f.wait(ctx)
	if err != nil && val != "" {
		return val, nil
	}
	return s, err
}
