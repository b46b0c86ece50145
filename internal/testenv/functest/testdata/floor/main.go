// Command floor is the least a correct function of webhookguard's design
// does at a cold start: aws-lambda-go, the AWS configuration and the Secrets
// Manager and SQS clients at init; at the first request, one key read
// (AWSCURRENT), one HMAC check (Webex's X-Spark-Signature) and one
// SendMessage. Cold starts of the functions are measured against it.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

type event struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

type response struct {
	StatusCode int    `json:"statusCode"`
	Body       string `json:"body"`
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	sm, q := secretsmanager.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	secretID, queueURL := os.Getenv("SECRET_ID"), os.Getenv("QUEUE_URL")
	var key []byte
	lambda.Start(func(ctx context.Context, ev event) (response, error) {
		if key == nil {
			out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
			if err != nil {
				return response{StatusCode: 503}, nil
			}
			key = []byte(aws.ToString(out.SecretString))
		}
		var sig string
		for k, v := range ev.Headers {
			if strings.EqualFold(k, "X-Spark-Signature") {
				sig = v
			}
		}
		got, err := hex.DecodeString(sig)
		mac := hmac.New(sha1.New, key)
		mac.Write([]byte(ev.Body))
		if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
			return response{StatusCode: 401}, nil
		}
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(ev.Body)}); err != nil {
			return response{StatusCode: 503}, nil
		}
		return response{StatusCode: 200, Body: "ok\n"}, nil
	})
}
