package webexapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

const token = "bot-token-value"

var bot = webexapi.Person{ID: "BOT", Emails: []string{"helper@webex.bot"}, DisplayName: "Helper", OrgID: "ORG", Type: "bot"}

func newStub(t *testing.T) (*webexstub.Server, *webexapi.Client) {
	t.Helper()
	api := webexstub.New(token, bot)
	t.Cleanup(api.Close)
	return api, client(api.URL, token)
}

func client(base, tok string) *webexapi.Client {
	return &webexapi.Client{BaseURL: base, Token: func(context.Context) (string, error) { return tok, nil }}
}

func TestCallsTheEndpoints(t *testing.T) {
	t.Parallel()
	api, c := newStub(t)
	ctx := context.Background()
	api.AddPerson(webexapi.Person{ID: "ALICE", Emails: []string{"alice@example.com"}, OrgID: "ORG"})
	api.AddMessage(webexapi.Message{ID: "M1", RoomID: "R1", RoomType: "group", Text: "Helper hello", PersonID: "ALICE", MentionedPeople: []string{"BOT"}})
	api.AddAttachmentAction(webexapi.AttachmentAction{ID: "A1", Type: "submit", MessageID: "M1", Inputs: map[string]any{"choice": "yes"}})

	if p, err := c.Person(ctx, "ALICE"); err != nil || p.Emails[0] != "alice@example.com" || p.OrgID != "ORG" {
		t.Fatalf("Person = %+v, %v", p, err)
	}
	if me, err := c.Me(ctx); err != nil || !reflect.DeepEqual(me, bot) {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	if m, err := c.Message(ctx, "M1"); err != nil || m.Text != "Helper hello" || m.MentionedPeople[0] != "BOT" {
		t.Fatalf("Message = %+v, %v", m, err)
	}
	if a, err := c.AttachmentAction(ctx, "A1"); err != nil || a.Inputs["choice"] != "yes" || a.MessageID != "M1" {
		t.Fatalf("AttachmentAction = %+v, %v", a, err)
	}
	sent, err := c.CreateMessage(ctx, webexapi.Message{RoomID: "R1", ParentID: "M1", Text: "hello", Markdown: "**hello**", ID: "ignored", PersonID: "ignored"})
	if err != nil || sent.ID == "ignored" || sent.PersonID != "BOT" || sent.RoomID != "R1" || sent.ParentID != "M1" || sent.Markdown != "**hello**" {
		t.Fatalf("CreateMessage = %+v, %v", sent, err)
	}
	if got := api.Created(); len(got) != 1 || got[0].Text != "hello" {
		t.Fatalf("posted %+v", got)
	}

	created, err := c.CreateWebhook(ctx, webexapi.Webhook{Name: "n", TargetURL: "https://x.example/webex", Resource: "messages", Event: "created", Filter: "roomId=R1", Secret: "s1"})
	if err != nil || created.ID == "" || created.Status != webexapi.StatusActive || created.Filter != "roomId=R1" {
		t.Fatalf("CreateWebhook = %+v, %v", created, err)
	}
	api.SetWebhookStatus(created.ID, webexapi.StatusInactive)
	if got, err := c.Webhook(ctx, created.ID); err != nil || got.Status != webexapi.StatusInactive || got.Secret != "s1" {
		t.Fatalf("Webhook = %+v, %v", got, err)
	}
	updated, err := c.UpdateWebhook(ctx, created.ID, webexapi.Webhook{Name: "n2", TargetURL: created.TargetURL, Secret: "s2", Status: webexapi.StatusActive})
	if err != nil || updated.Name != "n2" || updated.Secret != "s2" || updated.Status != webexapi.StatusActive || updated.Filter != "roomId=R1" {
		t.Fatalf("UpdateWebhook = %+v, %v", updated, err)
	}
	if all, err := c.Webhooks(ctx); err != nil || len(all) != 1 || all[0].ID != created.ID {
		t.Fatalf("Webhooks = %+v, %v", all, err)
	}
	if err := c.DeleteWebhook(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Webhook(ctx, created.ID); !errors.Is(err, webexapi.ErrNotFound) {
		t.Fatalf("after delete: %v, want ErrNotFound", err)
	}
}

// TestDecodesWebexAnswers serves answers captured from Webex or taken from
// its specification and checks the fields a bot reads.
func TestDecodesWebexAnswers(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"/v1/messages/M-MENTION":        "api.get-message.group-mention.real.json",
		"/v1/messages/M-FILE":           "api.get-message.direct-file-thread.real.json",
		"/v1/attachment/actions/A":      "api.get-attachment-action.real.json",
		"/v1/people/me":                 "api.people-me.bot.derived.json",
		"/v1/people/P":                  "api.get-person.spec.json",
		"/v1/webhooks":                  "api.list-webhooks.spec.json",
		"/v1/webhooks/W":                "api.get-webhook.inactive.derived.json",
		"/v1/messages":                  "api.post-message.response.spec.json",
		"/v1/webhooks/malformed-syntax": "api.error-400.real.json",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join("testdata", files[r.URL.Path]))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if strings.Contains(r.URL.Path, "malformed") {
			w.WriteHeader(http.StatusBadRequest)
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	c, ctx := client(srv.URL, token), context.Background()

	m, err := c.Message(ctx, "M-MENTION")
	if err != nil || m.RoomType != "group" || m.Text != "DummytestbotForChatSDK hello" || len(m.MentionedPeople) != 1 || !strings.Contains(m.HTML, "spark-mention") || m.Created.IsZero() {
		t.Fatalf("group mention = %+v, %v", m, err)
	}
	m, err = c.Message(ctx, "M-FILE")
	if err != nil || m.ParentID == "" || len(m.Files) != 1 || m.RoomType != "direct" {
		t.Fatalf("file in thread = %+v, %v", m, err)
	}
	a, err := c.AttachmentAction(ctx, "A")
	if err != nil || a.Type != "submit" || a.Inputs["actionId"] != "messages" || a.MessageID == "" {
		t.Fatalf("attachment action = %+v, %v", a, err)
	}
	me, err := c.Me(ctx)
	if err != nil || me.Type != "bot" || me.Emails[0] != "dummytestbotforchatsdk@webex.bot" {
		t.Fatalf("me = %+v, %v", me, err)
	}
	p, err := c.Person(ctx, "P")
	if err != nil || p.DisplayName != "John Andersen" || p.OrgID == "" || p.Type != "person" {
		t.Fatalf("person = %+v, %v", p, err)
	}
	hooks, err := c.Webhooks(ctx)
	if err != nil || len(hooks) != 1 || hooks[0].Secret != "86dacc007724d8ea666f88fc77d918dad9537a15" || hooks[0].OwnedBy != "org" {
		t.Fatalf("webhooks = %+v, %v", hooks, err)
	}
	w, err := c.Webhook(ctx, "W")
	if err != nil || w.Status != webexapi.StatusInactive || w.TargetURL != "https://bot.example.com/webex" {
		t.Fatalf("webhook = %+v, %v", w, err)
	}
	sent, err := c.CreateMessage(ctx, webexapi.Message{RoomID: "R", Text: "x"})
	if err != nil || len(sent.Attachments) != 1 || sent.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" || sent.Updated.IsZero() {
		t.Fatalf("created message = %+v, %v", sent, err)
	}
	_, err = c.Webhook(ctx, "malformed-syntax")
	var apiErr *webexapi.Error
	if !errors.Is(err, webexapi.ErrRejected) || !errors.As(err, &apiErr) || apiErr.TrackingID != "ROUTER_62A895B5-BFF4-01BB-259A-AC12DB4A259A" || apiErr.StatusCode != 400 {
		t.Fatalf("400 = %v", err)
	}
}

func TestErrorsMatchTheirSentinel(t *testing.T) {
	t.Parallel()
	sentinels := []error{webexapi.ErrUnavailable, webexapi.ErrRateLimited, webexapi.ErrUnauthorized, webexapi.ErrNotFound, webexapi.ErrRejected, webexapi.ErrForeignURL}
	tests := []struct {
		name   string
		status int
		token  func(context.Context) (string, error)
		down   bool
		want   []error
	}{
		{"reports a refused token (401) as such", http.StatusUnauthorized, nil, false, []error{webexapi.ErrUnauthorized}},
		{"reports a token without the scope (403) as refused", http.StatusForbidden, nil, false, []error{webexapi.ErrUnauthorized}},
		{"reports a 404 as not found", http.StatusNotFound, nil, false, []error{webexapi.ErrNotFound}},
		{"reports a 400 as rejected", http.StatusBadRequest, nil, false, []error{webexapi.ErrRejected}},
		{"reports a 500 as unavailable", http.StatusInternalServerError, nil, false, []error{webexapi.ErrUnavailable}},
		{"reports a 503 as unavailable", http.StatusServiceUnavailable, nil, false, []error{webexapi.ErrUnavailable}},
		{"reports an API that cannot be reached as unavailable", 0, nil, true, []error{webexapi.ErrUnavailable}},
		{"reports a token that cannot be read as unavailable", 0, func(context.Context) (string, error) { return "", errors.New("secret not found") }, false, []error{webexapi.ErrUnavailable}},
		{"reports an empty token as unavailable", 0, func(context.Context) (string, error) { return "", nil }, false, []error{webexapi.ErrUnavailable}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api, c := newStub(t)
			api.AddPerson(webexapi.Person{ID: "ALICE"})
			api.FailWith(tc.status)
			if tc.token != nil {
				c.Token = tc.token
			}
			if tc.down {
				api.Close()
			}
			_, err := c.Person(context.Background(), "ALICE")
			for _, s := range sentinels {
				want := false
				for _, w := range tc.want {
					want = want || w == s
				}
				if errors.Is(err, s) != want {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, !want, want)
				}
			}
			var apiErr *webexapi.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || apiErr.Endpoint != "/v1/people/{id}" || apiErr.Method != "GET" {
				t.Fatalf("error %#v", err)
			}
		})
	}
}

// TestErrorTextsCarryNoSecretsOrIDs checks every failure's text for the
// token, the id asked for, the e-mail sent and the URL.
func TestErrorTextsCarryNoSecretsOrIDs(t *testing.T) {
	t.Parallel()
	const id, email = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9zZWNyZXQtcGVyc29u", "alice@example.com"
	tests := []struct {
		name  string
		setup func(*webexstub.Server)
	}{
		{"a 404", func(s *webexstub.Server) { s.FailNext("POST /v1/messages", http.StatusNotFound, 1) }},
		{"a 500", func(s *webexstub.Server) { s.FailWith(500) }},
		{"a 429 past the retries", func(s *webexstub.Server) { s.RateLimit(100, "0") }},
		{"an API that cannot be reached", func(s *webexstub.Server) { s.Close() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api, c := newStub(t)
			tc.setup(api)
			_, err1 := c.Person(context.Background(), id)
			_, err2 := c.CreateMessage(context.Background(), webexapi.Message{ToPersonEmail: email, Text: "hi"})
			for _, err := range []error{err1, err2} {
				if err == nil {
					t.Fatal("no error")
				}
				for _, leak := range []string{token, id, email, "/v1/people/Y2", "http://"} {
					if strings.Contains(err.Error(), leak) {
						t.Errorf("error %q contains %q", err, leak)
					}
				}
			}
		})
	}
}

func TestRetriesAfter429(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		limited    int
		retryAfter string
		maxRetries int
		timeout    time.Duration
		wantErr    error
		wantCalls  int
	}{
		{"repeats a call answered 429 and succeeds", 2, "0", 0, 0, nil, 3},
		{"gives up after its retries with ErrRateLimited", 10, "0", 2, 0, webexapi.ErrRateLimited, 3},
		{"never repeats when retries are off", 10, "0", -1, 0, webexapi.ErrRateLimited, 1},
		{"gives up at once when Retry-After exceeds the longest wait", 1, "3600", 0, 0, webexapi.ErrRateLimited, 1},
		{"gives up at once when Retry-After exceeds the context's time", 1, "2", 0, 500 * time.Millisecond, webexapi.ErrRateLimited, 1},
		{"treats a 429 past its retries as unavailable too", 10, "0", 1, 0, webexapi.ErrUnavailable, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api, c := newStub(t)
			c.MaxRetries = tc.maxRetries
			api.RateLimit(tc.limited, tc.retryAfter)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			_, err := c.Me(ctx)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Me: %v, want %v", err, tc.wantErr)
			}
			if n := api.Calls("GET /v1/people/me"); n != tc.wantCalls {
				t.Fatalf("%d calls, want %d", n, tc.wantCalls)
			}
		})
	}
}

func TestWaitsForRetryAfter(t *testing.T) {
	t.Parallel()
	api, c := newStub(t)
	api.RateLimit(1, "1")
	start := time.Now()
	if _, err := c.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("repeated after %s, before the Retry-After of 1s", waited)
	}
	if n := api.Calls("GET /v1/people/me"); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
}

func TestStopsWaitingWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	api, c := newStub(t)
	api.RateLimit(1, "30")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.Me(ctx)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, webexapi.ErrRateLimited) {
		t.Fatalf("Me: %v, want the cancellation and ErrRateLimited", err)
	}
	if n := api.Calls("GET /v1/people/me"); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

func TestWebhooksFollowsPagination(t *testing.T) {
	t.Parallel()
	api, c := newStub(t)
	var want []string
	for i := 0; i < 7; i++ {
		want = append(want, api.AddWebhook(webexapi.Webhook{Name: "w", TargetURL: "https://x.example/webex", Resource: "messages", Event: "created"}))
	}
	api.PageSize(3)
	hooks, err := c.Webhooks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hooks {
		got = append(got, h.ID)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
	if n := api.Calls("GET /v1/webhooks"); n != 3 {
		t.Fatalf("%d pages read, want 3", n)
	}
}

// TestTheTokenNeverLeavesTheAPI points the pagination Link at other
// origins: none is followed, and nothing reaches them.
func TestTheTokenNeverLeavesTheAPI(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Write([]byte(`{"items":[]}`))
	}))
	t.Cleanup(other.Close)
	t.Cleanup(func() {
		if n := elsewhere.Load(); n != 0 {
			t.Errorf("%d requests reached another server", n)
		}
	})
	tests := []struct {
		name string
		base func(api string) string
	}{
		{"refuses a Link to another host", func(string) string { return "http://attacker.example" }},
		{"refuses a Link to another port of the same host", func(string) string { return other.URL }},
		{"refuses a Link to another host name of the same server", func(api string) string { return strings.Replace(api, "127.0.0.1", "localhost", 1) }},
		{"refuses a Link to another scheme", func(api string) string { return strings.Replace(api, "http://", "https://", 1) }},
		{"refuses a Link with credentials", func(api string) string { return strings.Replace(api, "http://", "http://user:pass@", 1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api, c := newStub(t)
			api.AddWebhook(webexapi.Webhook{Name: "a", TargetURL: "https://x.example/1"})
			api.AddWebhook(webexapi.Webhook{Name: "b", TargetURL: "https://x.example/2"})
			api.PageSize(1)
			api.LinkBase(tc.base(api.URL))
			_, err := c.Webhooks(context.Background())
			if !errors.Is(err, webexapi.ErrForeignURL) || strings.Contains(err.Error(), "attacker") || strings.Contains(err.Error(), "cursor") {
				t.Fatalf("Webhooks: %v, want ErrForeignURL without the URL", err)
			}
			if n := api.Calls("GET /v1/webhooks"); n != 1 {
				t.Fatalf("%d pages read from the API, want 1", n)
			}
		})
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.RedirectHandler(other.URL+"/v1/people/me", http.StatusTemporaryRedirect))
	t.Cleanup(srv.Close)
	_, err := client(srv.URL, token).Me(context.Background())
	if !errors.Is(err, webexapi.ErrUnavailable) || elsewhere.Load() != 0 {
		t.Fatalf("Me: %v, %d requests elsewhere; want ErrUnavailable and none", err, elsewhere.Load())
	}
}

func TestRefusesInvalidRequestsWithoutCallingWebex(t *testing.T) {
	t.Parallel()
	api, c := newStub(t)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
	}{
		{"refuses a message without a target", func() error { _, err := c.CreateMessage(ctx, webexapi.Message{Text: "x"}); return err }},
		{"refuses a message with two targets", func() error {
			_, err := c.CreateMessage(ctx, webexapi.Message{RoomID: "R", ToPersonEmail: "a@example.com", Text: "x"})
			return err
		}},
		{"refuses an empty message", func() error { _, err := c.CreateMessage(ctx, webexapi.Message{RoomID: "R"}); return err }},
		{"refuses an empty id, which would list people", func() error { _, err := c.Person(ctx, ""); return err }},
		{"refuses a dot-dot id", func() error { _, err := c.Message(ctx, ".."); return err }},
		{"refuses a base URL with credentials", func() error {
			_, err := (&webexapi.Client{BaseURL: "https://u:p@webexapis.com", Token: c.Token}).Me(ctx)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, webexapi.ErrRejected) {
				t.Fatalf("err = %v, want ErrRejected", err)
			}
		})
	}
	if n := api.Calls("POST /v1/messages") + api.Calls("GET /v1/people/") + api.Calls("GET /v1/messages/.."); n != 0 {
		t.Fatalf("%d calls reached Webex", n)
	}
}

func TestEscapesIDsInThePath(t *testing.T) {
	t.Parallel()
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.EscapedPath()
		json.NewEncoder(w).Encode(webexapi.Person{ID: "x"})
	}))
	t.Cleanup(srv.Close)
	if _, err := client(srv.URL, token).Person(context.Background(), "a/../b?c"); err != nil {
		t.Fatal(err)
	}
	if path != "/v1/people/a%2F..%2Fb%3Fc" {
		t.Fatalf("path %q", path)
	}
}
