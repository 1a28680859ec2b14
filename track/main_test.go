package track

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/vobizhook/vobizhook/internal/benchheap"
)

// Benchmarks run with a fixed application heap (internal/benchheap), so
// that a room of 10 members and one of 10,000 pay the garbage collector at
// the same rate; tests run without it.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		if _, err := benchheap.Hold(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	os.Exit(m.Run())
}
