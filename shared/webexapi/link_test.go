package webexapi

import (
	"net/url"
	"testing"
	"time"
)

func TestNextLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		want   string
	}{
		{"reads Webex's next link", `<https://webexapis.com/v1/webhooks?max=100&cursor=abc>; rel="next"`, "https://webexapis.com/v1/webhooks?max=100&cursor=abc"},
		{"finds next among other relations", `<https://a/prev>; rel="prev", <https://a/next>; rel="next"`, "https://a/next"},
		{"reads an unquoted relation", `<https://a/next>; rel=next`, "https://a/next"},
		{"reads a relation list", `<https://a/next>; title="x"; rel="next last"`, "https://a/next"},
		{"ignores a link without next", `<https://a/first>; rel="first"`, ""},
		{"ignores a header without a target", `rel="next"`, ""},
		{"ignores an unterminated target", `<https://a/next; rel="next"`, ""},
		{"ignores an empty header", ``, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := nextLink(tc.header); got != tc.want {
				t.Fatalf("nextLink(%q) = %q, want %q", tc.header, got, tc.want)
			}
		})
	}
}

func TestNextPageRepairsMaxNull(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://webexapis.com")
	cur, _ := url.Parse("https://webexapis.com/v1/webhooks?max=100")
	u, err := nextPage(base, cur, []string{`<https://webexapis.com/v1/webhooks?cursor=abc&max=null>; rel="next"`})
	if err != nil || u.Query().Get("max") != "100" || u.Query().Get("cursor") != "abc" {
		t.Fatalf("nextPage = %v, %v", u, err)
	}
	u, err = nextPage(base, cur, []string{`</v1/webhooks?cursor=def>; rel="next"`})
	if err != nil || u.String() != "https://webexapis.com/v1/webhooks?cursor=def" {
		t.Fatalf("relative link: %v, %v", u, err)
	}
	if u, err = nextPage(base, cur, []string{`<https://WEBEXAPIS.com:443/v1/webhooks?cursor=x>; rel="next"`}); err != nil {
		t.Fatalf("the same origin spelt differently: %v, %v", u, err)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		want   time.Duration
	}{
		{"reads seconds", "30", 30 * time.Second},
		{"reads zero", "0", 0},
		{"defaults when missing", "", DefaultRetryAfter},
		{"defaults when malformed", "soon", DefaultRetryAfter},
		{"defaults when negative", "-5", DefaultRetryAfter},
		{"caps a huge value", "99999999999", 24 * time.Hour},
		{"reads a date in the past as now", "Mon, 02 Jan 2006 15:04:05 GMT", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := retryAfter(tc.header); got != tc.want {
				t.Fatalf("retryAfter(%q) = %s, want %s", tc.header, got, tc.want)
			}
		})
	}
}

// FuzzNextPage feeds arbitrary Link headers: the next page is always
// within the API's origin, or there is none.
func FuzzNextPage(f *testing.F) {
	f.Add(`<https://webexapis.com/v1/webhooks?max=100&cursor=abc>; rel="next"`)
	f.Add(`<https://evil.example/v1/webhooks>; rel="next"`)
	f.Add(`</v1/webhooks?max=null>; rel=next, <//evil.example/x>; rel="prev"`)
	f.Add(`<https://webexapis.com:8443/x>; rel="next"`)
	f.Add(`<//evil.example/x>; rel="next"`)
	base, _ := url.Parse("https://webexapis.com")
	cur, _ := url.Parse("https://webexapis.com/v1/webhooks?max=100")
	f.Fuzz(func(t *testing.T, header string) {
		u, err := nextPage(base, cur, []string{header})
		if err != nil || u == nil {
			return
		}
		if u.Scheme != "https" || u.Port() != "" && u.Port() != "443" || !asciiEqualFold(u.Hostname(), "webexapis.com") || u.User != nil {
			t.Fatalf("next page %q outside the API", u)
		}
	})
}
