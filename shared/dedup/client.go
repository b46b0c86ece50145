package dedup

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/webhookguard/webhookguard/internal/awscall"
)

// Value is a DynamoDB attribute value of the kinds a record holds: a
// string (S), a number (N, in decimal) or a list (L). Its JSON form is
// DynamoDB's; values of other kinds read as empty.
type Value struct {
	S *string `json:"S,omitempty"`
	N *string `json:"N,omitempty"`
	L []Value `json:"L,omitempty"`
}

// UpdateItemInput is the UpdateItem request. Its JSON form is DynamoDB's.
type UpdateItemInput struct {
	TableName                           string            `json:"TableName"`
	Key                                 map[string]Value  `json:"Key"`
	UpdateExpression                    string            `json:"UpdateExpression"`
	ConditionExpression                 string            `json:"ConditionExpression,omitempty"`
	ExpressionAttributeNames            map[string]string `json:"ExpressionAttributeNames,omitempty"`
	ExpressionAttributeValues           map[string]Value  `json:"ExpressionAttributeValues,omitempty"`
	ReturnValues                        string            `json:"ReturnValues,omitempty"`
	ReturnValuesOnConditionCheckFailure string            `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
}

// UpdateItemOutput is UpdateItem's answer: the item's attributes as
// ReturnValues asked.
type UpdateItemOutput struct {
	Attributes map[string]Value `json:"Attributes"`
}

// ConditionFailed is the error of an update whose condition did not hold:
// DynamoDB's ConditionalCheckFailedException, with the item as it was
// when ReturnValuesOnConditionCheckFailure is ALL_OLD.
type ConditionFailed struct {
	Message string
	Item    map[string]Value
}

// Error implements error.
func (e *ConditionFailed) Error() string {
	return "dedup: ConditionalCheckFailedException: " + e.Message
}

// NewClient returns the Client that calls DynamoDB with cfg's credentials,
// region, endpoint (AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL when
// set) and HTTP client, retrying as cfg says.
func NewClient(cfg aws.Config) Client {
	return &api{awscall.New(cfg, awscall.DynamoDB, 0)}
}

// api calls UpdateItem over the AWS JSON 1.0 protocol.
type api struct{ c *awscall.Client }

func (a *api) UpdateItem(ctx context.Context, in *UpdateItemInput) (*UpdateItemOutput, error) {
	var out UpdateItemOutput
	err := a.c.JSON(ctx, "1.0", "DynamoDB_20120810.UpdateItem", in, &out)
	var ae *awscall.Error
	if errors.As(err, &ae) && ae.Code == "ConditionalCheckFailedException" {
		cf := &ConditionFailed{Message: ae.Message}
		var body struct {
			Item map[string]Value `json:"Item"`
		}
		if json.Unmarshal(ae.Body, &body) == nil {
			cf.Item = body.Item
		}
		return nil, cf
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}
