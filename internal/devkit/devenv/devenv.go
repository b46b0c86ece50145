// Package devenv holds the development settings shared by the local API
// (make run) and the signing tool: the secrets seeded into the local
// moto_server and the queue that receives events. They are for local use
// only; deployed functions read their secrets from Secrets Manager.
package devenv

import "fmt"

// MotoPort is the port of the local moto_server started by make run.
const MotoPort = 5005

// APIAddr is where the local API listens: not 3000, which sam local
// start-api takes by default, so both can run side by side.
const APIAddr = "127.0.0.1:8080"

// MotoHost is the address the local moto_server listens on by default:
// loopback only. make run MOTO_HOST=0.0.0.0 opens it to containers
// (sam local on Linux).
const MotoHost = "127.0.0.1"

// QueueName is the local events queue.
const QueueName = "webhookguard-events"

// Secret returns the development signing secret for a provider.
func Secret(provider string) string { return fmt.Sprintf("dev-%s-signing-secret", provider) }

// SecretID returns the name of the provider's secret in the local
// moto_server.
func SecretID(provider string) string { return "webhookguard/dev/" + provider }

// BotToken is the development Webex bot token the local Webex stand-in
// accepts (make run ARGS=-bot).
const BotToken = "dev-webex-bot-token"

// BotTokenSecretID is the name of the secret holding BotToken in the local
// moto_server.
const BotTokenSecretID = "webhookguard/dev/webex-bot-token"

// Sources names the sources seeded for each provider when the local API
// serves several (POST /<provider>/{source}).
var Sources = []string{"alpha", "beta"}

// SourcesSecretID returns the SECRET_ID of a provider's function serving
// several sources locally: each source's secret is SourceSecretID.
func SourcesSecretID(provider string) string { return SecretID(provider) + "/{source}" }

// SourceSecretID returns the name of a source's secret in the local
// moto_server: webhookguard/dev/<provider>/<source>.
func SourceSecretID(provider, source string) string { return SecretID(provider) + "/" + source }

// SourceSecret returns the development signing secret of a source.
func SourceSecret(provider, source string) string {
	return fmt.Sprintf("dev-%s-%s-signing-secret", provider, source)
}
