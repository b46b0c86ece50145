// Package webexrotation rotates the Webex webhook secret: it is the logic of
// a Secrets Manager rotation function, run one step per invocation on the
// standard event (SecretId, ClientRequestToken, Step).
//
//   - createSecret puts a new random secret (32 bytes from crypto/rand, as
//     64 hex digits) as the AWSPENDING version under the request token;
//     nothing when that version already has a value.
//   - setSecret waits Wait (ROTATION_WAIT: the functions' SECRETS_TTL plus a
//     minute), so every warm webhook function has loaded AWSPENDING and
//     accepts it, then puts the pending secret on every webhook of the bot
//     whose targetUrl starts with WebhookURL (PUT /v1/webhooks/{id}), keeping
//     name, targetUrl, status and owner; Webex keeps resource, event and
//     filter. Webhooks that already carry it are left alone, so a retry after
//     a partial failure finishes the job.
//   - testSecret reads each of those webhooks back: it must be active and
//     carry the pending secret.
//   - finishSecret moves AWSCURRENT to the pending version (the old value
//     becomes AWSPREVIOUS, so deliveries signed before the switch still
//     verify) and takes AWSPENDING off it.
//
// Every step is safe to repeat. A failure returns an error, which fails the
// step; Secrets Manager records the rotation as failed and the functions keep
// accepting both the current and the pending value, whichever a webhook
// carries. No step logs a secret, the token, or a webhook id.
package webexrotation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// The rotation steps, as Secrets Manager names them.
const (
	StepCreate = "createSecret"
	StepSet    = "setSecret"
	StepTest   = "testSecret"
	StepFinish = "finishSecret"
)

// Version stages.
const (
	stageCurrent = "AWSCURRENT"
	stagePending = "AWSPENDING"
)

// SecretBytes is the entropy of a new secret; it is written as twice as
// many hex digits, characters Webex accepts in a webhook secret.
const SecretBytes = 32

// Secrets is the part of the Secrets Manager client a rotation uses:
// *secretsmanager.Client implements it.
type Secrets interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// Webhooks is the part of the Webex API a rotation uses: *webexapi.Client
// implements it.
type Webhooks interface {
	Webhooks(ctx context.Context) ([]webexapi.Webhook, error)
	Webhook(ctx context.Context, id string) (webexapi.Webhook, error)
	UpdateWebhook(ctx context.Context, id string, w webexapi.Webhook) (webexapi.Webhook, error)
}

// Config configures a Rotator.
type Config struct {
	// Secrets reaches the webhook secret being rotated.
	Secrets Secrets
	// Webex reaches the bot's webhooks, with the bot token.
	Webex Webhooks
	// WebhookURL selects the webhooks: those whose targetUrl starts with
	// it (WEBHOOK_URL). Required.
	WebhookURL string
	// Wait is how long setSecret waits before it changes a webhook
	// (ROTATION_WAIT); 0 does not wait.
	Wait time.Duration
	// Log receives one line per step; default slog.Default().
	Log *slog.Logger
	// Random is the source of new secrets; default crypto/rand.
	Random io.Reader
}

// Rotator runs the rotation steps.
type Rotator struct {
	cfg Config
}

// New returns a Rotator. It refuses a configuration without WebhookURL: an
// empty prefix would select every webhook of the bot.
func New(cfg Config) (*Rotator, error) {
	var errs []error
	if cfg.Secrets == nil {
		errs = append(errs, errors.New("webexrotation: no Secrets Manager client"))
	}
	if cfg.Webex == nil {
		errs = append(errs, errors.New("webexrotation: no Webex client"))
	}
	if strings.TrimSpace(cfg.WebhookURL) == "" {
		errs = append(errs, errors.New("webexrotation: WEBHOOK_URL is not set: it selects the webhooks to rotate"))
	}
	if cfg.Wait < 0 {
		errs = append(errs, errors.New("webexrotation: negative ROTATION_WAIT"))
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Random == nil {
		cfg.Random = rand.Reader
	}
	return &Rotator{cfg: cfg}, errors.Join(errs...)
}

// Handle runs the step the event asks for. It is the Lambda handler.
func (r *Rotator) Handle(ctx context.Context, ev events.SecretsManagerSecretRotationEvent) error {
	start := time.Now()
	rec := &record{}
	err := r.step(ctx, ev, rec)
	level := slog.LevelInfo
	if err != nil {
		level, rec.outcome = slog.LevelError, "failed"
	}
	attrs := []slog.Attr{
		slog.String("provider", "webex"), slog.String("step", ev.Step), slog.String("secretId", ev.SecretID),
		slog.String("versionId", ev.ClientRequestToken), slog.String("outcome", rec.outcome),
		slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000),
	}
	if rec.counted {
		attrs = append(attrs, slog.Int("webhooks", rec.webhooks), slog.Int("updated", rec.updated), slog.Int("unchanged", rec.unchanged))
	}
	if rec.waited > 0 {
		attrs = append(attrs, slog.Float64("waitedMs", float64(rec.waited.Microseconds())/1000))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	r.cfg.Log.LogAttrs(ctx, level, "rotation", attrs...)
	return err
}

// record is what a step reports in its log line.
type record struct {
	outcome                      string
	counted                      bool
	webhooks, updated, unchanged int
	waited                       time.Duration
}

func (r *Rotator) step(ctx context.Context, ev events.SecretsManagerSecretRotationEvent, rec *record) error {
	if ev.SecretID == "" || ev.ClientRequestToken == "" {
		return errors.New("webexrotation: the event has no SecretId or ClientRequestToken")
	}
	switch ev.Step {
	case StepCreate, StepSet, StepTest, StepFinish:
	default:
		return fmt.Errorf("webexrotation: unknown step %q", ev.Step)
	}
	desc, err := r.cfg.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ev.SecretID)})
	if err != nil {
		return fmt.Errorf("webexrotation: describe the secret: %w", err)
	}
	if !aws.ToBool(desc.RotationEnabled) {
		return errors.New("webexrotation: rotation is not enabled for the secret")
	}
	stages, ok := desc.VersionIdsToStages[ev.ClientRequestToken]
	switch {
	case !ok:
		return errors.New("webexrotation: the token is not a version of the secret")
	case slices.Contains(stages, stageCurrent):
		// Already rotated: finishSecret ran, or the event came twice.
		if ev.Step == StepFinish && slices.Contains(stages, stagePending) {
			if err := r.unstagePending(ctx, ev); err != nil {
				return err
			}
		}
		rec.outcome = "already_current"
		return nil
	case !slices.Contains(stages, stagePending):
		return errors.New("webexrotation: the version is neither AWSPENDING nor AWSCURRENT")
	}
	switch ev.Step {
	case StepCreate:
		return r.createSecret(ctx, ev, rec)
	case StepSet:
		return r.setSecret(ctx, ev, rec)
	case StepTest:
		return r.testSecret(ctx, ev, rec)
	default:
		return r.finishSecret(ctx, ev, desc, rec)
	}
}

// createSecret puts a new random secret as the pending version, unless
// that version already has a value.
func (r *Rotator) createSecret(ctx context.Context, ev events.SecretsManagerSecretRotationEvent, rec *record) error {
	if _, err := r.cfg.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(ev.SecretID), VersionStage: aws.String(stageCurrent),
	}); err != nil {
		return fmt.Errorf("webexrotation: read the current secret: %w", err)
	}
	_, err := r.cfg.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(ev.SecretID), VersionId: aws.String(ev.ClientRequestToken), VersionStage: aws.String(stagePending),
	})
	if err == nil {
		rec.outcome = "already_created"
		return nil
	}
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		return fmt.Errorf("webexrotation: read the pending secret: %w", err)
	}
	secret, err := r.newSecret()
	if err != nil {
		return err
	}
	if _, err := r.cfg.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(ev.SecretID), ClientRequestToken: aws.String(ev.ClientRequestToken),
		SecretString: aws.String(secret), VersionStages: []string{stagePending},
	}); err != nil {
		return fmt.Errorf("webexrotation: put the pending secret: %w", err)
	}
	rec.outcome = "created"
	return nil
}

// newSecret returns SecretBytes random bytes as hex.
func (r *Rotator) newSecret() (string, error) {
	b := make([]byte, SecretBytes)
	if _, err := io.ReadFull(r.cfg.Random, b); err != nil {
		return "", fmt.Errorf("webexrotation: random secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// pending returns the pending secret of the event's version.
func (r *Rotator) pending(ctx context.Context, ev events.SecretsManagerSecretRotationEvent) (string, error) {
	out, err := r.cfg.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(ev.SecretID), VersionId: aws.String(ev.ClientRequestToken), VersionStage: aws.String(stagePending),
	})
	if err != nil {
		return "", fmt.Errorf("webexrotation: read the pending secret: %w", err)
	}
	if aws.ToString(out.SecretString) == "" {
		return "", errors.New("webexrotation: the pending version has no SecretString")
	}
	return aws.ToString(out.SecretString), nil
}

// selected returns the bot's webhooks whose targetUrl starts with
// WebhookURL.
func (r *Rotator) selected(ctx context.Context) ([]webexapi.Webhook, error) {
	all, err := r.cfg.Webex.Webhooks(ctx)
	if err != nil {
		return nil, fmt.Errorf("webexrotation: list the webhooks: %w", err)
	}
	var out []webexapi.Webhook
	for _, w := range all {
		if strings.HasPrefix(w.TargetURL, r.cfg.WebhookURL) {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		// Rotating a secret no webhook uses would drop the one they do
		// use at the next rotation.
		return nil, fmt.Errorf("webexrotation: none of the bot's %d webhooks targets WEBHOOK_URL", len(all))
	}
	return out, nil
}

// setSecret puts the pending secret on every selected webhook that does
// not carry it yet, after the wait.
func (r *Rotator) setSecret(ctx context.Context, ev events.SecretsManagerSecretRotationEvent, rec *record) error {
	secret, err := r.pending(ctx, ev)
	if err != nil {
		return err
	}
	hooks, err := r.selected(ctx)
	if err != nil {
		return err
	}
	var todo []webexapi.Webhook
	for _, w := range hooks {
		if w.Secret != secret {
			todo = append(todo, w)
		}
	}
	rec.counted, rec.webhooks, rec.unchanged = true, len(hooks), len(hooks)-len(todo)
	if len(todo) == 0 {
		rec.outcome = "already_set"
		return nil
	}
	if err := r.wait(ctx, rec); err != nil {
		return err
	}
	var errs []error
	for _, w := range todo {
		update := webexapi.Webhook{Name: w.Name, TargetURL: w.TargetURL, Secret: secret, OwnedBy: w.OwnedBy}
		if w.Status == webexapi.StatusActive {
			update.Status = webexapi.StatusActive // Webex takes no other status
		}
		if _, err := r.cfg.Webex.UpdateWebhook(ctx, w.ID, update); err != nil {
			errs = append(errs, err)
			continue
		}
		rec.updated++
	}
	if len(errs) > 0 {
		return fmt.Errorf("webexrotation: %d of %d webhooks not updated (a retry updates them): %w", len(errs), len(todo), errors.Join(errs...))
	}
	rec.outcome = "set"
	return nil
}

// wait sleeps Wait, unless the context ends first or cannot last that long.
func (r *Rotator) wait(ctx context.Context, rec *record) error {
	d := r.cfg.Wait
	if d <= 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return fmt.Errorf("webexrotation: ROTATION_WAIT %s is longer than the %s left: raise the function's timeout", d, time.Until(deadline).Round(time.Second))
	}
	start := time.Now()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		rec.waited = time.Since(start)
		return nil
	case <-ctx.Done():
		return fmt.Errorf("webexrotation: waiting ROTATION_WAIT: %w", ctx.Err())
	}
}

// testSecret reads every selected webhook back.
func (r *Rotator) testSecret(ctx context.Context, ev events.SecretsManagerSecretRotationEvent, rec *record) error {
	secret, err := r.pending(ctx, ev)
	if err != nil {
		return err
	}
	hooks, err := r.selected(ctx)
	if err != nil {
		return err
	}
	rec.counted, rec.webhooks = true, len(hooks)
	var stale, inactive int
	for _, h := range hooks {
		w, err := r.cfg.Webex.Webhook(ctx, h.ID)
		if err != nil {
			return fmt.Errorf("webexrotation: read a webhook back: %w", err)
		}
		switch {
		case w.Secret != secret:
			stale++
		case w.Status != webexapi.StatusActive:
			inactive++
		default:
			rec.unchanged++
		}
	}
	if stale+inactive > 0 {
		return fmt.Errorf("webexrotation: of %d webhooks, %d do not carry the pending secret and %d are not active", len(hooks), stale, inactive)
	}
	rec.outcome = "tested"
	return nil
}

// finishSecret makes the pending version current.
func (r *Rotator) finishSecret(ctx context.Context, ev events.SecretsManagerSecretRotationEvent, desc *secretsmanager.DescribeSecretOutput, rec *record) error {
	current := ""
	for v, stages := range desc.VersionIdsToStages {
		if slices.Contains(stages, stageCurrent) {
			current = v
		}
	}
	in := &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(ev.SecretID), VersionStage: aws.String(stageCurrent), MoveToVersionId: aws.String(ev.ClientRequestToken),
	}
	if current != "" {
		in.RemoveFromVersionId = aws.String(current)
	}
	if _, err := r.cfg.Secrets.UpdateSecretVersionStage(ctx, in); err != nil {
		return fmt.Errorf("webexrotation: make the pending version current: %w", err)
	}
	if err := r.unstagePending(ctx, ev); err != nil {
		return err
	}
	rec.outcome = "finished"
	return nil
}

// unstagePending takes AWSPENDING off the (now current) version, leaving
// the secret as after any finished rotation.
func (r *Rotator) unstagePending(ctx context.Context, ev events.SecretsManagerSecretRotationEvent) error {
	if _, err := r.cfg.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(ev.SecretID), VersionStage: aws.String(stagePending), RemoveFromVersionId: aws.String(ev.ClientRequestToken),
	}); err != nil {
		return fmt.Errorf("webexrotation: take AWSPENDING off the new current version: %w", err)
	}
	return nil
}
