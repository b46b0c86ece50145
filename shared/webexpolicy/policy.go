// Package webexpolicy decides which verified Webex events reach the bot: only
// those caused by people you allow, and never those the bot caused itself.
//
// A valid signature proves that Webex sent an event, not that the person
// behind it may drive the bot: anyone who knows the bot's address can add it
// to a space and message it. The acting person is the event's actorId (or
// data.personId). They are allowed when their e-mail is listed, or its
// domain, or their organisation. The envelope's orgId is the webhook owner's,
// not the sender's, so the sender's organisation (and e-mail, when the event
// does not carry it) comes from GET /v1/people/{id}, asked only when the
// cheaper checks cannot decide, and cached.
package webexpolicy

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"webhookguard/shared/webexapi"
	"webhookguard/shared/webhook"
)

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
	// still dropped).
	AllowedEmails  []string
	AllowedDomains []string
	AllowedOrgIDs  []string
	// BotID is the bot's person id. Empty: learnt with GET /v1/people/me
	// when People is set.
	BotID string
	// People looks people up; nil means no lookups (then an organisation
	// list cannot be checked, and New refuses it).
	People People
	// CacheSize bounds the people cache (default 1024 entries); CacheTTL is
	// how long a person is trusted (default 15 minutes).
	CacheSize int
	CacheTTL  time.Duration
	// Now returns the time; default time.Now.
	Now func() time.Time
}

// Policy implements webhook.Policy for Webex events. It is safe for
// concurrent use.
type Policy struct {
	cfg     Config
	emails  map[string]bool
	domains map[string]bool
	orgs    map[string]bool

	botMu sync.Mutex
	botID string

	cache *lru
}

// New returns a policy. It refuses an organisation list without a way to
// look people up, rather than silently refusing everyone.
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
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Policy{cfg: cfg, emails: set(cfg.AllowedEmails), domains: set(cfg.AllowedDomains), orgs: set(cfg.AllowedOrgIDs),
		botID: cfg.BotID, cache: newLRU(cfg.CacheSize)}
	for d := range p.domains {
		delete(p.domains, d)
		p.domains[strings.TrimPrefix(d, "@")] = true
	}
	return p, nil
}

func set(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		if x = strings.ToLower(strings.TrimSpace(x)); x != "" {
			m[x] = true
		}
	}
	return m
}

func (p *Policy) restricted() bool { return len(p.emails)+len(p.domains)+len(p.orgs) > 0 }

// event is the part of a Webex event the policy reads.
type event struct {
	ActorID string `json:"actorId"`
	Data    struct {
		PersonID    string `json:"personId"`
		PersonEmail string `json:"personEmail"`
	} `json:"data"`
}

// Decide implements webhook.Policy. Errors wrap webhook.ErrPolicyUnavailable:
// the policy never guesses when Webex cannot be asked.
func (p *Policy) Decide(ctx context.Context, body []byte) (bool, string, error) {
	var e event
	_ = json.Unmarshal(body, &e) // not JSON: no actor, decided below
	actor := e.ActorID
	if actor == "" {
		actor = e.Data.PersonID
	}
	if actor == "" {
		if p.restricted() {
			return false, ReasonNoActor, nil
		}
		return true, "", nil
	}
	bot, err := p.bot(ctx)
	if err != nil {
		return false, "", err
	}
	if bot != "" && actor == bot {
		return false, ReasonOwnEvent, nil
	}
	if !p.restricted() {
		return true, "", nil
	}
	// Cheap: the event's own e-mail, when it is the actor's.
	if e.Data.PersonEmail != "" && e.Data.PersonID == actor && p.emailAllowed(e.Data.PersonEmail) {
		return true, "", nil
	}
	if p.cfg.People == nil {
		return false, ReasonSenderNotAllowed, nil
	}
	person, err := p.person(ctx, actor)
	if errors.Is(err, webexapi.ErrNotFound) {
		return false, ReasonSenderUnknown, nil
	}
	if err != nil {
		return false, "", fmt.Errorf("%w: %w", webhook.ErrPolicyUnavailable, err)
	}
	if p.orgs[strings.ToLower(person.OrgID)] {
		return true, "", nil
	}
	for _, m := range person.Emails {
		if p.emailAllowed(m) {
			return true, "", nil
		}
	}
	return false, ReasonSenderNotAllowed, nil
}

func (p *Policy) emailAllowed(addr string) bool {
	addr = strings.ToLower(strings.TrimSpace(addr))
	if p.emails[addr] {
		return true
	}
	at := strings.LastIndexByte(addr, '@')
	return at >= 0 && p.domains[addr[at+1:]]
}

// bot returns the bot's id, asking Webex once when it was not configured.
func (p *Policy) bot(ctx context.Context) (string, error) {
	p.botMu.Lock()
	defer p.botMu.Unlock()
	if p.botID != "" || p.cfg.People == nil {
		return p.botID, nil
	}
	me, err := p.cfg.People.Me(ctx)
	if err != nil {
		return "", fmt.Errorf("%w: who am I: %w", webhook.ErrPolicyUnavailable, err)
	}
	p.botID = me.ID
	return p.botID, nil
}

func (p *Policy) person(ctx context.Context, id string) (webexapi.Person, error) {
	now := p.cfg.Now()
	if person, ok := p.cache.get(id, now); ok {
		return person, nil
	}
	person, err := p.cfg.People.Person(ctx, id)
	if err != nil {
		return person, err
	}
	p.cache.put(id, person, now.Add(p.cfg.CacheTTL))
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
	person  webexapi.Person
	expires time.Time
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru) get(id string, now time.Time) (webexapi.Person, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[id]
	if !ok {
		return webexapi.Person{}, false
	}
	e := el.Value.(*lruEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, id)
		return webexapi.Person{}, false
	}
	c.order.MoveToFront(el)
	return e.person, true
}

func (c *lru) put(id string, person webexapi.Person, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		el.Value = &lruEntry{id, person, expires}
		c.order.MoveToFront(el)
		return
	}
	c.items[id] = c.order.PushFront(&lruEntry{id, person, expires})
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
