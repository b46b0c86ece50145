// Command webhookctl signs and sends webhooks the way Webex, Qiscus and
// SignalWire do, and writes sample API Gateway events for sam local.
//
//	webhookctl send -provider webex                      # to make run's local API
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
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"webhookguard/shared/devenv"
	"webhookguard/shared/provider"
	"webhookguard/shared/sample"
	"webhookguard/shared/verify"
)

const usage = `webhookctl signs and sends webhooks as Webex, Qiscus and SignalWire do.

Usage:
  webhookctl send   [flags]   sign a body and POST it to a URL
  webhookctl events [flags]   write signed API Gateway events and env.json for sam local

Run "webhookctl send -h" or "webhookctl events -h" for the flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "send":
		err = send(os.Args[2:], os.Stdin, os.Stdout)
	case "events":
		err = events(os.Args[2:], os.Stdout)
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "webhookctl:", err)
		os.Exit(1)
	}
}

func send(args []string, stdin io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	name := fs.String("provider", "", "webex, qiscus or signalwire (required)")
	url := fs.String("url", "", "URL to send to (default: the local API, http://"+devenv.APIAddr+"/PROVIDER)")
	file := fs.String("file", "", `body to send: a file, or "-" for stdin (default: a sample event)`)
	contentType := fs.String("content-type", "", "Content-Type (default: the sample's, or application/json for a file)")
	secret := fs.String("secret", "", "signing secret (default: the local development secret)")
	secretID := fs.String("secret-id", "", "read the signing secret from this Secrets Manager secret (AWSCURRENT)")
	signURL := fs.String("sign-url", "", "SignalWire: the URL to sign, when it differs from -url (a proxy, a custom domain)")
	bodySHA := fs.Bool("body-sha256", false, "SignalWire: post a JSON body on the compatibility surface (adds bodySHA256 to the URL)")
	wrong := fs.Bool("wrong-key", false, "sign with a random key, to see the request refused")
	expect := fs.Int("expect", 0, "exit with an error unless the response has this status")
	timeout := fs.Duration("timeout", 10*time.Second, "request timeout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, ok := provider.ByName(*name)
	if !ok {
		return fmt.Errorf("-provider must be one of webex, qiscus, signalwire")
	}
	if *url == "" {
		*url = "http://" + devenv.APIAddr + "/" + p.Name
	}
	ct, body := sample.Body(p)
	switch *file {
	case "":
	case "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return err
		}
		body, ct = b, "application/json"
	default:
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		body, ct = b, "application/json"
	}
	if *contentType != "" {
		ct = *contentType
	}
	key, err := signingKey(p, *secret, *secretID, *wrong)
	if err != nil {
		return err
	}
	if *bodySHA {
		*url = verify.WithBodySHA256(*url, body)
		if *signURL != "" {
			*signURL = verify.WithBodySHA256(*signURL, body)
		}
	}
	signed := *url
	if *signURL != "" {
		signed = *signURL
	}
	h, err := p.Sign(key, signed, ct, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, *url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "webhookctl")
	resp, err := (&http.Client{Timeout: *timeout}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(out, "POST %s (%s, %d bytes, signed with %s)\nHTTP %d\n%s\n", *url, p.Name, len(body), keyLabel(*wrong), resp.StatusCode, strings.TrimSpace(string(rb)))
	if *expect != 0 && resp.StatusCode != *expect {
		return fmt.Errorf("status %d, expected %d", resp.StatusCode, *expect)
	}
	return nil
}

func keyLabel(wrong bool) string {
	if wrong {
		return "a random wrong key"
	}
	return "the configured key"
}

func signingKey(p provider.Provider, secret, secretID string, wrong bool) ([]byte, error) {
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
	return []byte(devenv.Secret(p.Name)), nil
}

func events(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	dir := fs.String("dir", "events", "directory for the event files")
	env := fs.String("env", "env.json", "path of the env.json written for sam local --env-vars")
	base := fs.String("url", "https://abc123.execute-api.us-east-1.amazonaws.com", "the API's base URL the events claim to come through")
	endpoint := fs.String("endpoint", fmt.Sprintf("http://host.docker.internal:%d", devenv.MotoPort), "AWS endpoint the functions use under sam local (make run's moto_server)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	stamp := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	envVars := map[string]map[string]string{}
	for _, p := range provider.All {
		ct, body := sample.Body(p)
		url := strings.TrimSuffix(*base, "/") + "/" + p.Name
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
			if err := writeJSON(filepath.Join(*dir, e.file), ev); err != nil {
				return err
			}
			fmt.Fprintf(out, "wrote %s\n", filepath.Join(*dir, e.file))
		}
		fn := map[string]string{
			"SECRET_ID":             devenv.SecretID(p.Name),
			"QUEUE_URL":             fmt.Sprintf("http://host.docker.internal:%d/123456789012/%s", devenv.MotoPort, devenv.QueueName),
			"AWS_ENDPOINT_URL":      *endpoint,
			"AWS_ACCESS_KEY_ID":     "test",
			"AWS_SECRET_ACCESS_KEY": "test",
		}
		envVars[functionID(p)] = fn
	}
	if err := writeJSON(*env, envVars); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s\n", *env)
	return nil
}

// functionID returns the template's logical id of p's function.
func functionID(p provider.Provider) string {
	switch p.Name {
	case provider.SignalWire.Name:
		return "SignalWireFunction"
	default:
		return strings.ToUpper(p.Name[:1]) + p.Name[1:] + "Function"
	}
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
