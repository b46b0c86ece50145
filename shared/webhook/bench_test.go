package webhook_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/webhookguard/webhookguard/internal/devkit/sample"
	"github.com/webhookguard/webhookguard/shared/apigw"
	"github.com/webhookguard/webhookguard/shared/destination"
	"github.com/webhookguard/webhookguard/shared/provider"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

// discardQueue is an in-memory destination that keeps nothing, so the
// benchmark measures the function, not a growing slice.
type discardQueue struct{}

func (discardQueue) Name() string                                   { return "queue" }
func (discardQueue) Send(context.Context, *destination.Event) error { return nil }

// BenchmarkWarmPath measures one warm invocation per provider: the event
// JSON in, through aws-lambda-go's handler machinery (decode, verify,
// envelope, response encode), with keys cached and an in-memory queue.
func BenchmarkWarmPath(b *testing.B) {
	for _, p := range provider.All {
		contentType, body := p.Sample.ContentType, p.Sample.Body
		ev, err := sample.Spec{Provider: p, Secret: []byte(currentKey), URL: "https://" + host + "/" + p.Name,
			ContentType: contentType, Body: body}.Event()
		if err != nil {
			b.Fatal(err)
		}
		raw, err := json.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		h := mustNew(b, webhook.Config{Provider: p, Keys: &fakeKeys{ring: ring(b, p, currentKey, previousKey)}, Destinations: []destination.Destination{discardQueue{}}})
		invoker := lambda.NewHandler(h.Handle)
		b.Run(p.Name+"/invoke", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				out, err := invoker.Invoke(context.Background(), raw)
				if err != nil || len(out) == 0 {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.Name+"/handle", func(b *testing.B) {
			var e apigw.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				resp, _ := h.Handle(context.Background(), &e)
				if resp.StatusCode != 200 {
					b.Fatal(resp.StatusCode)
				}
			}
		})
	}
}
