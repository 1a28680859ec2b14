// Command vobizhook receives, inspects and simulates Vobiz conference
// callbacks, to test a Vobiz integration without making a phone call.
//
//	vobizhook listen   [-addr 127.0.0.1:8080] [-path /conference-events] [-auth-token T] [-callback-url U] [-json]
//	vobizhook send     -url U [-auth-token T] FILE...
//	vobizhook simulate -url U [-participants N] [-style live|classic] [-shuffle] [-duplicates P]
//	                   [-conferences K] [-concurrency C] [-auth-token T] [-seed S]
//	vobizhook demo     [-participants N] [-style live|classic] [-json]
//
// listen runs a vobizhook.Handler and prints one line per callback and one
// per refused request, with the reason: a local inspector for a real Vobiz
// account behind a tunnel, or for the simulator. send replays recorded
// payload files (raw HTTP requests, as in testdata/) re-signed for a URL.
// simulate drives whole generated conferences against a server and reports
// status counts and latencies. demo runs listen and simulate together on a
// free loopback port.
//
// The auth token may also be given in the VOBIZ_AUTH_TOKEN environment
// variable, which keeps it out of the process list. It is never printed.
//
// Exit status: 0 on success, 1 when a delivery or a command failed, 2 for a
// usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// envAuthToken names the environment variable read when -auth-token is not
// given.
const envAuthToken = "VOBIZ_AUTH_TOKEN"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command: it parses args, runs the subcommand until it
// finishes or SIGINT/SIGTERM arrives, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdout, stderr)
}

// command is one subcommand: it parses its own flags from args.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = []command{
	{"listen", "run a Handler and print every callback and refusal", runListen},
	{"send", "replay recorded payload files, re-signed for a URL", runSend},
	{"simulate", "drive generated conferences against a server", runSimulate},
	{"demo", "listen and simulate together on a free loopback port", runDemo},
}

// runContext is run with the context that stops it, for tests.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "vobizhook: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "vobizhook receives, inspects and simulates Vobiz conference callbacks.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  vobizhook COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "vobizhook COMMAND -h" for a command's flags.`)
	fmt.Fprintf(w, "Auth tokens may be given in %s instead of -auth-token.\n", envAuthToken)
}

// newFlagSet returns a flag set whose errors and -h output go to stderr and
// stdout, with a usage line and description.
func newFlagSet(name, synopsis, description string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vobizhook "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: vobizhook %s %s\n\n%s\n\nFlags:\n", name, synopsis, description)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. It returns -1 when the command should go
// on, or the exit status: 0 after -h (usage printed to stdout), 2 after a
// bad flag (the error and usage printed to stderr).
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) int {
	errOut := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(errOut)
	switch {
	case err == nil:
		return -1
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		fs.SetOutput(errOut)
		return exitOK
	default:
		fmt.Fprintf(errOut, "%s: %v\n", fs.Name(), err)
		fs.Usage()
		return exitUsage
	}
}

// usageError prints msg and the usage of fs, and returns exitUsage.
func usageError(fs *flag.FlagSet, format string, args ...any) int {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return exitUsage
}

// authToken returns the -auth-token value, or the environment's.
func authToken(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return strings.TrimSpace(os.Getenv(envAuthToken))
}
