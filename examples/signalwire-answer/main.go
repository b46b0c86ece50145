// Command signalwire-answer is the reference answer function for
// SignalWire: invoked synchronously by the SignalWire webhook function with
// the verified event's envelope as payload, it returns the instructions
// SignalWire waits for, {"contentType": ..., "body": ...}. See README.md.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/webhookguard/webhookguard/examples/signalwire-answer/ivr"
)

func main() {
	lambda.Start(ivr.New(ivr.FromEnv(os.Getenv)).Answer)
}
