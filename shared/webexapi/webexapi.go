// Package webexapi is a small client for the parts of the Webex REST API a
// bot needs: messages (read one, post one), attachment actions (card
// submissions), people, and webhooks (list, read, create, update, delete).
//
// The client keeps the bot token to the API: it is sent only to the scheme,
// host and port of BaseURL, and a pagination Link header that points
// anywhere else is refused, never followed. A call answered 429 is repeated
// after the Retry-After the API asks for, a bounded number of times and
// never past the caller's context. Errors name the endpoint with its ids
// left out ("GET /v1/people/{id}") and match the package's sentinels with
// errors.Is; they never carry the token, an id, an e-mail address or a URL.
package webexapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is the Webex API.
const DefaultBaseURL = "https://webexapis.com"

// Defaults of the retry policy for 429 answers.
const (
	// DefaultMaxRetries is how many times a call answered 429 is repeated.
	DefaultMaxRetries = 3
	// DefaultMaxRetryWait is the longest Retry-After the client waits for.
	DefaultMaxRetryWait = time.Minute
	// DefaultRetryAfter is the wait after a 429 without a usable
	// Retry-After header (the official Python SDK's choice).
	DefaultRetryAfter = 15 * time.Second
)

// Webhook statuses.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
)

// Sentinels matched by the errors the client returns (errors.Is).
var (
	// ErrUnavailable means the call may work later: the API could not be
	// reached or did not answer in time, answered 5xx or something that is
	// not the JSON asked for, the token could not be read, or the call was
	// rate limited past its retries (then ErrRateLimited matches too).
	ErrUnavailable = errors.New("webexapi: unavailable")
	// ErrRateLimited means the API answered 429 and the client gave up:
	// its retries were spent, or Retry-After asked for a longer wait than
	// MaxRetryWait or than the context leaves.
	ErrRateLimited = errors.New("webexapi: rate limited")
	// ErrUnauthorized means the API refused the token (401 or 403): it is
	// wrong, expired, or lacks the scope.
	ErrUnauthorized = errors.New("webexapi: token refused")
	// ErrNotFound means the API answered 404: no such object, or not one
	// the token may see.
	ErrNotFound = errors.New("webexapi: not found")
	// ErrRejected means the request is invalid (another 4xx, or an
	// argument refused before anything was sent): repeating it will not
	// help.
	ErrRejected = errors.New("webexapi: request rejected")
	// ErrForeignURL means the API pointed the client at a URL outside
	// BaseURL's scheme, host and port (a pagination Link): it was not
	// followed, so the token did not leave the API.
	ErrForeignURL = errors.New("webexapi: URL outside the API refused")
)

// Error is a failed call. Its text names the method and the endpoint with
// ids left out, the HTTP status when there was one, and Webex's tracking id
// (quote it to Webex support); never the token, ids, e-mails or the URL.
type Error struct {
	// Method and Endpoint name the call, e.g. "GET" "/v1/people/{id}".
	Method   string
	Endpoint string
	// StatusCode is the HTTP status; 0 when no answer came.
	StatusCode int
	// TrackingID is Webex's id of the request, when it gave one.
	TrackingID string
	// RetryAfter is the wait a 429 asked for.
	RetryAfter time.Duration

	kinds []error // sentinels
	cause error   // what failed below HTTP, with any URL removed
}

// Error describes the failure without ids or secrets.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("webexapi: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Endpoint)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	if len(e.kinds) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.kinds[0].Error(), "webexapi: "))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (Retry-After %s)", e.RetryAfter)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	if e.TrackingID != "" {
		b.WriteString(" (trackingId ")
		b.WriteString(e.TrackingID)
		b.WriteByte(')')
	}
	return b.String()
}

// Unwrap returns the sentinels the error matches and its cause.
func (e *Error) Unwrap() []error {
	out := append([]error(nil), e.kinds...)
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

// Client calls the Webex API with a bot or integration token. The zero
// value is not usable: set Token. A Client is safe for concurrent use.
type Client struct {
	// BaseURL is the API's base, default DefaultBaseURL. The token is sent
	// to its scheme, host and port only.
	BaseURL string
	// Token returns the access token to send.
	Token func(ctx context.Context) (string, error)
	// HTTP is the HTTP client; default one with a 10 s timeout. Redirects
	// are never followed, whatever its CheckRedirect says.
	HTTP *http.Client
	// MaxRetries is how many times a call answered 429 is repeated:
	// 0 means DefaultMaxRetries, negative means never.
	MaxRetries int
	// MaxRetryWait is the longest Retry-After waited for (default
	// DefaultMaxRetryWait); a 429 asking for more ends the call at once
	// with ErrRateLimited, as does one asking for more than the context
	// leaves.
	MaxRetryWait time.Duration
}

// Person is a Webex person or bot (GET /v1/people/{id}).
type Person struct {
	ID          string    `json:"id"`
	Emails      []string  `json:"emails,omitempty"`
	DisplayName string    `json:"displayName,omitempty"`
	NickName    string    `json:"nickName,omitempty"`
	FirstName   string    `json:"firstName,omitempty"`
	LastName    string    `json:"lastName,omitempty"`
	Avatar      string    `json:"avatar,omitempty"`
	OrgID       string    `json:"orgId,omitempty"`
	Type        string    `json:"type,omitempty"` // person, bot or appuser
	Created     time.Time `json:"created,omitzero"`
}

// Message is a Webex message. To post one, set exactly one of RoomID,
// ToPersonID and ToPersonEmail, optionally ParentID (a reply in a thread),
// and Text, Markdown, Files or Attachments; Webex fills in the rest.
type Message struct {
	ID              string       `json:"id,omitempty"`
	ParentID        string       `json:"parentId,omitempty"`
	RoomID          string       `json:"roomId,omitempty"`
	RoomType        string       `json:"roomType,omitempty"` // direct or group
	ToPersonID      string       `json:"toPersonId,omitempty"`
	ToPersonEmail   string       `json:"toPersonEmail,omitempty"`
	Text            string       `json:"text,omitempty"`
	Markdown        string       `json:"markdown,omitempty"`
	HTML            string       `json:"html,omitempty"`
	Files           []string     `json:"files,omitempty"`
	Attachments     []Attachment `json:"attachments,omitempty"`
	PersonID        string       `json:"personId,omitempty"`
	PersonEmail     string       `json:"personEmail,omitempty"`
	MentionedPeople []string     `json:"mentionedPeople,omitempty"`
	MentionedGroups []string     `json:"mentionedGroups,omitempty"`
	IsVoiceClip     bool         `json:"isVoiceClip,omitempty"`
	Created         time.Time    `json:"created,omitzero"`
	Updated         time.Time    `json:"updated,omitzero"`
}

// Attachment is a card attached to a message.
type Attachment struct {
	ContentType string          `json:"contentType"` // application/vnd.microsoft.card.adaptive
	Content     json.RawMessage `json:"content"`
}

// AttachmentAction is a card submission (GET /v1/attachment/actions/{id}).
// Inputs holds the card's inputs by id, with the submit action's data
// merged in.
type AttachmentAction struct {
	ID        string         `json:"id"`
	Type      string         `json:"type,omitempty"` // submit
	MessageID string         `json:"messageId,omitempty"`
	Inputs    map[string]any `json:"inputs,omitempty"`
	PersonID  string         `json:"personId,omitempty"`
	RoomID    string         `json:"roomId,omitempty"`
	Created   time.Time      `json:"created,omitzero"`
}

// Webhook is a Webex webhook. The API returns its Secret to its owner.
type Webhook struct {
	ID        string    `json:"id,omitempty"`
	Name      string    `json:"name"`
	TargetURL string    `json:"targetUrl"`
	Resource  string    `json:"resource,omitempty"`
	Event     string    `json:"event,omitempty"`
	Filter    string    `json:"filter,omitempty"`
	Secret    string    `json:"secret,omitempty"`
	Status    string    `json:"status,omitempty"` // StatusActive or StatusInactive
	OwnedBy   string    `json:"ownedBy,omitempty"`
	OrgID     string    `json:"orgId,omitempty"`
	CreatedBy string    `json:"createdBy,omitempty"`
	AppID     string    `json:"appId,omitempty"`
	Created   time.Time `json:"created,omitzero"`
}

// Person returns the person with the given id (GET /v1/people/{id}).
func (c *Client) Person(ctx context.Context, id string) (Person, error) {
	var p Person
	err := c.call(ctx, http.MethodGet, "/v1/people/{id}", id, nil, &p)
	return p, err
}

// Me returns the person the token belongs to (GET /v1/people/me).
func (c *Client) Me(ctx context.Context) (Person, error) {
	var p Person
	err := c.call(ctx, http.MethodGet, "/v1/people/me", "", nil, &p)
	return p, err
}

// Message returns a message with its text (GET /v1/messages/{id}). A
// webhook carries only a message's id.
func (c *Client) Message(ctx context.Context, id string) (Message, error) {
	var m Message
	err := c.call(ctx, http.MethodGet, "/v1/messages/{id}", id, nil, &m)
	return m, err
}

// CreateMessage posts a message (POST /v1/messages) and returns it as
// Webex stored it. Only the fields a request may carry are sent: the
// target (exactly one of RoomID, ToPersonID, ToPersonEmail), ParentID,
// Text, Markdown, Files and Attachments.
func (c *Client) CreateMessage(ctx context.Context, m Message) (Message, error) {
	targets := 0
	for _, t := range []string{m.RoomID, m.ToPersonID, m.ToPersonEmail} {
		if t != "" {
			targets++
		}
	}
	if targets != 1 {
		return Message{}, invalid(http.MethodPost, "/v1/messages", "a message needs exactly one of roomId, toPersonId and toPersonEmail")
	}
	if m.Text == "" && m.Markdown == "" && len(m.Files) == 0 && len(m.Attachments) == 0 {
		return Message{}, invalid(http.MethodPost, "/v1/messages", "a message needs text, markdown, files or attachments")
	}
	body := struct {
		RoomID        string       `json:"roomId,omitempty"`
		ToPersonID    string       `json:"toPersonId,omitempty"`
		ToPersonEmail string       `json:"toPersonEmail,omitempty"`
		ParentID      string       `json:"parentId,omitempty"`
		Text          string       `json:"text,omitempty"`
		Markdown      string       `json:"markdown,omitempty"`
		Files         []string     `json:"files,omitempty"`
		Attachments   []Attachment `json:"attachments,omitempty"`
	}{m.RoomID, m.ToPersonID, m.ToPersonEmail, m.ParentID, m.Text, m.Markdown, m.Files, m.Attachments}
	var out Message
	err := c.call(ctx, http.MethodPost, "/v1/messages", "", body, &out)
	return out, err
}

// AttachmentAction returns a card submission with its inputs
// (GET /v1/attachment/actions/{id}).
func (c *Client) AttachmentAction(ctx context.Context, id string) (AttachmentAction, error) {
	var a AttachmentAction
	err := c.call(ctx, http.MethodGet, "/v1/attachment/actions/{id}", id, nil, &a)
	return a, err
}

// webhookPageSize is the page size asked for when listing webhooks.
const webhookPageSize = 100

// maxPages bounds a listing, should the API's Link headers go round in a
// circle.
const maxPages = 1000

// Webhooks lists the token owner's webhooks (GET /v1/webhooks), following
// the Link header's rel="next" pages within the API.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	const endpoint = "/v1/webhooks"
	base, err := c.base()
	if err != nil {
		return nil, &Error{Method: http.MethodGet, Endpoint: endpoint, kinds: []error{ErrRejected}, cause: err}
	}
	next := endpointURL(base, endpoint, "")
	next.RawQuery = "max=" + strconv.Itoa(webhookPageSize)
	var all []Webhook
	for page := 0; next != nil; page++ {
		if page == maxPages {
			return nil, &Error{Method: http.MethodGet, Endpoint: endpoint, kinds: []error{ErrUnavailable}, cause: errors.New("too many pages")}
		}
		var body struct {
			Items []Webhook `json:"items"`
		}
		hdr, err := c.send(ctx, base, http.MethodGet, endpoint, next, nil, &body)
		if err != nil {
			return nil, err
		}
		all = append(all, body.Items...)
		if next, err = nextPage(base, next, hdr.Values("Link")); err != nil {
			return nil, &Error{Method: http.MethodGet, Endpoint: endpoint, kinds: []error{ErrForeignURL}, cause: err}
		}
	}
	return all, nil
}

// Webhook returns one webhook (GET /v1/webhooks/{id}).
func (c *Client) Webhook(ctx context.Context, id string) (Webhook, error) {
	var w Webhook
	err := c.call(ctx, http.MethodGet, "/v1/webhooks/{id}", id, nil, &w)
	return w, err
}

// CreateWebhook creates a webhook (POST /v1/webhooks) from its Name,
// TargetURL, Resource, Event, and optional Filter, Secret and OwnedBy.
func (c *Client) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	body := struct {
		Name      string `json:"name"`
		TargetURL string `json:"targetUrl"`
		Resource  string `json:"resource"`
		Event     string `json:"event"`
		Filter    string `json:"filter,omitempty"`
		Secret    string `json:"secret,omitempty"`
		OwnedBy   string `json:"ownedBy,omitempty"`
	}{w.Name, w.TargetURL, w.Resource, w.Event, w.Filter, w.Secret, w.OwnedBy}
	var out Webhook
	err := c.call(ctx, http.MethodPost, "/v1/webhooks", "", body, &out)
	return out, err
}

// UpdateWebhook updates a webhook (PUT /v1/webhooks/{id}): its Name and
// TargetURL (both required), and Secret, Status and OwnedBy when set.
// Status StatusActive reactivates a webhook Webex deactivated; Webex
// cannot deactivate one this way, nor change its resource, event or
// filter.
func (c *Client) UpdateWebhook(ctx context.Context, id string, w Webhook) (Webhook, error) {
	body := struct {
		Name      string `json:"name"`
		TargetURL string `json:"targetUrl"`
		Secret    string `json:"secret,omitempty"`
		Status    string `json:"status,omitempty"`
		OwnedBy   string `json:"ownedBy,omitempty"`
	}{w.Name, w.TargetURL, w.Secret, w.Status, w.OwnedBy}
	var out Webhook
	err := c.call(ctx, http.MethodPut, "/v1/webhooks/{id}", id, body, &out)
	return out, err
}

// DeleteWebhook deletes a webhook (DELETE /v1/webhooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodDelete, "/v1/webhooks/{id}", id, nil, nil)
}

func invalid(method, endpoint, why string) *Error {
	return &Error{Method: method, Endpoint: endpoint, kinds: []error{ErrRejected}, cause: errors.New(why)}
}

// call performs one call to endpoint, whose "{id}" is replaced by id.
func (c *Client) call(ctx context.Context, method, endpoint, id string, in, out any) error {
	if strings.Contains(endpoint, "{id}") && (id == "" || id == "." || id == "..") {
		return invalid(method, endpoint, "empty or invalid id")
	}
	base, err := c.base()
	if err != nil {
		return &Error{Method: method, Endpoint: endpoint, kinds: []error{ErrRejected}, cause: err}
	}
	_, err = c.send(ctx, base, method, endpoint, endpointURL(base, endpoint, id), in, out)
	return err
}

// base returns the parsed BaseURL.
func (c *Client) base() (*url.URL, error) {
	raw := c.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("BaseURL is not an http(s) URL without credentials, query or fragment")
	}
	return u, nil
}

// endpointURL joins base and endpoint, with "{id}" replaced by the escaped
// id.
func endpointURL(base *url.URL, endpoint, id string) *url.URL {
	u := *base
	if i := strings.Index(endpoint, "{id}"); i >= 0 {
		u.Path = base.Path + endpoint[:i] + id + endpoint[i+len("{id}"):]
		u.RawPath = base.EscapedPath() + endpoint[:i] + url.PathEscape(id) + endpoint[i+len("{id}"):]
	} else {
		u.Path, u.RawPath = base.Path+endpoint, ""
	}
	return &u
}

var defaultHTTP = &http.Client{Timeout: 10 * time.Second}

// maxResponse bounds the JSON read from one answer.
const maxResponse = 4 << 20

// send performs the request, repeating it after 429 answers, and decodes a
// 2xx answer into out. It returns the answer's headers.
func (c *Client) send(ctx context.Context, base *url.URL, method, endpoint string, target *url.URL, in, out any) (http.Header, error) {
	fail := func(status int, cause error, kinds ...error) *Error {
		return &Error{Method: method, Endpoint: endpoint, StatusCode: status, kinds: kinds, cause: cause}
	}
	if !sameOrigin(base, target) {
		return nil, fail(0, nil, ErrForeignURL)
	}
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return nil, fail(0, err, ErrRejected)
		}
	}
	if c.Token == nil {
		return nil, fail(0, errors.New("no token source"), ErrUnavailable)
	}
	token, err := c.Token(ctx)
	if err != nil {
		return nil, fail(0, fmt.Errorf("read token: %w", err), ErrUnavailable)
	}
	if token == "" {
		return nil, fail(0, errors.New("empty token"), ErrUnavailable)
	}
	hc := c.httpClient()
	retries := c.MaxRetries
	if retries == 0 {
		retries = DefaultMaxRetries
	}
	maxWait := c.MaxRetryWait
	if maxWait <= 0 {
		maxWait = DefaultMaxRetryWait
	}
	for attempt := 0; ; attempt++ {
		var body io.Reader
		if payload != nil {
			body = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, target.String(), body)
		if err != nil {
			return nil, fail(0, innerError(err), ErrRejected)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fail(0, innerError(err), ErrUnavailable)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			wait := retryAfter(resp.Header.Get("Retry-After"))
			e := fail(resp.StatusCode, nil, ErrRateLimited, ErrUnavailable)
			e.RetryAfter, e.TrackingID = wait, trackingID(resp)
			discard(resp)
			if attempt >= retries || wait > maxWait || !fits(ctx, wait) {
				return nil, e
			}
			if err := sleep(ctx, wait); err != nil {
				e.cause = err
				return nil, e
			}
			continue
		}
		return c.finish(resp, out, fail)
	}
}

// finish turns the answer into the decoded value or an *Error.
func (c *Client) finish(resp *http.Response, out any, fail func(int, error, ...error) *Error) (http.Header, error) {
	defer discard(resp)
	var kind error
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		if out == nil || s == http.StatusNoContent {
			return resp.Header, nil
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(out); err != nil {
			return nil, fail(s, fmt.Errorf("decode the answer: %w", err), ErrUnavailable)
		}
		return resp.Header, nil
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		kind = ErrUnauthorized
	case s == http.StatusNotFound:
		kind = ErrNotFound
	case s >= 400 && s < 500:
		kind = ErrRejected
	default: // 5xx, and 1xx/3xx: redirects are not followed
		kind = ErrUnavailable
	}
	e := fail(resp.StatusCode, nil, kind)
	e.TrackingID = trackingID(resp)
	return nil, e
}

// httpClient returns the HTTP client to use, never following redirects: a
// redirect could carry the request elsewhere.
func (c *Client) httpClient() *http.Client {
	hc := defaultHTTP
	if c.HTTP != nil {
		hc = c.HTTP
	}
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// innerError returns what went wrong in a failed URL call without the URL,
// which carries ids.
func innerError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// discard drains and closes a response body so its connection is reused.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// trackingID returns Webex's tracking id of an error answer: the body's
// trackingId, else the TrackingID header. The body is consumed.
func trackingID(resp *http.Response) string {
	var body struct {
		TrackingID string `json:"trackingId"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	id := body.TrackingID
	if id == "" {
		id = resp.Header.Get("TrackingID")
	}
	if len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return "" // not a tracking id: keep odd bytes out of logs
	}
	return id
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date;
// DefaultRetryAfter when missing or unreadable.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		if n > int64(24*time.Hour/time.Second) {
			return 24 * time.Hour
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return DefaultRetryAfter
}

// fits tells whether waiting d still leaves the context time for the call.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sameOrigin tells whether u has base's scheme, host and port, and no
// credentials of its own.
func sameOrigin(base, u *url.URL) bool {
	return u.User == nil && strings.EqualFold(u.Scheme, base.Scheme) &&
		asciiEqualFold(u.Hostname(), base.Hostname()) && port(u) == port(base)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// asciiEqualFold compares host names folding ASCII case only.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// nextPage returns the rel="next" URL of the Link headers, resolved
// against the current page; nil when there is none. A URL outside base's
// origin is an error. A "max=null" Webex sometimes puts in the URL is
// replaced by the page size asked for.
func nextPage(base, current *url.URL, links []string) (*url.URL, error) {
	raw := ""
	for _, h := range links {
		if raw = nextLink(h); raw != "" {
			break
		}
	}
	if raw == "" {
		return nil, nil
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("unreadable Link URL")
	}
	u := current.ResolveReference(ref)
	if !sameOrigin(base, u) {
		return nil, errors.New("the Link header points outside the API")
	}
	u.Fragment, u.RawFragment = "", ""
	if q := u.Query(); q.Get("max") == "null" {
		q.Set("max", strconv.Itoa(webhookPageSize))
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// nextLink returns the target of the link with rel "next" in one Link
// header (RFC 8288): `<url>; rel="next", <url>; rel="prev"`. It reads the
// header once, left to right.
func nextLink(h string) string {
	for h != "" {
		start := strings.IndexByte(h, '<')
		if start < 0 {
			return ""
		}
		end := strings.IndexByte(h[start:], '>')
		if end < 0 {
			return ""
		}
		target := h[start+1 : start+end]
		h = h[start+end+1:]
		params := h
		if i := strings.IndexByte(h, '<'); i >= 0 {
			params = h[:i]
		}
		for _, p := range strings.Split(params, ";") {
			name, value, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
				continue
			}
			value = strings.Trim(strings.TrimRight(strings.TrimSpace(value), ", "), `"`)
			for _, rel := range strings.Fields(value) {
				if strings.EqualFold(rel, "next") {
					return target
				}
			}
		}
	}
	return ""
}
