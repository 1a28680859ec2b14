package vobizhook

import (
	"context"
	"errors"
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

// tok is the token of the completions these tests make.
const tok = 1

// lastToken is the token of the claims that claim makes; holders are the
// tokens of the claims it won, by nonce, for release.
var (
	lastToken atomic.Uint64
	holders   sync.Map
)

// claim claims nonce as a delivery does: each call with a token of its
// own.
func claim(t *testing.T, s NonceStore, nonce string, lease time.Duration) NonceState {
	t.Helper()
	token := lastToken.Add(1) + tok
	state, err := s.Claim(context.Background(), nonce, token, lease)
	require.NoError(t, err)
	if state == NonceNew {
		holders.Store(nonce, token)
	}
	return state
}

// release releases nonce with the token of the claim of it that claim
// last won.
func release(t *testing.T, s NonceStore, nonce string) {
	t.Helper()
	token, _ := holders.Load(nonce)
	held, _ := token.(uint64)
	require.NoError(t, s.Release(context.Background(), nonce, held))
}

func complete(t *testing.T, s NonceStore, nonce string, window time.Duration) {
	t.Helper()
	require.NoError(t, s.Complete(context.Background(), nonce, tok, window))
}

func TestMemoryNonceStoreClaimCompleteRelease(t *testing.T) {
	s, _ := newTestStore(10)
	assert.Equal(t, NonceNew, claim(t, s, "a", time.Minute), "first claim")
	assert.Equal(t, NonceInProgress, claim(t, s, "a", time.Minute), "claimed, not completed")
	assert.Equal(t, NonceNew, claim(t, s, "b", time.Minute), "another nonce")
	complete(t, s, "a", time.Hour)
	assert.Equal(t, NonceDone, claim(t, s, "a", time.Minute), "completed")
	release(t, s, "b")
	assert.Equal(t, NonceNew, claim(t, s, "b", time.Minute), "claim after release")
	release(t, s, "a")
	assert.Equal(t, NonceDone, claim(t, s, "a", time.Minute), "a done nonce is not released: a success is never undone")
	release(t, s, "never-claimed")
	complete(t, s, "never-claimed", time.Hour)
	assert.Equal(t, NonceDone, claim(t, s, "never-claimed", time.Minute), "Complete without a claim records it")
	assert.Equal(t, 3, s.Len())
}

func TestMemoryNonceStoreLeaseAndWindow(t *testing.T) {
	s, clk := newTestStore(10)
	// A claim whose process crashed blocks retries until its lease ends.
	require.Equal(t, NonceNew, claim(t, s, "crashed", time.Minute))
	require.Equal(t, NonceNew, claim(t, s, "ok", time.Minute))
	clk.advance(30 * time.Second)
	complete(t, s, "ok", time.Hour) // the window counts from completion
	clk.advance(29 * time.Second)
	assert.Equal(t, NonceInProgress, claim(t, s, "crashed", time.Minute))
	clk.advance(time.Second)
	assert.Equal(t, NonceNew, claim(t, s, "crashed", time.Minute), "lease over")
	assert.Equal(t, NonceDone, claim(t, s, "ok", time.Minute), "a lease ago, but inside the window")
	clk.advance(time.Hour - 31*time.Second)
	assert.Equal(t, NonceDone, claim(t, s, "ok", time.Minute), "a second before the window ends")
	clk.advance(time.Second)
	assert.Equal(t, NonceNew, claim(t, s, "ok", time.Minute), "window over")
}

func TestMemoryNonceStoreExpiry(t *testing.T) {
	s, clk := newTestStore(10)
	require.Equal(t, NonceNew, claim(t, s, "a", time.Minute))
	clk.advance(59 * time.Second)
	assert.Equal(t, NonceInProgress, claim(t, s, "a", time.Minute), "still inside the window")
	require.Equal(t, NonceNew, claim(t, s, "b", time.Minute))
	clk.advance(time.Second)
	assert.Equal(t, NonceNew, claim(t, s, "a", time.Minute), "window over")
	assert.Equal(t, 2, s.Len(), "a re-claimed, b still held")
	clk.advance(2 * time.Minute)
	require.Equal(t, NonceNew, claim(t, s, "c", time.Minute))
	assert.Equal(t, 1, s.Len(), "expired claims are swept on the next claim")
}

func TestMemoryNonceStoreMixedWindows(t *testing.T) {
	s, clk := newTestStore(10)
	require.Equal(t, NonceNew, claim(t, s, "long", time.Hour))
	require.Equal(t, NonceNew, claim(t, s, "short", time.Second))
	clk.advance(2 * time.Second)
	assert.Equal(t, NonceNew, claim(t, s, "short", time.Second), "an expired claim behind a live one is not honoured")
	assert.Equal(t, NonceInProgress, claim(t, s, "long", time.Hour))
}

func TestMemoryNonceStoreBound(t *testing.T) {
	s, _ := newTestStore(4)
	for i := range 5 {
		require.Equal(t, NonceNew, claim(t, s, strconv.Itoa(i), time.Hour))
		assert.LessOrEqual(t, s.Len(), 4)
	}
	// At the cap the older half (0 and 1) was forgotten at once; the newer
	// claims are still honoured.
	for _, n := range []string{"2", "3", "4"} {
		assert.Equal(t, NonceInProgress, claim(t, s, n, time.Hour), "nonce %s should still be claimed", n)
	}
	assert.Equal(t, NonceNew, claim(t, s, "0", time.Hour), "an evicted nonce can be claimed again")
	assert.LessOrEqual(t, s.Len(), 4)
	assert.EqualValues(t, 2, s.Evictions(), "0 and 1 were dropped inside their window")
	assert.Equal(t, 2, NewMemoryNonceStore(1).limit(), "a cap below 2 is raised to 2")
}

func TestMemoryNonceStoreZeroValueAndDefaults(t *testing.T) {
	var s MemoryNonceStore
	assert.Equal(t, NonceNew, claim(t, &s, "a", time.Minute))
	assert.Equal(t, NonceInProgress, claim(t, &s, "a", time.Minute))
	assert.Equal(t, DefaultMaxNonces, s.limit())
	assert.Equal(t, DefaultMaxNonces, NewMemoryNonceStore(-1).limit())

	// A lease or a window of zero or less means the default, never "no
	// protection".
	st, clk := newTestStore(10)
	assert.Equal(t, NonceNew, claim(t, st, "b", 0))
	assert.Equal(t, NonceInProgress, claim(t, st, "b", -time.Second))
	clk.advance(DefaultNonceLease - time.Nanosecond)
	assert.Equal(t, NonceInProgress, claim(t, st, "b", time.Second))
	clk.advance(time.Nanosecond)
	assert.Equal(t, NonceNew, claim(t, st, "b", time.Second), "DefaultNonceLease over")
	complete(t, st, "b", 0)
	clk.advance(DefaultReplayWindow - time.Nanosecond)
	assert.Equal(t, NonceDone, claim(t, st, "b", time.Second))
	clk.advance(time.Nanosecond)
	assert.Equal(t, NonceNew, claim(t, st, "b", time.Second), "DefaultReplayWindow over")
}

func TestMemoryNonceStoreConcurrent(t *testing.T) {
	s := NewMemoryNonceStore(0)
	const goroutines, nonces = 32, 50
	var wins [nonces]atomic.Int32
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range nonces {
				if state, _ := s.Claim(context.Background(), strconv.Itoa(i), uint64(g*nonces+i+1), time.Minute); state == NonceNew {
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

func TestMemoryNonceStoreEvictionsCountOnlyLiveClaims(t *testing.T) {
	s, clk := newTestStore(4)
	require.Equal(t, NonceNew, claim(t, s, "0", time.Second))
	require.Equal(t, NonceNew, claim(t, s, "1", time.Second))
	require.Equal(t, NonceNew, claim(t, s, "2", time.Hour)) // 0 and 1 move to the older generation
	complete(t, s, "2", time.Hour)
	require.Equal(t, NonceNew, claim(t, s, "3", time.Hour))
	clk.advance(2 * time.Second)
	require.Equal(t, NonceNew, claim(t, s, "4", time.Hour)) // drops 0 and 1, expired
	assert.Zero(t, s.Evictions())
	require.Equal(t, NonceNew, claim(t, s, "5", time.Hour))
	require.Equal(t, NonceNew, claim(t, s, "6", time.Hour)) // drops 2 (done) and 3 (in progress), both live
	assert.EqualValues(t, 2, s.Evictions())
	assert.Equal(t, NonceNew, claim(t, s, "2", time.Hour), "evicted early: a replay would be dispatched")
}

func TestMemoryNonceStoreStaysBounded(t *testing.T) {
	s, clk := newTestStore(10)
	// Claims past the cap, and released claims: memory follows the cap,
	// not the number of claims.
	for i := range 5000 {
		n := strconv.Itoa(i)
		require.Equal(t, NonceNew, claim(t, s, n, time.Hour))
		if i%2 == 0 {
			release(t, s, n)
		}
		require.LessOrEqual(t, s.Len(), 10, "after %d claims", i+1)
	}
	// Whatever the history, the newest live claims are still honoured and
	// released ones are free.
	assert.Equal(t, NonceInProgress, claim(t, s, "4999", time.Hour))
	assert.Equal(t, NonceNew, claim(t, s, "4998", time.Hour))
	// A window later, one generation is dropped; two windows later, all.
	clk.advance(time.Hour)
	require.Equal(t, NonceNew, claim(t, s, "x", time.Hour))
	assert.Equal(t, NonceInProgress, claim(t, s, "x", time.Hour))
	clk.advance(2 * time.Hour)
	require.Equal(t, NonceNew, claim(t, s, "y", time.Hour))
	assert.Equal(t, 1, s.Len())
}

func TestMemoryNonceStoreExpiryAcrossGenerations(t *testing.T) {
	s, clk := newTestStore(100)
	require.Equal(t, NonceNew, claim(t, s, "a", time.Minute))
	clk.advance(50 * time.Second)
	require.Equal(t, NonceNew, claim(t, s, "b", time.Minute))
	clk.advance(20 * time.Second) // a new generation starts; b (claimed 20 s ago) moves to the old one
	require.Equal(t, NonceNew, claim(t, s, "c", time.Minute))
	assert.Equal(t, NonceInProgress, claim(t, s, "b", time.Minute), "b is still inside its window in the older generation")
	assert.Equal(t, NonceNew, claim(t, s, "a", time.Minute), "a's window is over")
	clk.advance(39 * time.Second)
	assert.Equal(t, NonceInProgress, claim(t, s, "b", time.Minute), "59 s after its claim")
	clk.advance(time.Second)
	assert.Equal(t, NonceNew, claim(t, s, "b", time.Minute), "exactly one window after its claim")
}

// A claim made before a rotation is completed in the older generation: the
// completion must move it to the current one, or the next rotation would
// drop a done nonce and a replay would be dispatched again. Each nonce is
// held in one generation only, so Len counts it once.
func TestMemoryNonceStoreCompleteAfterRotation(t *testing.T) {
	s, _ := newTestStore(4) // generations of 2
	for _, n := range []string{"a", "b", "c"} {
		require.Equal(t, NonceNew, claim(t, s, n, time.Hour))
	}
	// "c" started a new generation: a and b are in the older one.
	complete(t, s, "a", time.Hour)
	assert.Equal(t, 3, s.Len(), "a is held once, not in both generations")
	require.Equal(t, NonceNew, claim(t, s, "d", time.Hour)) // cur {c, a} is full: rotates, b is dropped
	assert.Equal(t, NonceDone, claim(t, s, "a", time.Hour), "a completed after a rotation survives the next one")
	assert.Equal(t, NonceNew, claim(t, s, "b", time.Hour), "b, left in the dropped generation, is free again")
}

// An expired claim found in the older generation is renewed in the current
// one and removed from the older: it is held once.
func TestMemoryNonceStoreRenewExpiredFromOlderGeneration(t *testing.T) {
	s, clk := newTestStore(100)
	require.Equal(t, NonceNew, claim(t, s, "x", time.Minute))
	clk.advance(61 * time.Second) // a new generation starts; x, expired, is in the older one
	require.Equal(t, NonceNew, claim(t, s, "x", time.Minute), "x's lease is over")
	assert.Equal(t, 1, s.Len(), "x is held once")
	assert.Equal(t, NonceInProgress, claim(t, s, "x", time.Minute), "the renewed claim holds")
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
		if _, err := s.Claim(context.Background(), NewNonce(), tok, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(t, DefaultMaxNonces, s.Len())
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d nonces: %.1f MB", s.Len(), float64(grown)/1e6)
	assert.Less(t, grown, int64(6e6), "DefaultMaxNonces documents about 4 MB")
	runtime.KeepAlive(s)
}

// BenchmarkMemoryNonceStoreClaimComplete is the store's share of a handled
// callback: a claim of a fresh nonce, then its completion.
func BenchmarkMemoryNonceStoreClaimComplete(b *testing.B) {
	nonces := make([]string, 1<<18) // more than the cap: each claim is of a nonce the store does not hold
	for i := range nonces {
		nonces[i] = NewNonce()
	}
	s := NewMemoryNonceStore(0)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		n := nonces[i&(len(nonces)-1)]
		i++
		if _, err := s.Claim(ctx, n, tok, time.Minute); err != nil {
			b.Fatal(err)
		}
		if err := s.Complete(ctx, n, tok, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

// lostReplyStore claims in the MemoryNonceStore it wraps and then fails,
// as a remote store whose answer was lost after it claimed.
type lostReplyStore struct{ *MemoryNonceStore }

func (s lostReplyStore) Claim(ctx context.Context, nonce string, token uint64, lease time.Duration) (NonceState, error) {
	s.MemoryNonceStore.Claim(ctx, nonce, token, lease)
	return NonceInProgress, errors.New("i/o timeout")
}

// A Claim whose store failed may still have claimed: Nonces.Claim gives
// that claim back, or every retry would be "in progress" until the lease
// ends.
func TestNoncesClaimErrorReleasesWhatItMayHaveClaimed(t *testing.T) {
	mem := NewMemoryNonceStore(0)
	_, err := Nonces{V3: "v3", V2: "v2"}.Claim(context.Background(), lostReplyStore{mem}, time.Minute)
	require.ErrorIs(t, err, ErrUnavailable)
	c, err := Nonces{V3: "v3", V2: "v2"}.Claim(context.Background(), mem, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, NonceNew, c.State, "the retry is dispatched")
}
