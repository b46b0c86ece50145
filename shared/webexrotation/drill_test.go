package webexrotation_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/app"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/verify"
	"github.com/webhookguard/webhookguard/shared/webexrotation"
)

// lockedBuffer collects the webhook function's log lines from concurrent
// requests.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRotationDrillUnderTraffic runs a whole rotation while Webex delivers
// events concurrently to a warm webhook function. The Webex stand-in signs
// each delivery with the secret its webhook has at that moment, and
// switches exactly when setSecret updates it, while a forger keeps the
// function's early reloads throttled. No delivery may be refused. Timings
// are compressed: SECRETS_TTL is 300 ms instead of 5 min, and ROTATION_WAIT
// is the TTL plus 700 ms instead of plus a minute. (Without the wait, about
// half the deliveries after the switch are refused until the next reload.)
// Each of the six senders pauses 50 ms between deliveries: some hundreds
// in all, dozens around each step.
func TestRotationDrillUnderTraffic(t *testing.T) {
	t.Parallel()
	const ttl = 300 * time.Millisecond
	f := newFixture(t, func(c *webexrotation.Config) { c.Wait = ttl + 700*time.Millisecond })
	queueURL := f.moto.CreateQueue(t, fmt.Sprintf("drill-%d", seq.Add(1)))
	cfg, err := app.FromEnv(func(k string) string {
		return map[string]string{"SECRET_ID": f.secretID, "QUEUE_URL": queueURL}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.SecretsTTL, cfg.MinRefresh = ttl, 5*time.Second
	logs := &lockedBuffer{}
	h, err := app.NewHandler(context.Background(), provider.Webex, cfg, app.ClientsFromConfig(f.moto.Config()), slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}

	var n atomic.Int64
	// deliver sends one event as Webex would for the webhook: signed now,
	// with the webhook's secret of this moment.
	deliver := func(name string) (signed func() int) {
		body := []byte(fmt.Sprintf(`{"id":%q,"name":%q,"resource":"messages","event":"created","actorId":"A","data":{"id":"M%d","personId":"A","created":%q}}`,
			f.ids[name], name, n.Add(1), time.Now().UTC().Format(time.RFC3339Nano)))
		sig, ok := f.api.Sign(f.ids[name], body)
		if !ok {
			t.Error("the stand-in cannot sign")
		}
		return func() int {
			ev := apigw.V2Event(apigw.Incoming{Method: http.MethodPost, Host: "abc123.execute-api.eu-west-1.amazonaws.com", Path: "/webex",
				Header: http.Header{"Content-Type": {"application/json"}, "X-Spark-Signature": {sig}}, Body: body, Stage: "$default",
				RequestID: fmt.Sprintf("r%d", n.Load()), SourceIP: "192.0.2.1", Time: time.Now()})
			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Errorf("Handle: %v", err)
			}
			return resp.StatusCode
		}
	}

	var sent, refused, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				status := deliver([]string{"messages", "cards"}[(w+i)%2])()
				sent.Add(1)
				switch {
				case status == http.StatusUnauthorized:
					refused.Add(1)
				case status != http.StatusOK:
					failed.Add(1)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	// The queue is not what this drill checks, and moto_server's
	// SendMessage costs more the more messages wait on the queue: empty it
	// as the drill goes.
	wg.Add(1)
	go func() {
		defer wg.Done()
		sqsClient := f.moto.SQSClient()
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			if _, err := sqsClient.PurgeQueue(context.Background(), &sqs.PurgeQueueInput{QueueUrl: aws.String(queueURL)}); err != nil {
				t.Errorf("purge the queue: %v", err)
			}
		}
	}()
	// A forger sends requests signed with a key of its own all along: the
	// first makes the function reload its keys, so later reloads are
	// throttled (SECRETS_MIN_REFRESH) and only the TTL brings new keys.
	var forged atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			body := []byte(`{"resource":"messages","event":"created","data":{"id":"forged"}}`)
			ev := apigw.V2Event(apigw.Incoming{Method: http.MethodPost, Host: "abc123.execute-api.eu-west-1.amazonaws.com", Path: "/webex",
				Header: http.Header{"Content-Type": {"application/json"}, "X-Spark-Signature": {verify.SignWebex([]byte("forger-key"), body)}}, Body: body,
				Stage: "$default", RequestID: "forged", SourceIP: "198.51.100.1", Time: time.Now()})
			if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("a forged request got %d", resp.StatusCode)
			}
			forged.Add(1)
		}
	}()
	pause := func() { time.Sleep(ttl + 100*time.Millisecond) }
	const token = "dddddddd-2222-4333-8444-555555555555"
	pause()
	// A delivery Webex signed before the rotation and sends late.
	straggler := deliver("messages")
	f.start(token)
	f.mustStep(webexrotation.StepCreate, token)
	f.mustStep(webexrotation.StepSet, token) // waits ROTATION_WAIT, then Webex switches
	pause()
	f.mustStep(webexrotation.StepTest, token)
	f.mustStep(webexrotation.StepFinish, token)
	pause()
	close(stop)
	wg.Wait()
	lateStatus := straggler()

	stages := map[string]int{}
	for _, stage := range []string{"AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"} {
		stages[stage] = strings.Count(logs.String(), `"keyStage":"`+stage+`"`)
	}
	t.Logf("rotation drill: %d deliveries, %d refused, %d failed; matched by stage %v; the late delivery signed with the old secret: %d; %d forged requests refused",
		sent.Load(), refused.Load(), failed.Load(), stages, lateStatus, forged.Load())
	if refused.Load() != 0 || failed.Load() != 0 || sent.Load() < 100 {
		t.Fatalf("%d deliveries, %d refused, %d failed: want none refused or failed\n%s", sent.Load(), refused.Load(), failed.Load(), f.logs)
	}
	if stages["AWSPENDING"] == 0 || stages["AWSCURRENT"] == 0 || stages["AWSPREVIOUS"] == 0 || lateStatus != http.StatusOK {
		t.Fatalf("matches by stage %v, late delivery %d: want the new secret matched as pending, then current, and the late one as previous", stages, lateStatus)
	}
}
