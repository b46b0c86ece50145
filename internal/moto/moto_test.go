package moto

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// launch starts a server for the test, skipping where moto_server is not
// installed (failing under CI), and stops it when the test ends.
func launch(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := Launch(o)
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
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

func TestForkedServersKeepStatesOfTheirOwn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fork bool
	}{
		{name: "forked from the zygote", fork: true},
		{name: "started as moto_server", fork: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := launch(t, Options{Fork: tc.fork}), launch(t, Options{Fork: tc.fork})
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
		})
	}
}

func TestStopEndsAForkedServer(t *testing.T) {
	t.Parallel()
	s := launch(t, Options{Fork: true})
	if err := Check(s.URL); err != nil {
		t.Fatalf("before Stop: %v", err)
	}
	s.Stop()
	if err := Check(s.URL); err == nil {
		t.Fatalf("%s still answers after Stop", s.URL)
	}
	s.Stop() // a second Stop does nothing
}

// TestAForkedServerEndsWithItsProgram starts this test binary as a program
// that launches a forked server and prints its URL, kills that program,
// and checks that the server is gone.
func TestAForkedServerEndsWithItsProgram(t *testing.T) {
	if os.Getenv("MOTO_TEST_HELPER") == "1" {
		s, err := Launch(Options{Fork: true})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(s.URL)
		time.Sleep(time.Minute) // killed long before
		os.Exit(0)
	}
	if runtime.GOOS != "linux" {
		t.Skip("servers are forked on Linux only")
	}
	t.Parallel()
	launch(t, Options{Fork: true}) // skips where moto_server is missing
	cmd := exec.Command(os.Args[0], "-test.run=^TestAForkedServerEndsWithItsProgram$")
	cmd.Env = append(os.Environ(), "MOTO_TEST_HELPER=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	url := strings.TrimSpace(line)
	if err != nil || !strings.HasPrefix(url, "http://") {
		_ = cmd.Process.Kill()
		t.Fatalf("the program printed %q (%v); stderr:\n%s", line, err, stderr.String())
	}
	if err := Check(url); err != nil {
		t.Fatalf("the program's server does not answer: %v", err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); Check(url) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s still answers 10 s after its program was killed", url)
		}
	}
}

func TestNoZygoteWithoutPython(t *testing.T) {
	t.Parallel()
	if _, err := forkServer(nil, "127.0.0.1", 1); !errors.Is(err, errNoZygote) {
		t.Fatalf("forkServer without a Python = %v; want errNoZygote", err)
	}
}
