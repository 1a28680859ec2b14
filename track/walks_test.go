package track

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

// Reads and sweeps that run while conferences are dropped.

// expiringStore wraps a MemoryStore; its Range drops expired conferences
// (as a concurrent Sweep would) right after the first record is visited.
type expiringStore struct {
	*MemoryStore
	now  func() time.Time
	lim  Limits
	once sync.Once
}

func (s *expiringStore) Range(ctx context.Context, fn func(*Record) bool) error {
	return s.MemoryStore.Range(ctx, func(r *Record) bool {
		s.once.Do(func() { s.MemoryStore.Expire(ctx, s.now(), s.lim) })
		return fn(r)
	})
}

// A conference dropped while Live walks the store (Retention passed)
// leaves no other conference out of the walk: each conference live
// throughout is listed once.
func TestLiveSeesEveryConferenceThroughAnExpiry(t *testing.T) {
	clock := newTestClock()
	ms := NewMemoryStore()
	tr := &Tracker{Now: clock.Now, Retention: time.Minute, MaxIdle: -1}
	es := &expiringStore{MemoryStore: ms, now: clock.Now, lim: tr.limits()}
	tr.Store = es
	ctx := context.Background()
	// Conference 0 ends; 1..299 stay live the whole time.
	apply := func(body string) {
		_, err := tr.Apply(ctx, parseLine(t, body))
		require.NoError(t, err)
	}
	apply(liveEvent(vobizhook.ActionEnter, "c000", 1, false))
	apply(liveEvent(vobizhook.ActionExit, "c000", 1, true))
	for i := 1; i < 300; i++ {
		apply(liveEvent(vobizhook.ActionEnter, fmt.Sprintf("c%03d", i), 1, false))
	}
	clock.Advance(2 * time.Minute) // c000 past Retention: the next sweep drops it
	got, err := tr.Live(ctx)
	require.NoError(t, err)
	require.Equal(t, 299, len(got), "every conference that was live throughout must be listed")
	seen := map[string]bool{}
	for _, c := range got {
		require.False(t, seen[c.UUID], "%s listed twice", c.UUID)
		seen[c.UUID] = true
	}
}

// The same through the default path (Tracker.Live on its own MemoryStore),
// with a sweep dropping ended conferences concurrently.
func TestLiveSeesEveryConferenceThroughASweep(t *testing.T) {
	ctx := context.Background()
	for round := range 20 {
		clock := newTestClock()
		tr := &Tracker{Now: clock.Now, Retention: time.Minute, MaxIdle: -1}
		const n = 400
		for i := range n { // interleaved: one that ends, one that stays live
			e, s := fmt.Sprintf("e%04d", i), fmt.Sprintf("s%04d", i)
			tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, e, 1, false)))
			tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionExit, e, 1, true)))
			tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, s, 1, false)))
		}
		clock.Advance(2 * time.Minute)
		done := make(chan struct{})
		go func() { defer close(done); tr.Sweep(ctx) }()
		minSeen := n
		for {
			got, err := tr.Live(ctx)
			require.NoError(t, err)
			minSeen = min(minSeen, len(got))
			select {
			case <-done:
			default:
				continue
			}
			break
		}
		if minSeen != n {
			t.Fatalf("round %d: Live() listed %d of the %d conferences live throughout", round, minSeen, n)
		}
	}
}

// ctxStore is a MemoryStore whose commits honour their context, as
// redisstore's do (go-redis fails a command whose context ended).
type ctxStore struct{ *MemoryStore }

type ctxTurn struct{ Turn }

func (s ctxStore) Acquire(ctx context.Context, uuid string, now time.Time, lim Limits) (Turn, error) {
	t, err := s.MemoryStore.Acquire(ctx, uuid, now, lim)
	if err != nil {
		return nil, err
	}
	return ctxTurn{t}, nil
}

func (t ctxTurn) Commit(ctx context.Context, rec *Record, changes []Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.Turn.Commit(ctx, rec, changes)
}

// OnIdleEnd succeeded, then the sweep's context ended (a shutdown): the
// end is committed anyway, so no sweep calls OnIdleEnd (the conference's
// OnEnd) again.
func TestIdleEndIsCommittedWhenTheSweepContextEnds(t *testing.T) {
	clock := newTestClock()
	sweepCtx, shutdown := context.WithCancel(context.Background())
	calls := 0
	tr := &Tracker{Store: ctxStore{NewMemoryStore()}, Now: clock.Now, MaxIdle: time.Hour,
		OnIdleEnd: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			calls++
			shutdown() // the process is asked to stop while OnIdleEnd runs; OnIdleEnd completes its work
			return nil
		}}
	_, err := tr.Apply(context.Background(), parseLine(t, liveEvent(vobizhook.ActionEnter, "r", 1, false)))
	require.NoError(t, err)
	clock.Advance(2 * time.Hour)
	_ = tr.Sweep(sweepCtx)
	_ = tr.Sweep(context.Background()) // the next sweep (here, or another replica's)
	require.Equal(t, 1, calls, "OnIdleEnd returned nil once: the end must be committed, not called again")
}

// A walk that lasts (a Range whose callback blocks) does not keep the
// store from reclaiming what conferences come and go meanwhile: its index
// stays within twice the conferences it holds.
func TestALongWalkDoesNotHoldMemory(t *testing.T) {
	ms := NewMemoryStore()
	tr := &Tracker{Store: ms, MaxConferences: 100, MaxIdle: -1}
	ctx := context.Background()
	apply := func(body string) {
		_, err := tr.Apply(ctx, parseLine(t, body))
		require.NoError(t, err)
	}
	apply(liveEvent(vobizhook.ActionEnter, "first", 1, false))
	inside, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		first := true
		ms.Range(ctx, func(*Record) bool {
			if first {
				first = false
				close(inside)
				<-release
			}
			return true
		})
	}()
	<-inside
	for i := range 5000 { // conferences come and go, evicted at MaxConferences
		c := fmt.Sprintf("churn%04d", i)
		apply(liveEvent(vobizhook.ActionEnter, c, 1, false))
		apply(liveEvent(vobizhook.ActionExit, c, 1, true))
	}
	ms.mu.RLock()
	n, held := len(ms.all), len(ms.confs)
	ms.mu.RUnlock()
	close(release)
	<-done
	assert.LessOrEqual(t, n, 2*held+1, "%d slots for %d conferences during a walk", n, held)
}
