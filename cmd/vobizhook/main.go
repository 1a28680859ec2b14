// Command vobizhook receives, inspects and simulates Vobiz conference
// callbacks, to test a Vobiz integration without making a phone call.
//
//	vobizhook listen   [-addr 127.0.0.1:8080] [-path /conference-events] [-auth-token T] [-callback-url U] [-json]
//	                   [-forward-to URL] [-forward-timeout 2.5s]
//	vobizhook send     -url U [-auth-token T] [-retries 3] [-backoff 100ms] FILE...
//	vobizhook simulate -url U [-participants N] [-style live|classic] [-shuffle] [-duplicates P]
//	                   [-conferences K] [-concurrency C] [-auth-token T] [-seed S] [-retries 3] [-backoff 100ms]
//	vobizhook demo     [-participants N] [-style live|classic] [-json] [-seed S]
//
// listen runs a vobizhook.Handler and prints one line per request, from the
// Handler's OnOutcome: each callback and how it was answered, each refusal
// with the reason. It is a local inspector for a real Vobiz account behind a
// tunnel, or for the simulator; with -forward-to it also relays each
// verified callback to the app being built, re-signed for the app's URL,
// and answers Vobiz with the app's answer. send replays recorded payload
// files (raw HTTP requests, as in testdata/) re-signed for a URL. simulate
// drives whole generated conferences against a server and reports status
// counts, retries and latencies. demo runs listen, with a conference
// Tracker, and simulate together on a free loopback port.
//
// listen -forward-to does not deduplicate: each delivery, copies included,
// is forwarded signed with the nonce Vobiz gave it, so the app's own Handler
// acknowledges the copies it already handled, as in production. A request
// listen refuses is not forwarded.
//
// "vobizhook help COMMAND" and "vobizhook COMMAND -h" print a command's
// flags. Flags go before a command's arguments.
//
// send, simulate and demo deliver as Vobiz does: an answer other than 2xx
// (or none) is retried with the same request, signature and nonce included,
// up to -retries times, after -backoff, doubled for each next retry, or
// after the answer's Retry-After when that is longer and at most 5s. A
// delivery fails when its last attempt fails; retries are counted apart.
//
// The auth token may also be given in the VOBIZ_AUTH_TOKEN environment
// variable, which keeps it out of the process list. It is never printed.
//
// Exit status: 0 on success, 1 when a delivery or a command failed, 2 for a
// usage error.
package main

import (
	"context"
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
	{"listen", "run a Handler and print every request; -forward-to relays callbacks to your app", runListen},
	{"send", "replay recorded payload files, re-signed for a URL", runSend},
	{"simulate", "drive generated conferences against a server", runSimulate},
	{"demo", "listen (with a Tracker) and simulate together on a free loopback port", runDemo},
}

// runContext is run with the context that stops it, for tests.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "help":
		switch len(args) {
		case 1:
			usage(stdout)
			return exitOK
		case 2:
			if c, ok := lookup(args[1]); ok {
				return c.run(ctx, []string{"-h"}, stdout, stderr)
			}
			fmt.Fprintf(stderr, "vobizhook help: unknown command %q\n\n", args[1])
		default:
			fmt.Fprintf(stderr, "vobizhook help: want one command, got %q\n\n", strings.Join(args[1:], " "))
		}
		usage(stderr)
		return exitUsage
	}
	if c, ok := lookup(args[0]); ok {
		return c.run(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "vobizhook: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

// lookup returns the command called name.
func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
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
	fmt.Fprintln(w, `Run "vobizhook help COMMAND" (or "vobizhook COMMAND -h") for a command's flags.`)
	fmt.Fprintln(w, "Flags go before a command's arguments: vobizhook send -url URL -retries 0 FILE...")
	fmt.Fprintf(w, "Auth tokens may be given in %s instead of -auth-token.\n", envAuthToken)
}
