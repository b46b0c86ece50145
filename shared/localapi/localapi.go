// Package localapi stands in for Amazon API Gateway on a developer's
// machine: it serves the HTTP API routes declared in template.yaml and turns
// each request into the payload 2.0 event an HTTP API sends, in front of the
// same handler code the functions run.
package localapi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"webhookguard/shared/apigw"
)

// Route is one HTTP API route of a function in template.yaml.
type Route struct {
	// Function is the function's logical id, such as WebexFunction.
	Function string
	Method   string
	Path     string
}

// ParseRoutes reads the HttpApi event routes of the AWS::Serverless::Function
// resources of a SAM template. It reads the block structure of the template
// only as far as it needs to, so short-form tags such as !Ref need no YAML
// library.
func ParseRoutes(template []byte) ([]Route, error) {
	var (
		routes     []Route
		inRes      bool
		resource   string
		isFunction bool
		method     string
		path       string
	)
	flush := func() {
		if isFunction && resource != "" && method != "" && path != "" {
			routes = append(routes, Route{Function: resource, Method: strings.ToUpper(method), Path: path})
		}
		method, path = "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(template))
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0:
			flush()
			inRes, resource, isFunction = trimmed == "Resources:", "", false
		case !inRes:
		case indent == 2 && strings.HasSuffix(trimmed, ":"):
			flush()
			resource, isFunction = strings.TrimSuffix(trimmed, ":"), false
		case trimmed == "Type: AWS::Serverless::Function" && indent == 4:
			isFunction = true
		case strings.HasPrefix(trimmed, "Path:"):
			path = strings.Trim(strings.TrimSpace(strings.TrimPrefix(trimmed, "Path:")), `"'`)
		case strings.HasPrefix(trimmed, "Method:"):
			method = strings.Trim(strings.TrimSpace(strings.TrimPrefix(trimmed, "Method:")), `"'`)
		}
		if method != "" && path != "" {
			flush()
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(routes) == 0 {
		return nil, fmt.Errorf("localapi: no HttpApi routes found in the template")
	}
	return routes, nil
}

// Handler handles one event, as a function's handler does.
type Handler func(ctx context.Context, ev *apigw.Event) (apigw.Response, error)

// Server serves routes with handlers as an HTTP API's $default stage does.
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

// Handle serves route r with h.
func (s *Server) Handle(r Route, h Handler) {
	s.mux.HandleFunc(r.Path, func(w http.ResponseWriter, req *http.Request) { s.serve(w, req, h) })
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) serve(w http.ResponseWriter, req *http.Request, h Handler) {
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
