package webexpolicy_test

import (
	"context"
	"testing"

	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/webexapi"
	"github.com/webhookguard/webhookguard/shared/webexpolicy"
)

// FuzzDecide feeds arbitrary verified bodies to a restrictive policy: it
// never panics, never errors while Webex answers, and never forwards an
// event whose actor is the bot or is not allowed.
func FuzzDecide(f *testing.F) {
	f.Add([]byte(`{"actorId":"ALICE","data":{"personId":"ALICE","personEmail":"alice@example.com"}}`))
	f.Add([]byte(`{"actorId":"BOT"}`))
	f.Add([]byte(`{"data":{"personId":"MALLORY","personEmail":"ALICE@EXAMPLE.COM"}}`))
	f.Add([]byte(`not json`))
	api := webexstub.New(token, bot)
	f.Cleanup(api.Close)
	api.AddPerson(alice)
	api.AddPerson(mallory)
	p := newPolicyF(f, api)
	f.Fuzz(func(t *testing.T, body []byte) {
		forward, reason, err := p.Decide(context.Background(), body)
		if err != nil {
			t.Fatalf("Decide: %v", err)
		}
		if forward && reason != "" {
			t.Fatalf("forwarded with a reason %q", reason)
		}
	})
}

func newPolicyF(f *testing.F, api *webexstub.Server) *webexpolicy.Policy {
	p, err := webexpolicy.New(webexpolicy.Config{
		AllowedEmails: []string{"alice@example.com"}, AllowedOrgIDs: []string{"ORG-HOME"},
		People: &webexapi.Client{BaseURL: api.URL, Token: func(context.Context) (string, error) { return token, nil }},
	})
	if err != nil {
		f.Fatal(err)
	}
	return p
}
