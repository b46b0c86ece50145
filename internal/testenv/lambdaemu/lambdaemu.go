// Package lambdaemu runs a function's built binary the way AWS Lambda does:
// it serves the Lambda Runtime API (next invocation, response, error) on a
// loopback port, starts the binary with AWS_LAMBDA_RUNTIME_API pointing at
// it, and hands it events one at a time.
package lambdaemu

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
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
	pid     int // guarded by mu
	output  lockedBuffer
	// InitError holds what the function reported at init, if anything.
	InitError string

	started  time.Time
	stopOnce sync.Once
	state    *os.ProcessState
	exited   chan struct{}
	// nexts records each request for an invocation; nextSeen is closed and
	// replaced at each.
	nexts    []nextCall
	nextSeen chan struct{}
}

// Checkpoint is the state of the function process when it asked for an
// invocation: the first time at the end of its init, then after each
// answer.
type Checkpoint struct {
	// Elapsed is the wall time since the process started.
	Elapsed time.Duration
	// CPU is the CPU time (user and system) the process had used; valid
	// when CPUMeasured (Linux only).
	CPU         time.Duration
	CPUMeasured bool
}

// nextCall is one request for an invocation.
type nextCall struct {
	at  time.Time
	cpu Checkpoint
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

// Start serves the Runtime API and starts the binary with env (KEY=VALUE)
// added to this process's environment. Both stop when the test ends.
func Start(t testing.TB, binary string, env ...string) *Runtime {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Runtime{addr: l.Addr().String(), events: make(chan invocation), pending: map[string]chan Result{}, nextSeen: make(chan struct{})}
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
	r.mu.Lock()
	r.pid = r.cmd.Process.Pid
	r.mu.Unlock()
	r.exited = make(chan struct{})
	go func() { _ = r.cmd.Wait(); r.state = r.cmd.ProcessState; close(r.exited) }()
	t.Cleanup(r.Stop)
	return r
}

// MaxRSSKiB returns the peak resident memory of the function process, in
// KiB, once it has stopped.
func (r *Runtime) MaxRSSKiB() int64 {
	if r.state == nil {
		return 0
	}
	return maxRSSKiB(r.state)
}

// Stop ends the function process and the Runtime API.
func (r *Runtime) Stop() {
	r.stopOnce.Do(func() {
		_ = r.cmd.Process.Kill()
		<-r.exited
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

// Wait waits, at most timeout, for the function process to exit on its
// own (a function that refuses to start), and returns its exit code.
func (r *Runtime) Wait(timeout time.Duration) (int, error) {
	select {
	case <-r.exited:
		return r.state.ExitCode(), nil
	case <-time.After(timeout):
		return 0, fmt.Errorf("lambdatest: the function is still running after %s", timeout)
	}
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
// timeout. It returns an error at once when the process has exited (or
// exits before it answers): a function that refused to start.
func (r *Runtime) Invoke(payload []byte, timeout time.Duration) (Result, error) {
	r.mu.Lock()
	r.seq++
	id := "inv-" + strconv.Itoa(r.seq)
	done := make(chan Result, 1)
	r.pending[id] = done
	r.mu.Unlock()
	select {
	case r.events <- invocation{id: id, payload: payload, timeout: timeout}:
	case <-r.exited:
		return Result{}, fmt.Errorf("lambdatest: the function exited (%s) without asking for the invocation\n%s", r.state, r.Output())
	case <-time.After(timeout):
		return Result{}, fmt.Errorf("lambdatest: function did not ask for the next invocation within %s\n%s", timeout, r.Output())
	}
	select {
	case res := <-done:
		return res, nil
	case <-r.exited:
		select {
		case res := <-done: // answered, then exited
			return res, nil
		default:
		}
		return Result{}, fmt.Errorf("lambdatest: the function exited (%s) without answering\n%s", r.state, r.Output())
	case <-time.After(timeout):
		return Result{}, fmt.Errorf("lambdatest: no answer within %s\n%s", timeout, r.Output())
	}
}

// InitDuration waits for the function to ask for its first invocation and
// returns how long it took from process start: the cold-start init time.
func (r *Runtime) InitDuration(timeout time.Duration) (time.Duration, error) {
	c, err := r.Checkpoint(1, timeout)
	return c.Elapsed, err
}

// Checkpoint waits, at most timeout, for the function's n-th request for an
// invocation (n = 1 ends its init, n = 2 follows its first answer) and
// returns the process's state at that moment.
func (r *Runtime) Checkpoint(n int, timeout time.Duration) (Checkpoint, error) {
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		if len(r.nexts) >= n {
			c := r.nexts[n-1]
			r.mu.Unlock()
			c.cpu.Elapsed = c.at.Sub(r.started)
			return c.cpu, nil
		}
		seen := r.nextSeen
		r.mu.Unlock()
		select {
		case <-seen:
		case <-deadline:
			return Checkpoint{}, fmt.Errorf("lambdatest: no request number %d for an invocation within %s\n%s", n, timeout, r.Output())
		}
	}
}

func (r *Runtime) next(w http.ResponseWriter, req *http.Request) {
	// The process waits for this answer: nothing of it runs while its
	// CPU time is read.
	c := nextCall{at: time.Now()}
	r.mu.Lock()
	if r.pid != 0 {
		c.cpu.CPU, c.cpu.CPUMeasured = processCPU(r.pid)
	}
	r.nexts = append(r.nexts, c)
	close(r.nextSeen)
	r.nextSeen = make(chan struct{})
	r.mu.Unlock()
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
