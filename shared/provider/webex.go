package provider

import (
	container "container/list"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/verify"
	"github.com/webhookguard/webhookguard/shared/webexapi"
	"github.com/webhookguard/webhookguard/shared/webexpolicy"
)

// Webex is Cisco Webex (Webhooks API, X-Spark-Signature).
var Webex = register(Provider{
	Name:             "webex",
	FunctionID:       "WebexFunction",
	SignatureHeaders: []string{verify.HeaderWebex},
	NewVerifier:      func(k ...verify.Key) (verify.Verifier, error) { return verify.NewWebex(k...) },
	Sign: func(secret []byte, _, _ string, body []byte) (http.Header, error) {
		return http.Header{verify.HeaderWebex: {verify.SignWebex(secret, body)}}, nil
	},
	EventType: webexEventType,
	DedupKey:  webexDedupKey,
	EventTime: webexEventTime,
	Sample:    Sample{ContentType: "application/json", Body: []byte(`{"id":"Y2lzY29zcGFyazovL3VzL1dFQkhPT0svMTIz","name":"webhookguard","targetUrl":"https://example.com/webex","resource":"messages","event":"created","orgId":"Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi8x","createdBy":"Y2lzY29zcGFyazovL3VzL1BFT1BMRS9ib3Q","appId":"Y2lzY29zcGFyazovL3VzL0FQUExJQ0FUSU9OLzE","ownedBy":"creator","status":"active","created":"2026-11-22T12:00:00.000Z","actorId":"Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ","data":{"id":"Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMQ","roomId":"Y2lzY29zcGFyazovL3VzL1JPT00vMQ","roomType":"group","personId":"Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hbGljZQ","personEmail":"alice@example.com","created":"2026-11-22T12:00:00.000Z"}}`)},
	Policy:    webexPolicy,
})

// webexEvent is the part of a Webex webhook envelope read here.
type webexEvent struct {
	Resource string `json:"resource"`
	Event    string `json:"event"`
	Data     struct {
		ID      string `json:"id"`
		Created string `json:"created"`
	} `json:"data"`
}

func webexEventType(_ string, body []byte) string {
	var e webexEvent
	if json.Unmarshal(body, &e) != nil || e.Resource == "" {
		return ""
	}
	return e.Resource + "." + e.Event
}

// webexDedupKey is resource, event and data.id: the webhook's own top-level
// id names the webhook, not the event, and a deleted message keeps the id
// of the message, so the event is part of the key. One resource is
// updated many times, so an "updated" event adds a hash of the body: a
// retry carries the same bytes, the next update other ones.
func webexDedupKey(_ string, body []byte) string {
	var e webexEvent
	if json.Unmarshal(body, &e) != nil || e.Resource == "" || e.Data.ID == "" {
		return bodyHash(body)
	}
	if e.Event == "updated" {
		return dedupKey(e.Resource, e.Event, e.Data.ID, shortHash(string(body)))
	}
	return dedupKey(e.Resource, e.Event, e.Data.ID)
}

// webexEventTime is data.created of a "created" event: when the message,
// membership or card submission was made.
func webexEventTime(body []byte) (time.Time, bool) {
	var e webexEvent
	if json.Unmarshal(body, &e) != nil || e.Event != "created" || e.Data.Created == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, e.Data.Created)
	return t, err == nil
}

// Tags of a source's secret that set the source's Webex sender policy, in
// a function serving several sources (see the README's "Several bots or
// projects"). Each overrides the function's WEBEX_* setting for that source.
const (
	// WebexTagBotID is the source's bot's person id; its events are
	// dropped.
	WebexTagBotID = secrets.SettingsTagPrefix + "bot-id"
	// WebexTagBotTokenSecretID names the secret holding the source's bot
	// token, for People lookups. With it and no WebexTagBotID, the bot's
	// id is learnt with that token (GET /v1/people/me), never taken from
	// WEBEX_BOT_ID.
	WebexTagBotTokenSecretID = secrets.SettingsTagPrefix + "bot-token-secret-id"
	// WebexTagAllowedEmails, WebexTagAllowedDomains and
	// WebexTagAllowedOrgIDs list who may drive the source's bot, separated
	// by spaces (tag values cannot hold commas). When any of the three is
	// set, the three replace the function's three lists for the source.
	WebexTagAllowedEmails  = secrets.SettingsTagPrefix + "allowed-emails"
	WebexTagAllowedDomains = secrets.SettingsTagPrefix + "allowed-domains"
	WebexTagAllowedOrgIDs  = secrets.SettingsTagPrefix + "allowed-org-ids"
)

// Bounds of the per-source Webex policies.
const (
	// webexSourcePolicies is how many sources' policies are held.
	webexSourcePolicies = 128
	// webexSourcePeople is how many people each source's policy caches.
	webexSourcePeople = 256
)

// webexPolicy builds the Webex sender policy from WEBEX_ALLOWED_EMAILS,
// WEBEX_ALLOWED_DOMAINS, WEBEX_ALLOWED_ORG_IDS (comma-separated),
// WEBEX_BOT_ID, WEBEX_BOT_TOKEN_SECRET_ID (the bot token's secret, for People
// lookups) and WEBEX_API_URL (default https://webexapis.com). With none of
// them set there is no policy: every verified event is handed on. A function
// serving several sources gets a policy per source: these settings overlaid
// with the source's tags (WebexTag*).
func webexPolicy(env Env) (Policy, error) {
	cfg := webexpolicy.Config{
		AllowedEmails:  list(env.Getenv("WEBEX_ALLOWED_EMAILS")),
		AllowedDomains: list(env.Getenv("WEBEX_ALLOWED_DOMAINS")),
		AllowedOrgIDs:  list(env.Getenv("WEBEX_ALLOWED_ORG_IDS")),
		BotID:          strings.TrimSpace(env.Getenv("WEBEX_BOT_ID")),
	}
	if id := strings.TrimSpace(env.Getenv("WEBEX_BOT_TOKEN_SECRET_ID")); id != "" {
		token := secrets.NewValue(env.Secrets, id, 0)
		cfg.People = &webexapi.Client{BaseURL: env.Getenv("WEBEX_API_URL"), Token: token.Get}
	}
	configured := cfg.People != nil || cfg.BotID != "" || len(cfg.AllowedEmails)+len(cfg.AllowedDomains)+len(cfg.AllowedOrgIDs) > 0
	if env.Sources {
		// The function's settings are every source's defaults: refuse them
		// now if they cannot make a policy.
		if _, err := webexpolicy.New(cfg); configured && err != nil {
			return nil, err
		}
		return &webexSources{env: env, base: cfg, order: container.New(), items: map[string]*container.Element{}}, nil
	}
	if !configured {
		return nil, nil
	}
	p, err := webexpolicy.New(cfg)
	if err != nil {
		return nil, err
	}
	return webexSenders{p}, nil
}

// webexSenders adapts the sender policy to Policy.
type webexSenders struct{ p *webexpolicy.Policy }

func (w webexSenders) Decide(ctx context.Context, ev PolicyEvent) (bool, string, error) {
	return w.p.Decide(ctx, ev.Body)
}

// webexSources holds a sender policy per source, built from the function's
// settings overlaid with the source's, rebuilt when the source's settings
// change, the least recently used dropped beyond webexSourcePolicies.
type webexSources struct {
	env  Env
	base webexpolicy.Config

	mu    sync.Mutex
	order *container.List // of *webexSource, most recently used first
	items map[string]*container.Element
}

type webexSource struct {
	name     string
	settings map[string]string
	p        *webexpolicy.Policy // nil: every sender is allowed
}

func (w *webexSources) Decide(ctx context.Context, ev PolicyEvent) (bool, string, error) {
	p, err := w.policy(ev.Source, ev.Settings)
	if err != nil {
		return false, "", err
	}
	if p == nil {
		return true, "", nil
	}
	return p.Decide(ctx, ev.Body)
}

// policy returns the source's policy, building it when there is none or
// its settings changed.
func (w *webexSources) policy(name string, settings map[string]string) (*webexpolicy.Policy, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	el, ok := w.items[name]
	if ok && maps.Equal(el.Value.(*webexSource).settings, settings) {
		w.order.MoveToFront(el)
		return el.Value.(*webexSource).p, nil
	}
	cfg, configured := w.configFor(settings)
	var p *webexpolicy.Policy
	if configured {
		var err error
		if p, err = webexpolicy.New(cfg); err != nil {
			return nil, fmt.Errorf("source %s: %w", name, err)
		}
	}
	entry := &webexSource{name: name, settings: settings, p: p}
	if ok {
		el.Value = entry
		w.order.MoveToFront(el)
		return p, nil
	}
	w.items[name] = w.order.PushFront(entry)
	for w.order.Len() > webexSourcePolicies {
		last := w.order.Back()
		w.order.Remove(last)
		delete(w.items, last.Value.(*webexSource).name)
	}
	return p, nil
}

// configFor overlays the function's settings with a source's tags, and
// tells whether the result asks for any policy.
func (w *webexSources) configFor(settings map[string]string) (webexpolicy.Config, bool) {
	cfg := w.base
	cfg.CacheSize = webexSourcePeople
	emails, e := settings[WebexTagAllowedEmails]
	domains, d := settings[WebexTagAllowedDomains]
	orgs, o := settings[WebexTagAllowedOrgIDs]
	if e || d || o {
		cfg.AllowedEmails, cfg.AllowedDomains, cfg.AllowedOrgIDs = tagList(emails), tagList(domains), tagList(orgs)
	}
	if id, ok := settings[WebexTagBotTokenSecretID]; ok {
		// The source's own bot: its id is its tag's or its token's.
		cfg.People, cfg.BotID = nil, ""
		if id = strings.TrimSpace(id); id != "" {
			token := secrets.NewValue(w.env.Secrets, id, 0)
			cfg.People = &webexapi.Client{BaseURL: w.env.Getenv("WEBEX_API_URL"), Token: token.Get}
		}
	}
	if id, ok := settings[WebexTagBotID]; ok {
		cfg.BotID = strings.TrimSpace(id)
	}
	return cfg, cfg.People != nil || cfg.BotID != "" || len(cfg.AllowedEmails)+len(cfg.AllowedDomains)+len(cfg.AllowedOrgIDs) > 0
}

// tagList splits a tag's value at spaces or commas.
func tagList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// list splits a comma-separated setting, dropping empty items.
func list(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
