// Package webexstub is a stand-in for the Webex API, for tests and for the
// local loop (make run): an HTTP server on a loopback port speaking the real
// endpoints a bot uses (people, messages, attachment actions, webhooks),
// with a bearer token check, call counts, Link pagination, and switches to
// make it fail, rate limit, or point its pagination at another host. It
// also signs deliveries the way Webex does, with the secret a webhook has
// at that moment.
//
// It does not import testing, so commands can use it too.
package webexstub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/webhookguard/webhookguard/shared/verify"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// Server is a fake Webex API.
type Server struct {
	*httptest.Server
	// Token is the bearer token the server accepts.
	Token string

	mu        sync.Mutex
	me        webexapi.Person
	people    map[string]webexapi.Person
	messages  map[string]webexapi.Message
	created   []webexapi.Message
	actions   map[string]webexapi.AttachmentAction
	webhooks  []webexapi.Webhook
	calls     map[string]int
	seq       int
	failWith  int
	failures  []*failure
	limited   int
	retryWait string
	pageSize  int
	linkBase  string
}

// failure makes requests to a route fail.
type failure struct {
	route  string // "METHOD /path" prefix
	status int
	left   int
}

// New starts a fake Webex API for a bot on a loopback port. Close stops it.
func New(token string, bot webexapi.Person) *Server {
	s := &Server{Token: token, me: bot, people: map[string]webexapi.Person{bot.ID: bot},
		messages: map[string]webexapi.Message{}, actions: map[string]webexapi.AttachmentAction{}, calls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/people/{id}", s.person)
	mux.HandleFunc("GET /v1/messages/{id}", s.message)
	mux.HandleFunc("POST /v1/messages", s.createMessage)
	mux.HandleFunc("GET /v1/attachment/actions/{id}", s.action)
	mux.HandleFunc("GET /v1/webhooks", s.listWebhooks)
	mux.HandleFunc("GET /v1/webhooks/{id}", s.getWebhook)
	mux.HandleFunc("POST /v1/webhooks", s.createWebhook)
	mux.HandleFunc("PUT /v1/webhooks/{id}", s.updateWebhook)
	mux.HandleFunc("DELETE /v1/webhooks/{id}", s.deleteWebhook)
	s.Server = httptest.NewServer(s.auth(mux))
	return s
}

// AddPerson makes a person known.
func (s *Server) AddPerson(p webexapi.Person) {
	s.mu.Lock()
	s.people[p.ID] = p
	s.mu.Unlock()
}

// AddMessage stores a message, as if someone had posted it.
func (s *Server) AddMessage(m webexapi.Message) {
	s.mu.Lock()
	s.messages[m.ID] = m
	s.mu.Unlock()
}

// Created returns the messages posted through the API, oldest first.
func (s *Server) Created() []webexapi.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]webexapi.Message(nil), s.created...)
}

// AddAttachmentAction stores a card submission.
func (s *Server) AddAttachmentAction(a webexapi.AttachmentAction) {
	s.mu.Lock()
	s.actions[a.ID] = a
	s.mu.Unlock()
}

// AddWebhook registers an existing webhook and returns its id (one is
// given when w has none; the status defaults to active).
func (s *Server) AddWebhook(w webexapi.Webhook) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.ID == "" {
		w.ID = s.nextID("WH")
	}
	if w.Status == "" {
		w.Status = webexapi.StatusActive
	}
	s.webhooks = append(s.webhooks, w)
	return w.ID
}

// Webhooks returns the registered webhooks, secrets included.
func (s *Server) Webhooks() []webexapi.Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]webexapi.Webhook(nil), s.webhooks...)
}

// SetWebhookStatus changes a webhook's status, as Webex does when it
// deactivates a webhook whose deliveries keep failing. It reports whether
// the webhook exists.
func (s *Server) SetWebhookStatus(id, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.find(id); w != nil {
		w.Status = status
		return true
	}
	return false
}

// Sign returns the X-Spark-Signature Webex would send with body for the
// webhook: the hex HMAC-SHA1 keyed with the secret the webhook has now. ok
// is false when there is no such webhook or it has no secret.
func (s *Server) Sign(id string, body []byte) (signature string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.find(id)
	if w == nil || w.Secret == "" {
		return "", false
	}
	return verify.SignWebex([]byte(w.Secret), body), true
}

// FailWith makes every call answer status (0: serve normally).
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	s.failWith = status
	s.mu.Unlock()
}

// FailNext makes the next n requests whose "METHOD /path" starts with
// route answer status, e.g. FailNext("PUT /v1/webhooks/", 503, 1).
func (s *Server) FailNext(route string, status, n int) {
	s.mu.Lock()
	s.failures = append(s.failures, &failure{route: route, status: status, left: n})
	s.mu.Unlock()
}

// RateLimit makes the next n requests answer 429 with the Retry-After
// header retryAfter (left out when empty).
func (s *Server) RateLimit(n int, retryAfter string) {
	s.mu.Lock()
	s.limited, s.retryWait = n, retryAfter
	s.mu.Unlock()
}

// PageSize makes GET /v1/webhooks answer at most n webhooks per page
// (0: as many as the request's max asks, default 100), with a Link header
// to the next page.
func (s *Server) PageSize(n int) {
	s.mu.Lock()
	s.pageSize = n
	s.mu.Unlock()
}

// LinkBase makes the pagination Link headers point at base (scheme, host
// and port, e.g. another server's URL) instead of this server: a hostile
// or broken API steering the client elsewhere. "" restores the default.
func (s *Server) LinkBase(base string) {
	s.mu.Lock()
	s.linkBase = strings.TrimSuffix(base, "/")
	s.mu.Unlock()
}

// Calls returns how many requests reached "METHOD /path".
func (s *Server) Calls(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return prefix + strconv.Itoa(s.seq)
}

func (s *Server) find(id string) *webexapi.Webhook {
	for i := range s.webhooks {
		if s.webhooks[i].ID == id {
			return &s.webhooks[i]
		}
	}
	return nil
}

func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		s.mu.Lock()
		s.calls[key]++
		status := s.failWith
		for _, f := range s.failures {
			if status == 0 && f.left > 0 && strings.HasPrefix(key, f.route) {
				f.left--
				status = f.status
			}
		}
		limited := s.limited > 0
		if limited {
			s.limited--
		}
		retry := s.retryWait
		s.mu.Unlock()
		switch {
		case limited:
			if retry != "" {
				w.Header().Set("Retry-After", retry)
			}
			writeError(w, http.StatusTooManyRequests, "Rate limit exceeded")
		case status != 0:
			writeError(w, status, "failure")
		case r.Header.Get("Authorization") != "Bearer "+s.Token:
			writeError(w, http.StatusUnauthorized, "The request requires a valid access token set in the Authorization request header.")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (s *Server) person(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	p, ok := s.people[id]
	if id == "me" {
		p, ok = s.me, true
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Person not found")
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) message(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m, ok := s.messages[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Message not found")
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	var in webexapi.Message
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON")
		return
	}
	targets := 0
	for _, t := range []string{in.RoomID, in.ToPersonID, in.ToPersonEmail} {
		if t != "" {
			targets++
		}
	}
	if targets != 1 || (in.Text == "" && in.Markdown == "" && len(in.Files) == 0 && len(in.Attachments) == 0) {
		writeError(w, http.StatusBadRequest, "one of roomId, toPersonId or toPersonEmail, and text, markdown, files or attachments are required")
		return
	}
	s.mu.Lock()
	in.ID = s.nextID("MSG")
	if in.RoomID == "" {
		in.RoomID, in.RoomType = "DIRECT-"+in.ToPersonID+in.ToPersonEmail, "direct"
	} else {
		in.RoomType = "group"
	}
	in.PersonID = s.me.ID
	if len(s.me.Emails) > 0 {
		in.PersonEmail = s.me.Emails[0]
	}
	in.Created = time.Now().UTC()
	s.messages[in.ID] = in
	s.created = append(s.created, in)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, in)
}

func (s *Server) action(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a, ok := s.actions[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Attachment action not found")
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// listWebhooks answers one page: max (default 100, capped by PageSize)
// webhooks from the offset in cursor, with a Link to the next page.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, err := strconv.Atoi(q.Get("max"))
	if err != nil || size <= 0 {
		size = 100
	}
	from, _ := strconv.Atoi(q.Get("cursor"))
	s.mu.Lock()
	if s.pageSize > 0 {
		size = min(size, s.pageSize)
	}
	from = min(max(from, 0), len(s.webhooks))
	to := min(from+size, len(s.webhooks))
	page := append([]webexapi.Webhook{}, s.webhooks[from:to]...)
	base := s.linkBase
	if base == "" {
		base = s.URL
	}
	more := to < len(s.webhooks)
	s.mu.Unlock()
	if more {
		w.Header().Set("Link", fmt.Sprintf(`<%s/v1/webhooks?max=%d&cursor=%d>; rel="next"`, base, size, to))
	}
	writeJSON(w, http.StatusOK, struct {
		Items []webexapi.Webhook `json:"items"`
	}{page})
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var out webexapi.Webhook
	wh := s.find(r.PathValue("id"))
	if wh != nil {
		out = *wh
	}
	s.mu.Unlock()
	if wh == nil {
		writeError(w, http.StatusNotFound, "Webhook not found")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in webexapi.Webhook
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" || in.TargetURL == "" || in.Resource == "" || in.Event == "" {
		writeError(w, http.StatusBadRequest, "name, targetUrl, resource and event are required")
		return
	}
	s.mu.Lock()
	in.ID, in.Status, in.Created = s.nextID("WH"), webexapi.StatusActive, time.Now().UTC()
	if in.OwnedBy == "" {
		in.OwnedBy = "creator"
	}
	s.webhooks = append(s.webhooks, in)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, in)
}

// updateWebhook changes name, targetUrl, secret (when sent) and status:
// as in the real API, status may only be set to active.
func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var in webexapi.Webhook
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" || in.TargetURL == "" {
		writeError(w, http.StatusBadRequest, "name and targetUrl are required")
		return
	}
	if in.Status != "" && in.Status != webexapi.StatusActive {
		writeError(w, http.StatusBadRequest, "status can only be set to active")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	wh := s.find(r.PathValue("id"))
	if wh == nil {
		writeError(w, http.StatusNotFound, "Webhook not found")
		return
	}
	wh.Name, wh.TargetURL = in.Name, in.TargetURL
	if in.Secret != "" {
		wh.Secret = in.Secret
	}
	if in.Status != "" {
		wh.Status = in.Status
	}
	writeJSON(w, http.StatusOK, *wh)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.webhooks {
		if s.webhooks[i].ID == r.PathValue("id") {
			s.webhooks = append(s.webhooks[:i], s.webhooks[i+1:]...)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeError(w, http.StatusNotFound, "Webhook not found")
}

// writeError answers in Webex's error shape.
func writeError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("TrackingID", "ROUTER_STUB")
	writeJSON(w, status, map[string]string{"message": message, "trackingId": "ROUTER_STUB"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
