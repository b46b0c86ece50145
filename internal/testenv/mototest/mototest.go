// Package mototest gives tests a real moto_server (see internal/moto),
// started on a free loopback port and stopped afterwards, and small helpers
// that create secrets, queues, event buses with rules and DynamoDB tables
// on it, and read messages back.
//
// The servers are forked from one Python process per go test run that has
// loaded moto already (moto.Options.Fork), so that each costs little to
// start; each is still a process of its own, with a state of its own.
//
// Where moto_server is not installed, tests skip with a message, except
// under CI (CI set), where they fail: CI must run them.
package mototest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/webhookguard/webhookguard/internal/moto"
)

// Region is the region the test clients use.
const Region = moto.Region

// Server is a running moto_server with test helpers.
type Server struct {
	*moto.Server
}

var (
	sharedMu sync.Mutex
	shared   *Server
)

// Shared returns a moto_server shared by the tests of a package, starting
// it on first use. Run stops it.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		s, err := moto.Launch(moto.Options{Fork: true})
		if err != nil {
			skipOrFail(t, err)
		}
		shared = &Server{s}
	}
	return shared
}

// Run runs the tests and stops the shared server: call it from TestMain.
// Unless the command line sets -test.parallel, it lets more parallel tests
// run at once than the default, GOMAXPROCS (see parallel.go).
func Run(m *testing.M) int {
	raiseParallel()
	code := m.Run()
	sharedMu.Lock()
	if shared != nil {
		shared.Stop()
	}
	sharedMu.Unlock()
	return code
}

// Start starts a moto_server of the test's own, stopped when the test ends
// (or earlier, with Stop).
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := moto.Launch(moto.Options{Fork: true})
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(s.Stop)
	return &Server{s}
}

// Down returns a server that is not running: its URL refuses connections,
// as an unreachable AWS endpoint does.
func Down(t testing.TB) *Server {
	t.Helper()
	port, err := moto.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return At("http://127.0.0.1:" + strconv.Itoa(port))
}

// At returns a Server for an endpoint that is not a moto_server the tests
// started, such as one that hangs.
func At(url string) *Server { return &Server{&moto.Server{URL: url}} }

// Hanging returns a Server that accepts connections and never answers: a
// dependency that hangs. Its connections close when the test ends.
func Hanging(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return At("http://" + l.Addr().String())
}

// Switchable returns a Server in front of s and a switch: while down, the
// server drops every connection without an answer, as an unreachable
// endpoint does; while up, it passes requests on to s. It starts up.
func (s *Server) Switchable(t testing.TB) (*Server, func(up bool)) {
	t.Helper()
	target, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var down atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return At(srv.URL), func(up bool) { down.Store(!up) }
}

// Serialized returns a Server in front of s that passes on one request at a
// time. DynamoDB applies each conditional write to an item atomically;
// moto_server does not (its threaded server evaluates a condition and
// writes the item with other requests running in between), so tests of
// concurrent conditional writes talk to DynamoDB through this.
func (s *Server) Serialized(t testing.TB) *Server {
	t.Helper()
	target, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return At(srv.URL)
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, moto.ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skipf("skipping the integration test: %v", err)
	}
	t.Fatalf("start moto_server: %v", err)
}

// SecretsClient returns a Secrets Manager client for the server.
func (s *Server) SecretsClient() *secretsmanager.Client {
	return secretsmanager.NewFromConfig(s.Config())
}

// SQSClient returns an SQS client for the server.
func (s *Server) SQSClient() *sqs.Client { return sqs.NewFromConfig(s.Config()) }

// CreateSecret creates a secret with value as its AWSCURRENT version and
// returns its ARN.
func (s *Server) CreateSecret(t testing.TB, name, value string) string {
	t.Helper()
	out, err := s.SecretsClient().CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatalf("create secret %s: %v", name, err)
	}
	return aws.ToString(out.ARN)
}

// PutSecret stores value as a new version of the secret under stages (by
// default AWSCURRENT, which moves the old current value to AWSPREVIOUS).
func (s *Server) PutSecret(t testing.TB, name, value string, stages ...string) {
	t.Helper()
	in := &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)}
	if len(stages) > 0 {
		in.VersionStages = stages
	}
	if _, err := s.SecretsClient().PutSecretValue(context.Background(), in); err != nil {
		t.Fatalf("put secret %s: %v", name, err)
	}
}

// CreateQueue creates a queue and returns its URL.
func (s *Server) CreateQueue(t testing.TB, name string) string {
	t.Helper()
	out, err := s.SQSClient().CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// Receive returns the messages waiting on the queue, up to max, deleting
// them (ten at a time). It asks until the queue answers empty, so a test
// sees every message sent before the call.
//
// It first sets the queue's visibility timeout to 0: when an answer to
// ReceiveMessage is lost and the SDK asks again, the second answer then
// holds the messages the first carried, instead of none for 30 s while
// they are in flight.
func (s *Server) Receive(t testing.TB, queueURL string, max int) []Message {
	t.Helper()
	c := s.SQSClient()
	if _, err := c.SetQueueAttributes(context.Background(), &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), Attributes: map[string]string{string(sqstypes.QueueAttributeNameVisibilityTimeout): "0"},
	}); err != nil {
		t.Fatalf("set the visibility timeout of %s: %v", queueURL, err)
	}
	var msgs []Message
	for len(msgs) < max {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: int32(min(10, max-len(msgs))), MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatalf("receive from %s: %v", queueURL, err)
		}
		if len(out.Messages) == 0 {
			break
		}
		var del []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			attrs := map[string]string{}
			for k, v := range m.MessageAttributes {
				attrs[k] = aws.ToString(v.StringValue)
			}
			msgs = append(msgs, Message{Body: aws.ToString(m.Body), Attributes: attrs})
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		res, err := c.DeleteMessageBatch(context.Background(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: del})
		if err != nil || len(res.Failed) > 0 {
			t.Fatalf("delete messages: %v %v", err, res)
		}
	}
	return msgs
}

// Count returns how many messages wait on the queue.
func (s *Server) Count(t testing.TB, queueURL string) int {
	t.Helper()
	out, err := s.SQSClient().GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		t.Fatalf("attributes of %s: %v", queueURL, err)
	}
	n, err := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	if err != nil {
		t.Fatalf("message count of %s: %v", queueURL, err)
	}
	return n
}

// Message is a received SQS message.
type Message struct {
	Body       string
	Attributes map[string]string
}

// EventBridgeClient returns an EventBridge client for the server.
func (s *Server) EventBridgeClient() *eventbridge.Client {
	return eventbridge.NewFromConfig(s.Config())
}

// DynamoDBClient returns a DynamoDB client for the server.
func (s *Server) DynamoDBClient() *dynamodb.Client { return dynamodb.NewFromConfig(s.Config()) }

// QueueARN returns the ARN of the queue at queueURL.
func (s *Server) QueueARN(t testing.TB, queueURL string) string {
	t.Helper()
	out, err := s.SQSClient().GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("queue ARN of %s: %v", queueURL, err)
	}
	return out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// CreateBus creates an event bus and returns its name.
func (s *Server) CreateBus(t testing.TB, name string) string {
	t.Helper()
	if _, err := s.EventBridgeClient().CreateEventBus(context.Background(), &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
		t.Fatalf("create event bus %s: %v", name, err)
	}
	return name
}

// RouteToQueue adds to the bus a rule with the event pattern that targets
// a new queue, and returns the queue's URL: the events the rule matches
// can then be read back with Receive.
func (s *Server) RouteToQueue(t testing.TB, bus, rule, pattern string) string {
	t.Helper()
	queueURL := s.CreateQueue(t, bus+"-"+rule)
	ctx := context.Background()
	c := s.EventBridgeClient()
	if _, err := c.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), EventBusName: aws.String(bus), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatalf("put rule %s: %v", rule, err)
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(s.QueueARN(t, queueURL))}}}); err != nil {
		t.Fatalf("put targets of %s: %v", rule, err)
	}
	return queueURL
}

// CreateDedupTable creates a replay-guard table as the template does:
// partition key "id" (string), on demand, time to live on "expiresAt".
func (s *Server) CreateDedupTable(t testing.TB, name string) string {
	t.Helper()
	ctx := context.Background()
	c := s.DynamoDBClient()
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatalf("time to live on %s: %v", name, err)
	}
	return name
}

// Items returns every item of a table, each attribute as its string or
// number text, a list of strings joined by commas.
func (s *Server) Items(t testing.TB, table string) []map[string]string {
	t.Helper()
	out, err := s.DynamoDBClient().Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("scan %s: %v", table, err)
	}
	var items []map[string]string
	for _, it := range out.Items {
		m := map[string]string{}
		for k, v := range it {
			switch v := v.(type) {
			case *ddbtypes.AttributeValueMemberS:
				m[k] = v.Value
			case *ddbtypes.AttributeValueMemberN:
				m[k] = v.Value
			case *ddbtypes.AttributeValueMemberL:
				var parts []string
				for _, e := range v.Value {
					if e, ok := e.(*ddbtypes.AttributeValueMemberS); ok {
						parts = append(parts, e.Value)
					}
				}
				m[k] = strings.Join(parts, ",")
			}
		}
		items = append(items, m)
	}
	return items
}
