// Package mototest starts a real moto_server (an implementation of the AWS
// APIs) on a free loopback port for tests, and stops it afterwards. Tests
// then talk to it over HTTP with the real AWS SDK clients.
//
// Where moto_server is not installed, tests skip with a message, except
// under CI (CI set), where they fail: CI must run them.
package mototest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Region is the region the test clients use.
const Region = "us-east-1"

// Server is a running moto_server.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:PORT.
	URL string
	cmd *exec.Cmd

	stopOnce sync.Once
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
		s, err := start()
		if err != nil {
			skipOrFail(t, err)
		}
		shared = s
	}
	return shared
}

// Run runs the tests and stops the shared server: call it from TestMain.
func Run(m *testing.M) int {
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
	s, err := start()
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(s.Stop)
	return s
}

func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if _, lookErr := exec.LookPath("moto_server"); lookErr != nil && os.Getenv("CI") == "" {
		t.Skipf("moto_server not found, skipping the integration test (install it with: pip install 'moto[server]'): %v", err)
	}
	t.Fatalf("start moto_server: %v", err)
}

func start() (*Server, error) { return Launch(0) }

// Launch starts a moto_server outside a test, on port (0: a free one).
// The caller stops it with Stop; it also dies with this process.
func Launch(port int) (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server not found (install it with: pip install 'moto[server]'): %w", err)
	}
	fixed := port != 0
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if !fixed {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
		if lastErr = s.waitReady(30 * time.Second); lastErr == nil {
			return s, nil
		}
		s.Stop()
		if fixed {
			break
		}
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("moto_server exited: %v", err)
		default:
		}
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("moto_server not ready after %s", limit)
}

// Stop stops the server and every process it started.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		if s.cmd.Process != nil {
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		}
	})
}

// Config returns an AWS configuration for the server, with test
// credentials. GetSecretValue calls made through it are counted.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 2,
	}
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

// Receive returns up to max messages waiting on the queue, deleting them.
func (s *Server) Receive(t testing.TB, queueURL string, max int32) []Message {
	t.Helper()
	c := s.SQSClient()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(queueURL), MaxNumberOfMessages: max, MessageAttributeNames: []string{"All"},
	})
	if err != nil {
		t.Fatalf("receive from %s: %v", queueURL, err)
	}
	msgs := make([]Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		attrs := map[string]string{}
		for k, v := range m.MessageAttributes {
			attrs[k] = aws.ToString(v.StringValue)
		}
		msgs = append(msgs, Message{Body: aws.ToString(m.Body), Attributes: attrs})
		if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatalf("delete message: %v", err)
		}
	}
	return msgs
}

// Message is a received SQS message.
type Message struct {
	Body       string
	Attributes map[string]string
}
