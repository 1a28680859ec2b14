package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// demoWrap wraps the demo's server handler; tests use it to stand between
// the simulator and the Handler.
var demoWrap = func(h http.Handler) http.Handler { return h }

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("demo", "[flags]",
		"Runs listen and simulate together in one process: a Handler on a free loopback\n"+
			"port, requiring signatures with a generated token and tracking conferences with a\n"+
			"track.Tracker, receives a whole simulated conference, delivered shuffled and with\n"+
			"at least one duplicate delivery on purpose (a non-2xx answer is retried as Vobiz\n"+
			"does), and one forged callback. It prints each callback as it arrives with the\n"+
			"funcs the Tracker ran for it, a summary, and the roster the Tracker reconciled.\n"+
			"It finishes by itself; it exits 1 if a func did not run exactly once per step.", stdout, stderr)
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
	tracker := &track.Tracker{}
	in := newInspector(listenConfig{path: path, authToken: token, callbackURL: callbackURL, tracker: tracker}, newPrinter(stdout, *jsonLines))
	serveCtx, stopServing := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- serveUntilDone(serveCtx, newServer(demoWrap(in.mux)), ln) }()

	fmt.Fprintf(narrate, "demo: a vobizhook.Handler with a track.Tracker is serving %s, requiring Vobiz signatures (token generated for this run)\n", callbackURL)
	cfg := simConfig{
		url: callbackURL, token: token, room: "WeeklyStandup", participants: *participants,
		style: *style, shuffle: true, duplicates: 0.25, oneDuplicate: true, conferences: 1, concurrency: 2,
		seed: *seed, interval: *interval, timeout: 5 * time.Second, retry: *policy,
	}
	describe(narrate, cfg)
	fmt.Fprintln(narrate, "demo: the order is shuffled and some deliveries are sent twice, on purpose: Vobiz neither orders nor deduplicates callbacks")
	rep := simulate(ctx, cfg, io.Discard, io.Discard)
	forgedRes := sendForged(ctx, callbackURL, cfg.room)

	stopServing()
	serveErr := <-served

	fmt.Fprintln(narrate)
	report(narrate, cfg, rep)
	outcomes, steps := in.tally.counts()
	fmt.Fprintf(narrate, "handler: answered %s (a duplicate is acknowledged without dispatch: its nonce was already handled)\n", &in.tally)
	want := map[vobizhook.Action]int{vobizhook.ActionStart: 1, vobizhook.ActionEnter: cfg.participants, vobizhook.ActionExit: cfg.participants, vobizhook.ActionEnd: 1}
	fmt.Fprintf(narrate, "tracker: OnStart %d, OnEnter %d, OnExit %d, OnEnd %d: once per step, whatever the order\n",
		steps[vobizhook.ActionStart], steps[vobizhook.ActionEnter], steps[vobizhook.ActionExit], steps[vobizhook.ActionEnd])
	fmt.Fprintf(narrate, "forged callback (wrong token): %s\n", forgedRes)
	rosterErr := printRoster(narrate, tracker, cfg.participants)
	fmt.Fprintln(narrate, "next: `vobizhook listen -forward-to http://127.0.0.1:3000/conference-events` behind your tunnel, or `vobizhook simulate -url ...` against your own server")

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
	case !maps.Equal(steps, want):
		fmt.Fprintf(stderr, "vobizhook demo: the funcs ran %v times, want %v\n", steps, want)
		return exitFailure
	case outcomes[vobizhook.OutcomeDuplicate] != rep.duplicates:
		fmt.Fprintf(stderr, "vobizhook demo: %d duplicate deliveries acknowledged, want %d\n", outcomes[vobizhook.OutcomeDuplicate], rep.duplicates)
		return exitFailure
	case rosterErr != nil:
		fmt.Fprintf(stderr, "vobizhook demo: roster: %v\n", rosterErr)
		return exitFailure
	}
	return exitOK
}

// sendForged sends a callback signed with a token that is not the
// account's, which the Handler must refuse.
func sendForged(ctx context.Context, callbackURL, room string) result {
	forged, err := vobizhooktest.NewRequest(vobizhook.ConferenceEvent{
		Action: vobizhook.ActionEnter, Event: "ConferenceEnter", ConferenceName: room,
		CallUUID: "00000000-0000-4000-8000-000000000000", MemberID: "1", CurrentSize: -1,
	}, vobizhooktest.WithURL(callbackURL), vobizhooktest.WithAuthToken(newDemoToken()))
	if err != nil {
		return result{err: err}
	}
	client := newClient(1, 5*time.Second)
	defer client.CloseIdleConnections()
	return deliver(ctx, client, forged)
}

// printRoster prints the conferences as the tracker reconciled them: the
// room, its start and end, and each member's stay. The error says how the
// roster differs from one ended conference whose participants all entered
// and left.
func printRoster(w io.Writer, tr *track.Tracker, participants int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	confs, err := tr.Conferences(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "roster, as the Tracker reconciled it:")
	for _, c := range confs {
		end := "still live"
		if c.Ended {
			end = fmt.Sprintf("ended %s (%s)", clock(c.EndedAt), c.EndReason)
		}
		fmt.Fprintf(w, "  %s, conference %s: started %s (by %s), %s, peak %d\n",
			quoteIfNeeded(c.Name), c.UUID, clock(c.StartedAt), c.StartedBy, end, c.Peak)
		members := append(c.Members(), c.Past()...)
		slices.SortStableFunc(members, func(a, b track.Member) int { return a.JoinedAt.Compare(b.JoinedAt) })
		for _, m := range members {
			left, stay := "still present", ""
			if !m.LeftAt.IsZero() {
				left = "left " + clock(m.LeftAt)
			}
			switch {
			case m.Stay > 0:
				stay = ", stayed " + roundDuration(m.Stay).String()
			case m.EnterSeen && m.ExitSeen:
				// The tracker moves the join of an enter applied after
				// its exit back to the exit's time.
				stay = ", stay unknown (its exit arrived first)"
			}
			who := "call " + quoteIfNeeded(m.CallUUID)
			if m.MemberID != "" {
				who = "member " + quoteIfNeeded(m.MemberID) + ", " + who
			}
			if m.From != "" {
				who += ", from " + quoteIfNeeded(m.From)
			}
			fmt.Fprintf(w, "    %s: joined %s, %s%s\n", who, clock(m.JoinedAt), left, stay)
		}
	}
	switch {
	case len(confs) != 1:
		return fmt.Errorf("%d conferences, want 1", len(confs))
	case !confs[0].Ended:
		return errors.New("the conference did not end")
	}
	done := 0
	for _, m := range confs[0].Past() {
		if m.EnterSeen && m.ExitSeen {
			done++
		}
	}
	if done != participants {
		return fmt.Errorf("%d members entered and left, want %d", done, participants)
	}
	return nil
}

// clock is t's time of day, to the millisecond; "?" when unknown.
func clock(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.Format("15:04:05.000")
}

// newDemoToken returns a random token for one demo run; it is never printed.
func newDemoToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
