package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// The benchmark process holds a fixed application heap: APP_HEAP_MB MiB
// (default 32) of small pointer-linked records, standing for a server's
// own caches and sessions. The garbage collector's cost per byte a handler
// allocates depends on the live heap it has to mark; without one, a
// benchmark's heap is nearly empty and allocating is almost free, which no
// server enjoys. Its size does not depend on b.N (the pre-signed requests
// are one pointer-free string, which the collector does not scan), so the
// figures do not either. APP_HEAP_MB=0 measures without it.

type appRecord struct {
	next    *appRecord
	key     string
	payload [40]byte
}

var appHeap *appRecord

func TestMain(m *testing.M) {
	mb := 32
	if s := os.Getenv("APP_HEAP_MB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			fmt.Fprintln(os.Stderr, "APP_HEAP_MB: want a number of MiB")
			os.Exit(2)
		}
		mb = n
	}
	const recordSize = 64 + 16 // the record and its key
	for i := range mb << 20 / recordSize {
		appHeap = &appRecord{next: appHeap, key: strconv.Itoa(100000 + i)}
	}
	runtime.GC()
	code := m.Run()
	runtime.KeepAlive(appHeap)
	os.Exit(code)
}
