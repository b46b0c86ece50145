package webexpolicy_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/webexapi"
	"github.com/webhookguard/webhookguard/shared/webexpolicy"
)

const token = "bot-token-value"

var (
	bot     = webexapi.Person{ID: "BOT", Emails: []string{"helper@webex.bot"}, OrgID: "ORG-HOME", Type: "bot"}
	alice   = webexapi.Person{ID: "ALICE", Emails: []string{"alice@example.com"}, OrgID: "ORG-HOME"}
	bob     = webexapi.Person{ID: "BOB", Emails: []string{"bob@partner.example"}, OrgID: "ORG-PARTNER"}
	mallory = webexapi.Person{ID: "MALLORY", Emails: []string{"mallory@evil.example"}, OrgID: "ORG-EVIL"}
)

// message returns a messages/created event caused by person.
func message(p webexapi.Person, withEmail bool) []byte {
	email := ""
	if withEmail {
		email = p.Emails[0]
	}
	return []byte(fmt.Sprintf(`{"id":"W1","resource":"messages","event":"created","orgId":"ORG-HOME","actorId":%q,"data":{"id":"M1","personId":%q,"personEmail":%q}}`, p.ID, p.ID, email))
}

func newPolicy(t *testing.T, api *webexstub.Server, cfg webexpolicy.Config) *webexpolicy.Policy {
	t.Helper()
	if api != nil {
		cfg.People = &webexapi.Client{BaseURL: api.URL, Token: func(context.Context) (string, error) { return token, nil }}
	}
	p, err := webexpolicy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		cfg         webexpolicy.Config
		body        []byte
		wantForward bool
		wantReason  string
		wantLookups int
	}{
		{"drops the bot's own message, learning its id from /people/me", webexpolicy.Config{}, message(bot, true), false, webexpolicy.ReasonOwnEvent, 0},
		{"drops the bot's own message with a configured id", webexpolicy.Config{BotID: "BOT"}, message(bot, true), false, webexpolicy.ReasonOwnEvent, 0},
		{"forwards anyone else when no list is set", webexpolicy.Config{}, message(mallory, true), true, "", 0},
		{"forwards an allowed e-mail without asking Webex", webexpolicy.Config{AllowedEmails: []string{"Alice@Example.com"}}, message(alice, true), true, "", 0},
		{"forwards an allowed domain without asking Webex", webexpolicy.Config{AllowedDomains: []string{"@partner.example"}}, message(bob, true), true, "", 0},
		{"forwards an allowed organisation after one lookup", webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}}, message(alice, true), true, "", 1},
		{"drops another organisation", webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}}, message(mallory, true), false, webexpolicy.ReasonSenderNotAllowed, 1},
		{"looks up the e-mail when the event does not carry it", webexpolicy.Config{AllowedEmails: []string{"bob@partner.example"}}, message(bob, false), true, "", 1},
		{"drops an e-mail not on the list", webexpolicy.Config{AllowedEmails: []string{"alice@example.com"}, AllowedDomains: []string{"example.com"}}, message(mallory, true), false, webexpolicy.ReasonSenderNotAllowed, 1},
		{"does not take a look-alike domain", webexpolicy.Config{AllowedDomains: []string{"example.com"}}, []byte(`{"actorId":"X","data":{"personId":"X","personEmail":"x@evilexample.com"}}`), false, webexpolicy.ReasonSenderUnknown, 1},
		{"drops a sender Webex does not know", webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}}, []byte(`{"actorId":"GHOST","data":{}}`), false, webexpolicy.ReasonSenderUnknown, 1},
		{"drops an event without an actor when a list is set", webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}}, []byte(`{"resource":"rooms","data":{}}`), false, webexpolicy.ReasonNoActor, 0},
		{"uses data.personId of a message when actorId is missing", webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}}, []byte(`{"resource":"messages","data":{"personId":"ALICE"}}`), true, "", 1},
		{"uses data.personId of a card submission when actorId is missing", webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}}, []byte(`{"resource":"attachmentActions","data":{"personId":"ALICE"}}`), true, "", 1},
		{"judges the person who added a member, not the member", webexpolicy.Config{AllowedEmails: []string{"alice@example.com"}}, []byte(`{"resource":"memberships","event":"created","actorId":"MALLORY","data":{"personId":"ALICE","personEmail":"alice@example.com"}}`), false, webexpolicy.ReasonSenderNotAllowed, 1},
		{"drops the bot's own membership change", webexpolicy.Config{}, []byte(`{"resource":"memberships","event":"created","actorId":"BOT","data":{"personId":"BOT"}}`), false, webexpolicy.ReasonOwnEvent, 0},
		{"forwards a membership that adds the bot when an allowed person acted", webexpolicy.Config{AllowedEmails: []string{"alice@example.com"}}, []byte(`{"resource":"memberships","event":"created","actorId":"ALICE","data":{"personId":"BOT","personEmail":"helper@webex.bot"}}`), true, "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := webexstub.New(token, bot)
			t.Cleanup(api.Close)
			for _, p := range []webexapi.Person{alice, bob, mallory} {
				api.AddPerson(p)
			}
			p := newPolicy(t, api, tc.cfg)
			forward, reason, err := p.Decide(context.Background(), tc.body)
			if err != nil || forward != tc.wantForward || reason != tc.wantReason {
				t.Fatalf("Decide = %v %q %v, want %v %q", forward, reason, err, tc.wantForward, tc.wantReason)
			}
			lookups := 0
			for _, id := range []string{"ALICE", "BOB", "MALLORY", "GHOST", "X"} {
				lookups += api.Calls("GET /v1/people/" + id)
			}
			if lookups != tc.wantLookups {
				t.Fatalf("%d people lookups, want %d", lookups, tc.wantLookups)
			}
		})
	}
}

func TestCacheHitMakesNoSecondCall(t *testing.T) {
	t.Parallel()
	api := webexstub.New(token, bot)
	t.Cleanup(api.Close)
	api.AddPerson(alice)
	p := newPolicy(t, api, webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}})
	for i := 0; i < 5; i++ {
		if forward, _, err := p.Decide(context.Background(), message(alice, true)); !forward || err != nil {
			t.Fatalf("Decide #%d = %v %v", i, forward, err)
		}
	}
	if n := api.Calls("GET /v1/people/ALICE"); n != 1 {
		t.Fatalf("%d lookups of ALICE, want 1", n)
	}
	if n := api.Calls("GET /v1/people/me"); n != 1 {
		t.Fatalf("%d calls to /people/me, want 1", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	api := webexstub.New(token, bot)
	t.Cleanup(api.Close)
	p := newPolicy(t, api, webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}, CacheSize: 3})
	for i := 0; i < 10; i++ {
		id := fmt.Sprintf("P%d", i)
		api.AddPerson(webexapi.Person{ID: id, OrgID: "ORG-HOME"})
		if _, _, err := p.Decide(context.Background(), []byte(fmt.Sprintf(`{"actorId":%q}`, id))); err != nil {
			t.Fatal(err)
		}
	}
	if p.Len() != 3 {
		t.Fatalf("cache holds %d people, want 3", p.Len())
	}
}

func TestWebexUnreachableNeverGuesses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		token  func(context.Context) (string, error)
		cfg    webexpolicy.Config
	}{
		{"People API answering 500", http.StatusInternalServerError, nil, webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}}},
		{"People API rate limiting", http.StatusTooManyRequests, nil, webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}}},
		{"a token Webex refuses", 0, func(context.Context) (string, error) { return "stale-token", nil }, webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}}},
		{"a token that cannot be read", 0, func(context.Context) (string, error) { return "", errors.New("secret not found") }, webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}}},
		{"/people/me down with no bot id configured", http.StatusBadGateway, nil, webexpolicy.Config{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := webexstub.New(token, bot)
			t.Cleanup(api.Close)
			api.AddPerson(alice)
			api.FailWith(tc.status)
			tokenFn := tc.token
			if tokenFn == nil {
				tokenFn = func(context.Context) (string, error) { return token, nil }
			}
			cfg := tc.cfg
			cfg.People = &webexapi.Client{BaseURL: api.URL, Token: tokenFn}
			p, err := webexpolicy.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second) // the request path's budget
			defer cancel()
			forward, _, err := p.Decide(ctx, message(alice, true))
			if forward || !errors.Is(err, webexpolicy.ErrUnavailable) {
				t.Fatalf("Decide = %v, %v; want ErrUnavailable", forward, err)
			}
		})
	}
}

func TestNewRefusesAnOrganisationListWithoutLookups(t *testing.T) {
	t.Parallel()
	if _, err := webexpolicy.New(webexpolicy.Config{AllowedOrgIDs: []string{"ORG"}}); err == nil {
		t.Fatal("no error")
	}
}
