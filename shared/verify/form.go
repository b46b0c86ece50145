package verify

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
)

// formParam is one decoded key and value, as offsets into form.buf.
type formParam struct {
	k0, k1, v0, v1 int
}

// form is an application/x-www-form-urlencoded body decoded into one buffer,
// with its parameters sorted by key (byte order) and repeated keys kept in
// the order they were submitted, which is the order SignalWire signs.
type form struct {
	buf    []byte
	params []formParam
}

var formPool = sync.Pool{New: func() any { return new(form) }}

// release returns f to the pool; f must not be used afterwards. Buffers
// grown past 1 MiB are dropped rather than kept alive.
func (f *form) release() {
	if cap(f.buf) > 1<<20 {
		return
	}
	formPool.Put(f)
}

// parseForm decodes body. Pairs are separated by '&' only; '+' is a space;
// a '%' must be followed by two hex digits; a pair without '=' is a key with
// an empty value; empty pairs are skipped.
func parseForm(body []byte) (*form, error) {
	f := formPool.Get().(*form)
	f.buf, f.params = f.buf[:0], f.params[:0]
	for len(body) > 0 {
		var pair []byte
		pair, body, _ = bytes.Cut(body, []byte{'&'})
		if len(pair) == 0 {
			continue
		}
		k, v, _ := bytes.Cut(pair, []byte{'='})
		var p formParam
		var err error
		p.k0 = len(f.buf)
		if f.buf, err = unescapeForm(f.buf, k); err != nil {
			f.release()
			return nil, err
		}
		p.k1, p.v0 = len(f.buf), len(f.buf)
		if f.buf, err = unescapeForm(f.buf, v); err != nil {
			f.release()
			return nil, err
		}
		p.v1 = len(f.buf)
		f.params = append(f.params, p)
	}
	slices.SortStableFunc(f.params, func(a, b formParam) int {
		return bytes.Compare(f.buf[a.k0:a.k1], f.buf[b.k0:b.k1])
	})
	return f, nil
}

func (f *form) key(p formParam) []byte   { return f.buf[p.k0:p.k1] }
func (f *form) value(p formParam) []byte { return f.buf[p.v0:p.v1] }

// unescapeForm appends the form-decoded s to dst, copying the runs between
// escapes in one piece.
func unescapeForm(dst, s []byte) ([]byte, error) {
	for len(s) > 0 {
		i := indexEscape(s)
		if i < 0 {
			return append(dst, s...), nil
		}
		dst = append(dst, s[:i]...)
		if s[i] == '+' {
			dst = append(dst, ' ')
			s = s[i+1:]
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return dst, fmt.Errorf("%w: bad escape", ErrMalformedBody)
		}
		dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
		s = s[i+3:]
	}
	return dst, nil
}

// indexEscape returns the index of the first '%' or '+' in s, or -1. Two
// vectorised IndexByte scans beat one byte-at-a-time IndexAny.
func indexEscape(s []byte) int {
	pct, plus := bytes.IndexByte(s, '%'), bytes.IndexByte(s, '+')
	switch {
	case pct < 0:
		return plus
	case plus < 0 || pct < plus:
		return pct
	default:
		return plus
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}
