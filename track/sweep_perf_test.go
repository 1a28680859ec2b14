package track

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

// sweepRun is a sweep over many conferences with commits of other
// conferences going on meanwhile: what the commits saw of it.
type sweepRun struct {
	idle, expired int
	sweep         time.Duration // how long Sweep took
	commits       int           // commits made while it ran
	during        int           // of those, made after the sweep ended some conferences and before it ended all
	longest       time.Duration // the longest commit
	ended         int64         // conferences OnIdleEnd was called for
	err           error
}

// runSweepWithCommits fills a tracker with idle live conferences and with
// ended ones past Retention, then sweeps it while, on this goroutine, new
// conferences are admitted and changed one event at a time (each admission
// takes the store's global lock).
func runSweepWithCommits(tb testing.TB, idle, expired int) sweepRun {
	clock := newTestClock()
	var ended atomic.Int64
	tr := &Tracker{
		Now: clock.Now, MaxIdle: time.Hour, Retention: time.Minute, MaxConferences: 2*(idle+expired) + 1<<20,
		Logger:    slog.New(slog.DiscardHandler),
		OnIdleEnd: func(context.Context, vobizhook.ConferenceEvent) error { ended.Add(1); return nil },
	}
	kit := newEventKit(tb, 1)
	uuids := newIDPool(idle+expired, "5d2c1f0e-7a41-4c7e-9d7e-%012d")
	ctx := context.Background()
	for i := range idle + expired {
		if _, err := tr.Apply(ctx, kit.event(&kit.enter, uuids.at(i), "room", 0)); err != nil {
			tb.Fatal(err)
		}
		if i >= idle {
			if _, err := tr.Apply(ctx, kit.event(&kit.lastExit, uuids.at(i), "room", 0)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	clock.Advance(2 * time.Hour)

	run := sweepRun{idle: idle, expired: expired}
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		err := tr.Sweep(ctx)
		run.sweep = time.Since(start)
		done <- err
	}()
	others := newIDPool(1<<20, "other-%09d")
	for i := 0; ; i++ {
		select {
		case run.err = <-done:
			run.ended = ended.Load()
			return run
		default:
		}
		t0 := time.Now()
		tmpl := &kit.enter
		if i%2 == 1 {
			tmpl = &kit.lastExit
		}
		// Apply sweeps by itself at most once a second of the tracker's
		// clock, which stands still here: these events only commit.
		if _, err := tr.Apply(ctx, kit.event(tmpl, others.at(i/2), "other", 0)); err != nil {
			tb.Fatal(err)
		}
		run.longest = max(run.longest, time.Since(t0))
		run.commits++
		if p := ended.Load(); p > 0 && p < int64(idle) {
			run.during++
		}
	}
}

// The sweep never holds the memory store's global lock for more than a
// batch: while it ends 100,000 idle conferences and drops 20,000 expired
// ones, new conferences are admitted and committed throughout, and none
// waits for more than a small part of the sweep.
func TestMemoryStoreSweepLetsCommitsThrough(t *testing.T) {
	const idle, expired = 100_000, 20_000
	run := runSweepWithCommits(t, idle, expired)
	require.NoError(t, run.err)
	require.EqualValues(t, idle, run.ended, "every idle conference ended once")
	t.Logf("sweep of %d idle and %d expired conferences: %v; %d commits meanwhile (%d while it was ending conferences), the longest %v",
		idle, expired, run.sweep, run.commits, run.during, run.longest)
	require.Positive(t, run.during, "commits of other conferences proceed while the sweep ends conferences")
	require.Less(t, run.longest, run.sweep/4, "no commit waits for a large part of the sweep")
}

// BenchmarkTrackerSweep measures a sweep of 100,000 idle conferences (and
// 20,000 expired ones) with commits of other conferences going on:
// sweep-ms is how long it took, max-commit-wait-ms the longest any commit
// took meanwhile.
func BenchmarkTrackerSweep(b *testing.B) {
	b.Run("conferences=100000", func(b *testing.B) {
		var sweep, longest time.Duration
		for range b.N {
			run := runSweepWithCommits(b, 100_000, 20_000)
			if run.err != nil {
				b.Fatal(run.err)
			}
			sweep, longest = max(sweep, run.sweep), max(longest, run.longest)
		}
		b.ReportMetric(float64(sweep)/1e6, "sweep-ms")
		b.ReportMetric(float64(longest)/1e6, "max-commit-wait-ms")
	})
}
