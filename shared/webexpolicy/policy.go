// Package webexpolicy decides which verified Webex events reach the bot: only
// those caused by people you allow, and never those the bot caused itself.
//
// A valid signature proves that Webex sent an event, not that the person
// behind it may drive the bot: anyone who knows the bot's address can add it
// to a space and message it. The acting person is the event's actorId; for
// messages and card submissions without one, data.personId (their author).
// A membership's data.personId is the member added, never the actor. The
// actor is allowed when their e-mail is listed, or its domain, or their
// organisation. The envelope's orgId is the webhook owner's, not the
// sender's, so the sender's organisation (and e-mail, when the event does
// not carry it) comes from GET /v1/people/{id}, asked only when the cheaper
// checks cannot decide, and cached.
//
// Comparisons leave no room for look-alikes: e-mail addresses and domains
// fold ASCII case only (the Kelvin sign is not "k"), an address has exactly
// one "@", and ids are compared by the UUID they encode, so the bot is
// recognised whether an id comes base64-encoded or as a bare UUID.
package webexpolicy

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// ErrUnavailable means the policy could not decide: the bot's identity or
// the sender could not be looked up. Every error Decide returns wraps it.
var ErrUnavailable = errors.New("webexpolicy: unavailable")

// Reasons a verified event is acknowledged but not forwarded.
const (
	ReasonOwnEvent         = "own_event"
	ReasonSenderNotAllowed = "sender_not_allowed"
	ReasonSenderUnknown    = "sender_unknown"
	ReasonNoActor          = "no_actor"
)

// People looks people up; *webexapi.Client implements it.
type People interface {
	Person(ctx context.Context, id string) (webexapi.Person, error)
	Me(ctx context.Context) (webexapi.Person, error)
}

// Config configures a Policy.
type Config struct {
	// AllowedEmails, AllowedDomains and AllowedOrgIDs list who may drive
	// the bot. All empty: every sender is allowed (the bot's own events are
	// still dropped). An address needs exactly one "@"; a domain may start
	// with "@"; an organisation id may be given in either Webex encoding.
	AllowedEmails  []string
	AllowedDomains []string
	AllowedOrgIDs  []string
	// BotID is the bot's person id, in either encoding. Empty: learnt with
	// GET /v1/people/me when People is set.
	BotID string
	// People looks people up; nil means no lookups (then an organisation
	// list cannot be checked, and New refuses it).
	People People
	// CacheSize bounds the people cache (default 1024 entries); CacheTTL is
	// how long a person is trusted (default 15 minutes); NotFoundTTL how
	// long a person Webex does not know stays unknown (default 1 minute).
	CacheSize   int
	CacheTTL    time.Duration
	NotFoundTTL time.Duration
	// Now returns the time; default time.Now.
	Now func() time.Time
}

// botRetry is how long a failed /people/me is not asked again: requests in
// that time get the same error, so an API in trouble is not hammered.
const botRetry = time.Second

// Policy decides on Webex events. It is safe for concurrent use.
type Policy struct {
	cfg     Config
	emails  map[string]bool
	domains map[string]bool
	orgs    map[string]bool

	// The bot's id, learnt once. botMu is never held across a call.
	botMu      sync.Mutex
	botKey     string // personKey of the bot's id; "" until known
	botFlight  *flight
	botErr     error
	botRetryAt time.Time

	cache *lru
}

// flight is one /people/me call that concurrent requests wait for.
type flight struct {
	done       chan struct{}
	key        string
	err        error
	callerGone bool // the call failed because its caller's context ended
}

// New returns a policy. It refuses an organisation list without a way to
// look people up, rather than silently refusing everyone, and list entries
// that cannot match anything.
func New(cfg Config) (*Policy, error) {
	if len(cfg.AllowedOrgIDs) > 0 && cfg.People == nil {
		return nil, errors.New("webexpolicy: an organisation list needs the bot token to look people up")
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 1024
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 15 * time.Minute
	}
	if cfg.NotFoundTTL <= 0 {
		cfg.NotFoundTTL = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Policy{cfg: cfg, emails: map[string]bool{}, domains: map[string]bool{}, orgs: map[string]bool{}, cache: newLRU(cfg.CacheSize)}
	var errs []error
	for _, e := range cfg.AllowedEmails {
		if e = trimASCIISpace(e); e == "" {
			continue
		}
		if _, _, ok := splitAddress(e); !ok {
			errs = append(errs, fmt.Errorf("webexpolicy: allowed e-mail %q: want exactly one @ between a name and a domain", e))
			continue
		}
		p.emails[asciiLower(e)] = true
	}
	for _, d := range cfg.AllowedDomains {
		d = trimASCIISpace(d)
		if len(d) > 0 && d[0] == '@' {
			d = d[1:]
		}
		if d == "" {
			continue
		}
		if _, _, ok := splitAddress("x@" + d); !ok {
			errs = append(errs, fmt.Errorf("webexpolicy: allowed domain %q: want a domain such as example.com", d))
			continue
		}
		p.domains[asciiLower(d)] = true
	}
	for _, o := range cfg.AllowedOrgIDs {
		if o = trimASCIISpace(o); o != "" {
			p.orgs[orgKey(o)] = true
		}
	}
	if id := trimASCIISpace(cfg.BotID); id != "" {
		p.botKey = personKey(id)
	}
	return p, errors.Join(errs...)
}

func (p *Policy) restricted() bool { return len(p.emails)+len(p.domains)+len(p.orgs) > 0 }

// event is the part of a Webex event the policy reads.
type event struct {
	Resource string `json:"resource"`
	ActorID  string `json:"actorId"`
	Data     struct {
		PersonID    string `json:"personId"`
		PersonEmail string `json:"personEmail"`
	} `json:"data"`
}

// authoredInData lists the resources whose data.personId is the person
// who caused the event: a message's author, a card's submitter. For a
// membership it is the member, who may not have acted at all.
var authoredInData = map[string]bool{"messages": true, "attachmentActions": true}

// Decide tells whether the event in body is handed on, and why not. Errors
// wrap ErrUnavailable: the policy never guesses when Webex cannot be asked.
// Neither reasons nor errors carry ids or e-mail addresses.
func (p *Policy) Decide(ctx context.Context, body []byte) (bool, string, error) {
	var e event
	_ = json.Unmarshal(body, &e) // not JSON: no actor, decided below
	actor := e.ActorID
	if actor == "" && authoredInData[e.Resource] {
		actor = e.Data.PersonID
	}
	if actor == "" {
		if p.restricted() {
			return false, ReasonNoActor, nil
		}
		return true, "", nil
	}
	actorKey := personKey(actor)
	bot, err := p.bot(ctx)
	if err != nil {
		return false, "", err
	}
	if bot != "" && actorKey == bot {
		return false, ReasonOwnEvent, nil
	}
	if !p.restricted() {
		return true, "", nil
	}
	// Cheap: the event's own e-mail, when it is the actor's.
	if e.Data.PersonEmail != "" && personKey(e.Data.PersonID) == actorKey && p.emailAllowed(e.Data.PersonEmail) {
		return true, "", nil
	}
	if p.cfg.People == nil {
		return false, ReasonSenderNotAllowed, nil
	}
	person, err := p.person(ctx, actor, actorKey)
	if errors.Is(err, webexapi.ErrNotFound) {
		return false, ReasonSenderUnknown, nil
	}
	if err != nil {
		return false, "", fmt.Errorf("%w: look up the sender: %w", ErrUnavailable, err)
	}
	if person.OrgID != "" && p.orgs[orgKey(person.OrgID)] {
		return true, "", nil
	}
	for _, m := range person.Emails {
		if p.emailAllowed(m) {
			return true, "", nil
		}
	}
	return false, ReasonSenderNotAllowed, nil
}

// emailAllowed tells whether addr, or its domain, is listed. The address
// must have exactly one "@"; only ASCII case is folded, and nothing is
// trimmed.
func (p *Policy) emailAllowed(addr string) bool {
	_, domain, ok := splitAddress(addr)
	if !ok {
		return false
	}
	return p.emails[asciiLower(addr)] || p.domains[asciiLower(domain)]
}

// bot returns the key of the bot's id, asking Webex once when it was not
// configured. Concurrent requests share one call; each waits only as long
// as its own context allows, and no lock is held during the call.
func (p *Policy) bot(ctx context.Context) (string, error) {
	for {
		p.botMu.Lock()
		if p.botKey != "" || p.cfg.People == nil {
			key := p.botKey
			p.botMu.Unlock()
			return key, nil
		}
		if p.botErr != nil && p.cfg.Now().Before(p.botRetryAt) {
			err := p.botErr
			p.botMu.Unlock()
			return "", err
		}
		f := p.botFlight
		if f == nil {
			f = &flight{done: make(chan struct{})}
			p.botFlight = f
			p.botMu.Unlock()
			p.learnBot(ctx, f)
			return f.key, f.err
		}
		p.botMu.Unlock()
		select {
		case <-f.done:
			if f.callerGone && ctx.Err() == nil {
				continue // the caller who asked gave up; ask again
			}
			return f.key, f.err
		case <-ctx.Done():
			return "", fmt.Errorf("%w: who am I: %w", ErrUnavailable, ctx.Err())
		}
	}
}

// learnBot asks /people/me for f and publishes the outcome.
func (p *Policy) learnBot(ctx context.Context, f *flight) {
	me, err := p.cfg.People.Me(ctx)
	if err == nil && me.ID == "" {
		err = errors.New("no id in the answer")
	}
	p.botMu.Lock()
	p.botFlight = nil
	if err == nil {
		p.botKey, f.key = personKey(me.ID), personKey(me.ID)
	} else {
		f.err = fmt.Errorf("%w: who am I: %w", ErrUnavailable, err)
		f.callerGone = ctx.Err() != nil
		if !f.callerGone { // a caller's own deadline is not Webex's failure
			p.botErr, p.botRetryAt = f.err, p.cfg.Now().Add(botRetry)
		}
	}
	p.botMu.Unlock()
	close(f.done)
}

// person returns the person with the given id, from the cache when it is
// fresh. A person Webex does not know is remembered for NotFoundTTL.
func (p *Policy) person(ctx context.Context, id, key string) (webexapi.Person, error) {
	now := p.cfg.Now()
	if e, ok := p.cache.get(key, now); ok {
		if !e.found {
			return webexapi.Person{}, fmt.Errorf("%w (cached)", webexapi.ErrNotFound)
		}
		return e.person, nil
	}
	person, err := p.cfg.People.Person(ctx, id)
	switch {
	case errors.Is(err, webexapi.ErrNotFound):
		p.cache.put(key, lruValue{}, now.Add(p.cfg.NotFoundTTL))
		return person, err
	case err != nil:
		return person, err
	}
	p.cache.put(key, lruValue{person: person, found: true}, now.Add(p.cfg.CacheTTL))
	return person, nil
}

// lru is a bounded, expiring cache of people.
type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type lruEntry struct {
	id      string
	value   lruValue
	expires time.Time
}

// lruValue is a person, or the memory that Webex did not know them.
type lruValue struct {
	person webexapi.Person
	found  bool
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru) get(id string, now time.Time) (lruValue, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[id]
	if !ok {
		return lruValue{}, false
	}
	e := el.Value.(*lruEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, id)
		return lruValue{}, false
	}
	c.order.MoveToFront(el)
	return e.value, true
}

func (c *lru) put(id string, v lruValue, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		el.Value = &lruEntry{id, v, expires}
		c.order.MoveToFront(el)
		return
	}
	c.items[id] = c.order.PushFront(&lruEntry{id, v, expires})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruEntry).id)
	}
}

// Len returns how many people are cached.
func (p *Policy) Len() int {
	p.cache.mu.Lock()
	defer p.cache.mu.Unlock()
	return p.cache.order.Len()
}
