package verify

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"hash"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// passCounter counts the HMAC passes over a body: the writes of the body
// itself (or of a form value equal to it) into the inner hash. It can cancel
// a context at the first pass, to check that a verifier looks at its context
// between passes.
type passCounter struct {
	body   []byte
	passes atomic.Int64
	cancel context.CancelFunc
}

func (c *passCounter) newHash(newHash func() hash.Hash) func() hash.Hash {
	return func() hash.Hash { return &countingHash{Hash: newHash(), c: c} }
}

type countingHash struct {
	hash.Hash
	c *passCounter
}

func (h *countingHash) Write(p []byte) (int, error) {
	if bytes.Equal(p, h.c.body) {
		h.c.passes.Add(1)
		if h.c.cancel != nil {
			h.c.cancel()
		}
	}
	return h.Hash.Write(p)
}

// forged is a forged request for each scheme whose every HMAC pass writes
// body (or a form value equal to it) once.
type forged struct {
	name    string
	build   func(c *passCounter, keys []Key) (Verifier, error)
	request Request
	// passesPerKey is the number of passes one distinct secret costs.
	passesPerKey int64
}

func forgedRequests(body []byte) []forged {
	const u = "https://abc123.execute-api.us-east-1.amazonaws.com/signalwire" // two URL variants
	return []forged{
		{"webex", func(c *passCounter, keys []Key) (Verifier, error) {
			v, err := newBodyHMAC(HeaderWebex, SchemeWebex, c.newHash(sha1.New), keys)
			return &Webex{v: v}, err
		}, Request{Header: http.Header{HeaderWebex: {strings.Repeat("0", 40)}}, Body: body}, 1},
		{"qiscus", func(c *passCounter, keys []Key) (Verifier, error) {
			v, err := newBodyHMAC(HeaderQiscus, SchemeQiscus, c.newHash(sha256.New), keys)
			return &Qiscus{v: v}, err
		}, Request{Header: http.Header{HeaderQiscus: {strings.Repeat("0", 64)}}, Body: body}, 1},
		{"signalwire JSON scheme", func(c *passCounter, keys []Key) (Verifier, error) {
			return newSignalWire(c.newHash(sha1.New), c.newHash(sha256.New), keys)
		}, Request{URL: u, Header: http.Header{HeaderSignalWire: {strings.Repeat("0", 40)}, "Content-Type": {"application/json"}}, Body: body}, 2},
		{"signalwire compatibility scheme", func(c *passCounter, keys []Key) (Verifier, error) {
			return newSignalWire(c.newHash(sha1.New), c.newHash(sha256.New), keys)
		}, Request{URL: u, Header: http.Header{HeaderSignalWire: {"AAAAAAAAAAAAAAAAAAAAAAAAAAA="}, "Content-Type": {"application/x-www-form-urlencoded"}},
			Body: append([]byte("Body="), body...)}, 2},
	}
}

// TestIdenticalSecretsCostOnePass checks that a secret held under several
// stages (as after a rotation that put the same value again) is hashed once
// per forged request, not once per stage.
func TestIdenticalSecretsCostOnePass(t *testing.T) {
	t.Parallel()
	body := []byte(`{"data":"` + strings.Repeat("x", 1000) + `"}`)
	for _, f := range forgedRequests(body) {
		t.Run(f.name, func(t *testing.T) {
			c := &passCounter{body: body}
			v, err := f.build(c, []Key{
				{Name: "AWSCURRENT", Secret: []byte("same")},
				{Name: "AWSPENDING", Secret: []byte("same")},
				{Name: "AWSPREVIOUS", Secret: []byte("other")},
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(context.Background(), f.request); !errors.Is(err, ErrNoMatch) {
				t.Fatalf("err = %v, want ErrNoMatch", err)
			}
			if got, want := c.passes.Load(), 2*f.passesPerKey; got != want {
				t.Fatalf("%d passes over the body for 2 distinct secrets, want %d", got, want)
			}
		})
	}
}

// TestVerificationStopsBetweenPasses checks that a context ending during
// verification stops it before the next pass.
func TestVerificationStopsBetweenPasses(t *testing.T) {
	t.Parallel()
	body := []byte(`{"data":"` + strings.Repeat("y", 1000) + `"}`)
	for _, f := range forgedRequests(body) {
		t.Run(f.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := &passCounter{body: body, cancel: cancel}
			v, err := f.build(c, []Key{{Name: "AWSCURRENT", Secret: []byte("a")}, {Name: "AWSPREVIOUS", Secret: []byte("b")}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(ctx, f.request); !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if got := c.passes.Load(); got != 1 {
				t.Fatalf("%d passes over the body after the context ended in the first, want 1", got)
			}
		})
	}
}
