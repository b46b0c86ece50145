// Command localapi runs the webhook functions on this machine without
// Docker: it starts a moto_server seeded with development secrets and an
// events queue, serves the routes of template.yaml as an HTTP API would,
// and prints every event that reaches the queue. Ctrl-C stops everything.
//
//	go run ./cmd/localapi        # or: make run
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"webhookguard/shared/app"
	"webhookguard/shared/devenv"
	"webhookguard/shared/localapi"
	"webhookguard/shared/mototest"
	"webhookguard/shared/provider"
	"webhookguard/shared/queue"
)

func main() {
	addr := flag.String("addr", devenv.APIAddr, "address to serve the API on")
	motoPort := flag.Int("moto-port", devenv.MotoPort, "port of the local moto_server (Secrets Manager and SQS)")
	template := flag.String("template", "template.yaml", "SAM template whose routes are served")
	quiet := flag.Bool("quiet", false, "do not print the functions' log lines")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *motoPort, *template, *quiet, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "localapi:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, writing what it shows to out.
func run(ctx context.Context, addr string, motoPort int, templatePath string, quiet bool, out io.Writer) error {
	tpl, err := os.ReadFile(templatePath)
	if err != nil {
		return err
	}
	routes, err := localapi.ParseRoutes(tpl)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is make run already running?)", addr, err)
	}

	moto, err := mototest.Launch(motoPort)
	if err != nil {
		ln.Close()
		return fmt.Errorf("start moto_server on port %d: %w", motoPort, err)
	}
	defer moto.Stop()
	clients := app.ClientsFromConfig(moto.Config())
	queueURL, err := seed(ctx, moto.Config())
	if err != nil {
		return err
	}

	logOut := out
	if quiet {
		logOut = io.Discard
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	srv := localapi.NewServer()
	fmt.Fprintf(out, "webhookguard local API on http://%s (Secrets Manager and SQS: moto_server on %s)\n", addr, moto.URL)
	for _, r := range routes {
		p, ok := provider.ByName(strings.ToLower(strings.TrimSuffix(r.Function, "Function")))
		if !ok {
			return fmt.Errorf("route %s %s: no provider for function %s", r.Method, r.Path, r.Function)
		}
		cfg := app.Config{SecretID: devenv.SecretID(p.Name), QueueURL: queueURL}
		if p.UsesURL {
			cfg.PublicURL = "http://" + addr + r.Path // what the local caller signs
		}
		h, err := app.NewHandler(p, cfg, clients, log)
		if err != nil {
			return err
		}
		srv.Handle(r, h.Handle)
		fmt.Fprintf(out, "  %-4s http://%s%-12s -> %-18s secret %q = %q\n", r.Method, addr, r.Path, r.Function, devenv.SecretID(p.Name), devenv.Secret(p.Name))
	}
	fmt.Fprintf(out, "Send a signed webhook:  go run ./cmd/webhookctl send -provider webex\n")
	fmt.Fprintf(out, "Send a forged one:      go run ./cmd/webhookctl send -provider webex -wrong-key\n")
	fmt.Fprintf(out, "Events reaching the queue are printed below. Ctrl-C stops everything.\n\n")

	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	go tail(ctx, sqs.NewFromConfig(moto.Config()), queueURL, out)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	fmt.Fprintln(out, "\nstopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return httpSrv.Shutdown(shutdownCtx)
}

// seed creates a development secret per provider and the events queue.
func seed(ctx context.Context, cfg aws.Config) (string, error) {
	sm := secretsmanager.NewFromConfig(cfg)
	for _, p := range provider.All {
		_, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String(devenv.SecretID(p.Name)), SecretString: aws.String(devenv.Secret(p.Name)),
		})
		if err != nil {
			return "", fmt.Errorf("seed secret %s: %w", devenv.SecretID(p.Name), err)
		}
	}
	out, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(devenv.QueueName)})
	if err != nil {
		return "", fmt.Errorf("create queue: %w", err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// tail prints every envelope that reaches the queue until ctx ends.
func tail(ctx context.Context, c *sqs.Client, queueURL string, out io.Writer) {
	for ctx.Err() == nil {
		res, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintln(os.Stderr, "queue:", err)
				time.Sleep(time.Second)
			}
			continue
		}
		for _, m := range res.Messages {
			var e queue.Envelope
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
				fmt.Fprintf(out, "QUEUED (not an envelope): %s\n", aws.ToString(m.Body))
			} else {
				body, _ := e.RawBody()
				fmt.Fprintf(out, "QUEUED provider=%s eventType=%s keyStage=%s requestId=%s body(%d bytes)=%s\n",
					e.Provider, e.EventType, e.KeyStage, e.RequestID, len(body), preview(body))
			}
			c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

func preview(b []byte) string {
	const max = 160
	s := strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(strings.ToValidUTF8(string(b), "?"))
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
