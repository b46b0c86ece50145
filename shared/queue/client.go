package queue

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/webhookguard/webhookguard/internal/awscall"
)

// SendMessageInput is the SendMessage request. Its JSON form is SQS's.
type SendMessageInput struct {
	QueueURL          string               `json:"QueueUrl"`
	MessageBody       string               `json:"MessageBody"`
	MessageAttributes map[string]Attribute `json:"MessageAttributes,omitempty"`
}

// Attribute is a message attribute: a data type (String, Number, Binary)
// and its value.
type Attribute struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue,omitempty"`
	BinaryValue []byte `json:"BinaryValue,omitempty"`
}

// SendMessageOutput is SendMessage's answer.
type SendMessageOutput struct {
	MessageID        string `json:"MessageId"`
	MD5OfMessageBody string `json:"MD5OfMessageBody"`
}

// API is the Client that calls SQS. It is safe for concurrent use.
type API struct{ c *awscall.Client }

// NewClient returns the Client that calls SQS with cfg's credentials,
// region, endpoint (AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL when set) and
// HTTP client, retrying as cfg says. It checks the MD5 of every body SQS
// reports, as the SDK does.
func NewClient(cfg aws.Config) *API {
	return &API{awscall.New(cfg, awscall.SQS, 0)}
}

// SendMessage sends one message over the AWS JSON 1.0 protocol.
func (a *API) SendMessage(ctx context.Context, in *SendMessageInput) (*SendMessageOutput, error) {
	var out SendMessageOutput
	if err := a.c.JSON(ctx, "1.0", "AmazonSQS.SendMessage", in, &out); err != nil {
		return nil, err
	}
	sum := md5.Sum([]byte(in.MessageBody))
	if want := hex.EncodeToString(sum[:]); out.MD5OfMessageBody != want {
		return nil, fmt.Errorf("queue: SQS reports the body's MD5 as %q, want %s", out.MD5OfMessageBody, want)
	}
	return &out, nil
}

// Preconnect opens the connection the first send will use, so that its TLS
// handshake is not paid by the first request. A failure costs nothing but
// the attempt.
func (a *API) Preconnect(ctx context.Context) { a.c.Preconnect(ctx) }
