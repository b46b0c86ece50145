package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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
// to url with body.
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
// form-encoded body whose parameters are signed. It fails with
// ErrMalformedBody when body is not a valid form.
func SignSignalWireCompat(secret []byte, url string, body []byte) (string, error) {
	m := hmac.New(sha1.New, secret)
	m.Write([]byte(url))
	if _, ok := queryParam(url, "bodySHA256"); !ok {
		f, err := parseForm(body)
		if err != nil {
			return "", err
		}
		for _, p := range f.params {
			m.Write(f.key(p))
			m.Write(f.value(p))
		}
		f.release()
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
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
