package webhook_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// memSM is an in-memory Secrets Manager holding one current value.
type memSM struct {
	value string
	calls atomic.Int64
}

func (m *memSM) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	m.calls.Add(1)
	if aws.ToString(in.VersionStage) != "AWSCURRENT" {
		return nil, &notFound{Message: aws.String("no such stage")}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(m.value), VersionId: aws.String("v1")}, nil
}

// notFound is what Secrets Manager answers for a stage without a value.
type notFound = smtypes.ResourceNotFoundException

// countingQueue counts envelopes and checks each body.
type countingQueue struct {
	n    atomic.Int64
	want map[string][]byte
	bad  atomic.Int64
}

func (q *countingQueue) Name() string { return "queue" }

func (q *countingQueue) Send(_ context.Context, ev *destination.Event) error {
	e := ev.Envelope
	body, err := e.RawBody()
	if err != nil || string(body) != string(q.want[e.Provider]) {
		q.bad.Add(1)
	}
	q.n.Add(1)
	return nil
}

// TestConcurrentLoad sends thousands of concurrent invocations (three
// quarters genuine, one quarter forged) to the three handlers through
// aws-lambda-go, with the real key cache, under the race detector in
// make test. Every genuine request must be forwarded once with its exact
// body, every forged one refused, and the heap must not grow from one round
// to the next.
func TestConcurrentLoad(t *testing.T) {
	const perRound, workers, rounds = 3000, 64, 3
	q := &countingQueue{want: map[string][]byte{}}
	reasons := &reasonCounter{n: map[string]int64{}}
	type target struct {
		handle       *webhook.Handler
		good, forged []byte
	}
	var targets []target
	var sms []*memSM
	for _, p := range provider.All {
		sm := &memSM{value: currentKey}
		sms = append(sms, sm)
		cache, err := secrets.New(sm, secrets.Config{SecretID: p.Name, Build: p.NewVerifier})
		if err != nil {
			t.Fatal(err)
		}
		h := mustNew(t, webhook.Config{Provider: p, Keys: cache, Destinations: []destination.Destination{q}, Log: slog.New(reasons)})
		ct, body := p.Sample.ContentType, p.Sample.Body
		q.want[p.Name] = body
		event := func(secret string) []byte {
			ev, err := sample.Spec{Provider: p, Secret: []byte(secret), URL: "https://" + host + "/" + p.Name, ContentType: ct, Body: body}.Event()
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(ev)
			return raw
		}
		targets = append(targets, target{h, event(currentKey), event("forged")})
	}

	var heap [rounds]uint64
	var accepted, refused, errs atomic.Int64
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		jobs := make(chan int)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// aws-lambda-go's wrapper reuses its output buffer, as one
				// execution environment runs one invocation at a time: each
				// worker gets its own, around the shared handlers.
				invokers := make([]lambda.Handler, len(targets))
				for k, tg := range targets {
					invokers[k] = lambda.NewHandler(tg.handle.Handle)
				}
				for i := range jobs {
					tg := targets[i%len(targets)]
					payload := tg.good
					if i%4 == 3 {
						payload = tg.forged
					}
					out, err := invokers[i%len(targets)].Invoke(context.Background(), payload)
					var resp apigw.Response
					if err != nil || json.Unmarshal(out, &resp) != nil {
						errs.Add(1)
						continue
					}
					switch resp.StatusCode {
					case 200:
						accepted.Add(1)
					case 401:
						refused.Add(1)
					default:
						errs.Add(1)
					}
				}
			}()
		}
		for i := 0; i < perRound; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap[r] = ms.HeapInuse
	}
	total := int64(perRound * rounds)
	calls := int64(0)
	for _, sm := range sms {
		calls += sm.calls.Load()
	}
	t.Logf("%d invocations by %d goroutines: %d accepted, %d refused, %d errors; forwarded %d; heap in use after each round %v; %d GetSecretValue calls",
		total, workers, accepted.Load(), refused.Load(), errs.Load(), q.n.Load(), heap, calls)
	if errs.Load() != 0 || accepted.Load() != total*3/4 || refused.Load() != total/4 || q.n.Load() != accepted.Load() || q.bad.Load() != 0 {
		t.Fatalf("accepted %d, refused %d, errors %d, forwarded %d (bad %d)", accepted.Load(), refused.Load(), errs.Load(), q.n.Load(), q.bad.Load())
	}
	if reasons.count("no_key_matched") != refused.Load() || reasons.count("none") != accepted.Load() {
		t.Fatalf("reasons %v for %d accepted and %d refused", reasons.n, accepted.Load(), refused.Load())
	}
	if growth := int64(heap[rounds-1]) - int64(heap[0]); growth > 8<<20 {
		t.Fatalf("heap grew by %d bytes between the first and the last round", growth)
	}
	if calls > int64(3*len(sms))*2 {
		t.Fatalf("%d GetSecretValue calls for %d functions", calls, len(sms))
	}
}

// reasonCounter is a log handler that counts the reasons of request lines.
type reasonCounter struct {
	mu sync.Mutex
	n  map[string]int64
}

func (c *reasonCounter) Enabled(context.Context, slog.Level) bool { return true }

func (c *reasonCounter) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "reason" {
			c.mu.Lock()
			c.n[a.Value.String()]++
			c.mu.Unlock()
		}
		return true
	})
	return nil
}

func (c *reasonCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *reasonCounter) WithGroup(string) slog.Handler      { return c }

func (c *reasonCounter) count(reason string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[reason]
}
