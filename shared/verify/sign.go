package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// SignWebex returns the X-Spark-Signature value Webex sends for body.
func SignWebex(secret, body []byte) string {
	m := hmac.New(sha1.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SignQiscus returns the QISCUS-SDK-SIGNATURE value Qiscus sends for body.
func SignQiscus(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SignSignalWireJSON returns the X-SignalWire-Signature and
// X-SignalWire-SHA256-Signature values SignalWire sends for a JSON webhook
// to url with body. The verifier accepts them only with a body that is a
// JSON object or array and not a form; SignSignalWire checks that.
func SignSignalWireJSON(secret []byte, url string, body []byte) (sha1Hex, sha256Hex string) {
	m1 := hmac.New(sha1.New, secret)
	m1.Write([]byte(url))
	m1.Write(body)
	m2 := hmac.New(sha256.New, secret)
	m2.Write([]byte(url))
	m2.Write(body)
	return hex.EncodeToString(m1.Sum(nil)), hex.EncodeToString(m2.Sum(nil))
}

// SignSignalWireCompat returns the X-SignalWire-Signature value SignalWire
// sends for a compatibility (cXML) webhook to url. When url carries
// bodySHA256 the signature covers the URL alone; otherwise body is a
// form-encoded body whose parameters are signed, under the rules the
// verifier keeps: it fails with ErrMalformedBody when body is not such a
// form, and with ErrUnsignedBody when a non-empty body holds no parameter
// (its signature would cover the URL alone).
func SignSignalWireCompat(secret []byte, url string, body []byte) (string, error) {
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(url))
	if !HasBodySHA256(url) {
		f, err := parseForm(body)
		if err != nil {
			return "", err
		}
		if len(f.params) == 0 && len(body) > 0 {
			f.release()
			return "", fmt.Errorf("%w: a body of separators only", ErrUnsignedBody)
		}
		for _, p := range f.params {
			m.Write(f.key(p))
			m.Write(f.value(p))
		}
		f.release()
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// SignSignalWire returns the signature headers SignalWire sends for a
// request to url with body of contentType, choosing the scheme the verifier
// expects for that shape: the compatibility scheme for a form, or for any
// body when url carries bodySHA256; the JSON scheme (both headers) for a
// JSON object or array. Any other shape, an empty non-form body for one, is
// refused with ErrSchemeMismatch: no scheme would authenticate it.
func SignSignalWire(secret []byte, url, contentType string, body []byte) (http.Header, error) {
	if IsForm(contentType) || HasBodySHA256(url) {
		s, err := SignSignalWireCompat(secret, url, body)
		if err != nil {
			return nil, err
		}
		return http.Header{HeaderSignalWire: {s}}, nil
	}
	if !isJSONBody(body) {
		return nil, fmt.Errorf("%w: a body that is neither a form nor JSON", ErrSchemeMismatch)
	}
	s1, s256 := SignSignalWireJSON(secret, url, body)
	return http.Header{HeaderSignalWire: {s1}, HeaderSignalWireSHA256: {s256}}, nil
}

// WithBodySHA256 returns url with the bodySHA256 query parameter that
// SignalWire adds when it posts a JSON body on the compatibility surface.
func WithBodySHA256(url string, body []byte) string {
	sum := sha256.Sum256(body)
	frag := ""
	if i := strings.IndexByte(url, '#'); i >= 0 {
		url, frag = url[:i], url[i:]
	}
	sep := "?"
	if _, rest, ok := strings.Cut(url, "://"); ok && strings.Contains(rest, "?") || !ok && strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "bodySHA256=" + hex.EncodeToString(sum[:]) + frag
}
