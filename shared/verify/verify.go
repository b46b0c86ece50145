package verify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
)

// Header names, in canonical form, read by the verifiers.
const (
	// HeaderWebex carries Webex's hex HMAC-SHA1 of the body.
	HeaderWebex = "X-Spark-Signature"
	// HeaderQiscus carries Qiscus's hex HMAC-SHA256 of the body.
	HeaderQiscus = "Qiscus-Sdk-Signature"
	// HeaderSignalWire carries SignalWire's HMAC-SHA1 signature.
	HeaderSignalWire = "X-Signalwire-Signature"
	// HeaderTwilio is accepted as an alias of HeaderSignalWire, as
	// SignalWire's compatibility SDKs do.
	HeaderTwilio = "X-Twilio-Signature"
	// HeaderSignalWireSHA256 carries SignalWire's hex HMAC-SHA256 over the
	// same string as the SHA-1 signature of the JSON scheme.
	HeaderSignalWireSHA256 = "X-Signalwire-Sha256-Signature"
)

// Sentinel errors. Every error a verifier returns wraps exactly one of them,
// or the error of the request's context, so callers can tell the cases apart
// with errors.Is.
var (
	// ErrNoKeys is returned when a verifier is built without any key.
	ErrNoKeys = errors.New("verify: no keys")
	// ErrEmptyKey is returned when a verifier is built with an empty secret.
	ErrEmptyKey = errors.New("verify: empty key")
	// ErrMissingSignature means the signature header is absent or empty.
	ErrMissingSignature = errors.New("verify: missing signature header")
	// ErrMalformedSignature means the signature header is present but is
	// not a signature of the expected encoding and length, or is repeated.
	ErrMalformedSignature = errors.New("verify: malformed signature header")
	// ErrNoMatch means the signature is well formed but no key produces it.
	ErrNoMatch = errors.New("verify: no key matched the signature")
	// ErrSHA256Mismatch means SignalWire's SHA-1 signature matched but the
	// accompanying SHA-256 signature did not.
	ErrSHA256Mismatch = errors.New("verify: SHA-256 signature does not match")
	// ErrBodyHashMismatch means the signed URL's bodySHA256 parameter is
	// not the SHA-256 of the body that was received.
	ErrBodyHashMismatch = errors.New("verify: body does not match bodySHA256")
	// ErrUnsignedBody means a compatibility signature covers the URL alone
	// while the request carries a body and no bodySHA256: the body would be
	// unauthenticated, so the request is refused.
	ErrUnsignedBody = errors.New("verify: signature covers the URL only, body not authenticated")
	// ErrMalformedBody means a form-encoded body could not be parsed, or
	// breaks the rules a SignalWire form keeps: a key that is empty or not
	// made of ASCII letters, digits, '_', '.' and '-', a bad escape, or
	// more than MaxFormParams parameters.
	ErrMalformedBody = errors.New("verify: malformed form body")
	// ErrSchemeMismatch means a SignalWire signature's scheme does not fit
	// the request's shape: a compatibility (base64) signature on a body
	// that is not a form and whose URL has no bodySHA256, or a JSON-scheme
	// (hex) signature on a form, an empty body or a body that is not JSON.
	// A signature re-encoded from one scheme to the other ends here.
	ErrSchemeMismatch = errors.New("verify: signature scheme does not fit the request")
	// ErrMalformedURL means the URL to verify against is not an absolute
	// URL.
	ErrMalformedURL = errors.New("verify: malformed URL")
)

// Key is a named secret. The name (for example a Secrets Manager version
// stage such as AWSCURRENT) is reported back when the key matches.
type Key struct {
	Name   string
	Secret []byte
}

// Request is what a verifier looks at: the exact body bytes that arrived,
// the headers (SignalWire reads Content-Type as well as the signatures), and,
// for SignalWire, the URL the provider requested.
type Request struct {
	// URL is the absolute URL the provider called, exactly as configured in
	// the provider, query string included. Only SignalWire uses it.
	URL string
	// Header holds the request headers. Lookups are case-insensitive.
	Header http.Header
	// Body is the raw body, after any transport base64 was removed.
	Body []byte
}

// Match describes how a request was authenticated.
type Match struct {
	// Key is the name of the key that produced the signature.
	Key string
	// Scheme names the signature scheme that matched.
	Scheme Scheme
	// URLVariant tells which form of the URL matched (SignalWire only).
	URLVariant URLVariant
	// Digest is the SHA-256 of the decoded signature that matched. It
	// identifies the signed request: a retry or a replay of it, however
	// re-encoded, has the same digest. It is safe to store; the signature
	// itself is not kept.
	Digest [sha256.Size]byte
}

// Scheme names a signature scheme.
type Scheme string

// Signature schemes reported in Match.Scheme.
const (
	SchemeWebex              Scheme = "webex-hmac-sha1-hex"
	SchemeQiscus             Scheme = "qiscus-hmac-sha256-hex"
	SchemeSignalWireJSON     Scheme = "signalwire-json"
	SchemeSignalWireForm     Scheme = "signalwire-compat-form"
	SchemeSignalWireBodyHash Scheme = "signalwire-compat-bodysha256"
)

// Verifier verifies one request. It returns the matching key, or an error
// wrapping one of the package's sentinel errors. It checks ctx before each
// HMAC pass over the request, and stops with an error wrapping ctx.Err()
// once ctx is done. Implementations are safe for concurrent use.
type Verifier interface {
	Verify(ctx context.Context, r Request) (Match, error)
}

// ctxErr returns an error wrapping ctx.Err() when ctx is done, else nil. It
// is called before each HMAC pass, so that a request whose time is spent
// stops costing CPU.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("verify: stopped: %w", err)
	}
	return nil
}

// macPool hands out keyed HMAC states for one key and hash, reset to the
// keyed state, so that the hot path neither allocates nor re-derives the
// HMAC pads.
type macPool struct {
	pool sync.Pool
}

// mac is a pooled HMAC state with room for its output.
type mac struct {
	h   hash.Hash
	sum [64]byte
	buf []byte // scratch for writing strings without allocating
}

// writeURL writes URL candidate i to the MAC through a reused buffer.
func (m *mac) writeURL(c *urlCandidates, i int) {
	m.buf = c.appendURL(m.buf[:0], i)
	m.h.Write(m.buf)
}

func newMACPool(newHash func() hash.Hash, secret []byte) *macPool {
	p := &macPool{}
	p.pool.New = func() any { return &mac{h: hmac.New(newHash, secret)} }
	return p
}

func (p *macPool) get() *mac {
	m := p.pool.Get().(*mac)
	m.h.Reset()
	return m
}

func (p *macPool) put(m *mac) { p.pool.Put(m) }

// equal reports, in constant time, whether want is the MAC of the bytes
// written to m.
func (m *mac) equal(want []byte) bool {
	return hmac.Equal(m.h.Sum(m.sum[:0]), want)
}

// checkKeys validates a key set and drops later keys whose secret repeats an
// earlier one (a rotation can leave the same value under two stages), so a
// forged request costs one hash per distinct secret.
func checkKeys(keys []Key) ([]Key, error) {
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	out := make([]Key, 0, len(keys))
outer:
	for _, k := range keys {
		if len(k.Secret) == 0 {
			return nil, fmt.Errorf("%w: %q", ErrEmptyKey, k.Name)
		}
		for _, seen := range out {
			if string(seen.Secret) == string(k.Secret) {
				continue outer
			}
		}
		out = append(out, Key{Name: k.Name, Secret: append([]byte(nil), k.Secret...)})
	}
	return out, nil
}

// signatureHeader returns the single value of the first of names present in
// h, with surrounding white space removed. A header sent more than once is
// malformed: a genuine provider sends it once, and picking one of several
// would let a forger choose.
func signatureHeader(h http.Header, names ...string) (string, error) {
	for _, name := range names {
		vs := h.Values(name)
		if len(vs) == 0 {
			continue
		}
		if len(vs) > 1 {
			return "", fmt.Errorf("%w: %s sent %d times", ErrMalformedSignature, name, len(vs))
		}
		v := strings.TrimSpace(vs[0])
		if v == "" {
			return "", fmt.Errorf("%w: %s is empty", ErrMissingSignature, name)
		}
		return v, nil
	}
	return "", fmt.Errorf("%w: %s", ErrMissingSignature, names[0])
}
