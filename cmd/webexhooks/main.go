// Command webexhooks registers the bot's Webex webhooks for the deployed URL,
// with the webhook secret read from Secrets Manager, lists them with their
// status, reactivates those Webex disabled, and deletes them.
//
//	webexhooks list
//	webexhooks ensure -url https://.../webex -secret-id webhookguard/webex [-resource messages -event created] [-filter roomId=...]
//	webexhooks reactivate -url https://.../webex [-secret-id webhookguard/webex]
//	webexhooks ensure -url https://.../webex -source sales -secret-id 'webhookguard/webex/{source}'
//	webexhooks delete -id <webhook id>
//
// With -source NAME, the webhook targets the source's URL, -url + "/NAME",
// and {source} in -secret-id is replaced by NAME.
//
// The bot token comes from WEBEX_TOKEN, or from the secret named by
// -token-secret-id (not both).
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

const usage = `webexhooks manages the bot's Webex webhooks: it registers them for the
deployed URL with the webhook secret from Secrets Manager, lists them with
their status, reactivates those Webex disabled, and deletes them.

Usage:
  webexhooks list        [flags]   list the webhooks and their status
  webexhooks ensure      [flags]   create or update the webhook for -url, -resource, -event and -filter
                                   with the secret from -secret-id, and make it active
  webexhooks reactivate  [flags]   reactivate the inactive webhooks whose URL starts with -url
  webexhooks delete      [flags]   delete the webhook -id
  webexhooks help                  show this text

With -source NAME, the target is -url + "/NAME" (POST /webex/{source}) and
{source} in -secret-id is replaced by NAME.

The bot token comes from WEBEX_TOKEN or from the secret -token-secret-id
names (not both). Run "webexhooks <command> -h" for a command's flags.
`

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	code := realMain(ctx, os.Args[1:], os.Getenv, awsSecrets, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command failed
	exitUsage = 2 // the command line is wrong
)

// usageError is a mistake in the command line.
type usageError struct{ error }

func usageErrorf(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// realMain runs the command line args and returns the exit code.
func realMain(ctx context.Context, args []string, getenv func(string) string, newSecrets func(context.Context) (secrets.Client, error), stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "webexhooks: unexpected argument %q\n", args[1])
			return exitUsage
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	err := run(ctx, args[0], args[1:], getenv, newSecrets, stdout)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "webexhooks:", err)
		fmt.Fprintln(stderr, `Run "webexhooks help" for the commands, "webexhooks <command> -h" for their flags.`)
		return exitUsage
	case errors.Is(err, webexapi.ErrUnauthorized):
		fmt.Fprintf(stderr, "webexhooks: Webex refused the bot token (%v): check WEBEX_TOKEN or the secret -token-secret-id names\n", err)
		return exitFail
	default:
		fmt.Fprintln(stderr, "webexhooks:", err)
		return exitFail
	}
}

// awsSecrets returns a Secrets Manager client from the default AWS
// configuration.
func awsSecrets(ctx context.Context) (secrets.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return secretsmanager.NewFromConfig(cfg), nil
}

// options are the flags of all commands; each command declares its own.
type options struct {
	api, tokenSecret              string
	target, secretID, id, source  string
	name, resource, event, filter string
}

// commands lists each command, its summary and the flags it takes.
var commands = map[string]struct {
	summary string
	flags   func(fs *flag.FlagSet, o *options)
}{
	"list": {"List the bot's webhooks with their status.", func(*flag.FlagSet, *options) {}},
	"ensure": {"Create the webhook for -url, -resource, -event and -filter, or update the one that exists\nwith the secret from -secret-id, and make it active. A webhook with the same URL, resource\nand event but another filter is left alone: Webex cannot change a filter, so the webhook\nwith the filter asked for is created beside it.", func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.target, "url", "", "the webhook URL (the stack's WebexWebhookUrl output); required")
		fs.StringVar(&o.secretID, "secret-id", "", "Secrets Manager secret holding the webhook secret (AWSCURRENT is used); required; {source} is replaced by -source")
		fs.StringVar(&o.source, "source", "", "the source (bot) NAME of a function serving several: the webhook targets <url>/NAME")
		fs.StringVar(&o.name, "name", "webhookguard", "webhook name")
		fs.StringVar(&o.resource, "resource", "messages", "resource (messages, attachmentActions, memberships, rooms, ...)")
		fs.StringVar(&o.event, "event", "created", "event (created, updated, deleted, all, ...)")
		fs.StringVar(&o.filter, "filter", "", "filter, such as roomId=... (set at creation; Webex cannot change it later)")
	}},
	"reactivate": {"Reactivate the inactive webhooks whose URL starts with -url. Their secret is kept,\nunless -secret-id is given: then it is set to that secret's AWSCURRENT value.", func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.target, "url", "", "the webhook URL (the stack's WebexWebhookUrl output); required")
		fs.StringVar(&o.secretID, "secret-id", "", "Secrets Manager secret holding the webhook secret; optional; {source} is replaced by -source")
		fs.StringVar(&o.source, "source", "", "the source (bot) NAME of a function serving several: the webhooks of <url>/NAME")
	}},
	"delete": {"Delete the webhook -id (see list).", func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.id, "id", "", "the webhook's id; required")
	}},
}

// parse reads the command's flags. -h prints the command's usage to out.
func parse(cmd string, args []string, out io.Writer) (*options, error) {
	c, ok := commands[cmd]
	if !ok {
		return nil, usageErrorf("unknown command %q", cmd)
	}
	o := &options{}
	fs := flag.NewFlagSet("webexhooks "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.api, "api", "", "Webex API base URL (default WEBEX_API_URL, else "+webexapi.DefaultBaseURL+")")
	fs.StringVar(&o.tokenSecret, "token-secret-id", "", "Secrets Manager secret holding the bot token (instead of WEBEX_TOKEN)")
	c.flags(fs, o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(out, "Usage: webexhooks %s [flags]\n\n%s\n\nFlags:\n", cmd, c.summary)
			fs.SetOutput(out)
			fs.PrintDefaults()
			return nil, flag.ErrHelp
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usageErrorf("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	return o, nil
}

func run(ctx context.Context, cmd string, args []string, getenv func(string) string, newSecrets func(context.Context) (secrets.Client, error), out io.Writer) error {
	o, err := parse(cmd, args, out)
	if err != nil {
		return err
	}
	if o.tokenSecret != "" && getenv("WEBEX_TOKEN") != "" {
		return usageErrorf("both WEBEX_TOKEN and -token-secret-id are set: choose one")
	}
	switch {
	case (cmd == "ensure" || cmd == "reactivate") && o.target == "":
		return usageErrorf("%s: -url is required", cmd)
	case cmd == "ensure" && o.secretID == "":
		return usageErrorf("ensure: -secret-id is required")
	case cmd == "delete" && o.id == "":
		return usageErrorf("delete: -id is required")
	}
	if o.source != "" {
		if !secrets.ValidSourceName(o.source) {
			return usageErrorf("-source %q: a source name is a lower-case letter or digit, then up to 62 lower-case letters, digits or dashes", o.source)
		}
		o.target = strings.TrimSuffix(o.target, "/") + "/" + o.source
		o.secretID = secrets.SourceSecretID(o.secretID, o.source)
	} else if secrets.HasSource(o.secretID) {
		return usageErrorf("-secret-id contains {source}: name the source with -source")
	}
	if o.target != "" {
		if u, err := url.Parse(o.target); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return usageErrorf("%s: -url %q is not an absolute http(s) URL", cmd, o.target)
		}
	}
	if o.filter != "" && !strings.Contains(o.filter, "=") {
		return usageErrorf("ensure: -filter %q: want key=value, such as roomId=...", o.filter)
	}

	var sm secrets.Client
	secret := func(id string) (string, error) {
		if sm == nil {
			c, err := newSecrets(ctx)
			if err != nil {
				return "", err
			}
			sm = c
		}
		v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return "", err
		}
		if aws.ToString(v.SecretString) == "" {
			return "", fmt.Errorf("secret %s has no SecretString", id)
		}
		return aws.ToString(v.SecretString), nil
	}
	api := o.api
	if api == "" {
		api = cmp.Or(getenv("WEBEX_API_URL"), webexapi.DefaultBaseURL)
	}
	client := &webexapi.Client{BaseURL: api, Token: func(context.Context) (string, error) {
		if o.tokenSecret != "" {
			return secret(o.tokenSecret)
		}
		if t := getenv("WEBEX_TOKEN"); t != "" {
			return t, nil
		}
		return "", errors.New("no bot token: set WEBEX_TOKEN or -token-secret-id")
	}}

	switch cmd {
	case "list":
		return list(ctx, client, out)
	case "delete":
		if err := client.DeleteWebhook(ctx, o.id); err != nil {
			return err
		}
		fmt.Fprintf(out, "deleted %s\n", o.id)
		return nil
	case "ensure":
		s, err := secret(o.secretID)
		if err != nil {
			return err
		}
		return ensure(ctx, client, webexapi.Webhook{Name: o.name, TargetURL: o.target, Resource: o.resource, Event: o.event, Filter: o.filter, Secret: s}, out)
	default: // reactivate
		s := ""
		if o.secretID != "" {
			if s, err = secret(o.secretID); err != nil {
				return err
			}
		}
		return reactivate(ctx, client, o.target, s, out)
	}
}

func list(ctx context.Context, c *webexapi.Client, out io.Writer) error {
	hooks, err := c.Webhooks(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tRESOURCE\tEVENT\tFILTER\tSTATUS\tTARGET URL")
	for _, h := range hooks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Name, h.Resource, h.Event, dash(h.Filter), h.Status, h.TargetURL)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ensure updates the webhook with the same URL, resource, event and filter
// as want (secret, name, active), or else creates it. Webhooks with the
// same URL, resource and event but another filter are left alone and
// named, since events matching both arrive twice.
func ensure(ctx context.Context, c *webexapi.Client, want webexapi.Webhook, out io.Writer) error {
	hooks, err := c.Webhooks(ctx)
	if err != nil {
		return err
	}
	var others []webexapi.Webhook
	for _, h := range hooks {
		if h.TargetURL != want.TargetURL || h.Resource != want.Resource || h.Event != want.Event {
			continue
		}
		if h.Filter != want.Filter {
			others = append(others, h)
			continue
		}
		updated, err := c.UpdateWebhook(ctx, h.ID, webexapi.Webhook{Name: want.Name, TargetURL: want.TargetURL, Secret: want.Secret, Status: webexapi.StatusActive, OwnedBy: h.OwnedBy})
		if err != nil {
			return err
		}
		if updated.Filter != want.Filter {
			return fmt.Errorf("Webex answered webhook %s with filter %q, not %q", updated.ID, updated.Filter, want.Filter)
		}
		fmt.Fprintf(out, "updated %s (%s.%s, filter %s -> %s): secret set, status %s\n", updated.ID, want.Resource, want.Event, dash(want.Filter), want.TargetURL, updated.Status)
		return nil
	}
	created, err := c.CreateWebhook(ctx, want)
	if err != nil {
		return err
	}
	if created.Filter != want.Filter {
		return fmt.Errorf("Webex created webhook %s with filter %q, not %q: delete it (webexhooks delete -id %s)", created.ID, created.Filter, want.Filter, created.ID)
	}
	fmt.Fprintf(out, "created %s (%s.%s, filter %s -> %s), status %s\n", created.ID, want.Resource, want.Event, dash(want.Filter), want.TargetURL, created.Status)
	for _, h := range others {
		fmt.Fprintf(out, "note: webhook %s (%s.%s, filter %s) targets the same URL; events matching both filters arrive twice. If the new webhook replaces it: webexhooks delete -id %s\n",
			h.ID, h.Resource, h.Event, dash(h.Filter), h.ID)
	}
	return nil
}

// reactivate sets every inactive webhook whose URL starts with prefix
// active again, keeping its secret, or setting secret when one is given.
func reactivate(ctx context.Context, c *webexapi.Client, prefix, secret string, out io.Writer) error {
	hooks, err := c.Webhooks(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, h := range hooks {
		if !strings.HasPrefix(h.TargetURL, prefix) || h.Status == webexapi.StatusActive {
			continue
		}
		s := secret
		if s == "" {
			s = h.Secret
		}
		if _, err := c.UpdateWebhook(ctx, h.ID, webexapi.Webhook{Name: h.Name, TargetURL: h.TargetURL, Secret: s, Status: webexapi.StatusActive, OwnedBy: h.OwnedBy}); err != nil {
			return err
		}
		fmt.Fprintf(out, "reactivated %s (%s.%s)\n", h.ID, h.Resource, h.Event)
		n++
	}
	fmt.Fprintf(out, "%d webhook(s) reactivated\n", n)
	return nil
}
