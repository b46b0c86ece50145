// Command webexhooks registers the bot's Webex webhooks for the deployed URL,
// with the webhook secret read from Secrets Manager, and lists them with
// their status. Webex deactivates webhooks whose deliveries keep failing;
// this command reactivates them.
//
//	webexhooks list
//	webexhooks ensure -url https://.../webex -secret-id webhookguard/webex [-resource messages -event created] [-filter roomId=...]
//	webexhooks reactivate -url https://.../webex -secret-id webhookguard/webex
//
// The bot token comes from WEBEX_TOKEN, or from the secret named by
// -token-secret-id.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"webhookguard/shared/secrets"
	"webhookguard/shared/webexapi"
)

const usage = `webexhooks manages the bot's Webex webhooks.

Usage:
  webexhooks list        [flags]   list the webhooks and their status
  webexhooks ensure      [flags]   create or update a webhook for -url with the secret from -secret-id
  webexhooks reactivate  [flags]   reactivate the inactive webhooks that target -url

The bot token comes from WEBEX_TOKEN or from -token-secret-id.
Run "webexhooks <command> -h" for the flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := run(ctx, os.Args[1], os.Args[2:], os.Getenv, awsSecrets, os.Stdout)
	if errors.Is(err, errUsage) {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "webexhooks:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// awsSecrets returns a Secrets Manager client from the default AWS
// configuration.
func awsSecrets(ctx context.Context) (secrets.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return secretsmanager.NewFromConfig(cfg), nil
}

func run(ctx context.Context, cmd string, args []string, getenv func(string) string, newSecrets func(context.Context) (secrets.Client, error), out io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	apiURL := fs.String("api", orDefault(getenv("WEBEX_API_URL"), webexapi.DefaultBaseURL), "Webex API base URL")
	tokenSecret := fs.String("token-secret-id", "", "Secrets Manager secret holding the bot token (default: WEBEX_TOKEN)")
	target := fs.String("url", "", "the webhook URL (the stack's WebexWebhookUrl output)")
	secretID := fs.String("secret-id", "", "Secrets Manager secret holding the webhook secret (AWSCURRENT is used)")
	name := fs.String("name", "webhookguard", "webhook name")
	resource := fs.String("resource", "messages", "resource (messages, attachmentActions, memberships, rooms, ...)")
	event := fs.String("event", "created", "event (created, updated, deleted, all, ...)")
	filter := fs.String("filter", "", "filter, such as roomId=... (set at creation; Webex cannot change it later)")
	if err := fs.Parse(args); err != nil {
		return err
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
	client := &webexapi.Client{BaseURL: *apiURL, Token: func(context.Context) (string, error) {
		if *tokenSecret != "" {
			return secret(*tokenSecret)
		}
		if t := getenv("WEBEX_TOKEN"); t != "" {
			return t, nil
		}
		return "", errors.New("no bot token: set WEBEX_TOKEN or -token-secret-id")
	}}

	switch cmd {
	case "list":
		return list(ctx, client, out)
	case "ensure", "reactivate":
		if *target == "" || *secretID == "" {
			return errors.New("-url and -secret-id are required")
		}
		s, err := secret(*secretID)
		if err != nil {
			return err
		}
		if cmd == "ensure" {
			return ensure(ctx, client, webexapi.Webhook{Name: *name, TargetURL: *target, Resource: *resource, Event: *event, Filter: *filter, Secret: s}, out)
		}
		return reactivate(ctx, client, *target, s, out)
	}
	return errUsage
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
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

// ensure creates the webhook, or updates an existing one for the same URL,
// resource and event with the current secret, and reactivates it.
func ensure(ctx context.Context, c *webexapi.Client, want webexapi.Webhook, out io.Writer) error {
	hooks, err := c.Webhooks(ctx)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if h.TargetURL != want.TargetURL || h.Resource != want.Resource || h.Event != want.Event {
			continue
		}
		if h.Filter != want.Filter {
			fmt.Fprintf(out, "warning: webhook %s has filter %q, not %q; Webex cannot change a filter: delete it and run ensure again\n", h.ID, h.Filter, want.Filter)
		}
		updated, err := c.UpdateWebhook(ctx, h.ID, webexapi.Webhook{Name: want.Name, TargetURL: want.TargetURL, Secret: want.Secret, Status: "active"})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "updated %s (%s.%s -> %s): secret set, status %s\n", updated.ID, want.Resource, want.Event, want.TargetURL, updated.Status)
		return nil
	}
	created, err := c.CreateWebhook(ctx, want)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s (%s.%s -> %s), status %s\n", created.ID, want.Resource, want.Event, want.TargetURL, created.Status)
	return nil
}

// reactivate sets every inactive webhook that targets url active again,
// with the current secret.
func reactivate(ctx context.Context, c *webexapi.Client, url, secret string, out io.Writer) error {
	hooks, err := c.Webhooks(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, h := range hooks {
		if h.TargetURL != url || strings.EqualFold(h.Status, "active") {
			continue
		}
		if _, err := c.UpdateWebhook(ctx, h.ID, webexapi.Webhook{Name: h.Name, TargetURL: h.TargetURL, Secret: secret, Status: "active"}); err != nil {
			return err
		}
		fmt.Fprintf(out, "reactivated %s (%s.%s)\n", h.ID, h.Resource, h.Event)
		n++
	}
	fmt.Fprintf(out, "%d webhook(s) reactivated\n", n)
	return nil
}
