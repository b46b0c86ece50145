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

// Server is a running moto_server.
type Server struct {
	// URL is the endpoint, http://HOST:PORT.
	URL string
	cmd *exec.Cmd

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
}

// Launch starts a moto_server. The caller stops it with Stop. On Linux it
// also dies with this process.
func Launch(o Options) (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	argv := command(bin)
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
		cmd := exec.Command(argv[0], append(argv[1:len(argv):len(argv)], "-H", host, "-p", strconv.Itoa(port))...)
		ownProcessGroup(cmd)
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		s := &Server{URL: "http://" + net.JoinHostPort(dialHost(host), strconv.Itoa(port)), cmd: cmd, exited: make(chan struct{})}
		go func() { _ = cmd.Wait(); close(s.exited) }()
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
		if s.cmd != nil && s.cmd.Process != nil {
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
