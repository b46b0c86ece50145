package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// errNoValue means a stage has no value: Secrets Manager has no such stage
// (ResourceNotFoundException), or its version has no SecretString.
var errNoValue = errors.New("no value")

// readStage reads the SecretString and version id of one version stage of
// secret id. Every error wraps ErrUnavailable; one wrapping errNoValue means
// the stage has no value, which is normal for AWSPREVIOUS and AWSPENDING.
func readStage(ctx context.Context, client Client, id, stage string) (secret, version string, err error) {
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionStage: aws.String(stage)})
	var nf *smtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return "", "", fmt.Errorf("%w: %s of %s: %w: %w", ErrUnavailable, stage, id, errNoValue, err)
	case err != nil:
		return "", "", fmt.Errorf("%w: get %s of %s: %w", ErrUnavailable, stage, id, err)
	case aws.ToString(out.SecretString) == "":
		return "", "", fmt.Errorf("%w: %s of %s has no SecretString: %w", ErrUnavailable, stage, id, errNoValue)
	}
	return aws.ToString(out.SecretString), aws.ToString(out.VersionId), nil
}

// loads runs the loads of one cached value: one at a time, each on a
// context of its own (detached from the caller that started it, with its
// own timeout), so a caller whose deadline passes stops waiting but the
// load goes on and serves the next caller; and after a failure, no new load
// for a while. A caller's cancelled context is therefore never taken for a
// failure of Secrets Manager. mu guards the owner's cached value too, and
// is never held across a call to Secrets Manager.
type loads[T any] struct {
	mu          sync.Mutex
	flight      *flight[T] // the load under way, if any
	lastErr     error      // of the last load; nil after a success
	lastAttempt time.Time  // start of the last load
	started     uint64     // how many loads have started
}

// flight is one load under way. val and err are set before done is closed.
type flight[T any] struct {
	done chan struct{}
	gen  uint64    // the load's number: loads started before it have lower ones
	at   time.Time // when it started
	val  T
	err  error
	// forget asks that a failure not be remembered (a prefetch's).
	forget bool
}

// wait returns the load's result, or ctx's error when ctx ends first; the
// load goes on.
func (f *flight[T]) wait(ctx context.Context) (T, error) {
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("secrets: waiting for Secrets Manager: %w", ctx.Err())
	}
}

// coldRetry is the shortest time between two loads after a failure while
// nothing is cached: short, so a Secrets Manager blip at cold start costs
// a second, not the whole minimum refresh interval.
const coldRetry = time.Second

// backingOff reports whether the last load failed too recently for another:
// less than coldRetry ago when nothing is cached, minRefresh when a value
// is. l.mu must be held.
func (l *loads[T]) backingOff(now time.Time, cached bool, minRefresh time.Duration) bool {
	if l.lastErr == nil {
		return false
	}
	gap := coldRetry
	if cached {
		gap = minRefresh
	}
	return now.Sub(l.lastAttempt) < gap
}

// start begins a load at now, which runs load (given the load's number)
// in a goroutine of its own, on a context detached from ctx and bounded by
// timeout; keep records its success under l.mu before any waiter wakes.
// l.mu must be held, and no load be under way.
func (l *loads[T]) start(ctx context.Context, now time.Time, timeout time.Duration, load func(ctx context.Context, gen uint64) (T, error), keep func(T)) *flight[T] {
	f := l.begin(now)
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	go func() {
		defer cancel()
		v, err := load(lctx, f.gen)
		l.finish(f, v, err, keep)
	}()
	return f
}

// begin registers a load starting at now. l.mu must be held, and no load
// be under way.
func (l *loads[T]) begin(now time.Time) *flight[T] {
	l.started++
	f := &flight[T]{done: make(chan struct{}), gen: l.started, at: now}
	l.flight = f
	return f
}

// finish records the outcome of load f and wakes its waiters.
func (l *loads[T]) finish(f *flight[T], v T, err error, keep func(T)) {
	l.mu.Lock()
	l.flight = nil
	l.lastErr, l.lastAttempt = err, f.at
	if err == nil {
		keep(v)
	} else if f.forget {
		l.lastErr, l.lastAttempt = nil, time.Time{}
	}
	l.mu.Unlock()
	f.val, f.err = v, err
	close(f.done)
}
