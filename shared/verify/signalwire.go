package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
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
// The URL is the one the provider requested, exactly as configured there.
// It is tried as given, then with the standard port (":443" for https, ":80"
// for http) added or removed, and, when it carries basic-auth credentials,
// without them; it is never parsed and re-encoded.
//
// The compatibility scheme is strict: a signature over the URL alone never
// authenticates a non-empty body that has no bodySHA256 (ErrUnsignedBody).
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
	keys, err := checkKeys(keys)
	if err != nil {
		return nil, err
	}
	v := &SignalWire{}
	for _, k := range keys {
		v.keys = append(v.keys, signalWireKey{
			name:   k.Name,
			sha1:   newMACPool(sha1.New, k.Secret),
			sha256: newMACPool(sha256.New, k.Secret),
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

// Verify checks r's SignalWire signature against r.URL and r.Body.
func (v *SignalWire) Verify(r Request) (Match, error) {
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
	if sig.json {
		return v.verifyJSON(r, &sig, &urls)
	}
	return v.verifyCompat(r, &sig, &urls)
}

func (v *SignalWire) verifyJSON(r Request, sig *signalWireSignature, urls *urlCandidates) (Match, error) {
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
			if !macOf(k.sha1, sig.sum[:], urls, i, r.Body) {
				continue
			}
			if has256 && !macOf(k.sha256, want256[:], urls, i, r.Body) {
				return Match{}, fmt.Errorf("%w: key %s", ErrSHA256Mismatch, k.name)
			}
			return Match{Key: k.name, Scheme: SchemeSignalWireJSON, URLVariant: urls.names[i]}, nil
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

func (v *SignalWire) verifyCompat(r Request, sig *signalWireSignature, urls *urlCandidates) (Match, error) {
	if h, ok := queryParam(r.URL, "bodySHA256"); ok {
		for _, k := range v.keys {
			for i := 0; i < urls.n; i++ {
				if !macOf(k.sha1, sig.sum[:], urls, i, nil) {
					continue
				}
				if !bodyHashEqual(h, r.Body) {
					return Match{}, ErrBodyHashMismatch
				}
				return Match{Key: k.name, Scheme: SchemeSignalWireBodyHash, URLVariant: urls.names[i]}, nil
			}
		}
		return Match{}, ErrNoMatch
	}
	f, err := parseForm(r.Body)
	if err != nil {
		return Match{}, err
	}
	defer f.release()
	for _, k := range v.keys {
		for i := 0; i < urls.n; i++ {
			m := k.sha1.get()
			m.writeURL(urls, i)
			for _, p := range f.params {
				m.h.Write(f.key(p))
				m.h.Write(f.value(p))
			}
			ok := m.equal(sig.sum[:])
			k.sha1.put(m)
			if ok {
				return Match{Key: k.name, Scheme: SchemeSignalWireForm, URLVariant: urls.names[i]}, nil
			}
		}
	}
	if len(f.params) > 0 {
		// Tell a signature over the URL alone apart from a forgery, so
		// the refusal names its real cause.
		for _, k := range v.keys {
			for i := 0; i < urls.n; i++ {
				if macOf(k.sha1, sig.sum[:], urls, i, nil) {
					return Match{}, ErrUnsignedBody
				}
			}
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
