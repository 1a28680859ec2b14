package track

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

func TestTrackerRetention(t *testing.T) {
	clock := newTestClock()
	tr := &Tracker{Now: clock.Now, Retention: 10 * time.Minute}
	changes, cancel := tr.Subscribe(16)
	defer cancel()
	ctx := context.Background()
	_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r1", 1, false)))
	require.NoError(t, err)
	_, err = tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionExit, "r1", 1, true)))
	require.NoError(t, err)
	for range 3 { // started, entered, exited... and ended
		<-changes
	}
	<-changes

	clock.Advance(9 * time.Minute)
	sweep(t, tr)
	_, ok := conference(t, tr, "r1")
	assert.True(t, ok, "kept within Retention")

	clock.Advance(2 * time.Minute)
	// Apply sweeps by itself (at most once a second).
	_, err = tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r2", 1, false)))
	require.NoError(t, err)
	_, ok = conference(t, tr, "r1")
	assert.False(t, ok, "dropped after Retention")
	removed := <-changes
	assert.Equal(t, ChangeRemoved, removed.Kind)
	assert.Equal(t, "r1", removed.ConferenceUUID)
}

func TestTrackerMaxIdle(t *testing.T) {
	clock := newTestClock()
	tr := &Tracker{Now: clock.Now, MaxIdle: time.Hour}
	ctx := context.Background()
	_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r1", 1, false)))
	require.NoError(t, err)
	clock.Advance(59 * time.Minute)
	sweep(t, tr)
	require.Len(t, live(t, tr), 1)
	clock.Advance(2 * time.Minute)
	sweep(t, tr)
	assert.Empty(t, live(t, tr))
	c := onlyConference(t, tr)
	assert.True(t, c.Ended)
	assert.Equal(t, EndIdle, c.EndReason)
	assert.Empty(t, c.Members())
	require.Len(t, c.Past(), 1)
	assert.False(t, c.Past()[0].ExitSeen)
}

// When a conference's last exit is lost, the idle sweep ends it, and the
// vobizhook.Handler's OnEnd still fires exactly once: from the sweep, with the final
// roster in its context, retried by the next sweep if it fails.
func TestTrackerIdleEndCallsOnEnd(t *testing.T) {
	clock := newTestClock()
	tr := &Tracker{Now: clock.Now, MaxIdle: time.Hour}
	rec := newRecorder()
	h := rec.handler(tr)
	var endSnap Snapshot
	fails := 1
	onEnd := h.OnEnd
	h.OnEnd = func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		if fails > 0 {
			fails--
			return errors.New("database down")
		}
		endSnap, _ = FromContext(ctx)
		return onEnd(ctx, ev)
	}
	tr.OnIdleEnd = h.OnEnd
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r1", 1, false)))
	clock.Advance(time.Minute)
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r1", 2, false)))
	clock.Advance(time.Minute)
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionExit, "r1", 1, false)))
	lastEvent := clock.Now()
	// Member 2's exit, with ConferenceLastMember=true, is lost.

	clock.Advance(59 * time.Minute)
	sweep(t, tr)
	assert.Zero(t, rec.count[vobizhook.ActionEnd], "not idle yet")
	clock.Advance(2 * time.Minute)
	sweep(t, tr) // OnEnd fails: still live
	assert.Zero(t, rec.count[vobizhook.ActionEnd])
	c, _ := conference(t, tr, "r1")
	assert.False(t, c.Ended, "a failed OnEnd commits nothing")
	clock.Advance(time.Second)
	sweep(t, tr) // retried
	require.Equal(t, 1, rec.count[vobizhook.ActionEnd])
	ev := rec.events[vobizhook.ActionEnd][0]
	assert.Equal(t, vobizhook.ActionEnd, ev.Action)
	assert.Equal(t, "r1", ev.ConferenceUUID)
	assert.Equal(t, "room-r1", ev.ConferenceName)
	assert.Equal(t, lastEvent, ev.Timestamp, "the end is put at the last event")
	assert.Empty(t, ev.Params.Get("ConferenceAction"), "no callback triggered it")
	assert.True(t, endSnap.Ended)
	assert.Equal(t, EndIdle, endSnap.EndReason)
	require.Len(t, endSnap.Past(), 2)

	c, _ = conference(t, tr, "r1")
	assert.True(t, c.Ended)
	assert.Equal(t, EndIdle, c.EndReason)
	clock.Advance(2 * time.Hour) // past Retention too
	sweep(t, tr)
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionExit, "r1", 2, true)), "the lost exit, very late")
	assert.Equal(t, 1, rec.count[vobizhook.ActionEnd], "exactly one end")
	assert.Equal(t, []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter, vobizhook.ActionEnter, vobizhook.ActionExit, vobizhook.ActionEnd}, rec.byConf["r1"])
}

// The sweep an Apply triggers by itself calls an idle conference's OnEnd
// too, on its own goroutine: the request that triggered it does not wait.
func TestTrackerIdleEndFromApplySweep(t *testing.T) {
	clock := newTestClock()
	tr := &Tracker{Now: clock.Now, MaxIdle: time.Hour}
	rec := newRecorder()
	h := rec.handler(tr)
	release := make(chan struct{})
	onEnd := h.OnEnd
	h.OnEnd = func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		if ev.ConferenceUUID == "idle" {
			<-release
		}
		return onEnd(ctx, ev)
	}
	tr.OnIdleEnd = h.OnEnd
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "idle", 1, false)))
	clock.Advance(2 * time.Hour)
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "other", 1, false)), "not held up by idle's OnEnd")
	close(release)
	require.Eventually(t, func() bool {
		c, _ := conference(t, tr, "idle")
		return c.Ended
	}, time.Minute, time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter, vobizhook.ActionEnd}, rec.byConf["idle"])
}

// A late or retried event for a conference that ended and was dropped,
// after Retention or by eviction, does not start it again: no func fires a
// second time, and it takes no slot.
func TestTrackerDroppedConferencesStayEnded(t *testing.T) {
	session := []string{
		liveEvent(vobizhook.ActionEnter, "r1", 1, false),
		liveEvent(vobizhook.ActionEnter, "r1", 2, false),
		liveEvent(vobizhook.ActionExit, "r1", 1, false),
		liveEvent(vobizhook.ActionExit, "r1", 2, true),
	}
	for _, tc := range []struct {
		name string
		drop func(t *testing.T, tr *Tracker, clock *testClock, h *vobizhook.Handler)
	}{
		{"after Retention", func(t *testing.T, tr *Tracker, clock *testClock, h *vobizhook.Handler) {
			clock.Advance(tr.Retention + time.Second)
			sweep(t, tr)
		}},
		{"evicted at MaxConferences", func(t *testing.T, tr *Tracker, clock *testClock, h *vobizhook.Handler) {
			require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r2", 1, false)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newTestClock()
			tr := &Tracker{Now: clock.Now, Retention: 10 * time.Minute, MaxConferences: 1}
			rec := newRecorder()
			h := rec.handler(tr)
			for _, body := range session {
				require.Equal(t, http.StatusOK, deliver(h, body))
			}
			want := []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter, vobizhook.ActionEnter, vobizhook.ActionExit, vobizhook.ActionExit, vobizhook.ActionEnd}
			require.Equal(t, want, rec.byConf["r1"])
			tc.drop(t, tr, clock, h)
			_, ok := conference(t, tr, "r1")
			require.False(t, ok, "dropped")

			sub, cancel := tr.Subscribe(16)
			defer cancel()
			for _, body := range session { // every event again, as late retries
				assert.Equal(t, http.StatusOK, deliver(h, body), "acknowledged, so Vobiz stops retrying")
				changes, err := tr.Apply(context.Background(), parseLine(t, body))
				assert.NoError(t, err)
				assert.Empty(t, changes)
			}
			assert.Equal(t, want, rec.byConf["r1"], "no func fires again")
			_, ok = conference(t, tr, "r1")
			assert.False(t, ok, "not tracked again")
			assert.Zero(t, len(sub), "no change")
			if tc.name == "evicted at MaxConferences" {
				c, ok := conference(t, tr, "r2")
				assert.True(t, ok && !c.Ended, "the live conference keeps its slot")
			}
		})
	}
}

// The memory of dropped conferences is bounded: at most 2 x MaxConferences
// hashes, and the newest MaxConferences are always remembered.
func TestTrackerDroppedMemoryIsBounded(t *testing.T) {
	const limit = 3
	tr := &Tracker{MaxConferences: limit}
	ctx := context.Background()
	for i := range 20 {
		conf := fmt.Sprint("r", i)
		_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, conf, 1, false)))
		require.NoError(t, err)
		_, err = tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionExit, conf, 1, true)))
		require.NoError(t, err)
		ms := memStore(tr)
		ms.mu.RLock()
		n := ms.forgotten.Len()
		ms.mu.RUnlock()
		require.LessOrEqual(t, n, 2*limit)
	}
	// r17, r18 and r19 are tracked; r14 to r16 were the last dropped.
	for i := 14; i < 17; i++ {
		changes, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, fmt.Sprint("r", i), 9, false)))
		require.NoError(t, err)
		assert.Empty(t, changes, "r%d is remembered", i)
	}
	// r0 was forgotten long ago: it would start a new record (evicting r17).
	changes, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r0", 9, false)))
	require.NoError(t, err)
	assert.NotEmpty(t, changes)
}

func TestTrackerMaxConferences(t *testing.T) {
	tr := &Tracker{MaxConferences: 2}
	rec := newRecorder()
	h := rec.handler(tr)
	changes, cancel := tr.Subscribe(64)
	defer cancel()
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r1", 1, false)))
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r2", 1, false)))

	// Full and nothing ended: refused, so Vobiz retries; nothing is called.
	assert.Equal(t, http.StatusServiceUnavailable, deliver(h, liveEvent(vobizhook.ActionEnter, "r3", 1, false)))
	_, err := tr.Apply(context.Background(), parseLine(t, liveEvent(vobizhook.ActionEnter, "r3", 1, false)))
	assert.ErrorIs(t, err, ErrTrackerFull)
	assert.Equal(t, 2, rec.count[vobizhook.ActionStart])

	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionExit, "r1", 1, true)))
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r3", 1, false)), "the ended r1 makes room")
	_, ok := conference(t, tr, "r1")
	assert.False(t, ok)
	var uuids []string
	for _, c := range conferences(t, tr) {
		uuids = append(uuids, c.UUID)
	}
	assert.ElementsMatch(t, []string{"r2", "r3"}, uuids)
	var removed []string
	for len(changes) > 0 {
		if c := <-changes; c.Kind == ChangeRemoved {
			removed = append(removed, c.ConferenceUUID)
		}
	}
	assert.Equal(t, []string{"r1"}, removed)
}

// At MaxConferences, the conference that ended first goes first, whatever
// the order the conferences started in; one whose event is being applied
// is passed over for the next.
func TestTrackerEvictionOrder(t *testing.T) {
	tr := &Tracker{MaxConferences: 4}
	ctx := context.Background()
	apply := func(body string) {
		t.Helper()
		_, err := tr.Apply(ctx, parseLine(t, body))
		require.NoError(t, err)
	}
	tracked := func() []string {
		var uuids []string
		for _, c := range conferences(t, tr) {
			uuids = append(uuids, c.UUID)
		}
		slices.Sort(uuids)
		return uuids
	}
	for _, r := range []string{"r1", "r2", "r3", "r4"} {
		apply(liveEvent(vobizhook.ActionEnter, r, 1, false))
	}
	for _, r := range []string{"r3", "r1", "r4"} { // r2 stays live
		apply(liveEvent(vobizhook.ActionExit, r, 1, true))
	}
	apply(liveEvent(vobizhook.ActionEnter, "r5", 1, false))
	assert.Equal(t, []string{"r1", "r2", "r4", "r5"}, tracked(), "r3 ended first")

	// r1 is busy (an event of it is being applied): r4 goes instead.
	ms := memStore(tr)
	ms.mu.RLock()
	r1 := ms.confs["r1"]
	ms.mu.RUnlock()
	require.True(t, tryTurn(r1))
	apply(liveEvent(vobizhook.ActionEnter, "r6", 1, false))
	<-r1.turn
	assert.Equal(t, []string{"r1", "r2", "r5", "r6"}, tracked(), "the busy r1 is passed over")
	apply(liveEvent(vobizhook.ActionEnter, "r7", 1, false))
	assert.Equal(t, []string{"r2", "r5", "r6", "r7"}, tracked())

	// Nothing ended: refused.
	_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r8", 1, false)))
	assert.ErrorIs(t, err, ErrTrackerFull)
	ms.endedMu.Lock()
	assert.Empty(t, ms.ended, "the eviction queue holds no removed conference")
	ms.endedMu.Unlock()
}

// Reading every conference does not hold up commits: while a reader is in
// the middle of the list (held here, on conference a, as if its caller
// were slow), events of another conference are still applied.
func TestTrackerReadsDoNotBlockCommits(t *testing.T) {
	tr := &Tracker{}
	ctx := context.Background()
	for _, r := range []string{"a", "b"} {
		_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, r, 1, false)))
		require.NoError(t, err)
	}
	reading, hold := make(chan struct{}), make(chan struct{})
	read := make(chan int)
	go func() {
		n := 0
		memStore(tr).Range(ctx, func(rec *Record) bool {
			if rec.UUID() == "a" {
				close(reading)
				<-hold
			}
			n++
			return true
		})
		read <- n
	}()
	<-reading

	applied := make(chan error)
	go func() {
		_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "b", 2, false)))
		applied <- err
	}()
	select {
	case err := <-applied:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("a commit waited for a reader")
	}
	close(hold)
	assert.Equal(t, 2, <-read)
	c, _ := conference(t, tr, "b")
	assert.Equal(t, 2, c.Size())
}

func TestTrackerMaxMembers(t *testing.T) {
	tr := &Tracker{MaxMembers: 3}
	ctx := context.Background()
	apply := func(body string) error {
		_, err := tr.Apply(ctx, parseLine(t, body))
		return err
	}
	for m := range 3 {
		require.NoError(t, apply(liveEvent(vobizhook.ActionEnter, "r", m, false)))
	}
	assert.ErrorIs(t, apply(liveEvent(vobizhook.ActionEnter, "r", 3, false)), ErrTrackerFull, "3 present: no room")
	assert.ErrorIs(t, apply(liveEvent(vobizhook.ActionExit, "r", 9, false)), ErrTrackerFull, "no room for a tombstone either")
	require.NoError(t, apply(liveEvent(vobizhook.ActionExit, "r", 0, false)))
	require.NoError(t, apply(liveEvent(vobizhook.ActionEnter, "r", 3, false)))
	c := onlyConference(t, tr)
	assert.Equal(t, 3, c.Size())
	assert.Empty(t, c.Past(), "the oldest past member made room")
	assert.Equal(t, 1, c.PastDropped)
	// Tombstones are bounded the same way.
	require.NoError(t, apply(liveEvent(vobizhook.ActionExit, "r", 1, false)))
	for m := 10; m < 20; m++ {
		require.NoError(t, apply(liveEvent(vobizhook.ActionExit, "r", m, false)))
	}
	c = onlyConference(t, tr)
	assert.LessOrEqual(t, len(c.Members())+len(c.Past()), 3)
}

// A tracked conference keeps none of its first request's body alive: the
// event's strings share that body, so the store keeps copies.
func TestTrackerKeepsNoRequestBody(t *testing.T) {
	ms := NewMemoryStore()
	tr := &Tracker{Store: ms}
	ev := parseLine(t, liveEvent(vobizhook.ActionEnter, "room-kept", 1, false))
	_, err := tr.Apply(context.Background(), ev)
	require.NoError(t, err)
	ms.mu.RLock()
	kept := ms.confs["room-kept"]
	ms.mu.RUnlock()
	require.NotNil(t, kept)
	assert.NotSame(t, unsafe.StringData(ev.ConferenceUUID), unsafe.StringData(kept.uuid), "the store's UUID is a copy")
	rec := kept.rec.Load()
	assert.NotSame(t, unsafe.StringData(ev.ConferenceUUID), unsafe.StringData(rec.m.uuid), "the record's UUID is a copy")
}
