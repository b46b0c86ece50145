package webexapi_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/webhookguard/webhookguard/internal/webexstub"
	"github.com/webhookguard/webhookguard/shared/webexapi"
)

// A webhook carries only the message's id: read the message, then reply
// in its thread. Errors tell what went wrong without ids or the token.
func ExampleClient() {
	api := webexstub.New("bot-token", webexapi.Person{ID: "BOT", DisplayName: "Helper"}) // stands in for https://webexapis.com
	defer api.Close()
	api.AddMessage(webexapi.Message{ID: "M1", RoomID: "R1", Text: "Helper ping"})

	c := &webexapi.Client{
		BaseURL: api.URL, // default webexapis.com
		Token:   func(context.Context) (string, error) { return "bot-token", nil },
	}
	ctx := context.Background()
	m, err := c.Message(ctx, "M1")
	if err != nil {
		panic(err)
	}
	reply, err := c.CreateMessage(ctx, webexapi.Message{RoomID: m.RoomID, ParentID: m.ID, Text: "pong"})
	if err != nil {
		panic(err)
	}
	fmt.Println(reply.RoomID, reply.ParentID, reply.Text)

	_, err = c.Person(ctx, "SOMEONE")
	fmt.Println(errors.Is(err, webexapi.ErrNotFound), err)

	api.FailWith(401)
	_, err = c.Me(ctx)
	fmt.Println(errors.Is(err, webexapi.ErrUnauthorized), err)
	// Output:
	// R1 M1 pong
	// true webexapi: GET /v1/people/{id}: HTTP 404: not found (trackingId ROUTER_STUB)
	// true webexapi: GET /v1/people/me: HTTP 401: token refused (trackingId ROUTER_STUB)
}
