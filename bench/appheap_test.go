package bench

import (
	"fmt"
	"os"
	"testing"

	"github.com/vobizhook/vobizhook/internal/benchheap"
)

// The benchmark process holds a fixed application heap (internal/benchheap:
// APP_HEAP_MB MiB, default 32), so that the garbage collector's cost of
// each handler's allocations is an application's, and does not depend on
// b.N: the pre-signed requests are one pointer-free string, which the
// collector does not scan.
func TestMain(m *testing.M) {
	if _, err := benchheap.Hold(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}
