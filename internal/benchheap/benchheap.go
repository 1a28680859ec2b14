// Package benchheap gives a benchmark process a fixed application heap:
// APP_HEAP_MB MiB (default 32) of small pointer-linked records, standing
// for a server's own caches and sessions.
//
// The garbage collector's cost per byte a benchmark allocates depends on
// the live heap it has to mark each cycle and on how often it runs: below
// Go's 4 MB minimum heap it runs on a nearly empty heap and allocating is
// almost free, which no server enjoys, and a benchmark whose own data
// grows (a room of 10,000 members) would pay for its allocations at
// another rate than one whose data is small. Holding the same heap in
// every benchmark process makes the rate the same. APP_HEAP_MB=0 measures
// without it. bench/ and track's benchmarks hold one (BENCHMARKS.md).
package benchheap

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
)

// record is 64 bytes: a link, a key and a payload, as a cache entry.
type record struct {
	next    *record
	key     string
	payload [40]byte
}

var held *record

// Hold allocates the application heap, once, and collects the garbage of
// building it. It returns its size in MiB.
func Hold() (int, error) {
	mb := 32
	if s := os.Getenv("APP_HEAP_MB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("APP_HEAP_MB=%q: want a number of MiB", s)
		}
		mb = n
	}
	if held == nil {
		const recordSize = 64 + 16 // the record and its key
		for i := range mb << 20 / recordSize {
			held = &record{next: held, key: strconv.Itoa(100000 + i), payload: [40]byte{byte(i)}}
		}
	}
	runtime.GC()
	return mb, nil
}
