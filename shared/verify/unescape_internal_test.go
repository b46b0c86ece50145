package verify

import (
	"math/rand"
	"net/url"
	"strings"
	"testing"
)

// TestUnescapeValueMatchesQueryUnescape checks values of every length up
// to 20 KiB, decoded in 64-byte blocks and then byte by byte, against
// net/url.QueryUnescape: random mixes of plain bytes, '+' and escapes, with
// now and then a bad escape, wherever it falls (inside a block, across two,
// in the last bytes).
func TestUnescapeValueMatchesQueryUnescape(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewSource(9))
	tokens := []string{"x", "+", "%41", "%2b", "%", "&", "ab", "%F0%9F%98%80"}
	for round := 0; round < 200; round++ {
		var b strings.Builder
		n := rnd.Intn(20 << 10)
		weights := rnd.Perm(len(tokens))[:1+rnd.Intn(len(tokens)-1)]
		for b.Len() < n {
			tok := tokens[weights[rnd.Intn(len(weights))]]
			if tok == "%" {
				if rnd.Intn(400) != 0 { // now and then, a bad escape
					continue
				}
				tok = "%g0"
			}
			if tok == "&" {
				tok = "%26"
			}
			b.WriteString(tok)
		}
		value := b.String()
		got, ok := decodeOne([]byte(value), 4)
		want, err := url.QueryUnescape(value)
		if ok != (err == nil) {
			t.Fatalf("round %d (%d bytes): ok = %v, url.QueryUnescape err = %v", round, len(value), ok, err)
		}
		if ok && string(got) != want {
			t.Fatalf("round %d (%d bytes): decoded bytes differ from url.QueryUnescape", round, len(value))
		}
	}
}

// decodeOne decodes value as a form value after a key of pad bytes and
// before another pair, and returns the decoded bytes.
func decodeOne(value []byte, pad int) ([]byte, bool) {
	src := append(append([]byte(strings.Repeat("k", pad)+"="), value...), "&z=%zz"...)
	dst := make([]byte, len(src))
	j, ok := unescapeValue(dst, src, pad+1, pad+1+len(value), pad/2)
	if !ok {
		return nil, false
	}
	return dst[pad/2 : j], true
}
