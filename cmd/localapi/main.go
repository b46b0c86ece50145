// Command localapi runs the webhook functions on this machine without
// Docker: it starts a moto_server seeded with development secrets and an
// events queue, serves the routes of template.yaml as an HTTP API would,
// and prints every event that reaches the queue. Ctrl-C stops everything.
//
//	go run ./cmd/localapi                  # or: make run
//	go run ./cmd/localapi -answer          # SignalWire answered by the reference IVR
//	go run ./cmd/localapi -h               # every flag
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/webhookguard/webhookguard/examples/signalwire-answer/ivr"
	"github.com/webhookguard/webhookguard/examples/webex-echo-bot/echobot"
	"github.com/webhookguard/webhookguard/internal/devkit/cliflag"
	"github.com/webhookguard/webhookguard/internal/devkit/devenv"
	"github.com/webhookguard/webhookguard/internal/devkit/samtemplate"
	"github.com/webhookguard/webhookguard/internal/moto"
	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/bus"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// options are localapi's flags.
type options struct {
	addr      string
	motoHost  string
	motoPort  int
	template  string
	quiet     bool
	consume   bool
	envelopes bool
	answer    bool
	bot       bool
	bus       bool
	dedup     bool
	// forkMoto starts moto_server from a shared zygote (moto.Options.Fork),
	// as the tests do; make run starts its own.
	forkMoto bool
}

const description = `
Run the webhook functions of template.yaml on this machine, without Docker:
a local moto_server holds the development secrets and the events queue, each
route is served as API Gateway's HTTP API would, and every event that reaches
the queue is printed.

Queued events stay on the queue for your own consumer (its URL is printed at
start), unless -consume is given. The functions read their settings from this
environment (WEBEX_* policy, SIGNALWIRE_* answers, PUBLIC_URL, MAX_BODY_BYTES,
...), as deployed functions read theirs; SECRET_ID and QUEUE_URL are the local
ones. Through make: make run ARGS="-envelopes -answer".

With -bus, events go to a local EventBridge bus, as with CreateEventBus=true,
and reach the queue through a rule; with -dedup, the replay guard records
every request in a local DynamoDB table. EVENT_BUS_NAME and DEDUP_TABLE in
the environment turn them on too, under those names.

With -bot, the reference Webex bot (examples/webex-echo-bot) consumes the
queue as its Lambda function would, against a local Webex stand-in: send
go run ./cmd/webhookctl send -provider webex and its reply is printed.`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli runs the command line args and returns the exit status.
func cli(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var o options
	fs := cliflag.New("localapi", `localapi [flags]    (make run ARGS="[flags]")`, description)
	fs.StringVar(&o.addr, "addr", devenv.APIAddr, "address to serve the API on")
	fs.StringVar(&o.motoHost, "moto-host", devenv.MotoHost, "address the local moto_server listens on; 0.0.0.0 lets containers (sam local) reach it")
	fs.IntVar(&o.motoPort, "moto-port", devenv.MotoPort, "port of the local moto_server (Secrets Manager and SQS)")
	fs.StringVar(&o.template, "template", "template.yaml", "SAM template whose routes are served")
	fs.BoolVar(&o.quiet, "quiet", false, "do not print the functions' log lines")
	fs.BoolVar(&o.consume, "consume", false, "delete each event from the queue once printed (default: keep it for your consumer)")
	fs.BoolVar(&o.envelopes, "envelopes", false, "print each queued envelope in full, as a consumer receives it")
	fs.BoolVar(&o.answer, "answer", false, "answer SignalWire webhooks with the reference IVR (examples/signalwire-answer), in process")
	fs.BoolVar(&o.bot, "bot", false, "run the reference Webex bot (examples/webex-echo-bot) on the queue, against a local Webex stand-in")
	fs.BoolVar(&o.bus, "bus", false, "put events on a local EventBridge bus (EVENT_BUS_NAME, default "+localBus+") whose rule routes them to the queue, instead of sending them to the queue")
	fs.BoolVar(&o.dedup, "dedup", false, "turn the replay guard on, with a local DynamoDB table (DEDUP_TABLE, default "+localTable+")")
	err := cliflag.Parse(fs, args, 0)
	if err == nil {
		err = cliflag.Exclusive(fs, "consume", "bot") // the bot consumes the queue
	}
	if err == nil && (o.motoPort <= 0 || o.motoPort > 65535) {
		err = cliflag.Usagef("-moto-port %d is not a port", o.motoPort)
	}
	if err == nil {
		err = run(ctx, o, getenv, stdout)
	}
	return cliflag.Exit("localapi", err, cliflag.Usage(fs), stdout, stderr)
}

// run serves until ctx ends, writing what it shows to out. The functions
// read their settings through getenv.
func run(ctx context.Context, o options, getenv func(string) string, out io.Writer) error {
	tpl, err := samtemplate.Load(o.template)
	if err != nil {
		return err
	}
	routes := tpl.Routes()
	if len(routes) == 0 {
		return fmt.Errorf("%s declares no HttpApi routes", o.template)
	}
	if fn := strings.TrimSpace(getenv("ANSWER_FUNCTION")); fn != "" && !o.answer {
		return fmt.Errorf("ANSWER_FUNCTION=%s is a Lambda function, which make run cannot invoke: unset it, or answer in process with -answer", fn)
	}
	if o.motoHost == "" {
		o.motoHost = devenv.MotoHost
	}
	if err := motoPortFree(o.motoHost, o.motoPort); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is make run already running? choose another address with -addr)", o.addr, err)
	}
	defer ln.Close()

	motoSrv, err := moto.Launch(moto.Options{Host: o.motoHost, Port: o.motoPort, Fork: o.forkMoto})
	if err != nil {
		return fmt.Errorf("start moto_server on %s: %w", net.JoinHostPort(o.motoHost, strconv.Itoa(o.motoPort)), err)
	}
	defer motoSrv.Stop()
	awsCfg := motoSrv.Config()
	queueURL, err := seed(ctx, awsCfg)
	if err != nil {
		return err
	}

	busName, table := strings.TrimSpace(getenv("EVENT_BUS_NAME")), strings.TrimSpace(getenv("DEDUP_TABLE"))
	if o.bus && busName == "" {
		busName = localBus
	}
	if o.dedup && table == "" {
		table = localTable
	}
	if busName != "" {
		if err := createBus(ctx, awsCfg, busName, queueURL); err != nil {
			return err
		}
	}
	if table != "" {
		if err := createTable(ctx, awsCfg, table); err != nil {
			return err
		}
	}

	logOut := out
	if o.quiet {
		logOut = io.Discard
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	pr := &printer{out: out, envelopes: o.envelopes}
	clients := app.ClientsFromConfig(awsCfg)
	clients.Queue = &printingQueue{Client: clients.Queue, p: pr}
	clients.Bus = &printingBus{Client: bus.NewClient(awsCfg), p: pr}

	var bot *echobot.Bot
	local := map[string]string{}
	if o.bot {
		stub, err := startStandIn(ctx, secretsmanager.NewFromConfig(awsCfg))
		if err != nil {
			return err
		}
		defer stub.Close()
		// The bot, and the Webex function's sender policy, call the
		// stand-in with the development token unless told otherwise.
		if strings.TrimSpace(getenv("WEBEX_API_URL")) == "" {
			local["WEBEX_API_URL"] = stub.URL
		}
		if strings.TrimSpace(getenv("WEBEX_BOT_TOKEN_SECRET_ID")) == "" {
			local["WEBEX_BOT_TOKEN_SECRET_ID"] = devenv.BotTokenSecretID
		}
		if bot, err = newBot(overlay(getenv, local), clients.Secrets, log, pr); err != nil {
			return fmt.Errorf("the Webex bot: %w", err)
		}
		fmt.Fprintf(out, "Webex API stand-in on %s (bot token %q in secret %q)\n", stub.URL, devenv.BotToken, devenv.BotTokenSecretID)
	}

	srv := NewServer()
	fmt.Fprintf(out, "webhookguard local API on http://%s (Secrets Manager and SQS: moto_server on %s)\n", o.addr, motoSrv.URL)
	if o.motoHost != "127.0.0.1" && o.motoHost != "localhost" && o.motoHost != "::1" {
		fmt.Fprintf(out, "moto_server listens on %s: containers (sam local) reach it at http://host.docker.internal:%d\n", o.motoHost, o.motoPort)
	}
	for _, r := range routes {
		p, ok := provider.ByFunction(r.Function)
		if !ok {
			return fmt.Errorf("route %s %s: no provider for function %s", r.Method, r.Path, r.Function)
		}
		secretID, secretNote := devenv.SecretID(p.Name), fmt.Sprintf("secret %q = %q", devenv.SecretID(p.Name), devenv.Secret(p.Name))
		perSource := strings.Contains(r.Path, "{"+webhook.SourceParam+"}")
		if perSource { // one secret per source
			secretID = devenv.SourcesSecretID(p.Name)
			secretNote = fmt.Sprintf("sources %s: secret %q = %q", strings.Join(devenv.Sources, ", "),
				secretID, devenv.SourceSecret(p.Name, "{source}"))
		}
		fl := map[string]string{"SECRET_ID": secretID, "QUEUE_URL": queueURL, "EVENT_BUS_NAME": busName, "DEDUP_TABLE": table}
		if busName != "" {
			fl["QUEUE_URL"] = "" // events reach the queue through the bus's rule
		}
		if o.answer {
			fl["ANSWER_FUNCTION"] = "" // answered in process
		}
		// Your PUBLIC_URL (a tunnel's) serves the routes of its kind: with
		// {source}, the per-source route, else the plain one; the other
		// route signs the local URL, what the local caller signs.
		if pub := strings.TrimSpace(getenv("PUBLIC_URL")); p.SignsURL && (pub == "" || strings.Contains(pub, "{source}") != perSource) {
			fl["PUBLIC_URL"] = "http://" + o.addr + r.Path
		}
		fenv := functionEnv(overlay(getenv, local), p, fl)
		cfg, err := app.FromEnv(fenv)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Function, err)
		}
		var opts []app.Option
		if o.answer && p.Name == provider.SignalWire.Name {
			opts = append(opts, app.WithAnswerer(ivr.New(ivr.FromEnv(fenv)).Answerer()))
		}
		h, err := app.NewHandler(ctx, p, cfg, clients, log, opts...)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Function, err)
		}
		srv.Handle(r, h.Handle)
		fmt.Fprintf(out, "  %-4s http://%s%-20s -> %-18s %s\n", r.Method, o.addr, r.Path, r.Function, secretNote)
	}
	fmt.Fprintf(out, "Events queue: %s (AWS_ENDPOINT_URL=%s, any credentials)\n", queueURL, motoSrv.URL)
	if busName != "" {
		fmt.Fprintf(out, "Events go to the EventBridge bus %q; its rule %q routes them to the queue, as EventBridge events whose detail is the envelope.\n", busName, busRule)
	}
	if table != "" {
		fmt.Fprintf(out, "The replay guard records every request in the DynamoDB table %q: a replayed request is answered 200 and not handed on.\n", table)
	}
	if o.answer {
		fmt.Fprintf(out, "SignalWire is answered by the reference IVR (examples/signalwire-answer).\n")
	}
	if o.bot {
		fmt.Fprintf(out, "The reference Webex bot (examples/webex-echo-bot) consumes the queue; its replies are printed.\n")
	}
	send := func(name string) string {
		cmd := "go run ./cmd/webhookctl send -provider " + name
		if o.addr != devenv.APIAddr {
			cmd += " -url http://" + o.addr + "/" + name
		}
		return cmd
	}
	hint := firstProvider(routes)
	fmt.Fprintf(out, "Send a signed webhook:  %s\n", send(hint))
	fmt.Fprintf(out, "Send a forged one:      %s -wrong-key\n", send(hint))
	if o.bot {
		fmt.Fprintf(out, "Message the bot:        %s\n", send(provider.Webex.Name))
	}
	if o.answer {
		fmt.Fprintf(out, "Call the IVR:           %s\n", send(provider.SignalWire.Name))
	}
	switch {
	case o.bot:
		fmt.Fprintf(out, "Events reaching the queue are printed below, then handed to the bot. Ctrl-C stops everything.\n\n")
	case o.consume:
		fmt.Fprintf(out, "Events reaching the queue are printed below, then deleted (-consume). Ctrl-C stops everything.\n\n")
	default:
		fmt.Fprintf(out, "Events reaching the queue are printed below and stay there for your consumer. Ctrl-C stops everything.\n\n")
	}

	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	// The consumers stop, and are waited for, before the stand-in and
	// moto_server, however run returns.
	cctx, stopConsumers := context.WithCancel(ctx)
	var consumers sync.WaitGroup
	defer consumers.Wait()
	defer stopConsumers()
	switch {
	case o.consume:
		consumers.Go(func() { drain(cctx, sqs.NewFromConfig(awsCfg), queueURL) })
	case o.bot:
		consumers.Go(func() { serveBot(cctx, sqs.NewFromConfig(awsCfg), queueURL, bot, pr) })
	}

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

// firstProvider names a provider for the hints: Webex when it is served,
// else the first route's.
func firstProvider(routes []samtemplate.Route) string {
	first := ""
	for _, r := range routes {
		if p, ok := provider.ByFunction(r.Function); ok {
			if p.Name == provider.Webex.Name {
				return p.Name
			}
			first = cmp.Or(first, p.Name)
		}
	}
	return first
}

// overlay returns getenv with the values of over in front.
func overlay(getenv func(string) string, over map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := over[k]; ok {
			return v
		}
		return getenv(k)
	}
}

// functionEnv is a function's environment: this process's, with the local
// settings over it. PUBLIC_URL reaches only providers that sign the URL,
// the only ones that take it.
func functionEnv(getenv func(string) string, p provider.Provider, local map[string]string) func(string) string {
	env := overlay(getenv, local)
	return func(k string) string {
		if k == "PUBLIC_URL" && !p.SignsURL {
			return ""
		}
		return env(k)
	}
}

// motoPortFree fails, saying why, when something already answers on the
// port make run's moto_server is to use.
func motoPortFree(host string, port int) error {
	if host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil // nothing listens: the port is free
	}
	conn.Close()
	if moto.Check("http://"+addr) == nil {
		return fmt.Errorf("a moto_server already answers on port %d (is make run already running?): stop it, or choose another port with make run ARGS=\"-moto-port N\"", port)
	}
	return fmt.Errorf("port %d is taken by another program, not moto_server: stop it, or choose another port with make run ARGS=\"-moto-port N\"", port)
}

// seed creates the development secrets of each provider and of its
// sources, the events queue and its dead-letter queue (after 5 receives,
// as the template's).
func seed(ctx context.Context, cfg aws.Config) (string, error) {
	sm := secretsmanager.NewFromConfig(cfg)
	for _, p := range provider.All {
		secrets := map[string]string{devenv.SecretID(p.Name): devenv.Secret(p.Name)}
		for _, s := range devenv.Sources {
			secrets[devenv.SourceSecretID(p.Name, s)] = devenv.SourceSecret(p.Name, s)
		}
		for id, value := range secrets {
			if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(id), SecretString: aws.String(value)}); err != nil {
				return "", fmt.Errorf("seed secret %s: %w", id, err)
			}
		}
	}
	q := sqs.NewFromConfig(cfg)
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(devenv.QueueName + "-dlq")})
	if err != nil {
		return "", fmt.Errorf("create dead-letter queue: %w", err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", fmt.Errorf("read dead-letter queue: %w", err)
	}
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(devenv.QueueName), Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"` + attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)] + `","maxReceiveCount":"5"}`,
	}})
	if err != nil {
		return "", fmt.Errorf("create queue: %w", err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// drain deletes every message that reaches the queue until ctx ends
// (-consume): the printer showed them as they were sent.
func drain(ctx context.Context, c *sqs.Client, queueURL string) {
	for ctx.Err() == nil {
		res, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintln(os.Stderr, "queue:", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		for _, m := range res.Messages {
			c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
