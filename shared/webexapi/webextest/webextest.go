// Package webextest is a stand-in for the Webex API in tests: an httptest
// server speaking the real People and Webhooks endpoints, with a bearer
// token check, call counts and a switch to make it fail.
package webextest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"webhookguard/shared/webexapi"
)

// Server is a fake Webex API.
type Server struct {
	*httptest.Server
	// Token is the bearer token the server accepts.
	Token string

	mu       sync.Mutex
	me       webexapi.Person
	people   map[string]webexapi.Person
	webhooks []webexapi.Webhook
	calls    map[string]int
	failWith int
}

// New starts a fake Webex API for a bot, closed when the test ends.
func New(t testing.TB, token string, bot webexapi.Person) *Server {
	s := &Server{Token: token, me: bot, people: map[string]webexapi.Person{bot.ID: bot}, calls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/people/{id}", s.person)
	mux.HandleFunc("GET /v1/webhooks", s.listWebhooks)
	mux.HandleFunc("POST /v1/webhooks", s.createWebhook)
	mux.HandleFunc("PUT /v1/webhooks/{id}", s.updateWebhook)
	s.Server = httptest.NewServer(s.auth(mux))
	t.Cleanup(s.Close)
	return s
}

// AddPerson makes a person known.
func (s *Server) AddPerson(p webexapi.Person) {
	s.mu.Lock()
	s.people[p.ID] = p
	s.mu.Unlock()
}

// AddWebhook registers an existing webhook.
func (s *Server) AddWebhook(w webexapi.Webhook) {
	s.mu.Lock()
	s.webhooks = append(s.webhooks, w)
	s.mu.Unlock()
}

// Webhooks returns the registered webhooks, secrets included.
func (s *Server) Webhooks() []webexapi.Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]webexapi.Webhook(nil), s.webhooks...)
}

// FailWith makes every call answer status (0: serve normally).
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	s.failWith = status
	s.mu.Unlock()
}

// Calls returns how many requests reached "METHOD /path".
func (s *Server) Calls(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[r.Method+" "+r.URL.Path]++
		fail := s.failWith
		s.mu.Unlock()
		if fail != 0 {
			http.Error(w, `{"message":"failure"}`, fail)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+s.Token {
			http.Error(w, `{"message":"The request requires a valid access token set in the Authorization request header."}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
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
		http.Error(w, `{"message":"Person not found"}`, http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct{ Items []webexapi.Webhook }{s.Webhooks()})
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in webexapi.Webhook
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" || in.TargetURL == "" || in.Resource == "" || in.Event == "" {
		http.Error(w, `{"message":"name, targetUrl, resource and event are required"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	in.ID, in.Status = fmt.Sprintf("WH%d", len(s.webhooks)+1), "active"
	s.webhooks = append(s.webhooks, in)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, in)
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var in webexapi.Webhook
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" || in.TargetURL == "" {
		http.Error(w, `{"message":"name and targetUrl are required"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.webhooks {
		if s.webhooks[i].ID == r.PathValue("id") {
			wh := &s.webhooks[i]
			wh.Name, wh.TargetURL = in.Name, in.TargetURL
			if in.Secret != "" {
				wh.Secret = in.Secret
			}
			if strings.EqualFold(in.Status, "active") {
				wh.Status = "active"
			}
			writeJSON(w, http.StatusOK, *wh)
			return
		}
	}
	http.Error(w, `{"message":"Webhook not found"}`, http.StatusNotFound)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
