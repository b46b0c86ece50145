package webexhealth_test

import (
	"context"
	"fmt"
	"io"

	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/webexapi"
	"github.com/webhookguard/webhookguard/shared/webexhealth"
)

// Webex disabled the bot's webhook after failed deliveries: a run turns it
// back on.
func ExampleChecker_Check() {
	api := webexstub.New("bot-token", webexapi.Person{ID: "BOT"}) // stands in for https://webexapis.com
	defer api.Close()
	api.AddWebhook(webexapi.Webhook{Name: "bot", TargetURL: "https://example.com/webex", Resource: "messages", Event: "created", Status: "inactive"})

	c, err := webexhealth.New(webexhealth.Config{
		Webex:      &webexapi.Client{BaseURL: api.URL, Token: func(context.Context) (string, error) { return "bot-token", nil }},
		WebhookURL: "https://example.com/webex",
		Out:        io.Discard,
	})
	if err != nil {
		panic(err)
	}
	res, err := c.Check(context.Background())
	fmt.Printf("%+v %v %s\n", res, err, api.Webhooks()[0].Status)
	// Output: {Checked:1 Inactive:1 Reactivated:1 Failed:0} <nil> active
}
