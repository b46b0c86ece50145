// Package lambdatest runs a function's built binary the way AWS Lambda does:
// it serves the Lambda Runtime API (next invocation, response, error) on a
// loopback port, starts the binary with AWS_LAMBDA_RUNTIME_API pointing at
// it, and hands it events one at a time.
package lambdatest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Runtime is a Lambda Runtime API serving one function process.
type Runtime struct {
	srv     *http.Server
	addr    string
	events  chan invocation
	mu      sync.Mutex
	pending map[string]chan Result
	seq     int
	cmd     *exec.Cmd
	output  lockedBuffer
	// InitError holds what the function reported at init, if anything.
	InitError string

	started  time.Time
	stopOnce sync.Once
	state    *os.ProcessState
	initDone chan time.Time
}

// Result is the function's answer to one invocation.
type Result struct {
	// Payload is the response, or the error document when Err is set.
	Payload []byte
	Err     bool
}

type invocation struct {
	id      string
	payload []byte
	timeout time.Duration
}

// Build compiles the package in dir into a Lambda bootstrap binary under
// t.TempDir, with the flags used for deployment, and returns its path.
func Build(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", dir, err, b)
	}
	return out
}

// Start serves the Runtime API and starts the binary with env (KEY=VALUE)
// added to this process's environment. Both stop when the test ends.
func Start(t testing.TB, binary string, env ...string) *Runtime {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Runtime{addr: l.Addr().String(), events: make(chan invocation), pending: map[string]chan Result{}, initDone: make(chan time.Time, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", r.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", r.answer(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", r.answer(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.InitError = string(b)
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	r.srv = &http.Server{Handler: mux}
	go r.srv.Serve(l)

	r.cmd = exec.Command(binary)
	r.cmd.Env = append(lambdaEnviron(), append([]string{"AWS_LAMBDA_RUNTIME_API=" + r.addr}, env...)...)
	r.cmd.Stdout, r.cmd.Stderr = &r.output, &r.output
	r.started = time.Now()
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// MaxRSSKiB returns the peak resident memory of the function process, in
// KiB, once it has stopped.
func (r *Runtime) MaxRSSKiB() int64 {
	if r.state == nil {
		return 0
	}
	if ru, ok := r.state.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}

// Stop ends the function process and the Runtime API.
func (r *Runtime) Stop() {
	r.stopOnce.Do(func() {
		_ = r.cmd.Process.Kill()
		r.state, _ = r.cmd.Process.Wait()
		_ = r.srv.Close()
	})
}

// lambdaEnviron returns this process's environment without the AWS_*
// variables a developer's machine may carry (AWS_PROFILE, AWS_CA_BUNDLE,
// ...): Lambda sets none of them, and they change what the SDK does at
// start-up.
func lambdaEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

// Output returns what the function wrote to stdout and stderr so far.
func (r *Runtime) Output() string { return r.output.String() }

// lockedBuffer collects a process's output while tests read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Invoke hands payload to the function and waits for its answer, at most
// timeout.
func (r *Runtime) Invoke(payload []byte, timeout time.Duration) (Result, error) {
	r.mu.Lock()
	r.seq++
	id := "inv-" + strconv.Itoa(r.seq)
	done := make(chan Result, 1)
	r.pending[id] = done
	r.mu.Unlock()
	select {
	case r.events <- invocation{id: id, payload: payload, timeout: timeout}:
	case <-time.After(timeout):
		return Result{}, fmt.Errorf("lambdatest: function did not ask for the next invocation within %s\n%s", timeout, r.Output())
	}
	select {
	case res := <-done:
		return res, nil
	case <-time.After(timeout):
		return Result{}, fmt.Errorf("lambdatest: no answer within %s\n%s", timeout, r.Output())
	}
}

// InitDuration waits for the function to ask for its first invocation and
// returns how long it took from process start: the cold-start init time.
func (r *Runtime) InitDuration(timeout time.Duration) (time.Duration, error) {
	select {
	case at := <-r.initDone:
		r.initDone <- at
		return at.Sub(r.started), nil
	case <-time.After(timeout):
		return 0, fmt.Errorf("lambdatest: no request for an invocation within %s\n%s", timeout, r.Output())
	}
}

func (r *Runtime) next(w http.ResponseWriter, req *http.Request) {
	select {
	case r.initDone <- time.Now():
	default:
	}
	select {
	case inv := <-r.events:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(inv.timeout).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:test")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
		h.Set("Content-Type", "application/json")
		w.Write(inv.payload)
	case <-req.Context().Done():
	}
}

func (r *Runtime) answer(isErr bool) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		id := req.PathValue("id")
		r.mu.Lock()
		done := r.pending[id]
		delete(r.pending, id)
		r.mu.Unlock()
		if done == nil {
			http.Error(w, "unknown invocation "+strings.TrimSpace(id), http.StatusBadRequest)
			return
		}
		done <- Result{Payload: b, Err: isErr}
		w.WriteHeader(http.StatusAccepted)
	}
}
