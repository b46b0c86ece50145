// Command webhookctl signs and sends webhooks the way Webex, Qiscus and
// SignalWire do, and writes sample API Gateway events for sam local.
//
//	webhookctl send -provider webex                      # to make run's local API
//	webhookctl send -provider webex -source alpha        # to POST /webex/alpha, with source alpha's key
//	webhookctl send -provider signalwire -url https://.../signalwire -secret-id arn:...
//	webhookctl send -provider qiscus -file body.json -wrong-key -expect 401
//	webhookctl events -dir events                        # events/*.json and env.json
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/webhookguard/webhookguard/internal/devkit/cliflag"
	"github.com/webhookguard/webhookguard/internal/devkit/devenv"
	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/internal/devkit/samtemplate"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/verify"
)

const usage = `webhookctl signs and sends webhooks as Webex, Qiscus and SignalWire do.

Usage:
  webhookctl send   [flags]   sign a body and POST it to a URL
  webhookctl events [flags]   write signed API Gateway events and env.json for sam local

Run "webhookctl send -h" or "webhookctl events -h" for the flags.
`

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run runs the command line args and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	top := func(w io.Writer) { fmt.Fprint(w, usage) }
	if len(args) == 0 {
		return cliflag.Exit("webhookctl", cliflag.Usagef("no command given"), top, stdout, stderr)
	}
	switch args[0] {
	case "send":
		return cliflag.Exit("webhookctl send", send(args[1:], stdin, stdout), cliflag.Usage(sendFlags(new(sendOptions))), stdout, stderr)
	case "events":
		return cliflag.Exit("webhookctl events", events(args[1:], stdout), cliflag.Usage(eventsFlags(new(eventsOptions))), stdout, stderr)
	case "-h", "-help", "--help", "help":
		top(stdout)
		return 0
	}
	return cliflag.Exit("webhookctl", cliflag.Usagef("unknown command %q", args[0]), top, stdout, stderr)
}

// sendOptions are the flags of webhookctl send.
type sendOptions struct {
	provider, url, source, file, contentType, secret, secretID, signURL string
	bodySHA, wrong                                                      bool
	expect                                                              int
	timeout                                                             time.Duration
}

func sendFlags(o *sendOptions) *flag.FlagSet {
	fs := cliflag.New("webhookctl send", "webhookctl send -provider NAME [flags]", `
Sign a body the way the provider does and POST it: by default the provider's
sample event, to make run's local API, signed with the development secret.
It prints the status and the answer.`)
	fs.StringVar(&o.provider, "provider", "", "webex, qiscus or signalwire (required)")
	fs.StringVar(&o.url, "url", "", "URL to send to (default: the local API, http://"+devenv.APIAddr+"/PROVIDER); with -source, the provider's URL, to which /NAME is added")
	fs.StringVar(&o.source, "source", "", "send to the source NAME: POST <url>/NAME, signed with the source's key ({source} in -secret-id and -sign-url is replaced by NAME)")
	fs.StringVar(&o.file, "file", "", `body to send: a file, or "-" for stdin (default: a sample event)`)
	fs.StringVar(&o.contentType, "content-type", "", "Content-Type (default: the sample's, or application/json for a file)")
	fs.StringVar(&o.secret, "secret", "", "signing secret (default: the local development secret)")
	fs.StringVar(&o.secretID, "secret-id", "", "read the signing secret from this Secrets Manager secret (AWSCURRENT), such as webhookguard/webex/{source}")
	fs.StringVar(&o.signURL, "sign-url", "", "SignalWire: the URL to sign, when it differs from -url (a proxy, a custom domain)")
	fs.BoolVar(&o.bodySHA, "body-sha256", false, "SignalWire: post a JSON body on the compatibility surface (adds bodySHA256 to the URL)")
	fs.BoolVar(&o.wrong, "wrong-key", false, "sign with a random key, to see the request refused")
	fs.IntVar(&o.expect, "expect", 0, "exit with an error unless the response has this status")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "request timeout")
	return fs
}

func send(args []string, stdin io.Reader, out io.Writer) error {
	var o sendOptions
	fs := sendFlags(&o)
	if err := cliflag.Parse(fs, args, 0); err != nil {
		return err
	}
	if err := cliflag.Exclusive(fs, "secret", "secret-id", "wrong-key"); err != nil {
		return err
	}
	p, ok := provider.ByName(o.provider)
	if !ok {
		return cliflag.Usagef("-provider must be one of %s", strings.Join(providerNames(), ", "))
	}
	if !p.SignsURL && (o.signURL != "" || o.bodySHA) {
		return cliflag.Usagef("-sign-url and -body-sha256 are for providers that sign the URL (signalwire), not %s", p.Name)
	}
	if o.url == "" {
		o.url = "http://" + devenv.APIAddr + "/" + p.Name
	}
	if o.source != "" {
		o.url = withSource(o.url, o.source)
		o.secretID = secrets.SourceSecretID(o.secretID, o.source)
		o.signURL = secrets.SourceSecretID(o.signURL, o.source)
	}
	ct, body := p.Sample.ContentType, p.Sample.Body
	switch o.file {
	case "":
	case "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		body, ct = b, "application/json"
	default:
		b, err := os.ReadFile(o.file)
		if err != nil {
			return err
		}
		body, ct = b, "application/json"
	}
	if o.contentType != "" {
		ct = o.contentType
	}
	key, err := signingKey(p, o.source, o.secret, o.secretID, o.wrong)
	if err != nil {
		return err
	}
	if o.bodySHA {
		o.url = verify.WithBodySHA256(o.url, body)
		if o.signURL != "" {
			o.signURL = verify.WithBodySHA256(o.signURL, body)
		}
	}
	signed := o.url
	if o.signURL != "" {
		signed = o.signURL
	}
	h, err := p.Sign(key, signed, ct, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, o.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "webhookctl")
	resp, err := (&http.Client{Timeout: o.timeout}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(out, "POST %s (%s, %d bytes, signed with %s)\nHTTP %d\n%s\n", o.url, p.Name, len(body), keyLabel(o.wrong), resp.StatusCode, strings.TrimSpace(string(rb)))
	if o.expect != 0 && resp.StatusCode != o.expect {
		return fmt.Errorf("status %d, expected %d", resp.StatusCode, o.expect)
	}
	return nil
}

func keyLabel(wrong bool) string {
	if wrong {
		return "a random wrong key"
	}
	return "the configured key"
}

// withSource returns the URL of source under a provider's URL: /NAME is
// added to the path, before any query string.
func withSource(u, source string) string {
	base, query, hasQuery := strings.Cut(u, "?")
	u = strings.TrimSuffix(base, "/") + "/" + neturl.PathEscape(source)
	if hasQuery {
		u += "?" + query
	}
	return u
}

func signingKey(p provider.Provider, source, secret, secretID string, wrong bool) ([]byte, error) {
	switch {
	case wrong:
		b := make([]byte, 16)
		rand.Read(b)
		return []byte(hex.EncodeToString(b)), nil
	case secret != "":
		return []byte(secret), nil
	case secretID != "":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, err
		}
		out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
		if err != nil {
			return nil, err
		}
		if aws.ToString(out.SecretString) == "" {
			return nil, errors.New("the secret has no SecretString")
		}
		return []byte(aws.ToString(out.SecretString)), nil
	}
	if source != "" {
		return []byte(devenv.SourceSecret(p.Name, source)), nil
	}
	return []byte(devenv.Secret(p.Name)), nil
}

// eventsOptions are the flags of webhookctl events.
type eventsOptions struct{ dir, env, template, base, endpoint string }

func eventsFlags(o *eventsOptions) *flag.FlagSet {
	fs := cliflag.New("webhookctl events", "webhookctl events [flags]", `
Write signed API Gateway events of each provider's sample (HTTP API, REST API
and forged) and env.json, for sam local invoke and sam local start-api.`)
	fs.StringVar(&o.dir, "dir", "events", "directory for the event files")
	fs.StringVar(&o.env, "env", "env.json", "path of the env.json written for sam local --env-vars")
	fs.StringVar(&o.template, "template", "template.yaml", "the SAM template: env.json may only set variables it declares")
	fs.StringVar(&o.base, "url", "https://abc123.execute-api.us-east-1.amazonaws.com", "the API's base URL the events claim to come through")
	fs.StringVar(&o.endpoint, "endpoint", fmt.Sprintf("http://host.docker.internal:%d", devenv.MotoPort), "AWS endpoint the functions use under sam local (make run's moto_server)")
	return fs
}

func events(args []string, out io.Writer) error {
	var o eventsOptions
	fs := eventsFlags(&o)
	if err := cliflag.Parse(fs, args, 0); err != nil {
		return err
	}
	tpl, err := samtemplate.Load(o.template)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	// API Gateway sends the time in milliseconds (timeEpoch,
	// requestTimeEpoch); the events carry it the same way.
	stamp := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	envVars := map[string]map[string]string{}
	for _, p := range provider.All {
		ct, body := p.Sample.ContentType, p.Sample.Body
		url := strings.TrimSuffix(o.base, "/") + "/" + p.Name
		for _, e := range []struct {
			file   string
			secret string
			v1     bool
		}{
			{p.Name + ".json", devenv.Secret(p.Name), false},
			{p.Name + "-rest-api.json", devenv.Secret(p.Name), true},
			{p.Name + "-forged.json", "not-the-" + devenv.Secret(p.Name), false},
		} {
			ev, err := sample.Spec{Provider: p, Secret: []byte(e.secret), URL: url, ContentType: ct, Body: body,
				V1: e.v1, RequestID: strings.TrimSuffix(e.file, ".json"), Time: stamp}.Event()
			if err != nil {
				return err
			}
			if err := writeJSON(filepath.Join(o.dir, e.file), ev); err != nil {
				return err
			}
			fmt.Fprintf(out, "wrote %s\n", filepath.Join(o.dir, e.file))
		}
		fn, err := samEnv(tpl, p, strings.TrimSuffix(o.endpoint, "/"))
		if err != nil {
			return err
		}
		envVars[p.FunctionID] = fn
	}
	if err := writeJSON(o.env, envVars); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s\n", o.env)
	return nil
}

// samEnv returns the variables sam local sets for p's function: make run's
// moto_server behind endpoint, its development secret and events queue.
// The resources the template would create (the replay table, a bus) do not
// exist locally, so those destinations are turned off. sam local only
// overrides variables the template declares and drops the others without a
// word, so an undeclared variable is an error here. The credentials are not
// set: Lambda reserves their names, sam local passes the host's own, and
// moto_server accepts any.
func samEnv(tpl *samtemplate.Template, p provider.Provider, endpoint string) (map[string]string, error) {
	f, ok := tpl.Function(p.FunctionID)
	if !ok {
		return nil, fmt.Errorf("the template has no function %s", p.FunctionID)
	}
	env := map[string]string{
		"AWS_ENDPOINT_URL": endpoint,
		"SECRET_ID":        devenv.SecretID(p.Name),
		"QUEUE_URL":        endpoint + "/123456789012/" + devenv.QueueName,
		"EVENT_BUS_NAME":   "",
		"DEDUP_TABLE":      "",
	}
	for name := range env {
		if !slices.Contains(f.Env, name) {
			return nil, fmt.Errorf("%s does not declare %s, so sam local would drop it from env.json: declare it in template.yaml", f.ID, name)
		}
	}
	return env, nil
}

// providerNames lists the providers' names.
func providerNames() []string {
	var names []string
	for _, p := range provider.All {
		names = append(names, p.Name)
	}
	return names
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
