package cputime

import (
	"testing"
	"time"
)

// Work must show up as CPU time, and CPU time never goes backwards. The
// test spins until the clock moves, with a generous wall-clock cap, rather
// than timing a fixed spin: on a loaded machine a 50 ms spin may get a
// few milliseconds of CPU.
func TestNowCountsWork(t *testing.T) {
	if !Supported {
		t.Skip("no getrusage on this platform")
	}
	start := Now()
	deadline := time.Now().Add(30 * time.Second)
	x, prev := 0, start
	for {
		x++
		now := Now()
		if now < prev {
			t.Fatal("CPU time went backwards")
		}
		prev = now
		if now-start >= 5*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s of spinning counted as %v of CPU time (%d loops)", now-start, x)
		}
	}
}
