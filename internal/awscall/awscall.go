// Package awscall makes signed calls to the few AWS APIs the functions use
// beyond Secrets Manager: SQS SendMessage, EventBridge PutEvents, DynamoDB
// UpdateItem and Lambda Invoke. It uses the SDK's configuration,
// credentials, Signature Version 4 signer and HTTP client (so connections
// are pooled with the SDK's clients), but not the generated service
// clients: each of those carries an endpoint table built at process start,
// and together they cost a function's cold start about a millisecond of
// CPU, in every function, whether the service is configured or not.
//
// Endpoints resolve as the SDK resolves them: AWS_ENDPOINT_URL_<SERVICE>,
// then the configuration's base endpoint (AWS_ENDPOINT_URL or the shared
// config file's endpoint_url), unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// is true; else the service's regional endpoint, FIPS and dual-stack
// variants included (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT).
package awscall

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Service names an AWS service the way endpoints and signatures need it.
type Service struct {
	// ID is the SDK's service id; its upper-case form names the
	// service's endpoint variable: AWS_ENDPOINT_URL_<ID>.
	ID string
	// SigningName is the name requests are signed for, and the first
	// label of the regional endpoint.
	SigningName string
}

// The services this package calls.
var (
	EventBridge = Service{ID: "EventBridge", SigningName: "events"}
	DynamoDB    = Service{ID: "DynamoDB", SigningName: "dynamodb"}
	Lambda      = Service{ID: "Lambda", SigningName: "lambda"}
	SQS         = Service{ID: "SQS", SigningName: "sqs"}
)

// MaxResponseBytes bounds the body read from a response: Lambda's largest
// synchronous result (6 MB) with room to spare.
const MaxResponseBytes = 7 << 20

// Client calls one service. It is safe for concurrent use.
type Client struct {
	svc         Service
	cfg         aws.Config
	endpoint    *url.URL
	endpointErr error
	http        aws.HTTPClient
	signer      *v4.Signer
	maxAttempts int
}

// New returns a client of svc configured by cfg. Building it does no
// network I/O; an endpoint that cannot be resolved is reported by every
// call. Calls make up to maxAttempts attempts (at least one; 0 means
// cfg.RetryMaxAttempts, or 3 when that is unset), retrying what the SDK
// retries: connection failures, 5xx answers and throttling.
func New(cfg aws.Config, svc Service, maxAttempts int) *Client {
	c := &Client{svc: svc, cfg: cfg, http: cfg.HTTPClient, signer: v4.NewSigner(), maxAttempts: maxAttempts}
	if c.http == nil {
		c.http = awshttp.NewBuildableClient()
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = cfg.RetryMaxAttempts
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = 3
	}
	c.endpoint, c.endpointErr = resolveEndpoint(cfg, svc, os.Getenv)
	return c
}

// Endpoint returns the endpoint calls go to.
func (c *Client) Endpoint() (string, error) {
	if c.endpointErr != nil {
		return "", c.endpointErr
	}
	return c.endpoint.String(), nil
}

// Error is an error answer of the service. It implements smithy.APIError,
// so errors.As(err, &apiErr) reads its code as with the SDK's clients.
type Error struct {
	// Status is the HTTP status.
	Status int
	// Code is the error's code (ConditionalCheckFailedException ...).
	Code string
	// Message is the service's message.
	Message string
	// Body is the answer's body, for errors that carry data.
	Body []byte
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("api error %s: %s (status %d)", e.Code, e.Message, e.Status)
}

// ErrorCode implements smithy.APIError.
func (e *Error) ErrorCode() string { return e.Code }

// ErrorMessage implements smithy.APIError.
func (e *Error) ErrorMessage() string { return e.Message }

// ErrorFault implements smithy.APIError: a 5xx answer is the server's
// fault, anything else the client's.
func (e *Error) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

var _ smithy.APIError = (*Error)(nil)

// Response is a successful answer.
type Response struct {
	Header http.Header
	Body   []byte
}

// Request is one call: a method, a path (already escaped) and query, and
// headers and a body sent as they are.
type Request struct {
	Method string
	// Path is the escaped path, from the endpoint's root.
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// Do signs and sends r, retrying as New says, and returns a 2xx answer. A
// non-2xx answer is an *Error; a failure to reach the service wraps the
// transport's error.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	if c.endpointErr != nil {
		return nil, c.endpointErr
	}
	sum := sha256.Sum256(r.Body)
	hash := hex.EncodeToString(sum[:])
	var err error
	for attempt := 1; ; attempt++ {
		var resp *Response
		resp, err = c.attempt(ctx, r, hash)
		if err == nil {
			return resp, nil
		}
		if attempt >= c.maxAttempts || !retryable(err) || ctx.Err() != nil {
			return nil, err
		}
		if werr := sleep(ctx, backoff(attempt)); werr != nil {
			return nil, err
		}
	}
}

// attempt makes one signed attempt.
func (c *Client) attempt(ctx context.Context, r Request, payloadHash string) (*Response, error) {
	u := *c.endpoint
	u.RawPath = strings.TrimSuffix(u.EscapedPath(), "/") + r.Path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("awscall: path %q: %w", r.Path, err)
	}
	u.Path = p
	if len(r.Query) > 0 {
		u.RawQuery = r.Query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("awscall: %w", err)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", "webhookguard aws-sdk-go-v2")
	if c.cfg.Credentials == nil {
		return nil, fmt.Errorf("awscall: %s: no credentials configured", c.svc.ID)
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("awscall: %s: retrieve credentials: %w", c.svc.ID, err)
	}
	if err := c.signer.SignHTTP(ctx, creds, req, payloadHash, c.svc.SigningName, c.cfg.Region, time.Now().UTC()); err != nil {
		return nil, fmt.Errorf("awscall: sign: %w", err)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, &transportError{err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, &transportError{err}
	}
	if len(body) > MaxResponseBytes {
		return nil, fmt.Errorf("awscall: %s answered more than %d bytes", c.svc.ID, MaxResponseBytes)
	}
	if res.StatusCode/100 != 2 {
		return nil, apiError(res, body)
	}
	return &Response{Header: res.Header, Body: body}, nil
}

// transportError is a failure to reach the service or read its answer.
type transportError struct{ err error }

func (e *transportError) Error() string { return "awscall: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// apiError reads an error answer: the code from X-Amzn-Query-Error (SQS's
// codes of its query protocol, as the SDK reports them), X-Amzn-ErrorType,
// or the body's __type (JSON protocols) or code, the message from message
// or Message.
func apiError(res *http.Response, body []byte) *Error {
	e := &Error{Status: res.StatusCode, Body: body}
	var doc struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		MessageC string `json:"Message"`
	}
	_ = json.Unmarshal(body, &doc)
	if q, _, _ := strings.Cut(res.Header.Get("X-Amzn-Query-Error"), ";"); q != "" {
		e.Code = q
	}
	if e.Code == "" {
		e.Code = res.Header.Get("X-Amzn-ErrorType")
	}
	if e.Code == "" {
		e.Code = doc.Type
	}
	if e.Code == "" {
		e.Code = doc.Code
	}
	e.Code = sanitizeCode(e.Code)
	if e.Code == "" {
		e.Code = http.StatusText(res.StatusCode)
	}
	e.Message = doc.Message
	if e.Message == "" {
		e.Message = doc.MessageC
	}
	return e
}

// sanitizeCode keeps the name of an error code: what follows a '#' (a
// shape id) and precedes a ':' (a header's documentation link).
func sanitizeCode(code string) string {
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return strings.TrimSpace(code)
}

// throttling are the codes the SDK retries as throttling.
var throttling = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true,
	"RequestThrottled": true, "SlowDown": true, "PriorRequestNotComplete": true, "EC2ThrottledException": true,
}

// retryable tells the failures worth another attempt.
func retryable(err error) bool {
	var te *transportError
	if errors.As(err, &te) {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	var ae *Error
	if errors.As(err, &ae) {
		switch ae.Status {
		case 500, 502, 503, 504:
			return true
		}
		return throttling[ae.Code]
	}
	return false
}

// backoff is the pause before another attempt: a random part of 50 ms
// doubled at each attempt, capped at 400 ms. The SDK waits seconds; a
// webhook's budget is four.
func backoff(attempt int) time.Duration {
	ceiling := 50 * time.Millisecond << min(attempt-1, 3)
	var b [8]byte
	_, _ = rand.Read(b[:])
	return time.Duration(binary.LittleEndian.Uint64(b[:]) % uint64(ceiling))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// resolveEndpoint finds the endpoint of svc as the SDK does.
func resolveEndpoint(cfg aws.Config, svc Service, getenv func(string) string) (*url.URL, error) {
	raw := ""
	if b, _ := strconv.ParseBool(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")); !b {
		raw = strings.TrimSpace(getenv("AWS_ENDPOINT_URL_" + envName(svc.ID)))
		if raw == "" && cfg.BaseEndpoint != nil {
			raw = *cfg.BaseEndpoint
		}
	}
	if raw == "" {
		if cfg.Region == "" {
			return nil, fmt.Errorf("awscall: %s: no region configured (AWS_REGION)", svc.ID)
		}
		fips, _ := strconv.ParseBool(getenv("AWS_USE_FIPS_ENDPOINT"))
		dual, _ := strconv.ParseBool(getenv("AWS_USE_DUALSTACK_ENDPOINT"))
		raw = "https://" + RegionalHost(svc, cfg.Region, fips, dual)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("awscall: %s endpoint %q is not an http(s) URL", svc.ID, raw)
	}
	return u, nil
}

// envName is the service id as endpoint variables spell it.
func envName(id string) string {
	return strings.ToUpper(strings.ReplaceAll(id, " ", "_"))
}

// RegionalHost returns the host of svc's endpoint in region, in its
// partition: <name>[-fips].<region>.<suffix>.
func RegionalHost(svc Service, region string, fips, dualStack bool) string {
	name := svc.SigningName
	if fips {
		name += "-fips"
	}
	suffix, dualSuffix := "amazonaws.com", "api.aws"
	switch {
	case strings.HasPrefix(region, "cn-"):
		suffix, dualSuffix = "amazonaws.com.cn", "api.amazonwebservices.com.cn"
	case strings.HasPrefix(region, "us-isob-"):
		suffix, dualSuffix = "sc2s.sgov.gov", "sc2s.sgov.gov"
	case strings.HasPrefix(region, "us-isof-"):
		suffix, dualSuffix = "csp.hci.ic.gov", "csp.hci.ic.gov"
	case strings.HasPrefix(region, "us-iso-"):
		suffix, dualSuffix = "c2s.ic.gov", "c2s.ic.gov"
	case strings.HasPrefix(region, "eu-isoe-"):
		suffix, dualSuffix = "cloud.adc-e.uk", "cloud.adc-e.uk"
	case strings.HasPrefix(region, "eusc-"):
		suffix, dualSuffix = "amazonaws.eu", "api.amazonwebservices.eu"
	}
	if dualStack {
		suffix = dualSuffix
	}
	return name + "." + region + "." + suffix
}

// EscapePathSegment escapes s for one segment of a path as the SDK does:
// every byte but letters, digits, '-', '.', '_' and '~'.
func EscapePathSegment(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// JSON calls an operation of an AWS JSON protocol (version "1.0" or
// "1.1"): in is sent as the body, with X-Amz-Target target, and the answer
// decoded into out (when not nil).
func (c *Client) JSON(ctx context.Context, version, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("awscall: encode %s: %w", target, err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-"+version)
	h.Set("X-Amz-Target", target)
	res, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/", Header: h, Body: body})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res.Body, out); err != nil {
		return fmt.Errorf("awscall: decode %s answer: %w", target, err)
	}
	return nil
}

// Preconnect sends a HEAD request to the endpoint, over TLS only (a plain
// connection costs too little to open ahead), so that a connection to its
// host waits in the HTTP client's pool for the first call. The service
// answers it with an error (it is not signed and names no operation); a
// failure costs nothing but the attempt.
func (c *Client) Preconnect(ctx context.Context) {
	if c.endpointErr != nil || c.endpoint.Scheme != "https" {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, c.endpoint.String(), nil)
	if err != nil {
		return
	}
	if res, err := c.http.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}
