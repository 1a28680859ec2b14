package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// demoWrap wraps the demo's server handler; tests use it to stand between
// the simulator and the Handler.
var demoWrap = func(h http.Handler) http.Handler { return h }

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("demo", "[flags]",
		"Runs listen and simulate together in one process: a Handler on a free loopback\n"+
			"port, requiring signatures with a generated token, receives a whole simulated\n"+
			"conference (shuffled, with at least one duplicate delivery, a non-2xx answer\n"+
			"retried as Vobiz does) and one forged callback, and prints each callback as it\n"+
			"arrives, then a summary. It finishes by itself.", stdout, stderr)
	participants := f.participants(4, 200, "participants in the conference")
	style := f.style()
	jsonLines := f.Bool("json", false, "print the callbacks as JSON lines (the rest goes to stderr)")
	seed := f.seed()
	interval := f.Duration("interval", 250*time.Millisecond, "pause of each sender between deliveries")
	policy := f.retries()
	f.check(func() error {
		if *interval < 0 {
			return errors.New("-interval must not be negative")
		}
		return nil
	})
	if code := f.parse(args, ""); code >= 0 {
		return code
	}
	narrate := stdout
	if *jsonLines {
		narrate = stderr
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(stderr, "vobizhook demo: %v\n", err)
		return exitFailure
	}
	const path = "/conference-events"
	callbackURL := "http://" + ln.Addr().String() + path
	token := newDemoToken()
	in := newInspector(listenConfig{path: path, authToken: token, callbackURL: callbackURL}, newPrinter(stdout, *jsonLines))
	serveCtx, stopServing := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- serveUntilDone(serveCtx, newServer(demoWrap(in.mux)), ln) }()

	fmt.Fprintf(narrate, "demo: a vobizhook.Handler is serving %s, requiring Vobiz signatures (token generated for this run)\n", callbackURL)
	cfg := simConfig{
		url: callbackURL, token: token, room: "WeeklyStandup", participants: *participants,
		style: *style, shuffle: true, duplicates: 0.25, oneDuplicate: true, conferences: 1, concurrency: 2,
		seed: *seed, interval: *interval, timeout: 5 * time.Second, retry: *policy,
	}
	describe(narrate, cfg)
	rep := simulate(ctx, cfg, io.Discard, io.Discard)

	// A forged callback: signed, but with a token that is not the account's.
	forged, err := vobizhooktest.NewRequest(vobizhook.ConferenceEvent{
		Action: vobizhook.ActionEnter, Event: "ConferenceEnter", ConferenceName: cfg.room,
		CallUUID: "00000000-0000-4000-8000-000000000000", MemberID: "1", CurrentSize: -1,
	}, vobizhooktest.WithURL(callbackURL), vobizhooktest.WithAuthToken(newDemoToken()))
	var forgedRes result
	if err != nil {
		forgedRes = result{err: err}
	} else {
		client := newClient(1, 5*time.Second)
		forgedRes = deliver(ctx, client, forged)
		client.CloseIdleConnections()
	}

	stopServing()
	serveErr := <-served

	fmt.Fprintln(narrate)
	report(narrate, cfg, rep)
	dispatched := in.dispatched.Load()
	fmt.Fprintf(narrate, "handler: %d callbacks dispatched, %s acknowledged without dispatch (nonce already handled)\n",
		dispatched, plural(rep.sent()-int(dispatched), "duplicate delivery"))
	fmt.Fprintf(narrate, "forged callback (wrong token): %s\n", forgedRes)
	fmt.Fprintln(narrate, "next: `vobizhook listen` in front of your tunnel, or `vobizhook simulate -url ...` against your own server")

	switch {
	case rep.interrupted || ctx.Err() != nil:
		fmt.Fprintln(stderr, "vobizhook demo: interrupted")
		return exitFailure
	case serveErr != nil:
		fmt.Fprintf(stderr, "vobizhook demo: server: %v\n", serveErr)
		return exitFailure
	case rep.failed() > 0:
		fmt.Fprintln(stderr, "vobizhook demo: some deliveries failed")
		return exitFailure
	case forgedRes.status != http.StatusForbidden:
		fmt.Fprintln(stderr, "vobizhook demo: the forged callback was not refused with 403")
		return exitFailure
	case dispatched != int64(rep.events):
		fmt.Fprintf(stderr, "vobizhook demo: %d callbacks dispatched, want %d\n", dispatched, rep.events)
		return exitFailure
	}
	return exitOK
}

// newDemoToken returns a random token for one demo run; it is never printed.
func newDemoToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
