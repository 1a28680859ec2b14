// Package cputime reads the CPU time the process has used, for the
// project's benchmarks: on a shared, noisy machine wall-clock ns/op swings
// with other tenants' load, while CPU time (user + system, every thread,
// so the garbage collector's background work counts too) moves far less.
//
// Benchmarks report it next to ns/op as cpu-ns/op (see Report); bench/run.sh
// and bench/cmd/ratios judge the targets on it.
package cputime

import (
	"testing"
	"time"
)

// Supported reports whether Now reads a real clock on this platform.
const Supported = supported

// Now returns the CPU time the process has used so far (user and system,
// all threads), or 0 where the platform has no getrusage.
func Now() time.Duration { return now() }

// Report adds the metric cpu-ns/op to b, the CPU time used since start (a
// value of Now) divided by b.N, and returns it. Where Supported is false
// it reports nothing and returns false.
func Report(b *testing.B, start time.Duration) (nsPerOp float64, ok bool) {
	if !Supported || b.N == 0 {
		return 0, false
	}
	nsPerOp = float64(Now()-start) / float64(b.N)
	b.ReportMetric(nsPerOp, "cpu-ns/op")
	return nsPerOp, true
}
