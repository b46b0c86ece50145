package moto

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// zygoteScript is the zygote (see Options.Fork): it binds a Unix socket,
// loads moto, and forks a server for each request, until the process it
// serves the children of has ended and no request came for a minute.
//
//go:embed zygote.py
var zygoteScript string

// Limits of the exchange with the zygote.
const (
	// zygoteStart bounds the wait for a new zygote's socket.
	zygoteStart = 10 * time.Second
	// zygoteAnswer bounds the wait for a forked server to listen. The
	// first request also waits for the zygote to load moto.
	zygoteAnswer = 60 * time.Second
	// maxSocketPath is the longest path a Unix socket address holds.
	maxSocketPath = 107
)

var zygote struct {
	mu sync.Mutex
	// broken is set once a zygote failed to start or to answer: later
	// launches go straight to moto_server.
	broken bool
}

// forkServer asks the zygote for a server listening on host and port,
// starting the zygote when none runs. python is the interpreter that runs
// moto_server. It returns an error wrapping errNoZygote when no zygote can
// serve, and another error when the forked server could not listen.
func forkServer(python []string, host string, port int) (*Server, error) {
	if len(python) == 0 {
		return nil, fmt.Errorf("%w: moto_server is not a Python script", errNoZygote)
	}
	zygote.mu.Lock()
	broken := zygote.broken
	zygote.mu.Unlock()
	if broken {
		return nil, errNoZygote
	}
	path, err := socketPath(python)
	if err != nil {
		return nil, err
	}
	s, err := ask(python, path, host, port)
	if errors.Is(err, errNoZygote) {
		zygote.mu.Lock()
		zygote.broken = true
		zygote.mu.Unlock()
	}
	return s, err
}

// ask connects to the zygote on path, starting it when none answers, and
// asks it for a server.
func ask(python []string, path, host string, port int) (*Server, error) {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		if conn, err = startZygote(python, path); err != nil {
			return nil, err
		}
	}
	s, err := request(conn, host, port)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// request asks the zygote on conn for a server and waits until it
// listens.
func request(conn net.Conn, host string, port int) (*Server, error) {
	line, err := json.Marshal(struct {
		Host string `json:"host"`
		Port int    `json:"port"`
	}{host, port})
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(zygoteAnswer))
	if _, err := conn.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("moto: asking the zygote for a server: %w", err)
	}
	r := bufio.NewReader(conn)
	answer, err := r.ReadString('\n')
	if err != nil {
		var timeout net.Error
		if errors.As(err, &timeout) && timeout.Timeout() {
			return nil, fmt.Errorf("%w: no answer in %s", errNoZygote, zygoteAnswer)
		}
		return nil, errors.New("moto: forked moto_server exited before it was ready (is the port in use?)")
	}
	if !strings.HasPrefix(answer, "ready ") {
		return nil, fmt.Errorf("%w: unexpected answer %q", errNoZygote, answer)
	}
	_ = conn.SetDeadline(time.Time{})
	s := &Server{forked: conn, exited: make(chan struct{})}
	go func() { _, _ = io.Copy(io.Discard, r); close(s.exited) }()
	return s, nil
}

// startZygote starts a zygote on path and connects to it. When another
// program starts one at the same time, one of them serves both.
func startZygote(python []string, path string) (net.Conn, error) {
	zygote.mu.Lock()
	defer zygote.mu.Unlock()
	if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
		return conn, nil // another test of this process started it
	}
	args := append(python[1:len(python):len(python)], "-c", zygoteScript, path, strconv.Itoa(os.Getppid()))
	cmd := exec.Command(python[0], args...)
	// A session of its own: it outlives this process, and a signal to
	// this process's group does not reach it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if log, err := os.OpenFile(path+".log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
		cmd.Stderr = log
		defer log.Close()
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %v", errNoZygote, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(zygoteStart)
	for {
		conn, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			return conn, nil
		}
		select {
		case <-exited:
			// It lost the race to another zygote, which now serves,
			// or it failed.
			if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
				return conn, nil
			}
			return nil, fmt.Errorf("%w: it exited (see %s.log)", errNoZygote, path)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: no socket after %s", errNoZygote, zygoteStart)
		}
	}
}

// socketPath returns the zygote's socket for this process's parent and
// this Python and zygote script, in a directory only this user may use.
func socketPath(python []string) (string, error) {
	dir := filepath.Join(os.TempDir(), "webhookguard-moto-"+strconv.Itoa(os.Getuid()))
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("%w: %v", errNoZygote, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errNoZygote, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%w: %s is not a private directory of this user", errNoZygote, dir)
	}
	sum := sha256.Sum256([]byte(strings.Join(python, "\x00") + "\x00" + zygoteScript))
	path := filepath.Join(dir, hex.EncodeToString(sum[:6])+"-"+strconv.Itoa(os.Getppid())+".sock")
	if len(path) > maxSocketPath {
		return "", fmt.Errorf("%w: socket path %s is too long", errNoZygote, path)
	}
	return path, nil
}
