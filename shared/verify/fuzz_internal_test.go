package verify

import (
	"bytes"
	"errors"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// FuzzParseForm checks the form parser against net/url.ParseQuery, an
// independent implementation of the same grammar: a body the parser accepts
// is one ParseQuery accepts, with the same signed string. The parser refuses
// more (empty keys, keys longer than MaxFormKeyBytes or with other bytes
// than letters, digits, '_', '.' and '-', more than MaxFormParams
// parameters), and every refusal is ErrMalformedBody.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"", "a=1", "To=a&To=b", "b=2&a=1&b=1", "x=%2B1+2", "k", "=v", "a=%zz", "a=%2", "&&a=&", "é=😀", "a=1&A=2",
		"a=++++++++++%41%41%41", "a=%41bcdefgh%42", "a.b-c_d=x%2", "a=12345678%4", "k%41=v", "k+=v", "a=b=c",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parseForm(body)
		if err != nil {
			if !errors.Is(err, ErrMalformedBody) {
				t.Fatalf("err = %v, want ErrMalformedBody", err)
			}
			return
		}
		defer got.release()
		if len(got.params) > MaxFormParams {
			t.Fatalf("%d parameters accepted", len(got.params))
		}
		for _, p := range got.params {
			if k := got.key(p); len(k) == 0 || len(k) > MaxFormKeyBytes || bytes.ContainsFunc(k, func(r rune) bool { return r >= 256 || !keyByte[r] }) {
				t.Fatalf("key %q accepted", k)
			}
		}
		if bytes.IndexByte(body, ';') >= 0 {
			return // net/url refuses ';', which SignalWire never sends; we treat it as data
		}
		want, werr := url.ParseQuery(string(body))
		if werr != nil {
			t.Fatalf("parseForm accepted %q, url.ParseQuery refuses it: %v", body, werr)
		}
		keys := make([]string, 0, len(want))
		for k := range want {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var oracle strings.Builder
		for _, k := range keys {
			for _, v := range want[k] {
				oracle.WriteString(k + v)
			}
		}
		var mine bytes.Buffer
		for _, p := range got.params {
			mine.Write(got.key(p))
			mine.Write(got.value(p))
		}
		if mine.String() != oracle.String() {
			t.Fatalf("signed parameters = %q, want %q", mine.String(), oracle.String())
		}
	})
}

// FuzzUnescapeValue checks the value decoder against net/url.QueryUnescape:
// same refusals and same bytes, for a value inside a longer body, short or
// long (the fuzzer's value repeated, decoded in blocks).
func FuzzUnescapeValue(f *testing.F) {
	for _, s := range []string{"", "+", "%41", "abcdefgh", "abcdefg%41+++++++", "%4", "%%41", "12345678%zz", "a+b%2Bc%2bd++++++++x", "%41%41%41%41%41%41"} {
		f.Add([]byte(s), uint8(3), uint16(1))
	}
	f.Add([]byte("x%41+"), uint8(0), uint16(3000))
	f.Add([]byte("%41xxxxx%"), uint8(1), uint16(2000))
	f.Fuzz(func(t *testing.T, value []byte, pad uint8, reps uint16) {
		if bytes.IndexByte(value, ';') >= 0 {
			return
		}
		value = bytes.Repeat(value, int(min(reps, 1<<14)))
		got, ok := decodeOne(value, int(pad))
		want, err := url.QueryUnescape(string(value))
		if ok != (err == nil) {
			t.Fatalf("decoding %.40q... ok = %v, url.QueryUnescape err = %v", value, ok, err)
		}
		if ok && string(got) != want {
			t.Fatalf("decoding %.40q... = %.40q..., want %.40q...", value, got, want)
		}
	})
}

// FuzzFormPattern feeds long bodies made of one short pattern repeated, the
// shape of a forged body meant to be costly: the parser never panics, never
// returns more parameters than MaxFormParams or more bytes than the body,
// and refuses only with ErrMalformedBody.
func FuzzFormPattern(f *testing.F) {
	for _, s := range []string{"+", "%41", "&", "=", "a=&", "a=", "a=%41x", "aaaaaaa", "a=+", "%", "a=1&b"} {
		f.Add(s, uint16(40000))
	}
	f.Fuzz(func(t *testing.T, pattern string, reps uint16) {
		if pattern == "" {
			return
		}
		body := bytes.Repeat([]byte(pattern), min(int(reps), (64<<10)/len(pattern)+1))
		for _, prefix := range []string{"", "a=", "Body="} {
			in := append([]byte(prefix), body...)
			got, err := parseForm(in)
			if err != nil {
				if !errors.Is(err, ErrMalformedBody) {
					t.Fatalf("err = %v, want ErrMalformedBody", err)
				}
				continue
			}
			if len(got.params) > MaxFormParams || len(got.buf) > len(in) {
				t.Fatalf("%d parameters, %d bytes from a body of %d", len(got.params), len(got.buf), len(in))
			}
			got.release()
		}
	})
}

// FuzzCandidates checks that URL variants never panic, start with the URL as
// given, stay distinct and bounded, and differ from it only in port or
// credentials.
func FuzzCandidates(f *testing.F) {
	for _, s := range []string{
		"https://example.com/a?b=c", "http://example.com:80/", "https://u:p@example.com:443/x#y",
		"https://[::1]:443/x", "https://[::1]/x", "ftp://h:21/", "https://h:8443?q", "://x", "https://", "x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		c, err := candidates(u)
		if err != nil {
			if !errors.Is(err, ErrMalformedURL) {
				t.Fatalf("err = %v, want ErrMalformedURL", err)
			}
			return
		}
		urls := make([]string, c.n)
		for i := range urls {
			urls[i] = string(c.appendURL(nil, i))
		}
		if c.n < 1 || c.n > 4 || urls[0] != u || c.names[0] != URLAsGiven {
			t.Fatalf("candidates(%q) = %+v", u, c)
		}
		p0, _ := splitURL(u)
		for i := 0; i < c.n; i++ {
			for j := i + 1; j < c.n; j++ {
				if urls[i] == urls[j] {
					t.Fatalf("duplicate candidate %q", urls[i])
				}
			}
			p, err := splitURL(urls[i])
			if err != nil {
				t.Fatalf("candidate %q does not split: %v", urls[i], err)
			}
			if p.scheme != p0.scheme || p.host != p0.host || p.rest != p0.rest {
				t.Fatalf("candidate %q changed more than port or credentials of %q", urls[i], u)
			}
		}
		if v, ok := queryParam(u, "bodySHA256"); ok && strings.ContainsAny(v, "&#") {
			t.Fatalf("query value %q runs past its parameter", v)
		}
	})
}
