package lambdaemu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// buildFlags are the go build flags make build deploys with (LAMBDA_FLAGS
// in the Makefile); Build adds CGO_ENABLED=0 as LAMBDA_ENV does, but keeps
// this machine's GOOS and GOARCH, so that the binary runs here.
var buildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w"}

// built remembers the package directories whose cached binary this
// process has brought up to date.
var built = struct {
	mu   sync.Mutex
	dirs map[string]bool
}{dirs: map[string]bool{}}

// Build compiles the package in dir into a Lambda bootstrap binary, with the
// flags used for deployment, and returns the path of a copy of it under
// t.TempDir.
//
// go test ./... runs the tests of several packages at once, and more than
// one of them builds the same function. So the binary is kept in a
// directory of the user's cache, one per package directory, where go build
// relinks it only when something it is built from changed; a lock on that
// directory lets one process at a time build or copy it. go build runs
// once a package in each run of go test (on Linux; elsewhere once in each
// test binary). Where that directory or the lock is not
// available, the package is built into t.TempDir.
func Build(t testing.TB, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bootstrap")
	cache, ok := cacheDir(abs)
	if !ok {
		goBuild(t, abs, out)
		return out
	}
	unlock, err := lockDir(cache)
	if err != nil {
		t.Logf("lambdaemu: %v; building into the test's directory", err)
		goBuild(t, abs, out)
		return out
	}
	defer unlock()
	cached := filepath.Join(cache, "bootstrap")
	built.mu.Lock()
	fresh := built.dirs[abs]
	built.mu.Unlock()
	if !fresh {
		// Sources do not change during a go test run: what another test
		// binary of this run built is up to date.
		stamp := filepath.Join(cache, "run")
		id, named := runID()
		if b, err := os.ReadFile(stamp); !named || err != nil || string(b) != id || !exists(cached) {
			goBuild(t, abs, cached)
			if named {
				_ = os.WriteFile(stamp, []byte(id), 0o600)
			}
		}
		built.mu.Lock()
		built.dirs[abs] = true
		built.mu.Unlock()
	}
	if err := linkOrCopy(cached, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// goBuild builds the package in dir into out.
func goBuild(t testing.TB, dir, out string) {
	t.Helper()
	cmd := exec.Command("go", append(append([]string{"build"}, buildFlags...), "-o", out, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", dir, err, b)
	}
}

// cacheDir returns the directory that keeps the binary of the package in
// dir, creating it.
func cacheDir(dir string) (string, bool) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256([]byte(runtime.GOOS + "/" + runtime.GOARCH + "\x00" + dir))
	d := filepath.Join(base, "webhookguard", "lambdaemu", hex.EncodeToString(sum[:12]))
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", false
	}
	return d, true
}

// exists reports whether path names a file.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// linkOrCopy makes dst a hard link to src, or else a copy of it.
func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(o, in); err != nil {
		o.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return o.Close()
}
