package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// flags is the flag set of one subcommand, with the flags several
// subcommands share and the checks to run once the command line is parsed.
type flags struct {
	*flag.FlagSet
	stdout   io.Writer
	synopsis string
	checks   []func() error
}

// newFlags returns the flag set of subcommand name: errors go to stderr, -h
// output to stdout, and its usage shows synopsis and description.
func newFlags(name, synopsis, description string, stdout, stderr io.Writer) *flags {
	fs := flag.NewFlagSet("vobizhook "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: vobizhook %s %s\n\n%s\n\nFlags:\n", name, synopsis, description)
		fs.PrintDefaults()
	}
	return &flags{FlagSet: fs, stdout: stdout, synopsis: synopsis}
}

// check adds a check to run after parsing, in the order added; its error is
// a usage error.
func (f *flags) check(fn func() error) { f.checks = append(f.checks, fn) }

// parse parses args. argName names the positional arguments the command
// takes (FILE), or is empty when it takes none. It returns -1 when the
// command should go on, or the exit status: 0 after -h (usage printed to
// stdout), 2 after a bad flag, a flag after the arguments, unexpected
// arguments or a failed check (the error and usage printed to stderr).
func (f *flags) parse(args []string, argName string) int {
	errOut := f.Output()
	f.SetOutput(io.Discard)
	err := f.Parse(args)
	f.SetOutput(errOut)
	switch {
	case errors.Is(err, flag.ErrHelp):
		f.SetOutput(f.stdout)
		f.Usage()
		f.SetOutput(errOut)
		return exitOK
	case err != nil:
		return f.usageError("%v", err)
	}
	if stray, ok := strayFlag(args, f.Args()); ok {
		if argName == "" {
			return f.usageError("unexpected arguments: %s (flags come first, and %s takes no arguments)", strings.Join(f.Args(), " "), f.Name())
		}
		return f.usageError("flag %s after the %s arguments: flags go before the first %s (%s %s)", stray, argName, argName, f.Name(), f.synopsis)
	}
	if argName == "" && f.NArg() > 0 {
		return f.usageError("unexpected arguments: %s", strings.Join(f.Args(), " "))
	}
	for _, fn := range f.checks {
		if err := fn(); err != nil {
			return f.usageError("%v", err)
		}
	}
	return -1
}

// strayFlag returns the first of the positional arguments rest (what the
// flag package left of args, stopping at the first non-flag) that looks
// like a flag: one that was meant as a flag but came too late. After a "--"
// every argument is positional.
func strayFlag(args, rest []string) (string, bool) {
	if start := len(args) - len(rest); start > 0 && args[start-1] == "--" {
		return "", false
	}
	for _, a := range rest {
		if a == "--" {
			return "", false
		}
		if len(a) > 1 && a[0] == '-' {
			return a, true
		}
	}
	return "", false
}

// usageError prints the message and the usage, and returns exitUsage.
func (f *flags) usageError(format string, args ...any) int {
	fmt.Fprintf(f.Output(), "%s: %s\n", f.Name(), fmt.Sprintf(format, args...))
	f.Usage()
	return exitUsage
}

// given reports whether the flag name was set on the command line.
func (f *flags) given(name string) bool {
	given := false
	f.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	return given
}

// url registers the required -url flag: an absolute http or https URL.
func (f *flags) url() *string {
	u := f.String("url", "", "callback `URL` to send to (required)")
	f.check(func() error {
		if *u == "" {
			return errors.New("-url is required")
		}
		if _, err := vobizhook.BaseURL(*u); err != nil {
			return fmt.Errorf("-url: %w", err)
		}
		return nil
	})
	return u
}

// authToken registers -auth-token; once parsed, the value is the flag's or,
// when not given, $VOBIZ_AUTH_TOKEN's.
func (f *flags) authToken(usage string) *string {
	t := f.String("auth-token", "", usage+" (default $"+envAuthToken+")")
	f.check(func() error {
		if *t == "" {
			*t = strings.TrimSpace(os.Getenv(envAuthToken))
		}
		return nil
	})
	return t
}

// style registers -style, live or classic.
func (f *flags) style() *vobizhooktest.Style {
	name := f.String("style", string(vobizhooktest.Live), "callback shape: live or classic")
	st := new(vobizhooktest.Style)
	f.check(func() error {
		var err error
		*st, err = vobizhooktest.ParseStyle(*name)
		if err != nil {
			return fmt.Errorf("-style: %w", err)
		}
		return nil
	})
	return st
}

// participants registers -participants, from 1 to most.
func (f *flags) participants(def, most int, usage string) *int {
	n := f.Int("participants", def, usage)
	f.check(func() error {
		if *n < 1 || *n > most {
			return fmt.Errorf("-participants %d: want 1 to %d", *n, most)
		}
		return nil
	})
	return n
}

// seed registers -seed; once parsed, the value is the flag's or, when not
// given, one from the clock.
func (f *flags) seed() *int64 {
	s := f.Int64("seed", 0, "random `seed` (default: from the clock; printed for reproduction)")
	f.check(func() error {
		if !f.given("seed") {
			*s = time.Now().UnixNano()
		}
		return nil
	})
	return s
}

// retries registers -retries and -backoff.
func (f *flags) retries() *retryPolicy {
	p := &retryPolicy{}
	f.IntVar(&p.retries, "retries", defaultRetries, "retries of a delivery answered non-2xx or not at all, as Vobiz does (0: none)")
	f.DurationVar(&p.backoff, "backoff", defaultBackoff, "wait before the first retry, doubled for each next one;\na Retry-After answer of up to "+maxRetryAfter.String()+" is honoured")
	f.check(func() error { return p.validate() }) // not p.validate: that would copy *p now
	return p
}
