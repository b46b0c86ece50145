package app_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"webhookguard/shared/app"
	"webhookguard/shared/mototest"
	"webhookguard/shared/provider"
	"webhookguard/shared/sample"
)

// TestRotationDrill rotates a secret under concurrent traffic, the way a
// Secrets Manager rotation does (new value staged AWSPENDING, the provider
// switched to it, then the stages moved), with a sender that switches keys
// mid-way. No genuine request may be refused, and Secrets Manager calls must
// stay few. The timings are compressed: the TTL is 300 ms instead of 5 min.
func TestRotationDrill(t *testing.T) {
	for _, p := range provider.All {
		t.Run(p.Name, func(t *testing.T) {
			f := newFixture(t, p, "key-one", func(c *app.Config, _ *app.Clients) {
				c.SecretsTTL, c.MinRefresh = 300*time.Millisecond, 100*time.Millisecond
			})
			sm := f.moto.SecretsClient()
			ctx := context.Background()
			oldVersion := currentVersion(t, sm, f.secretID)

			var senderKey atomic.Value
			senderKey.Store("key-one")
			var sent, refused, failed atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						resp := f.send(senderKey.Load().(string), sample.Spec{})
						sent.Add(1)
						switch {
						case resp.StatusCode == 401:
							refused.Add(1)
						case resp.StatusCode != 200:
							failed.Add(1)
						}
					}
				}()
			}
			pause := func() { time.Sleep(400 * time.Millisecond) }
			pause()
			// 1. The rotation stages the new value.
			put, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(f.secretID),
				SecretString: aws.String("key-two"), VersionStages: []string{"AWSPENDING"}})
			if err != nil {
				t.Fatal(err)
			}
			pause()
			// 2. The provider starts signing with it.
			senderKey.Store("key-two")
			pause()
			// 3. The rotation finishes: the new value becomes current.
			if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(f.secretID),
				VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: put.VersionId, RemoveFromVersionId: aws.String(oldVersion)}); err != nil {
				t.Fatal(err)
			}
			if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(f.secretID),
				VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: put.VersionId}); err != nil {
				t.Fatal(err)
			}
			pause()
			// 4. A straggler still signed with the old key passes as previous.
			senderKey.Store("key-one")
			pause()
			close(stop)
			wg.Wait()

			t.Logf("rotation drill %s: %d requests, %d refused, %d failed, %d GetSecretValue calls",
				p.Name, sent.Load(), refused.Load(), failed.Load(), f.calls.n.Load())
			if refused.Load() != 0 || failed.Load() != 0 || sent.Load() < 50 {
				t.Fatalf("%d requests, %d refused, %d failed; want none refused or failed", sent.Load(), refused.Load(), failed.Load())
			}
			stages := map[string]int{}
			for _, e := range f.drain() {
				stages[e.KeyStage]++
			}
			if stages["AWSPENDING"]+stages["AWSCURRENT"] == 0 || stages["AWSPREVIOUS"] == 0 {
				t.Fatalf("matches by stage %v: want the new key matched as pending or current and the old as previous", stages)
			}
		})
	}
}

func currentVersion(t *testing.T, sm *secretsmanager.Client, id string) string {
	t.Helper()
	out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.VersionId)
}

// blackhole accepts connections and never answers: a dependency that hangs.
func blackhole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + l.Addr().String()
}

func TestSlowDependenciesAnswer503WithinTheBudget(t *testing.T) {
	hang := &mototest.Server{URL: blackhole(t)}
	tests := []struct {
		name       string
		tune       func(*app.Clients)
		wantReason string
	}{
		{"Secrets Manager hangs", func(c *app.Clients) { c.Secrets = app.ClientsFromConfig(hang.Config()).Secrets }, "secrets_unavailable"},
		{"SQS hangs", func(c *app.Clients) { c.Queue = app.ClientsFromConfig(hang.Config()).Queue }, "queue_unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, provider.SignalWire, "k", func(c *app.Config, cl *app.Clients) {
				c.RequestTimeout = 300 * time.Millisecond
				tc.tune(cl)
			})
			resp := f.send("k", sample.Spec{})
			if resp.StatusCode != 503 || resp.Headers["Retry-After"] == "" {
				t.Fatalf("status %d, want 503 with Retry-After", resp.StatusCode)
			}
			logs := f.logs.String()
			if !strings.Contains(logs, `"reason":"`+tc.wantReason+`"`) || !strings.Contains(logs, "deadline exceeded") {
				t.Fatalf("log %s: want %s after the deadline", logs, tc.wantReason)
			}
		})
	}
}
