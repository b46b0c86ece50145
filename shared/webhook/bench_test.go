package webhook_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"webhookguard/shared/apigw"
	"webhookguard/shared/provider"
	"webhookguard/shared/queue"
	"webhookguard/shared/sample"
	"webhookguard/shared/webhook"
)

// discardQueue is an in-memory queue stand-in that keeps nothing, so the
// benchmark measures the function, not a growing slice.
type discardQueue struct{}

func (discardQueue) Send(context.Context, *queue.Envelope) error { return nil }

// BenchmarkWarmPath measures one warm invocation per provider: the event
// JSON in, through aws-lambda-go's handler machinery (decode, verify,
// envelope, response encode), with keys cached and an in-memory queue.
func BenchmarkWarmPath(b *testing.B) {
	for _, p := range provider.All {
		contentType, body := sample.Body(p)
		ev, err := sample.Spec{Provider: p, Secret: []byte(currentKey), URL: "https://" + host + "/" + p.Name,
			ContentType: contentType, Body: body}.Event()
		if err != nil {
			b.Fatal(err)
		}
		raw, err := json.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		h := &webhook.Handler{Provider: p.Name, Keys: &fakeKeys{ring: ring(b, p, currentKey, previousKey)}, Queue: discardQueue{}, EventType: p.EventType}
		if p.UsesURL {
			h.UsesURL, h.Accepted = true, provider.SignalWireAnswer("", "")
		}
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
