package secrets

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/webhookguard/webhookguard/shared/verify"
)

// SourcePlaceholder stands for the source's name in a secret id that serves
// several sources, such as "webhookguard/webex/{source}".
const SourcePlaceholder = "{source}"

// SettingsTagPrefix starts the tags of a source's secret that are the
// source's settings (such as "webhookguard:bot-id"); other tags are ignored.
const SettingsTagPrefix = "webhookguard:"

// Defaults of SourcesConfig.
const (
	// DefaultListInterval is how old the list of sources may grow before
	// a request lists them again: the longest a deleted source is served,
	// or a changed tag takes to apply.
	DefaultListInterval = time.Minute
	// DefaultMissInterval is the shortest time between two listings caused
	// by requests for sources not in the list: the longest a new source
	// waits to be found once Secrets Manager lists it, and what a flood of
	// made-up names costs (one listing per interval, whatever the flood).
	DefaultMissInterval = 10 * time.Second
	// DefaultMaxSources bounds how many sources' keys are held at once.
	DefaultMaxSources = 1000
)

// maxSourceName is the longest source name.
const maxSourceName = 63

// ValidSourceName reports whether name is a source name: a lower-case
// letter or digit, then up to 62 lower-case letters, digits or dashes.
func ValidSourceName(name string) bool {
	if len(name) == 0 || len(name) > maxSourceName {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && i > 0:
		default:
			return false
		}
	}
	return true
}

// HasSource reports whether secretID names the secrets of several sources:
// it contains SourcePlaceholder.
func HasSource(secretID string) bool { return strings.Contains(secretID, SourcePlaceholder) }

// SourceSecretID returns the secret id of source name under pattern, a
// secret id containing SourcePlaceholder.
func SourceSecretID(pattern, name string) string {
	return strings.Replace(pattern, SourcePlaceholder, name, 1)
}

// sourcePrefix returns the part of pattern before SourcePlaceholder, after
// checking that pattern is a secret name ending with the placeholder.
func sourcePrefix(pattern string) (string, error) {
	prefix, rest, ok := strings.Cut(pattern, SourcePlaceholder)
	switch {
	case !ok:
		return "", fmt.Errorf("secrets: %q has no %s", pattern, SourcePlaceholder)
	case rest != "":
		return "", fmt.Errorf("secrets: %q: %s must end the secret name", pattern, SourcePlaceholder)
	case prefix == "":
		return "", fmt.Errorf("secrets: %q: a prefix must come before %s", pattern, SourcePlaceholder)
	case strings.HasPrefix(prefix, "arn:"):
		return "", fmt.Errorf("secrets: %q: use the secrets' name prefix, not an ARN", pattern)
	}
	for i := 0; i < len(prefix); i++ {
		if c := prefix[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/_+=.@-", c) >= 0) {
			return "", fmt.Errorf("secrets: %q: a secret name holds only letters, digits and /_+=.@-", pattern)
		}
	}
	return prefix, nil
}

// ListClient is the part of the Secrets Manager client Sources uses:
// GetSecretValue for each source's keys, ListSecrets to learn the sources.
type ListClient interface {
	Client
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
}

// SourcesConfig configures Sources.
type SourcesConfig struct {
	// SecretID is the secret name of every source, with SourcePlaceholder
	// at its end standing for the source's name:
	// "webhookguard/webex/{source}" makes the secret
	// "webhookguard/webex/sales" source "sales".
	SecretID string
	// TTL and MinRefresh configure each source's key cache (see Config).
	TTL        time.Duration
	MinRefresh time.Duration
	// Build makes a verifier from a source's keys, in stage order.
	Build func(keys ...verify.Key) (verify.Verifier, error)
	// ListInterval is how long a list of sources is used; default
	// DefaultListInterval.
	ListInterval time.Duration
	// MissInterval is the shortest time between two listings caused by a
	// request for a source not in the list; default DefaultMissInterval.
	MissInterval time.Duration
	// MaxSources bounds how many sources' keys are held; the least
	// recently used are dropped first. Default DefaultMaxSources.
	MaxSources int
	// Now returns the time; default time.Now.
	Now func() time.Time
}

// Sources gives the keys and settings of each source of a deployment that
// serves several, each with its own secret under one name prefix. It
// implements webhook.Sources and is safe for concurrent use.
//
// The sources are learnt by listing the secrets under the prefix
// (ListSecrets, 100 per call), so a request for a name that is not a source
// costs no call at all: the list is refreshed when older than ListInterval,
// and early when a request asks for a name not in it, at most once per
// MissInterval. Each source's keys are loaded on first use into a Cache of
// their own, and at most MaxSources caches are held.
type Sources struct {
	client ListClient
	cfg    SourcesConfig
	prefix string

	listed atomic.Pointer[listing]

	listMu      sync.Mutex // held while listing
	lastAttempt time.Time  // of the last listing
	lastErr     error      // of the last listing

	cacheMu sync.Mutex
	order   *list.List // of *sourceCache, most recently used first
	caches  map[string]*list.Element
}

// listing is one list of the sources, with their settings.
type listing struct {
	sources map[string]map[string]string
	at      time.Time
}

type sourceCache struct {
	name  string
	cache *Cache
}

// NewSources returns the sources whose secrets cfg.SecretID names. Nothing
// is fetched until first use.
func NewSources(client ListClient, cfg SourcesConfig) (*Sources, error) {
	prefix, err := sourcePrefix(cfg.SecretID)
	if err != nil {
		return nil, err
	}
	if cfg.Build == nil {
		return nil, errors.New("secrets: no verifier builder")
	}
	if cfg.ListInterval <= 0 {
		cfg.ListInterval = DefaultListInterval
	}
	if cfg.MissInterval <= 0 {
		cfg.MissInterval = DefaultMissInterval
	}
	if cfg.MaxSources <= 0 {
		cfg.MaxSources = DefaultMaxSources
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sources{client: client, cfg: cfg, prefix: prefix, order: list.New(), caches: map[string]*list.Element{}}, nil
}

// Prefetch lists the sources ahead of the first request, as a function does
// during its init. A failure is forgotten: the first request lists again.
func (s *Sources) Prefetch(ctx context.Context) error {
	s.listMu.Lock()
	defer s.listMu.Unlock()
	if s.listed.Load() != nil {
		return nil
	}
	_, err := s.relist(ctx)
	if err != nil {
		s.lastErr, s.lastAttempt = nil, time.Time{}
	}
	return err
}

// Source returns the keys and settings of source name. The settings are
// its secret's tags that start with SettingsTagPrefix; the map is shared
// and must not be changed. A name that is not a source gives an error
// wrapping ErrUnknownSource; when the sources cannot be listed and no list
// was ever loaded, the error wraps ErrUnavailable.
func (s *Sources) Source(ctx context.Context, name string) (Keys, map[string]string, error) {
	if !ValidSourceName(name) {
		return nil, nil, fmt.Errorf("%w: not a source name", ErrUnknownSource)
	}
	l, err := s.current(ctx)
	if err != nil {
		return nil, nil, err
	}
	settings, ok := l.sources[name]
	if !ok {
		if l, err = s.afterMiss(ctx, l); err != nil {
			return nil, nil, err
		}
		if settings, ok = l.sources[name]; !ok {
			return nil, nil, fmt.Errorf("%w: %s", ErrUnknownSource, name)
		}
	}
	return s.cacheFor(name), settings, nil
}

// current returns the list of sources, listing them again when it is older
// than ListInterval. While another request lists, the old list is used.
// When listing fails the old list goes on serving.
func (s *Sources) current(ctx context.Context) (*listing, error) {
	l := s.listed.Load()
	if l != nil && s.cfg.Now().Sub(l.at) < s.cfg.ListInterval {
		return l, nil
	}
	if l != nil && !s.listMu.TryLock() {
		return l, nil
	} else if l == nil {
		s.listMu.Lock()
	}
	defer s.listMu.Unlock()
	if l = s.listed.Load(); l != nil && s.cfg.Now().Sub(l.at) < s.cfg.ListInterval {
		return l, nil
	}
	if s.lastErr != nil {
		// After a failure, wait before asking again: a second without any
		// list, MissInterval with one.
		gap := s.cfg.MissInterval
		if l == nil {
			gap = coldRetry
		}
		if s.cfg.Now().Sub(s.lastAttempt) < gap {
			if l != nil {
				return l, nil
			}
			return nil, s.lastErr
		}
	}
	fresh, err := s.relist(ctx)
	if err != nil {
		if l != nil {
			return l, nil
		}
		return nil, err
	}
	return fresh, nil
}

// afterMiss lists the sources again after a request asked for a name not
// in seen, unless a listing was made less than MissInterval ago, and
// returns the newest list. When that listing fails, or the last one failed,
// the error wraps ErrUnavailable: the name may be a source added since.
func (s *Sources) afterMiss(ctx context.Context, seen *listing) (*listing, error) {
	s.listMu.Lock()
	defer s.listMu.Unlock()
	l := s.listed.Load()
	switch {
	case l != seen:
		return l, nil // listed meanwhile
	case s.cfg.Now().Sub(s.lastAttempt) < s.cfg.MissInterval:
		return l, s.lastErr
	}
	return s.relist(ctx)
}

// relist lists the sources and keeps the result; s.listMu must be held.
func (s *Sources) relist(ctx context.Context) (*listing, error) {
	s.lastAttempt = s.cfg.Now()
	l, err := s.list(ctx)
	s.lastErr = err
	if err != nil {
		return nil, err
	}
	s.listed.Store(l)
	s.forgetUnlisted(l)
	return l, nil
}

// list reads every secret whose name is the prefix followed by a source
// name, with its settings.
func (s *Sources) list(ctx context.Context) (*listing, error) {
	l := &listing{sources: map[string]map[string]string{}, at: s.cfg.Now()}
	pages := secretsmanager.NewListSecretsPaginator(s.client, &secretsmanager.ListSecretsInput{
		Filters:    []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{s.prefix}}},
		MaxResults: aws.Int32(100),
	})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: list secrets under %s: %w", ErrUnavailable, s.prefix, err)
		}
		for _, e := range out.SecretList {
			name, ok := strings.CutPrefix(aws.ToString(e.Name), s.prefix)
			if !ok || !ValidSourceName(name) {
				continue // a secret under the prefix that is not a source's
			}
			l.sources[name] = settingsOf(e.Tags)
		}
	}
	return l, nil
}

// settingsOf returns the tags that start with SettingsTagPrefix; nil when
// there are none.
func settingsOf(tags []smtypes.Tag) map[string]string {
	var m map[string]string
	for _, t := range tags {
		k := aws.ToString(t.Key)
		if !strings.HasPrefix(k, SettingsTagPrefix) {
			continue
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = aws.ToString(t.Value)
	}
	return m
}

// cacheFor returns the key cache of a listed source, making it on first
// use and dropping the least recently used beyond MaxSources.
func (s *Sources) cacheFor(name string) *Cache {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if el, ok := s.caches[name]; ok {
		s.order.MoveToFront(el)
		return el.Value.(*sourceCache).cache
	}
	// Cannot fail: the secret id and the builder were checked by NewSources.
	c, _ := New(s.client, Config{
		SecretID:   s.prefix + name,
		TTL:        s.cfg.TTL,
		MinRefresh: s.cfg.MinRefresh,
		Build:      s.cfg.Build,
		Now:        s.cfg.Now,
	})
	s.caches[name] = s.order.PushFront(&sourceCache{name: name, cache: c})
	for s.order.Len() > s.cfg.MaxSources {
		last := s.order.Back()
		s.order.Remove(last)
		delete(s.caches, last.Value.(*sourceCache).name)
	}
	return c
}

// forgetUnlisted drops the caches of sources that are no longer listed.
func (s *Sources) forgetUnlisted(l *listing) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	for name, el := range s.caches {
		if _, ok := l.sources[name]; !ok {
			s.order.Remove(el)
			delete(s.caches, name)
		}
	}
}

// Cached returns how many sources' key caches are held.
func (s *Sources) Cached() int {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	return s.order.Len()
}

// Names returns the sources of the current list, in no particular order.
func (s *Sources) Names() []string {
	l := s.listed.Load()
	if l == nil {
		return nil
	}
	names := make([]string, 0, len(l.sources))
	for n := range l.sources {
		names = append(names, n)
	}
	return names
}
