package webexrotation_test

import (
	"fmt"

	"github.com/webhookguard/webhookguard/shared/webexrotation"
)

// setSecret waits until every warm webhook function has reloaded its keys:
// by default the functions' key cache TTL plus a minute.
func ExampleWaitFromEnv() {
	env := map[string]string{"SECRETS_TTL": "5m"}
	wait, err := webexrotation.WaitFromEnv(func(k string) string { return env[k] })
	fmt.Println(wait, err)

	env["ROTATION_WAIT"] = "0s" // tests, or functions that never stay warm
	wait, err = webexrotation.WaitFromEnv(func(k string) string { return env[k] })
	fmt.Println(wait, err)
	// Output:
	// 6m0s <nil>
	// 0s <nil>
}
