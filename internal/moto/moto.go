// Package moto starts a real moto_server (an implementation of the AWS APIs)
// on a loopback port and stops it again, for the tests and for the local
// API (make run). Programs then talk to it over HTTP with the real AWS SDK
// clients.
package moto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region is the region clients of the server use.
const Region = "us-east-1"

// ErrNotInstalled means moto_server is not on the PATH.
var ErrNotInstalled = errors.New("moto: moto_server not found (install it with: pip install 'moto[server]')")

// errNoZygote means no zygote can fork a server (see Options.Fork).
var errNoZygote = errors.New("moto: no zygote")

// Server is a running moto_server.
type Server struct {
	// URL is the endpoint, http://HOST:PORT.
	URL string
	cmd *exec.Cmd
	// forked is the connection to a server forked from a zygote (see
	// Options.Fork): the server ends when it closes.
	forked net.Conn

	stopOnce sync.Once
	exited   chan struct{}
}

// Options tune Launch.
type Options struct {
	// Host is the address to listen on; default 127.0.0.1. Use 0.0.0.0 so
	// that containers (sam local) can reach the server.
	Host string
	// Port is the port to listen on; 0 picks a free one.
	Port int
	// Fork starts the server as a fork of a Python process that has moto
	// and the service models of Secrets Manager, SQS, EventBridge and
	// DynamoDB loaded already: the zygote. Every program started by the
	// same parent process that sets Fork shares one zygote (the test
	// binaries of one go test run share the go command's), which ends
	// soon after that parent. Each server is still a process of its own,
	// with a state of its own, that ends with Stop or with this process.
	// It saves each start about two seconds of CPU, which a test run that
	// starts many servers notices. Where no zygote can run (off Linux, or
	// when moto_server is not a Python script), Launch starts moto_server
	// as without Fork.
	Fork bool
}

// Launch starts a moto_server. The caller stops it with Stop. On Linux it
// also dies with this process.
func Launch(o Options) (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	prog := command(bin)
	host := o.Host
	if host == "" {
		host = "127.0.0.1"
	}
	fixed := o.Port != 0
	port := o.Port
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if !fixed {
			if port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		var s *Server
		if s, lastErr = start(prog, host, port, o.Fork); lastErr == nil {
			return s, nil
		}
		if fixed {
			break
		}
	}
	return nil, lastErr
}

// start starts one server listening on host and port, forked from the
// zygote when fork is set and a zygote can run, and waits until it
// answers.
func start(prog program, host string, port int, fork bool) (*Server, error) {
	url := "http://" + net.JoinHostPort(dialHost(host), strconv.Itoa(port))
	if fork {
		s, err := forkServer(prog.python, host, port)
		if err == nil {
			// It answered once it listened: it is ready.
			s.URL = url
			return s, nil
		}
		if !errors.Is(err, errNoZygote) {
			return nil, err
		}
	}
	argv := prog.argv
	cmd := exec.Command(argv[0], append(argv[1:len(argv):len(argv)], "-H", host, "-p", strconv.Itoa(port))...)
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{URL: url, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// dialHost is the address to reach a server listening on host.
func dialHost(host string) string {
	if host == "0.0.0.0" || host == "::" || host == "" {
		return "127.0.0.1"
	}
	return host
}

// FreePort returns a TCP port free on the loopback interface.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return errors.New("moto: moto_server exited before it was ready (is the port in use?)")
		default:
		}
		if err := Check(s.URL); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("moto: moto_server not ready after %s", limit)
}

// Check reports whether what answers at url is a moto_server: its
// /moto-api/ dashboard answers, with moto's own marker.
func Check(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(b)), "moto") {
		return fmt.Errorf("moto: %s answers, but it is not moto_server (HTTP %d)", url, resp.StatusCode)
	}
	return nil
}

// Stop stops the server and every process it started, and waits for it to
// exit.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		switch {
		case s.forked != nil:
			// Closing the connection's writing half is the forked
			// server's signal to exit; its end closing says it did.
			if c, ok := s.forked.(interface{ CloseWrite() error }); ok {
				_ = c.CloseWrite()
			}
			select {
			case <-s.exited:
			case <-time.After(5 * time.Second):
			}
			_ = s.forked.Close()
		case s.cmd != nil && s.cmd.Process != nil:
			killProcessGroup(s.cmd)
			select {
			case <-s.exited:
			case <-time.After(5 * time.Second):
			}
		}
	})
}

// Config returns an AWS configuration for the server, with test
// credentials.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 2,
	}
}
