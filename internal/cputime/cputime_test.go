package cputime

import (
	"testing"
	"time"
)

// Spinning for a while must show up as CPU time, and CPU time never goes
// backwards.
func TestNowCountsWork(t *testing.T) {
	if !Supported {
		t.Skip("no getrusage on this platform")
	}
	start := Now()
	deadline := time.Now().Add(50 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	used := Now() - start
	if used < 10*time.Millisecond {
		t.Fatalf("50 ms of spinning counted as %v of CPU time (%d loops)", used, x)
	}
	if Now() < start {
		t.Fatal("CPU time went backwards")
	}
}
