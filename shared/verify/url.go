package verify

import (
	"fmt"
	"strings"
)

// URLVariant names the form of the URL that produced a SignalWire signature.
type URLVariant string

// URL variants, tried in this order. SignalWire's back end does not always
// sign the URL with the same port, so the official SDKs try the URL as given
// and with the standard port added or removed; message webhooks sign a URL
// that keeps basic-auth credentials while call webhooks drop them.
const (
	URLAsGiven                    URLVariant = "as-given"
	URLPortToggled                URLVariant = "port-toggled"
	URLWithoutUserinfo            URLVariant = "without-userinfo"
	URLWithoutUserinfoPortToggled URLVariant = "without-userinfo-port-toggled"
)

// urlCandidates lists the forms of one URL to try, never more than four.
// They are spliced from the given string, never parsed and re-encoded, so
// quotes, plus signs and escapes stay as the provider sent them; each is
// written out only when it is tried.
type urlCandidates struct {
	given string
	parts urlParts
	n     int
	names [4]URLVariant
}

// appendURL appends candidate i to dst.
func (c *urlCandidates) appendURL(dst []byte, i int) []byte {
	p := c.parts
	switch c.names[i] {
	case URLAsGiven:
		return append(dst, c.given...)
	case URLWithoutUserinfo:
		p.userinfo = ""
	case URLWithoutUserinfoPortToggled:
		p.userinfo = ""
		p, _ = p.togglePort()
	case URLPortToggled:
		p, _ = p.togglePort()
	}
	return p.appendTo(dst)
}

// urlParts locates the pieces of an absolute URL: scheme, userinfo (with its
// '@'), host, port (with its ':') and the rest (path, query, fragment).
type urlParts struct {
	scheme, userinfo, host, port, rest string
}

func splitURL(u string) (urlParts, error) {
	i := strings.Index(u, "://")
	if i <= 0 {
		return urlParts{}, fmt.Errorf("%w: no scheme", ErrMalformedURL)
	}
	if !validScheme(u[:i]) {
		return urlParts{}, fmt.Errorf("%w: bad scheme", ErrMalformedURL)
	}
	p := urlParts{scheme: u[:i]}
	auth := u[i+3:]
	if j := strings.IndexAny(auth, "/?#"); j >= 0 {
		auth, p.rest = auth[:j], auth[j:]
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		p.userinfo, auth = auth[:at+1], auth[at+1:]
	}
	p.host = auth
	if c := strings.LastIndexByte(auth, ':'); c >= 0 && !strings.Contains(auth[c:], "]") {
		p.host, p.port = auth[:c], auth[c:]
	}
	if p.host == "" {
		return urlParts{}, fmt.Errorf("%w: no host", ErrMalformedURL)
	}
	if strings.ContainsAny(p.host, ":[]") && (p.host[0] != '[' || p.host[len(p.host)-1] != ']' || strings.Count(p.host, "[")+strings.Count(p.host, "]") != 2) {
		return urlParts{}, fmt.Errorf("%w: bad host", ErrMalformedURL)
	}
	if p.port != "" && (len(p.port) == 1 || strings.Trim(p.port[1:], "0123456789") != "") {
		return urlParts{}, fmt.Errorf("%w: bad port", ErrMalformedURL)
	}
	if strings.ContainsAny(u, " \t\r\n") {
		return urlParts{}, fmt.Errorf("%w: white space", ErrMalformedURL)
	}
	return p, nil
}

// validScheme reports whether s is an RFC 3986 scheme: a letter, then
// letters, digits, '+', '-' or '.'.
func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

func (p urlParts) appendTo(dst []byte) []byte {
	dst = append(dst, p.scheme...)
	dst = append(dst, "://"...)
	dst = append(dst, p.userinfo...)
	dst = append(dst, p.host...)
	dst = append(dst, p.port...)
	return append(dst, p.rest...)
}

// togglePort returns p with the scheme's standard port added when absent or
// removed when present; ok is false for other schemes and ports.
func (p urlParts) togglePort() (urlParts, bool) {
	var std string
	switch strings.ToLower(p.scheme) {
	case "https":
		std = ":443"
	case "http":
		std = ":80"
	default:
		return p, false
	}
	switch p.port {
	case "":
		p.port = std
	case std:
		p.port = ""
	default:
		return p, false
	}
	return p, true
}

// candidates returns the forms of u to try, u itself first. They are
// distinct by construction: each differs from the others in port or
// credentials.
func candidates(u string) (urlCandidates, error) {
	p, err := splitURL(u)
	if err != nil {
		return urlCandidates{}, err
	}
	c := urlCandidates{given: u, parts: p, n: 1, names: [4]URLVariant{URLAsGiven}}
	_, toggles := p.togglePort()
	if toggles {
		c.names[c.n] = URLPortToggled
		c.n++
	}
	if p.userinfo != "" {
		c.names[c.n] = URLWithoutUserinfo
		c.n++
		if toggles {
			c.names[c.n] = URLWithoutUserinfoPortToggled
			c.n++
		}
	}
	return c, nil
}

// queryParam returns the raw value of the first query parameter named name
// in u, looking between '?' and any '#'.
func queryParam(u, name string) (string, bool) {
	q := u
	if i := strings.IndexByte(q, '?'); i >= 0 {
		q = q[i+1:]
	} else {
		return "", false
	}
	if i := strings.IndexByte(q, '#'); i >= 0 {
		q = q[:i]
	}
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}
