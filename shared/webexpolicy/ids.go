package webexpolicy

import (
	"strings"

	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// personKey returns the key comparing person ids: the UUID of a PEOPLE id
// or of a bare UUID (see webexapi.ParseID), else the id itself, marked so
// the two kinds never collide.
func personKey(id string) string { return idKey(id, "PEOPLE") }

// orgKey returns the key comparing organisation ids, as personKey does.
func orgKey(id string) string { return idKey(id, "ORGANIZATION") }

func idKey(id, typ string) string {
	if t, uuid, ok := webexapi.ParseID(id); ok && (t == "" || t == typ) {
		return uuid
	}
	return "id:" + id
}

// asciiLower folds ASCII letters only: no other character becomes an ASCII
// one (the Kelvin sign stays itself, it is not "k").
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// trimASCIISpace removes ASCII white space around a configured value.
func trimASCIISpace(s string) string {
	return strings.Trim(s, " \t\r\n\v\f")
}

// splitAddress splits an e-mail address with exactly one "@" and both
// sides non-empty.
func splitAddress(addr string) (local, domain string, ok bool) {
	at := strings.IndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || strings.IndexByte(addr[at+1:], '@') >= 0 {
		return "", "", false
	}
	return addr[:at], addr[at+1:], true
}
