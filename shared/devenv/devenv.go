// Package devenv holds the development settings shared by the local API
// (make run) and the signing tool: the secrets seeded into the local
// moto_server and the queue that receives events. They are for local use
// only; deployed functions read their secrets from Secrets Manager.
package devenv

import "fmt"

// MotoPort is the port of the local moto_server started by make run.
const MotoPort = 5005

// APIAddr is where the local API listens.
const APIAddr = "127.0.0.1:3000"

// QueueName is the local events queue.
const QueueName = "webhookguard-events"

// Secret returns the development signing secret for a provider.
func Secret(provider string) string { return fmt.Sprintf("dev-%s-signing-secret", provider) }

// SecretID returns the name of the provider's secret in the local
// moto_server.
func SecretID(provider string) string { return "webhookguard/dev/" + provider }
