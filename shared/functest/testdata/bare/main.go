// Command bare is the smallest aws-lambda-go function: it echoes its event.
// Its cold start is the floor the webhook functions are measured against.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, ev json.RawMessage) (json.RawMessage, error) { return ev, nil })
}
