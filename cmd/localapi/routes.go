package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/webhookguard/webhookguard/internal/devkit/samtemplate"
	"github.com/webhookguard/webhookguard/shared/apigw"
)

// Handler handles one event, as a function's handler does.
type Handler func(ctx context.Context, ev *apigw.Event) (apigw.Response, error)

// Server stands in for Amazon API Gateway on a developer's machine: it
// serves the HTTP API routes declared in template.yaml and turns each
// request into the payload 2.0 event an HTTP API sends, in front of the same
// handler code the functions run, as an HTTP API's $default stage does.
type Server struct {
	mux *http.ServeMux
	// MaxBodyBytes caps what is read from a request (an HTTP API refuses
	// bodies over 10 MB). Default 10 MB.
	MaxBodyBytes int64
	// Timeout is the Lambda timeout each invocation gets. Default 6 s.
	Timeout time.Duration
}

// NewServer returns a server with no routes.
func NewServer() *Server {
	return &Server{mux: http.NewServeMux(), MaxBodyBytes: 10 << 20, Timeout: 6 * time.Second}
}

// Handle serves route r with h. Path variables such as {source} become
// the event's pathParameters, as API Gateway does.
func (s *Server) Handle(r samtemplate.Route, h Handler) {
	vars := pathVars.FindAllStringSubmatch(r.Path, -1)
	s.mux.HandleFunc(r.Method+" "+r.Path, func(w http.ResponseWriter, req *http.Request) {
		var params map[string]string
		for _, v := range vars {
			if params == nil {
				params = map[string]string{}
			}
			params[v[1]] = req.PathValue(v[1])
		}
		s.serve(w, req, params, h)
	})
}

var pathVars = regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`)

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) serve(w http.ResponseWriter, req *http.Request, params map[string]string, h Handler) {
	body, err := io.ReadAll(io.LimitReader(req.Body, s.MaxBodyBytes+1))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if int64(len(body)) > s.MaxBodyBytes {
		http.Error(w, "request entity too large", http.StatusRequestEntityTooLarge)
		return
	}
	ev := apigw.V2Event(apigw.Incoming{
		Method: req.Method, Host: req.Host, Path: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery,
		Header: req.Header, Body: body, Stage: "$default", RequestID: requestID(),
		SourceIP: strings.Split(req.RemoteAddr, ":")[0], Time: time.Now(),
	})
	ev.PathParameters = params
	ctx, cancel := context.WithTimeout(req.Context(), s.Timeout)
	defer cancel()
	resp, err := h(ctx, ev)
	if err != nil {
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	io.WriteString(w, resp.Body)
}

func requestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
