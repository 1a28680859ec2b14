package vobizhooktest

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
)

// The cases of TestTrackStore about a turn's end, listing, announcing and
// bounding: each fails on a store with the bug its name denies.

var suiteLimits = track.Limits{MaxConferences: 100, Retention: time.Minute, MaxIdle: time.Hour}

var trackMoreCases = []struct {
	name string
	run  func(t *testing.T, x *trackSuite)
}{
	{"a turn given back cannot commit", func(t *testing.T, x *trackSuite) {
		tr := &track.Tracker{Store: x.s}
		x.apply(tr, x.event(vobizhook.ActionEnter, "given", 1, false))
		ctx := context.Background()
		first, err := x.s.Acquire(ctx, x.uuid("given"), time.Now(), suiteLimits)
		if err != nil {
			t.Fatal(err)
		}
		stale := first.Record()
		first.Release()
		x.apply(tr, x.event(vobizhook.ActionEnter, "given", 2, false))
		next, err := x.s.Acquire(ctx, x.uuid("given"), time.Now(), suiteLimits)
		if err != nil {
			t.Fatal(err)
		}
		defer next.Release()
		if err := first.Commit(ctx, stale, nil); !errors.Is(err, track.ErrTurnLost) {
			t.Errorf("Commit after Release, while another holds the turn: %v, want ErrTurnLost", err)
		}
		if c, _ := x.snapshot(tr, "given"); c.Size() != 2 {
			t.Errorf("the refused commit changed the record: %d present, want 2", c.Size())
		}
	}},
	{"Release after Commit leaves the next holder's turn", func(t *testing.T, x *trackSuite) {
		tr := &track.Tracker{Store: x.s}
		x.apply(tr, x.event(vobizhook.ActionEnter, "rc", 1, false))
		ctx := context.Background()
		first, err := x.s.Acquire(ctx, x.uuid("rc"), time.Now(), suiteLimits)
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Commit(ctx, first.Record(), nil); err != nil {
			t.Fatal(err)
		}
		next, err := x.s.Acquire(ctx, x.uuid("rc"), time.Now(), suiteLimits)
		if err != nil {
			t.Fatal(err)
		}
		defer next.Release()
		first.Release() // a deferred Release after the Commit, as code does
		wait, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
		defer cancel()
		if third, err := x.s.Acquire(wait, x.uuid("rc"), time.Now(), suiteLimits); err == nil {
			third.Release()
			t.Error("a Release after Commit freed the turn its successor holds")
		}
	}},
	{"Live and Conferences list every conference", func(t *testing.T, x *trackSuite) {
		tr := &track.Tracker{Store: x.s}
		const n = 10
		for i := range n {
			x.apply(tr, x.event(vobizhook.ActionEnter, "all"+strconv.Itoa(i), 1, false))
		}
		x.apply(tr, x.event(vobizhook.ActionExit, "all0", 1, true))
		live, err := tr.Live(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		all, err := tr.Conferences(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(live) != n-1 || len(all) != n {
			t.Errorf("%d conferences, one ended: Live lists %d (want %d), Conferences %d (want %d)", n, len(live), n-1, len(all), n)
		}
	}},
	{"a dropped conference is announced", func(t *testing.T, x *trackSuite) {
		tr := &track.Tracker{Store: x.s, Retention: 200 * time.Millisecond}
		changes, stop := tr.Subscribe(64)
		defer stop()
		x.apply(tr, x.event(vobizhook.ActionEnter, "rm", 1, false))
		x.apply(tr, x.event(vobizhook.ActionExit, "rm", 1, true))
		deadline := time.After(10 * time.Second)
		for {
			if err := tr.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			select {
			case c := <-changes:
				if c.Kind == track.ChangeRemoved && c.ConferenceUUID == x.uuid("rm") {
					return
				}
			case <-time.After(50 * time.Millisecond):
			case <-deadline:
				t.Fatal("no ChangeRemoved 10 s after a Retention of 200 ms")
			}
		}
	}},
	{"MaxConferences bounds what is kept", func(t *testing.T, x *trackSuite) {
		tr := &track.Tracker{Store: x.s, MaxConferences: 2}
		for i := range 6 {
			conf := "kept" + strconv.Itoa(i)
			x.apply(tr, x.event(vobizhook.ActionEnter, conf, 1, false))
			x.apply(tr, x.event(vobizhook.ActionExit, conf, 1, true))
		}
		all, err := tr.Conferences(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(all) > 2 {
			t.Errorf("MaxConferences 2 after 6 ended conferences: %d kept", len(all))
		}
	}},
	{"a subscriber subscribed again gets each change once", func(t *testing.T, x *trackSuite) {
		tr := &track.Tracker{Store: x.s}
		_, stop := tr.Subscribe(8)
		stop()
		changes, stop := tr.Subscribe(8)
		defer stop()
		x.apply(tr, x.event(vobizhook.ActionEnter, "again", 1, false)) // started, entered
		n, quiet := 0, time.After(500*time.Millisecond)
		for done := false; !done; {
			select {
			case c := <-changes:
				if c.ConferenceUUID == x.uuid("again") {
					n++
				}
			case <-quiet:
				done = true
			}
		}
		if n != 2 {
			t.Errorf("one first enter (started, entered) gave %d changes after subscribing again, want 2", n)
		}
	}},
}
