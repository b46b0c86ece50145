package webhook_test

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"webhookguard/shared/apigw"
	"webhookguard/shared/provider"
	"webhookguard/shared/queue"
	"webhookguard/shared/sample"
	"webhookguard/shared/secrets"
	"webhookguard/shared/webhook"
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

func (q *countingQueue) Send(_ context.Context, e *queue.Envelope) error {
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
		h := &webhook.Handler{Provider: p.Name, Keys: cache, Queue: q, EventType: p.EventType, UsesURL: p.UsesURL}
		ct, body := sample.Body(p)
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
	if growth := int64(heap[rounds-1]) - int64(heap[0]); growth > 8<<20 {
		t.Fatalf("heap grew by %d bytes between the first and the last round", growth)
	}
	if calls > int64(3*len(sms))*2 {
		t.Fatalf("%d GetSecretValue calls for %d functions", calls, len(sms))
	}
}
