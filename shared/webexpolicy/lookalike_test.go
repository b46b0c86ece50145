package webexpolicy_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/webexapi"
	"github.com/webhookguard/webhookguard/shared/webexpolicy"
)

// Real-looking ids: base64url (padding dropped) of ciscospark URIs.
const (
	botUUID = "3cdd4059-9258-477d-b494-c133ac2cfad5"
	orgUUID = "96abc2aa-3dcc-11e5-a152-fe34819cdc9a"
)

func hydra(typ, uuid string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("ciscospark://us/" + typ + "/" + uuid))
}

var (
	botID = hydra("PEOPLE", botUUID)
	orgID = hydra("ORGANIZATION", orgUUID)
)

func event(actor, email string) []byte {
	return []byte(fmt.Sprintf(`{"resource":"messages","event":"created","actorId":%q,"data":{"id":"M1","personId":%q,"personEmail":%q}}`, actor, actor, email))
}

// TestNoLookAlikes lists senders who look like allowed ones, or like the
// bot, and must not be taken for them; and the same ids in their other
// encodings, which must.
func TestNoLookAlikes(t *testing.T) {
	t.Parallel()
	// MALLORY's People record: evil organisation and e-mail, so a sender
	// wrongly allowed by the event's own e-mail is the only way through.
	tests := []struct {
		name        string
		cfg         webexpolicy.Config
		body        []byte
		wantForward bool
		wantReason  string
	}{
		{"does not take the Kelvin sign for k in an address", webexpolicy.Config{AllowedEmails: []string{"kelly@example.com"}},
			event("MALLORY", "\u212Aelly@example.com"), false, webexpolicy.ReasonSenderNotAllowed},
		{"does not take the Kelvin sign for k in a domain", webexpolicy.Config{AllowedDomains: []string{"kelvin.example"}},
			event("MALLORY", "m@\u212Aelvin.example"), false, webexpolicy.ReasonSenderNotAllowed},
		{"does not take the Kelvin sign for k in a listed address", webexpolicy.Config{AllowedEmails: []string{"\u212Aelly@example.com"}},
			event("MALLORY", "kelly@example.com"), false, webexpolicy.ReasonSenderNotAllowed},
		{"does not read the domain after a second @", webexpolicy.Config{AllowedDomains: []string{"example.com"}},
			event("MALLORY", "mallory@evil.example@example.com"), false, webexpolicy.ReasonSenderNotAllowed},
		{"does not take an address with no name for its domain", webexpolicy.Config{AllowedDomains: []string{"example.com"}},
			event("MALLORY", "@example.com"), false, webexpolicy.ReasonSenderNotAllowed},
		{"does not trim a no-break space off an address", webexpolicy.Config{AllowedEmails: []string{"alice@example.com"}},
			event("MALLORY", "alice@example.com\u00a0"), false, webexpolicy.ReasonSenderNotAllowed},
		{"does not take the member added for the actor", webexpolicy.Config{AllowedEmails: []string{"alice@example.com"}},
			[]byte(`{"resource":"memberships","event":"created","data":{"personId":"ALICE","personEmail":"alice@example.com"}}`), false, webexpolicy.ReasonNoActor},
		{"does not fold the case of a base64 organisation id", webexpolicy.Config{AllowedOrgIDs: []string{orgID}},
			event("CASEY", ""), false, webexpolicy.ReasonSenderNotAllowed},
		{"recognises the bot by its bare UUID", webexpolicy.Config{BotID: botID},
			event(botUUID, ""), false, webexpolicy.ReasonOwnEvent},
		{"recognises the bot by its UUID in capitals", webexpolicy.Config{BotID: botID},
			event(hydra("PEOPLE", strings.ToUpper(botUUID)), ""), false, webexpolicy.ReasonOwnEvent},
		{"recognises the bot by its padded standard base64 id", webexpolicy.Config{BotID: botUUID},
			event(base64.StdEncoding.EncodeToString([]byte("ciscospark://us/PEOPLE/"+botUUID)), ""), false, webexpolicy.ReasonOwnEvent},
		{"recognises the bot learnt from /people/me by its bare UUID", webexpolicy.Config{},
			event(botUUID, ""), false, webexpolicy.ReasonOwnEvent},
		{"does not take another type's id with the bot's UUID for the bot", webexpolicy.Config{BotID: botID},
			event(hydra("ROOM", botUUID), ""), true, ""},
		{"matches an organisation listed in the envelope's encoding", webexpolicy.Config{AllowedOrgIDs: []string{base64.RawStdEncoding.EncodeToString([]byte(orgUUID))}},
			event("ALICE", ""), true, ""},
		{"matches an allowed address in other ASCII case", webexpolicy.Config{AllowedEmails: []string{"Alice@Example.COM"}},
			event("ALICE", "aLICE@example.com"), true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := webexstub.New(token, webexapi.Person{ID: botID, Emails: []string{"helper@webex.bot"}})
			t.Cleanup(api.Close)
			api.AddPerson(webexapi.Person{ID: "MALLORY", Emails: []string{"mallory@evil.example"}, OrgID: "ORG-EVIL"})
			api.AddPerson(webexapi.Person{ID: "ALICE", Emails: []string{"alice@example.com"}, OrgID: orgID})
			api.AddPerson(webexapi.Person{ID: "CASEY", Emails: []string{"casey@evil.example"}, OrgID: strings.ToUpper(orgID)})
			p := newPolicy(t, api, tc.cfg)
			forward, reason, err := p.Decide(context.Background(), tc.body)
			if err != nil || forward != tc.wantForward || reason != tc.wantReason {
				t.Fatalf("Decide = %v %q %v, want %v %q", forward, reason, err, tc.wantForward, tc.wantReason)
			}
		})
	}
}

func TestNewRefusesListEntriesThatCannotMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  webexpolicy.Config
	}{
		{"refuses an address without @", webexpolicy.Config{AllowedEmails: []string{"alice"}}},
		{"refuses an address with two @", webexpolicy.Config{AllowedEmails: []string{"a@b@example.com"}}},
		{"refuses a domain with @ inside", webexpolicy.Config{AllowedDomains: []string{"a@example.com"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := webexpolicy.New(tc.cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestUnknownPeopleAreRememberedBriefly(t *testing.T) {
	t.Parallel()
	api := webexstub.New(token, bot)
	t.Cleanup(api.Close)
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	p := newPolicy(t, api, webexpolicy.Config{AllowedOrgIDs: []string{"ORG-HOME"}, NotFoundTTL: time.Minute,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	decide := func() {
		t.Helper()
		if forward, reason, err := p.Decide(context.Background(), event("GHOST", "")); forward || reason != webexpolicy.ReasonSenderUnknown || err != nil {
			t.Fatalf("Decide = %v %q %v", forward, reason, err)
		}
	}
	for i := 0; i < 5; i++ {
		decide()
	}
	if n := api.Calls("GET /v1/people/GHOST"); n != 1 {
		t.Fatalf("%d lookups within a minute, want 1", n)
	}
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	decide()
	if n := api.Calls("GET /v1/people/GHOST"); n != 2 {
		t.Fatalf("%d lookups after a minute, want 2", n)
	}
}

// TestErrorsCarryNoIDsOrEmails makes lookups fail in every way and checks
// that nothing identifying the sender reaches the error, which is logged.
func TestErrorsCarryNoIDsOrEmails(t *testing.T) {
	t.Parallel()
	const actor, email = "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9tYWxsb3J5", "mallory@evil.example"
	tests := []struct {
		name     string
		breakAPI func(*webexstub.Server)
	}{
		{"People API unreachable", func(s *webexstub.Server) { s.Close() }},
		{"People API failing", func(s *webexstub.Server) { s.FailNext("GET /v1/people/Y2", 500, 1) }},
		{"People API refusing the token", func(s *webexstub.Server) { s.FailNext("GET /v1/people/Y2", 401, 1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := webexstub.New(token, bot)
			t.Cleanup(api.Close)
			p := newPolicy(t, api, webexpolicy.Config{BotID: "BOT", AllowedOrgIDs: []string{"ORG-HOME"}})
			tc.breakAPI(api)
			_, _, err := p.Decide(context.Background(), event(actor, email))
			if !errors.Is(err, webexpolicy.ErrUnavailable) {
				t.Fatalf("Decide error %v, want ErrUnavailable", err)
			}
			if s := err.Error(); strings.Contains(s, actor) || strings.Contains(s, email) || strings.Contains(s, "/people/Y2") {
				t.Fatalf("error %q names the sender", s)
			}
		})
	}
}

// slowMe is a People whose /people/me answers only when released.
type slowMe struct {
	calls   atomic.Int64
	release chan struct{}
	fail    atomic.Bool
}

func (s *slowMe) Me(ctx context.Context) (webexapi.Person, error) {
	s.calls.Add(1)
	select {
	case <-s.release:
	case <-ctx.Done():
		return webexapi.Person{}, ctx.Err()
	}
	if s.fail.Load() {
		return webexapi.Person{}, webexapi.ErrUnavailable
	}
	return webexapi.Person{ID: botID}, nil
}

func (s *slowMe) Person(context.Context, string) (webexapi.Person, error) {
	return webexapi.Person{}, webexapi.ErrNotFound
}

// TestBotLookupBlocksNoOneBeyondTheirDeadline starts a slow /people/me: a
// request with a short deadline gives up in time instead of queueing
// behind it, concurrent requests share the one call, and all get the id.
func TestBotLookupBlocksNoOneBeyondTheirDeadline(t *testing.T) {
	t.Parallel()
	me := &slowMe{release: make(chan struct{})}
	p, err := webexpolicy.New(webexpolicy.Config{People: me})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]string, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i], _ = p.Decide(context.Background(), event(botUUID, ""))
		}()
	}
	for me.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err = p.Decide(ctx, event(botUUID, ""))
	if !errors.Is(err, webexpolicy.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the request with a short deadline: %v, want its deadline", err)
	}
	close(me.release) // only now does /people/me answer
	wg.Wait()
	for i, r := range results {
		if r != webexpolicy.ReasonOwnEvent {
			t.Fatalf("request %d: reason %q, want %q", i, r, webexpolicy.ReasonOwnEvent)
		}
	}
	if n := me.calls.Load(); n != 1 {
		t.Fatalf("%d calls to /people/me, want 1", n)
	}
}

// TestACancelledCallerDoesNotFailTheOthers cancels the request whose call
// is in flight: the others ask again instead of taking its cancellation.
func TestACancelledCallerDoesNotFailTheOthers(t *testing.T) {
	t.Parallel()
	me := &slowMe{release: make(chan struct{})}
	p, err := webexpolicy.New(webexpolicy.Config{People: me})
	if err != nil {
		t.Fatal(err)
	}
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderDone := make(chan error, 1)
	go func() { _, _, err := p.Decide(leaderCtx, event(botUUID, "")); leaderDone <- err }()
	for me.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	other := make(chan string, 1)
	go func() { _, reason, _ := p.Decide(context.Background(), event(botUUID, "")); other <- reason }()
	time.Sleep(20 * time.Millisecond) // let it wait on the call in flight
	cancelLeader()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v", err)
	}
	close(me.release)
	if r := <-other; r != webexpolicy.ReasonOwnEvent {
		t.Fatalf("the other request: reason %q, want %q", r, webexpolicy.ReasonOwnEvent)
	}
}

// TestAFailedBotLookupIsNotRepeatedAtOnce: while /people/me fails, requests
// get the error without another call for a second.
func TestAFailedBotLookupIsNotRepeatedAtOnce(t *testing.T) {
	t.Parallel()
	me := &slowMe{release: make(chan struct{})}
	me.fail.Store(true)
	close(me.release)
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	p, err := webexpolicy.New(webexpolicy.Config{People: me, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, _, err := p.Decide(context.Background(), event("ALICE", "")); !errors.Is(err, webexpolicy.ErrUnavailable) {
			t.Fatalf("Decide: %v", err)
		}
	}
	if n := me.calls.Load(); n != 1 {
		t.Fatalf("%d calls within a second, want 1", n)
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	me.fail.Store(false)
	if _, reason, err := p.Decide(context.Background(), event(botUUID, "")); err != nil || reason != webexpolicy.ReasonOwnEvent {
		t.Fatalf("after the pause: %q %v", reason, err)
	}
}
