// Package webexapi is a small client for the parts of the Webex REST API
// this project uses: People (to learn who sent an event) and Webhooks (to
// register the bot's webhooks with their secret).
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
	"strings"
	"time"
)

// DefaultBaseURL is the Webex API.
const DefaultBaseURL = "https://webexapis.com"

// Errors returned by the client.
var (
	// ErrNotFound means Webex answered 404.
	ErrNotFound = errors.New("webexapi: not found")
	// ErrUnavailable means the API could not be reached, or answered with
	// an error worth retrying later (401/403 for a bad token, 429, 5xx).
	ErrUnavailable = errors.New("webexapi: unavailable")
)

// Client calls the Webex API with a bot or integration token.
type Client struct {
	// BaseURL is the API's base, default DefaultBaseURL.
	BaseURL string
	// Token returns the access token to send.
	Token func(ctx context.Context) (string, error)
	// HTTP is the HTTP client; default one with a 5 s timeout.
	HTTP *http.Client
}

// Person is the part of a Webex person this project reads.
type Person struct {
	ID          string   `json:"id"`
	Emails      []string `json:"emails"`
	DisplayName string   `json:"displayName"`
	OrgID       string   `json:"orgId"`
	Type        string   `json:"type"`
}

// Webhook is a Webex webhook.
type Webhook struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
	TargetURL string `json:"targetUrl"`
	Resource  string `json:"resource,omitempty"`
	Event     string `json:"event,omitempty"`
	Filter    string `json:"filter,omitempty"`
	Secret    string `json:"secret,omitempty"`
	Status    string `json:"status,omitempty"`
	Created   string `json:"created,omitempty"`
}

// Person returns the person with the given id (GET /v1/people/{id}).
func (c *Client) Person(ctx context.Context, id string) (Person, error) {
	var p Person
	err := c.do(ctx, http.MethodGet, "/v1/people/"+url.PathEscape(id), nil, &p)
	return p, err
}

// Me returns the person the token belongs to (GET /v1/people/me).
func (c *Client) Me(ctx context.Context) (Person, error) {
	var p Person
	err := c.do(ctx, http.MethodGet, "/v1/people/me", nil, &p)
	return p, err
}

// Webhooks lists the token owner's webhooks (GET /v1/webhooks), following
// pagination.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	var all []Webhook
	next := "/v1/webhooks?max=100"
	for next != "" {
		var page struct{ Items []Webhook }
		link, err := c.doLink(ctx, http.MethodGet, next, nil, &page)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		next = link
	}
	return all, nil
}

// CreateWebhook creates a webhook (POST /v1/webhooks).
func (c *Client) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	var out Webhook
	err := c.do(ctx, http.MethodPost, "/v1/webhooks", w, &out)
	return out, err
}

// UpdateWebhook updates a webhook's name, targetUrl, secret and status
// (PUT /v1/webhooks/{id}); status "active" reactivates a webhook Webex
// deactivated.
func (c *Client) UpdateWebhook(ctx context.Context, id string, w Webhook) (Webhook, error) {
	var out Webhook
	body := struct {
		Name      string `json:"name"`
		TargetURL string `json:"targetUrl"`
		Secret    string `json:"secret,omitempty"`
		Status    string `json:"status,omitempty"`
	}{w.Name, w.TargetURL, w.Secret, w.Status}
	err := c.do(ctx, http.MethodPut, "/v1/webhooks/"+url.PathEscape(id), body, &out)
	return out, err
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	_, err := c.doLink(ctx, method, path, in, out)
	return err
}

// doLink performs one call and returns the path of the next page, if the
// response has a Link header with rel="next".
func (c *Client) doLink(ctx context.Context, method, path string, in, out any) (string, error) {
	base := strings.TrimSuffix(c.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return "", err
		}
		body = bytes.NewReader(b)
	}
	target := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		target = base + path
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return "", err
	}
	if c.Token == nil {
		return "", fmt.Errorf("%w: no token", ErrUnavailable)
	}
	token, err := c.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: token: %w", ErrUnavailable, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %s %s: %w", ErrUnavailable, method, redactPath(path), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", fmt.Errorf("%w: %s %s", ErrNotFound, method, redactPath(path))
	case resp.StatusCode >= 300:
		return "", fmt.Errorf("%w: %s %s: HTTP %d", ErrUnavailable, method, redactPath(path), resp.StatusCode)
	}
	if out != nil {
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
			return "", fmt.Errorf("%w: %s %s: decode: %w", ErrUnavailable, method, redactPath(path), err)
		}
	}
	return nextLink(resp.Header.Get("Link")), nil
}

var defaultHTTP = &http.Client{Timeout: 5 * time.Second}

// redactPath keeps the endpoint, not the ids, in error messages.
func redactPath(p string) string {
	if i := strings.IndexAny(p, "?"); i >= 0 {
		p = p[:i]
	}
	parts := strings.Split(p, "/")
	if len(parts) > 3 {
		return strings.Join(parts[:3], "/") + "/{id}"
	}
	return p
}

// nextLink returns the URL of rel="next" in a Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		u, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if ok && strings.Contains(params, `rel="next"`) {
			return strings.Trim(strings.TrimSpace(u), "<>")
		}
	}
	return ""
}
