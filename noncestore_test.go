package vobizhook

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock for MemoryNonceStore: no sleeps in tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestStore(max int) (*MemoryNonceStore, *fakeClock) {
	clk := &fakeClock{t: time.Date(2026, 5, 19, 10, 0, 0, 0, time.UTC)}
	s := NewMemoryNonceStore(max)
	s.now = clk.now
	return s, clk
}

func claim(t *testing.T, s NonceStore, nonce string, window time.Duration) bool {
	t.Helper()
	ok, err := s.Claim(context.Background(), nonce, window)
	require.NoError(t, err)
	return ok
}

func TestMemoryNonceStoreClaimRelease(t *testing.T) {
	s, _ := newTestStore(10)
	assert.True(t, claim(t, s, "a", time.Minute), "first claim")
	assert.False(t, claim(t, s, "a", time.Minute), "second claim of the same nonce")
	assert.True(t, claim(t, s, "b", time.Minute), "another nonce")
	require.NoError(t, s.Release(context.Background(), "a"))
	assert.True(t, claim(t, s, "a", time.Minute), "claim after release")
	require.NoError(t, s.Release(context.Background(), "never-claimed"))
	assert.Equal(t, 2, s.Len())
}

func TestMemoryNonceStoreExpiry(t *testing.T) {
	s, clk := newTestStore(10)
	require.True(t, claim(t, s, "a", time.Minute))
	clk.advance(59 * time.Second)
	assert.False(t, claim(t, s, "a", time.Minute), "still inside the window")
	require.True(t, claim(t, s, "b", time.Minute))
	clk.advance(time.Second)
	assert.True(t, claim(t, s, "a", time.Minute), "window over")
	assert.Equal(t, 2, s.Len(), "a re-claimed, b still held")
	clk.advance(2 * time.Minute)
	require.True(t, claim(t, s, "c", time.Minute))
	assert.Equal(t, 1, s.Len(), "expired claims are swept on the next claim")
}

func TestMemoryNonceStoreMixedWindows(t *testing.T) {
	s, clk := newTestStore(10)
	require.True(t, claim(t, s, "long", time.Hour))
	require.True(t, claim(t, s, "short", time.Second))
	clk.advance(2 * time.Second)
	assert.True(t, claim(t, s, "short", time.Second), "an expired claim behind a live one is not honoured")
	assert.False(t, claim(t, s, "long", time.Hour))
}

func TestMemoryNonceStoreBound(t *testing.T) {
	s, _ := newTestStore(4)
	for i := range 5 {
		require.True(t, claim(t, s, strconv.Itoa(i), time.Hour))
		assert.LessOrEqual(t, s.Len(), 4)
	}
	// At the cap the older half (0 and 1) was forgotten at once; the newer
	// claims are still honoured.
	for _, n := range []string{"2", "3", "4"} {
		assert.False(t, claim(t, s, n, time.Hour), "nonce %s should still be claimed", n)
	}
	assert.True(t, claim(t, s, "0", time.Hour), "an evicted nonce can be claimed again")
	assert.LessOrEqual(t, s.Len(), 4)
	assert.Equal(t, 2, NewMemoryNonceStore(1).limit(), "a cap below 2 is raised to 2")
}

func TestMemoryNonceStoreZeroValueAndNoWindow(t *testing.T) {
	var s MemoryNonceStore
	assert.True(t, claim(t, &s, "a", time.Minute))
	assert.False(t, claim(t, &s, "a", time.Minute))
	assert.True(t, claim(t, &s, "b", 0), "a zero window claims nothing")
	assert.True(t, claim(t, &s, "b", 0))
	assert.Equal(t, 1, s.Len())
	assert.Equal(t, DefaultMaxNonces, s.limit())
	assert.Equal(t, DefaultMaxNonces, NewMemoryNonceStore(-1).limit())
}

func TestMemoryNonceStoreConcurrent(t *testing.T) {
	s := NewMemoryNonceStore(0)
	const goroutines, nonces = 32, 50
	var wins [nonces]atomic.Int32
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for i := range nonces {
				if ok, _ := s.Claim(context.Background(), strconv.Itoa(i), time.Minute); ok {
					wins[i].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for i := range wins {
		assert.EqualValues(t, 1, wins[i].Load(), "nonce %d claimed exactly once", i)
	}
}

func TestMemoryNonceStoreStaysBounded(t *testing.T) {
	s, clk := newTestStore(10)
	// Claims past the cap, and released claims: memory follows the cap,
	// not the number of claims.
	for i := range 5000 {
		n := strconv.Itoa(i)
		require.True(t, claim(t, s, n, time.Hour))
		if i%2 == 0 {
			require.NoError(t, s.Release(context.Background(), n))
		}
		require.LessOrEqual(t, s.Len(), 10, "after %d claims", i+1)
	}
	// Whatever the history, the newest live claims are still honoured and
	// released ones are free.
	assert.False(t, claim(t, s, "4999", time.Hour))
	assert.True(t, claim(t, s, "4998", time.Hour))
	// A window later, one generation is dropped; two windows later, all.
	clk.advance(time.Hour)
	require.True(t, claim(t, s, "x", time.Hour))
	assert.False(t, claim(t, s, "x", time.Hour))
	clk.advance(2 * time.Hour)
	require.True(t, claim(t, s, "y", time.Hour))
	assert.Equal(t, 1, s.Len())
}

func TestMemoryNonceStoreExpiryAcrossGenerations(t *testing.T) {
	s, clk := newTestStore(100)
	require.True(t, claim(t, s, "a", time.Minute))
	clk.advance(50 * time.Second)
	require.True(t, claim(t, s, "b", time.Minute))
	clk.advance(20 * time.Second) // a new generation starts; b (claimed 20 s ago) moves to the old one
	require.True(t, claim(t, s, "c", time.Minute))
	assert.False(t, claim(t, s, "b", time.Minute), "b is still inside its window in the older generation")
	assert.True(t, claim(t, s, "a", time.Minute), "a's window is over")
	clk.advance(39 * time.Second)
	assert.False(t, claim(t, s, "b", time.Minute), "59 s after its claim")
	clk.advance(time.Second)
	assert.True(t, claim(t, s, "b", time.Minute), "exactly one window after its claim")
}

func TestMemoryNonceStoreMemoryAtCap(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a full store")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewMemoryNonceStore(0)
	for range DefaultMaxNonces { // both generations full: the peak
		claim(t, s, NewNonce(), time.Hour)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(t, DefaultMaxNonces, s.Len())
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d nonces: %.1f MB", s.Len(), float64(grown)/1e6)
	assert.Less(t, grown, int64(6e6), "DefaultMaxNonces documents about 4 MB")
	runtime.KeepAlive(s)
}
