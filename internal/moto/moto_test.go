package moto

import (
	"errors"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// launchForked launches a server with Fork, stopped when the test ends. It
// skips where moto_server is not installed (failing under CI), and fails
// on Linux when the server was not forked from the zygote.
func launchForked(t *testing.T) *Server {
	t.Helper()
	s, err := Launch(Options{Fork: true})
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	if runtime.GOOS == "linux" && s.forked == nil {
		t.Fatalf("the server at %s was not forked from the zygote", s.URL)
	}
	return s
}

// call makes an SQS JSON call to the server at url and returns the
// answer's status and body.
func call(t *testing.T, url, action, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestForkedServersKeepStatesOfTheirOwn checks forked servers; a server
// started as moto_server (make run's) is checked by cmd/localapi's
// TestRunKeepsEventsForConsumers.
func TestForkedServersKeepStatesOfTheirOwn(t *testing.T) {
	t.Parallel()
	a, b := launchForked(t), launchForked(t)
	if a.URL == b.URL {
		t.Fatalf("both servers at %s", a.URL)
	}
	if status, body := call(t, a.URL, "CreateQueue", `{"QueueName":"only-on-a"}`); status != http.StatusOK {
		t.Fatalf("CreateQueue on a: %d %s", status, body)
	}
	if _, body := call(t, a.URL, "ListQueues", `{}`); !strings.Contains(body, "only-on-a") {
		t.Errorf("a lists %s; want its queue", body)
	}
	if _, body := call(t, b.URL, "ListQueues", `{}`); strings.Contains(body, "only-on-a") {
		t.Errorf("b lists %s; want no queue of a's", body)
	}
}

func TestStopEndsAForkedServer(t *testing.T) {
	t.Parallel()
	s := launchForked(t)
	if err := Check(s.URL); err != nil {
		t.Fatalf("before Stop: %v", err)
	}
	s.Stop()
	if err := Check(s.URL); err == nil {
		t.Fatalf("%s still answers after Stop", s.URL)
	}
	s.Stop() // a second Stop does nothing
}

// TestAForkedServerEndsWhenItsProgramDoes closes the connection to a
// forked server without a word, as the kernel does when the program that
// launched it dies, and checks that the server is gone.
func TestAForkedServerEndsWhenItsProgramDoes(t *testing.T) {
	t.Parallel()
	s := launchForked(t)
	if s.forked == nil {
		t.Skip("no zygote here: the server is moto_server, which dies with this process")
	}
	if err := Check(s.URL); err != nil {
		t.Fatalf("before: %v", err)
	}
	_ = s.forked.Close()
	for deadline := time.Now().Add(10 * time.Second); Check(s.URL) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still answers 10 s after its connection closed", s.URL)
		}
	}
}

func TestNoZygoteWithoutPython(t *testing.T) {
	t.Parallel()
	if _, err := forkServer(nil, "127.0.0.1", 1); !errors.Is(err, errNoZygote) {
		t.Fatalf("forkServer without a Python = %v; want errNoZygote", err)
	}
}
