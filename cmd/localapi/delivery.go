package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/webhookguard/webhookguard/shared/bus"
	"github.com/webhookguard/webhookguard/shared/dedup"
)

// Local names of the optional destinations.
const (
	// localBus is the EventBridge bus of make run -bus.
	localBus = "webhookguard-local"
	// localTable is the replay guard's table of make run -dedup.
	localTable = "webhookguard-local-dedup"
	// busRule routes every verified event on the bus to the events queue.
	busRule = "webhookguard-to-events-queue"
)

// createBus creates the bus name and a rule that routes every verified
// event on it to the events queue, as a consumer's rule would: the queue
// then receives EventBridge events whose detail is the envelope.
func createBus(ctx context.Context, cfg aws.Config, name, queueURL string) error {
	eb := eventbridge.NewFromConfig(cfg)
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
		return fmt.Errorf("create event bus %s: %w", name, err)
	}
	pattern, _ := json.Marshal(map[string]any{"source": []any{map[string]string{"prefix": bus.SourcePrefix}}})
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(busRule), EventBusName: aws.String(name), EventPattern: aws.String(string(pattern))}); err != nil {
		return fmt.Errorf("put rule %s: %w", busRule, err)
	}
	attrs, err := sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return fmt.Errorf("read the events queue: %w", err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(busRule), EventBusName: aws.String(name),
		Targets: []ebtypes.Target{{Id: aws.String("events-queue"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])}}}); err != nil {
		return fmt.Errorf("put targets of %s: %w", busRule, err)
	}
	return nil
}

// createTable creates a replay-guard table as the template does: partition
// key "id", on demand, time to live on "expiresAt".
func createTable(ctx context.Context, cfg aws.Config, name string) error {
	db := dynamodb.NewFromConfig(cfg)
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(dedup.AttrID), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(dedup.AttrID), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(dedup.AttrExpiresAt), Enabled: aws.Bool(true)}}); err != nil {
		return fmt.Errorf("time to live on %s: %w", name, err)
	}
	return nil
}

// printingBus is the functions' EventBridge client: it puts events as the
// real one does and shows each event EventBridge accepted.
type printingBus struct {
	bus.Client
	p *printer
}

// PutEvents puts the events, then shows those accepted. The printer is
// held meanwhile, as for the queue.
func (b *printingBus) PutEvents(ctx context.Context, entries []bus.Entry) (*bus.PutEventsOutput, error) {
	b.p.mu.Lock()
	defer b.p.mu.Unlock()
	out, err := b.Client.PutEvents(ctx, entries)
	if err != nil {
		return out, err
	}
	for i, e := range entries {
		if i < len(out.Entries) && out.Entries[i].ErrorCode != "" {
			continue
		}
		b.p.event("ON BUS", e.Detail, fmt.Sprintf(" (source %s, detail-type %s)", e.Source, e.DetailType))
	}
	return out, err
}
