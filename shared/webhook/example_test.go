package webhook_test

import (
	"fmt"

	"github.com/webhookguard/webhookguard/shared/secrets"
	"github.com/webhookguard/webhookguard/shared/verify"
	"github.com/webhookguard/webhookguard/shared/webhook"
)

func ExampleClassify() {
	for _, err := range []error{verify.ErrNoMatch, verify.ErrMalformedBody, secrets.ErrUnavailable} {
		status, reason := webhook.Classify(err)
		fmt.Println(status, reason)
	}
	// Output:
	// 401 no_key_matched
	// 400 malformed_body
	// 503 secrets_unavailable
}
