package benchheap

import (
	"runtime"
	"testing"
)

// Hold keeps about the heap it was asked for.
func TestHoldKeepsTheHeap(t *testing.T) {
	t.Setenv("APP_HEAP_MB", "4")
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	mb, err := Hold()
	if err != nil || mb != 4 {
		t.Fatalf("Hold() = %d, %v", mb, err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown < 3<<20 || grown > 6<<20 {
		t.Fatalf("held %d bytes for 4 MiB", grown)
	}
	t.Setenv("APP_HEAP_MB", "x")
	held = nil
	if _, err := Hold(); err == nil {
		t.Fatal("APP_HEAP_MB=x accepted")
	}
}
