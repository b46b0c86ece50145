package verify

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
)

// bodyHMAC verifies a hex HMAC of the raw body carried in one header: the
// scheme shared by Webex (SHA-1) and Qiscus (SHA-256).
type bodyHMAC struct {
	header string
	size   int
	scheme Scheme
	keys   []namedPool
}

type namedPool struct {
	name string
	pool *macPool
}

func newBodyHMAC(header string, scheme Scheme, newHash func() hash.Hash, keys []Key) (bodyHMAC, error) {
	keys, err := checkKeys(keys)
	if err != nil {
		return bodyHMAC{}, err
	}
	v := bodyHMAC{header: header, size: newHash().Size(), scheme: scheme}
	for _, k := range keys {
		v.keys = append(v.keys, namedPool{name: k.Name, pool: newMACPool(newHash, k.Secret)})
	}
	return v, nil
}

func (v *bodyHMAC) verify(ctx context.Context, r Request) (Match, error) {
	sig, err := signatureHeader(r.Header, v.header)
	if err != nil {
		return Match{}, err
	}
	var want [sha256.Size]byte
	if len(sig) != 2*v.size {
		return Match{}, fmt.Errorf("%w: %s has %d characters, want %d hex digits", ErrMalformedSignature, v.header, len(sig), 2*v.size)
	}
	if _, err := hex.Decode(want[:v.size], []byte(sig)); err != nil {
		return Match{}, fmt.Errorf("%w: %s is not hex", ErrMalformedSignature, v.header)
	}
	for _, k := range v.keys {
		if err := ctxErr(ctx); err != nil {
			return Match{}, err
		}
		m := k.pool.get()
		m.h.Write(r.Body)
		ok := m.equal(want[:v.size])
		k.pool.put(m)
		if ok {
			return Match{Key: k.name, Scheme: v.scheme, Digest: sha256.Sum256(want[:v.size])}, nil
		}
	}
	return Match{}, ErrNoMatch
}

// Webex verifies Cisco Webex webhooks: the X-Spark-Signature header is the
// hex HMAC-SHA1 of the raw body, keyed with the webhook's secret.
type Webex struct{ v bodyHMAC }

// NewWebex returns a Webex verifier that tries keys in order. It fails with
// ErrNoKeys or ErrEmptyKey rather than build a verifier that accepts
// anything.
func NewWebex(keys ...Key) (*Webex, error) {
	v, err := newBodyHMAC(HeaderWebex, SchemeWebex, sha1.New, keys)
	if err != nil {
		return nil, err
	}
	return &Webex{v: v}, nil
}

// Verify checks r's X-Spark-Signature against the raw body.
func (w *Webex) Verify(ctx context.Context, r Request) (Match, error) { return w.v.verify(ctx, r) }

// Qiscus verifies Qiscus Chat SDK webhooks: the QISCUS-SDK-SIGNATURE header
// is the hex HMAC-SHA256 of the raw body, keyed with the webhook signature
// token.
type Qiscus struct{ v bodyHMAC }

// NewQiscus returns a Qiscus verifier that tries keys in order. It fails
// with ErrNoKeys or ErrEmptyKey rather than build a verifier that accepts
// anything.
func NewQiscus(keys ...Key) (*Qiscus, error) {
	v, err := newBodyHMAC(HeaderQiscus, SchemeQiscus, sha256.New, keys)
	if err != nil {
		return nil, err
	}
	return &Qiscus{v: v}, nil
}

// Verify checks r's QISCUS-SDK-SIGNATURE against the raw body.
func (q *Qiscus) Verify(ctx context.Context, r Request) (Match, error) { return q.v.verify(ctx, r) }
