package verify

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
)

// SignalWire verifies SignalWire webhooks signed with the project's Signing
// Key. The X-SignalWire-Signature header (or its alias X-Twilio-Signature)
// selects the scheme by its encoding:
//
//   - 40 hex digits: the JSON scheme of RELAY, SWML and Call Fabric, the
//     HMAC-SHA1 of the URL immediately followed by the raw body. When
//     X-SignalWire-SHA256-Signature is present it must match too: the hex
//     HMAC-SHA256 of the same string, with the same key.
//   - 28 base64 characters: the compatibility (cXML/LaML) scheme, the
//     HMAC-SHA1 of the URL followed by every form parameter as key then
//     value, sorted by key in byte order, repeated keys in the order
//     submitted, values form-decoded. When the URL carries a bodySHA256
//     query parameter the signature covers the URL alone and the hex
//     SHA-256 of the raw body must equal bodySHA256.
//
// Each scheme authenticates one shape of request, so that a signature
// re-encoded from one scheme to the other is refused (ErrSchemeMismatch)
// before any hashing:
//
//   - a compatibility signature, a form body (Content-Type
//     application/x-www-form-urlencoded, any case, parameters ignored), or
//     any body when the URL carries bodySHA256;
//   - a JSON-scheme signature, a body that is not a form and is a JSON
//     object or array (so never an empty body, whose HMAC both schemes
//     share).
//
// A form's keys must be non-empty and made of ASCII letters, digits, '_',
// '.' and '-', undecoded, and a form carries at most MaxFormParams
// parameters; any other form is refused with ErrMalformedBody before any key
// is tried. Parsing is linear in the body's length.
//
// The URL is the one the provider requested, exactly as configured there.
// It is tried as given, then with the standard port (":443" for https, ":80"
// for http) added or removed, and, when it carries basic-auth credentials,
// without them; it is never parsed and re-encoded.
//
// The compatibility scheme is strict: a signature over the URL alone never
// authenticates a non-empty body that has no bodySHA256, whatever the body
// parses to (a body of separators such as "&&" included): ErrUnsignedBody.
type SignalWire struct {
	keys []signalWireKey
}

type signalWireKey struct {
	name         string
	sha1, sha256 *macPool
}

// NewSignalWire returns a SignalWire verifier that tries keys in order. It
// fails with ErrNoKeys or ErrEmptyKey rather than build a verifier that
// accepts anything.
func NewSignalWire(keys ...Key) (*SignalWire, error) {
	return newSignalWire(sha1.New, sha256.New, keys)
}

func newSignalWire(newSHA1, newSHA256 func() hash.Hash, keys []Key) (*SignalWire, error) {
	keys, err := checkKeys(keys)
	if err != nil {
		return nil, err
	}
	v := &SignalWire{}
	for _, k := range keys {
		v.keys = append(v.keys, signalWireKey{
			name:   k.Name,
			sha1:   newMACPool(newSHA1, k.Secret),
			sha256: newMACPool(newSHA256, k.Secret),
		})
	}
	return v, nil
}

// signalWireSignature is a decoded X-SignalWire-Signature.
type signalWireSignature struct {
	json bool // hex: the JSON scheme; else base64: the compatibility scheme
	sum  [sha1.Size]byte
}

func parseSignalWireSignature(s string) (signalWireSignature, error) {
	var sig signalWireSignature
	switch len(s) {
	case hex.EncodedLen(sha1.Size):
		if _, err := hex.Decode(sig.sum[:], []byte(s)); err != nil {
			return sig, fmt.Errorf("%w: %s is not hex", ErrMalformedSignature, HeaderSignalWire)
		}
		sig.json = true
	case base64.StdEncoding.EncodedLen(sha1.Size):
		var buf [sha1.Size + 2]byte
		n, err := base64.StdEncoding.Decode(buf[:], []byte(s))
		if err != nil || n != sha1.Size {
			return sig, fmt.Errorf("%w: %s is not base64", ErrMalformedSignature, HeaderSignalWire)
		}
		copy(sig.sum[:], buf[:n])
	default:
		return sig, fmt.Errorf("%w: %s has %d characters", ErrMalformedSignature, HeaderSignalWire, len(s))
	}
	return sig, nil
}

// Verify checks r's SignalWire signature against r.URL and r.Body, after
// checking that the signature's scheme fits the request's shape (see
// SignalWire). ctx is checked before each HMAC pass.
func (v *SignalWire) Verify(ctx context.Context, r Request) (Match, error) {
	s, err := signatureHeader(r.Header, HeaderSignalWire, HeaderTwilio)
	if err != nil {
		return Match{}, err
	}
	sig, err := parseSignalWireSignature(s)
	if err != nil {
		return Match{}, err
	}
	urls, err := candidates(r.URL)
	if err != nil {
		return Match{}, err
	}
	form, single := formRequest(r.Header)
	if sig.json {
		switch {
		case !single || form:
			return Match{}, fmt.Errorf("%w: a JSON-scheme (hex) signature on a form body", ErrSchemeMismatch)
		case !isJSONBody(r.Body):
			return Match{}, fmt.Errorf("%w: a JSON-scheme (hex) signature on a body that is empty or not JSON", ErrSchemeMismatch)
		}
		return v.verifyJSON(ctx, r, &sig, &urls)
	}
	if h, ok := queryParam(r.URL, "bodySHA256"); ok {
		return v.verifyBodyHash(ctx, r, h, &sig, &urls)
	}
	if !single || !form {
		return Match{}, fmt.Errorf("%w: a compatibility (base64) signature on a body that is not a form, without bodySHA256", ErrSchemeMismatch)
	}
	return v.verifyForm(ctx, r, &sig, &urls)
}

// formRequest reports whether the request's one Content-Type names a form;
// single is false when Content-Type is repeated, a shape no scheme claims.
func formRequest(h http.Header) (form, single bool) {
	vs := h.Values("Content-Type")
	switch len(vs) {
	case 0:
		return false, true
	case 1:
		return IsForm(vs[0]), true
	}
	return false, false
}

// IsForm reports whether a Content-Type header names a form body: its media
// type, before any ';' and parameters, is application/x-www-form-urlencoded
// in any case.
func IsForm(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded")
}

// isJSONBody reports whether body can be a JSON-scheme body: a JSON object
// or array, after optional JSON white space. A form's signed string starts
// with a key, never with '{' or '[', so a compatibility signature re-encoded
// as hex cannot pass with a body made of that string.
func isJSONBody(body []byte) bool {
	for _, c := range body {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

// HasBodySHA256 reports whether url carries the bodySHA256 query parameter,
// which makes a compatibility signature cover the URL alone and the body
// through its hash.
func HasBodySHA256(url string) bool {
	_, ok := queryParam(url, "bodySHA256")
	return ok
}

func (v *SignalWire) verifyJSON(ctx context.Context, r Request, sig *signalWireSignature, urls *urlCandidates) (Match, error) {
	var want256 [sha256.Size]byte
	has256 := len(r.Header.Values(HeaderSignalWireSHA256)) > 0
	if has256 {
		// Present, the companion must be one well-formed signature.
		s, err := signatureHeader(r.Header, HeaderSignalWireSHA256)
		if err != nil || len(s) != hex.EncodedLen(sha256.Size) {
			return Match{}, fmt.Errorf("%w: %s", ErrMalformedSignature, HeaderSignalWireSHA256)
		}
		if _, err := hex.Decode(want256[:], []byte(s)); err != nil {
			return Match{}, fmt.Errorf("%w: %s is not hex", ErrMalformedSignature, HeaderSignalWireSHA256)
		}
	}
	for _, k := range v.keys {
		for i := 0; i < urls.n; i++ {
			if err := ctxErr(ctx); err != nil {
				return Match{}, err
			}
			if !macOf(k.sha1, sig.sum[:], urls, i, r.Body) {
				continue
			}
			if has256 && !macOf(k.sha256, want256[:], urls, i, r.Body) {
				return Match{}, fmt.Errorf("%w: key %s", ErrSHA256Mismatch, k.name)
			}
			return Match{Key: k.name, Scheme: SchemeSignalWireJSON, URLVariant: urls.names[i], Digest: sha256.Sum256(sig.sum[:])}, nil
		}
	}
	return Match{}, ErrNoMatch
}

// macOf reports whether want is the MAC of URL candidate i followed by body.
func macOf(p *macPool, want []byte, urls *urlCandidates, i int, body []byte) bool {
	m := p.get()
	m.writeURL(urls, i)
	m.h.Write(body)
	ok := m.equal(want)
	p.put(m)
	return ok
}

// urlOnly returns the name of the key whose signature over one URL candidate
// alone is sig, or "".
func (v *SignalWire) urlOnly(ctx context.Context, sig *signalWireSignature, urls *urlCandidates) (string, URLVariant, error) {
	for _, k := range v.keys {
		for i := 0; i < urls.n; i++ {
			if err := ctxErr(ctx); err != nil {
				return "", "", err
			}
			if macOf(k.sha1, sig.sum[:], urls, i, nil) {
				return k.name, urls.names[i], nil
			}
		}
	}
	return "", "", nil
}

func (v *SignalWire) verifyBodyHash(ctx context.Context, r Request, hexSum string, sig *signalWireSignature, urls *urlCandidates) (Match, error) {
	key, variant, err := v.urlOnly(ctx, sig, urls)
	switch {
	case err != nil:
		return Match{}, err
	case key == "":
		return Match{}, ErrNoMatch
	case !bodyHashEqual(hexSum, r.Body):
		return Match{}, ErrBodyHashMismatch
	}
	return Match{Key: key, Scheme: SchemeSignalWireBodyHash, URLVariant: variant, Digest: sha256.Sum256(sig.sum[:])}, nil
}

func (v *SignalWire) verifyForm(ctx context.Context, r Request, sig *signalWireSignature, urls *urlCandidates) (Match, error) {
	f, err := parseForm(r.Body)
	if err != nil {
		return Match{}, err
	}
	defer f.release()
	// A body with no parameter (empty, or only separators) signs as the
	// URL alone; only an empty body may.
	if len(f.params) > 0 || len(r.Body) == 0 {
		for _, k := range v.keys {
			for i := 0; i < urls.n; i++ {
				if err := ctxErr(ctx); err != nil {
					return Match{}, err
				}
				m := k.sha1.get()
				m.writeURL(urls, i)
				for _, p := range f.params {
					m.h.Write(f.key(p))
					m.h.Write(f.value(p))
				}
				ok := m.equal(sig.sum[:])
				k.sha1.put(m)
				if ok {
					return Match{Key: k.name, Scheme: SchemeSignalWireForm, URLVariant: urls.names[i], Digest: sha256.Sum256(sig.sum[:])}, nil
				}
			}
		}
	}
	if len(r.Body) > 0 {
		// Tell a signature over the URL alone apart from a forgery, so
		// the refusal names its real cause.
		key, _, err := v.urlOnly(ctx, sig, urls)
		if err != nil {
			return Match{}, err
		}
		if key != "" {
			return Match{}, ErrUnsignedBody
		}
	}
	return Match{}, ErrNoMatch
}

// bodyHashEqual reports, in constant time, whether hexSum is the hex
// SHA-256 of body.
func bodyHashEqual(hexSum string, body []byte) bool {
	var want [sha256.Size]byte
	if len(hexSum) != hex.EncodedLen(sha256.Size) {
		return false
	}
	if _, err := hex.Decode(want[:], []byte(hexSum)); err != nil {
		return false
	}
	got := sha256.Sum256(body)
	return hmac.Equal(got[:], want[:])
}
