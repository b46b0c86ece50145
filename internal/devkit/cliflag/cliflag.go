// Package cliflag gives the project's commands one behaviour for their
// command lines: -h prints a description and the flags on stdout and exits
// 0; a bad flag, an extra argument or two flags that exclude each other
// print the error and the usage on stderr and exit 2; any other failure
// prints the error and exits 1.
package cliflag

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// ErrUsage marks a command line the command cannot run: it exits 2 with
// its usage.
var ErrUsage = errors.New("usage")

// Usagef returns an error wrapping ErrUsage.
func Usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// New returns a flag set for command name (such as "webhookctl send")
// whose usage is the synopsis, the description and the flags.
func New(name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s\n\n%s\n", synopsis, strings.TrimSpace(description))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// Parse parses args, allowing at most maxArgs arguments after the flags.
// It returns flag.ErrHelp after -h, and an error wrapping ErrUsage for a
// bad flag or extra arguments; it prints nothing.
func Parse(fs *flag.FlagSet, args []string, maxArgs int) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return err
	case err != nil:
		return fmt.Errorf("%w: %w", ErrUsage, err)
	case fs.NArg() > maxArgs:
		return Usagef("unexpected argument %q", fs.Arg(maxArgs))
	}
	return nil
}

// Exclusive returns an error wrapping ErrUsage when more than one of the
// named flags was set on the command line.
func Exclusive(fs *flag.FlagSet, names ...string) error {
	var set []string
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if f.Name == n {
				set = append(set, "-"+n)
			}
		}
	})
	if len(set) > 1 {
		return Usagef("%s cannot be used together", strings.Join(set, " and "))
	}
	return nil
}

// Set reports whether flag name was given on the command line.
func Set(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// Usage returns a function printing fs's usage to a writer.
func Usage(fs *flag.FlagSet) func(io.Writer) {
	return func(w io.Writer) {
		fs.SetOutput(w)
		fs.Usage()
	}
}

// Exit reports err for command name, the way every command does, and
// returns the exit status: 0 for nil and after -h (usage on stdout), 2 for
// a usage error (the error, then usage, on stderr), 1 otherwise (the error
// on stderr).
func Exit(name string, err error, usage func(io.Writer), stdout, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprintf(stderr, "%s: %s\n\n", name, strings.TrimPrefix(err.Error(), ErrUsage.Error()+": "))
		usage(stderr)
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}
