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
// independent implementation of the same grammar: both accept and refuse
// the same bodies, and produce the same signed string.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"", "a=1", "To=a&To=b", "b=2&a=1&b=1", "x=%2B1+2", "k", "=v", "a=%zz", "a=%2", "&&a=&", "é=😀", "a=1&A=2",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parseForm(body)
		if bytes.IndexByte(body, ';') >= 0 {
			return // net/url refuses ';', which SignalWire never sends; we treat it as data
		}
		want, werr := url.ParseQuery(string(body))
		if (err != nil) != (werr != nil) {
			t.Fatalf("parseForm err = %v, url.ParseQuery err = %v", err, werr)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformedBody) {
				t.Fatalf("err = %v, want ErrMalformedBody", err)
			}
			return
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
		defer got.release()
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
