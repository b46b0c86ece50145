// Command webex-rotation is the Secrets Manager rotation function of the
// Webex webhook secret: it stages a new random secret, waits until every
// warm webhook function accepts it, puts it on the bot's webhooks, checks
// them, and makes it current (see package webexrotation).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/webhookguard/webhookguard/shared/webexrotation"
)

func main() {
	r, err := webexrotation.FromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "webex-rotation: cannot start:", err)
		os.Exit(1)
	}
	lambda.Start(r.Handle)
}
