package track

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

// The correctness bugs of issue #12, items 8 to 12, each pinned.

// 8. A member trimmed to respect MaxMembers stays gone: a retry of its
// enter does not fire OnEnter again or make a ghost present, a retry of its
// exit does not fire OnExit again.
func TestTrimmedMembersDoNotComeBack(t *testing.T) {
	tr := &Tracker{MaxMembers: 3}
	rec := newRecorder()
	h := rec.handler(tr)
	for m := range 3 {
		require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r", m, false)))
	}
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionExit, "r", 0, false)))
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r", 3, false))) // trims member 0
	c := onlyConference(t, tr)
	require.Equal(t, 1, c.PastDropped)
	_, kept := c.Lookup("call-r-0", "0")
	require.False(t, kept, "member 0 was trimmed")
	enters, exits := rec.count[vobizhook.ActionEnter], rec.count[vobizhook.ActionExit]

	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r", 0, false)), "a late retry of the trimmed member's enter")
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionExit, "r", 0, false)), "and of its exit")
	assert.Equal(t, enters, rec.count[vobizhook.ActionEnter], "no second OnEnter")
	assert.Equal(t, exits, rec.count[vobizhook.ActionExit], "no second OnExit")
	c = onlyConference(t, tr)
	assert.Equal(t, 3, c.Size(), "no ghost in the roster")
	_, back := c.Lookup("call-r-0", "0")
	assert.False(t, back)
}

// 9. Conferences whose start never commits (OnStart failing, Vobiz giving
// up) hold no place: they cannot fill MaxConferences, so the next real
// conference is admitted; the failures are the Handler's 500s (and
// outcomes), logged at Error.
func TestNeverStartedConferencesHoldNoPlace(t *testing.T) {
	tr := &Tracker{MaxConferences: 2}
	rec := newRecorder()
	rec.fail = func(a vobizhook.Action, ev vobizhook.ConferenceEvent) error {
		if a == vobizhook.ActionStart && ev.ConferenceUUID != "real" {
			return errors.New("sessions table unavailable")
		}
		return nil
	}
	h := rec.handler(tr)
	for i := range 10 {
		conf := "failing-" + string(rune('a'+i))
		assert.Equal(t, http.StatusInternalServerError, deliver(h, liveEvent(vobizhook.ActionEnter, conf, 1, false)))
	}
	assert.Empty(t, conferences(t, tr), "nothing was admitted")
	assert.Zero(t, len(memStore(tr).confs), "and nothing waits in the store")
	assert.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "real", 1, false)), "a real conference is admitted")
	assert.Equal(t, 1, rec.count[vobizhook.ActionStart])
}

// 10. A panic in OnIdleEnd, even http.ErrAbortHandler (which nothing above
// the sweep would recover), becomes an error: Sweep returns, the failure is
// logged with its stack, the conference's turn is released (its next event
// does not wait), and the next sweep calls OnIdleEnd again.
func TestIdleEndPanicIsContained(t *testing.T) {
	clock := newTestClock()
	var logs bytes.Buffer
	calls := 0
	tr := &Tracker{Now: clock.Now, MaxIdle: time.Hour, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		OnIdleEnd: func(context.Context, vobizhook.ConferenceEvent) error {
			calls++
			if calls == 1 {
				panic(http.ErrAbortHandler)
			}
			return nil
		}}
	_, err := tr.Apply(context.Background(), parseLine(t, liveEvent(vobizhook.ActionEnter, "r", 1, false)))
	require.NoError(t, err)
	clock.Advance(2 * time.Hour)
	require.NotPanics(t, func() { sweep(t, tr) })
	assert.Equal(t, 1, calls)
	assert.Contains(t, logs.String(), "OnIdleEnd of an idle conference failed")
	assert.Contains(t, logs.String(), "stack=")
	c, _ := conference(t, tr, "r")
	assert.False(t, c.Ended, "a failed OnIdleEnd commits nothing")

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r", 2, false)))
	require.NoError(t, err, "the turn was released: the next event does not wait")
	clock.Advance(2 * time.Hour)
	sweep(t, tr)
	assert.Equal(t, 2, calls, "the next sweep calls it again")
	c, _ = conference(t, tr, "r")
	assert.True(t, c.Ended)
	assert.Equal(t, EndIdle, c.EndReason)
}

// 12. On older payloads without ConferenceMemberID, members are keyed by
// CallUUID alone: a call that leaves and rejoins a room is one member, and
// its second stay's enter and exit are taken for duplicates. This pins
// that limit (documented on Tracker and in the README): today's Vobiz
// gives every stay a ConferenceMemberID of its own, so live traffic is not
// affected (the live-rejoin sequence).
func TestClassicRejoinIsOneMember(t *testing.T) {
	tr := &Tracker{}
	rec := newRecorder()
	h := rec.handler(tr)
	classic := func(action vobizhook.Action, ts string, size int) string {
		v := url.Values{"ConferenceAction": {string(action)}, "ConferenceUUID": {"c"}, "ConferenceName": {"room"},
			"CallUUID": {"call-1"}, "Timestamp": {ts}, "ConferenceCurrentSize": {string(rune('0' + size))}}
		return v.Encode()
	}
	for _, body := range []string{
		classic(vobizhook.ActionEnter, "2026-05-19 10:00:00", 2),
		classic(vobizhook.ActionExit, "2026-05-19 10:05:00", 1),
		classic(vobizhook.ActionEnter, "2026-05-19 10:10:00", 2), // the same call back in the room
		classic(vobizhook.ActionExit, "2026-05-19 10:15:00", 1),
	} {
		require.Equal(t, http.StatusOK, deliver(h, body))
	}
	assert.Equal(t, 1, rec.count[vobizhook.ActionEnter], "the second stay's enter is taken for a duplicate")
	assert.Equal(t, 1, rec.count[vobizhook.ActionExit])
	m, ok := onlyConference(t, tr).Lookup("call-1", "")
	require.True(t, ok)
	assert.Equal(t, utc("2026-05-19 10:05:00"), m.LeftAt, "the first stay is the one recorded")
}
