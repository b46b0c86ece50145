package moto

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// pyenvShim matches the line of a pyenv shim that hands over to pyenv.
var pyenvShim = regexp.MustCompile(`(?m)^exec "([^"]+)" exec "\$program"`)

// cachedModules is run by the Python that runs moto_server, in its place:
// it starts moto_server as the script does, once moto's list of its own
// service packages is read. moto_server reads that list from the disk at
// every request (two directory listings and a few hundred stat calls),
// about a third of what a simple request costs it; the list does not
// change while the server runs. Where moto has no such function any more,
// it starts moto_server unchanged.
const cachedModules = `import sys
try:
    import moto.backends as b
    _modules = tuple(b.list_of_moto_modules())
    b.list_of_moto_modules = lambda: iter(_modules)
except Exception:
    pass
from moto.server import main
sys.argv[0] = "moto_server"
sys.exit(main())
`

// program is how to run a moto_server.
type program struct {
	// argv is the command line, program and first arguments.
	argv []string
	// python is the interpreter that runs moto_server, with its
	// arguments, or nil when moto_server is not a Python script.
	python []string
}

var resolved struct {
	mu    sync.Mutex
	progs map[string]program
}

// command returns how to run the moto_server found at onPath. When that
// is a pyenv shim, it runs the program the shim stands for: a shim asks
// pyenv at every start which Python version to run, which costs about as
// much CPU as moto_server's own start, and tests start many. When the
// program is a Python script, it runs it through its Python with
// cachedModules.
func command(onPath string) program {
	resolved.mu.Lock()
	defer resolved.mu.Unlock()
	if p, ok := resolved.progs[onPath]; ok {
		return p
	}
	if resolved.progs == nil {
		resolved.progs = map[string]program{}
	}
	path := behindShim(onPath)
	p := program{argv: []string{path}}
	if py := pythonOf(path); py != nil {
		p = program{argv: append(py[:len(py):len(py)], "-c", cachedModules), python: py}
	}
	resolved.progs[onPath] = p
	return p
}

// behindShim returns the program the pyenv shim at path runs, or path
// itself.
func behindShim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte("#!")) {
		return path
	}
	m := pyenvShim.FindSubmatch(b)
	if m == nil {
		return path
	}
	out, err := exec.Command(string(m[1]), "which", "moto_server").Output()
	if err != nil {
		return path
	}
	p := strings.TrimSpace(string(out))
	if _, err := exec.LookPath(p); p == "" || err != nil {
		return path
	}
	return p
}

// pythonOf returns the interpreter (with its arguments) of the Python
// script at path, read from its #! line, or nil.
func pythonOf(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return nil
	}
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if !strings.HasPrefix(line, "#!") || len(fields) == 0 {
		return nil
	}
	py := fields
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
		py = fields[1:]
	}
	if !strings.HasPrefix(filepath.Base(py[0]), "python") || len(py) > 2 {
		return nil
	}
	return fields
}
