package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"webhookguard/shared/devenv"
	"webhookguard/shared/mototest"
	"webhookguard/shared/provider"
	"webhookguard/shared/sample"
)

// syncBuffer is the output of run, read while it writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestRunServesEveryRouteAndShowsQueuedEvents does what the README asks a
// newcomer to do: start the local API, send a signed and a forged webhook to
// each provider, see the signed ones arrive from the queue, and stop it.
func TestMain(m *testing.M) { os.Exit(mototest.Run(m)) }

func TestRunServesEveryRouteAndShowsQueuedEvents(t *testing.T) {
	mototest.Shared(t) // skips, saying so, where moto_server is missing
	addr := net.JoinHostPort("127.0.0.1", itoa(freePort(t)))
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, addr, freePort(t), "../../template.yaml", true, out) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if !strings.Contains(out.String(), "stopping") {
			t.Errorf("no clean stop:\n%s", out.String())
		}
	}()
	waitFor(t, func() bool { return strings.Contains(out.String(), "Events reaching the queue") })

	for _, p := range provider.All {
		url := "http://" + addr + "/" + p.Name
		if status := post(t, p, url, devenv.Secret(p.Name)); status != 200 {
			t.Fatalf("%s signed: status %d\n%s", p.Name, status, out.String())
		}
		if status := post(t, p, url, "wrong-key"); status != 401 {
			t.Fatalf("%s forged: status %d", p.Name, status)
		}
	}
	waitFor(t, func() bool { return strings.Count(out.String(), "QUEUED provider=") == 3 })
	for _, p := range provider.All {
		if !strings.Contains(out.String(), "QUEUED provider="+p.Name) {
			t.Fatalf("no queued %s event:\n%s", p.Name, out.String())
		}
	}
}

func post(t *testing.T, p provider.Provider, url, secret string) int {
	t.Helper()
	ct, body := sample.Body(p)
	h, err := sample.Spec{Provider: p, Secret: []byte(secret), URL: url, ContentType: ct, Body: body}.Headers()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 20 s")
}

func itoa(n int) string { return strconv.Itoa(n) }
