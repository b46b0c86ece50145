package verify

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
)

// MaxFormParams is the largest number of parameters a SignalWire form body
// may carry. SignalWire sends a few dozen; a body with more is refused with
// ErrMalformedBody before any key is tried, so that no sender can make the
// sorting and hashing of parameters cost more than the body's bytes.
const MaxFormParams = 256

// MaxFormKeyBytes is the longest form key accepted. SignalWire's keys are
// parameter names of a few dozen bytes at most.
const MaxFormKeyBytes = 128

// formParam is one key and decoded value, as offsets into form.buf.
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

// maxPooledForm is the largest buffer kept for reuse: room for the largest
// body a function accepts, so that a stream of large forms does not
// allocate one buffer each.
const maxPooledForm = 2 << 20

// release returns f to the pool; f must not be used afterwards.
func (f *form) release() {
	if cap(f.buf) > maxPooledForm {
		return
	}
	formPool.Put(f)
}

// parseForm decodes body in time linear in its length. Pairs are separated
// by '&' only, and empty pairs are skipped. A key is the raw, undecoded
// bytes before the first '=' of its pair: it must be 1 to MaxFormKeyBytes
// ASCII letters, digits, '_', '.' and '-' (no escape). A value is
// form-decoded: '+' is a space and '%' must be followed by two hex digits. A
// pair without '=' is a key with an empty value. More than MaxFormParams
// parameters, or a key or escape that breaks these rules, is
// ErrMalformedBody.
func parseForm(body []byte) (*form, error) {
	f := formPool.Get().(*form)
	f.params = f.params[:0]
	if cap(f.buf) < len(body) {
		f.buf = make([]byte, len(body))
	}
	// Keys and values are written to out no further than they are read
	// from body.
	out := f.buf[:len(body)]
	j := 0
	for i := 0; i < len(body); {
		if body[i] == '&' {
			i++
			continue
		}
		if len(f.params) == MaxFormParams {
			f.release()
			return nil, fmt.Errorf("%w: more than %d parameters", ErrMalformedBody, MaxFormParams)
		}
		k0 := i
		for i < len(body) && i-k0 <= MaxFormKeyBytes && keyByte[body[i]] {
			i++
		}
		if i == k0 || i-k0 > MaxFormKeyBytes || i < len(body) && body[i] != '=' && body[i] != '&' {
			f.release()
			return nil, fmt.Errorf("%w: a key is empty, longer than %d bytes or not made of letters, digits, '_', '.' and '-'", ErrMalformedBody, MaxFormKeyBytes)
		}
		p := formParam{k0: j}
		j += copy(out[j:], body[k0:i])
		p.k1, p.v0 = j, j
		if i < len(body) && body[i] == '=' {
			i++
			end := bytes.IndexByte(body[i:], '&')
			if end < 0 {
				end = len(body)
			} else {
				end += i
			}
			var ok bool
			if j, ok = unescapeValue(out, body, i, end, j); !ok {
				f.release()
				return nil, fmt.Errorf("%w: bad escape", ErrMalformedBody)
			}
			i = end
		}
		p.v1 = j
		f.params = append(f.params, p)
	}
	f.buf = out[:j]
	slices.SortStableFunc(f.params, func(a, b formParam) int {
		return bytes.Compare(f.buf[a.k0:a.k1], f.buf[b.k0:b.k1])
	})
	return f, nil
}

func (f *form) key(p formParam) []byte   { return f.buf[p.k0:p.k1] }
func (f *form) value(p formParam) []byte { return f.buf[p.v0:p.v1] }

// keyByte tells the bytes a form key may hold.
var keyByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
	}
	return t
}()
