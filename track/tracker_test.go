package track

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

func TestTrackerFuncFailureIsRetried(t *testing.T) {
	live := loadSequence(t, "live-three")
	enterA, exitB, exitA, exitLast := live[0], live[4], live[5], live[6]
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		before    []string         // delivered first, must succeed
		failing   vobizhook.Action // this func fails once
		panics    bool
		line      string
		wantAfter []vobizhook.Action // successful calls after the retry, in order
		visible   bool               // conference readable after the failed delivery
	}{
		{name: "OnStart fails", failing: vobizhook.ActionStart, line: enterA, wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter}},
		{name: "OnEnter fails after OnStart succeeded", failing: vobizhook.ActionEnter, line: enterA, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter}},
		{name: "OnEnter panics", failing: vobizhook.ActionEnter, panics: true, line: enterA, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter}},
		{name: "OnExit fails", before: []string{enterA}, failing: vobizhook.ActionExit, line: exitA, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter, vobizhook.ActionExit}},
		{name: "OnEnd fails after OnExit succeeded", before: live[:3], failing: vobizhook.ActionEnd, line: exitLast, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter, vobizhook.ActionEnter, vobizhook.ActionEnter, vobizhook.ActionExit, vobizhook.ActionEnd}},
		{name: "OnEnd fails on the exit that both starts and ends", failing: vobizhook.ActionEnd, line: exitLast, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionExit, vobizhook.ActionEnd}},
		{name: "OnExit of a tombstone fails", failing: vobizhook.ActionExit, line: exitB, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionExit}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &Tracker{}
			rec := newRecorder()
			h := rec.handler(tr)
			for _, l := range tc.before {
				require.Equal(t, http.StatusOK, deliver(h, l))
			}
			var failed atomic.Bool
			rec.fail = func(a vobizhook.Action, ev vobizhook.ConferenceEvent) error {
				if a == tc.failing && failed.CompareAndSwap(false, true) {
					if tc.panics {
						panic(errBoom)
					}
					return errBoom
				}
				return nil
			}
			require.Equal(t, http.StatusInternalServerError, deliver(h, tc.line))
			require.True(t, failed.Load())
			uuid := parseLine(t, tc.line).ConferenceUUID
			_, visible := conference(t, tr, uuid)
			assert.Equal(t, tc.visible, visible, "a conference is visible once its start is committed")

			require.Equal(t, http.StatusOK, deliver(h, tc.line), "the retry")
			require.Equal(t, http.StatusOK, deliver(h, tc.line), "a duplicate after success")
			assert.Equal(t, tc.wantAfter, rec.byConf[uuid])
		})
	}
}

func TestTrackerFromContext(t *testing.T) {
	live := loadSequence(t, "live-three")
	tr := &Tracker{}
	var seen []Snapshot
	var stash context.Context
	keep := func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		c, ok := FromContext(ctx)
		require.True(t, ok)
		seen = append(seen, c)
		stash = ctx
		return nil
	}
	h := &vobizhook.Handler{Tracker: tr, OnStart: keep, OnEnter: keep, OnExit: keep, OnEnd: keep}
	for _, l := range trackedLines(t, live) {
		require.Equal(t, http.StatusOK, deliver(h, l))
	}
	require.Len(t, seen, 8)
	assert.False(t, seen[0].Ended)
	assert.Empty(t, seen[0].Members(), "OnStart: nobody committed yet")
	assert.Len(t, seen[1].Members(), 1, "OnEnter: the member is present")
	assert.Equal(t, "249", seen[1].Members()[0].MemberID)
	assert.Len(t, seen[3].Members(), 3)
	assert.Len(t, seen[4].Members(), 2, "OnExit: the member has left")
	last := seen[7]
	assert.True(t, last.Ended, "OnEnd: ended")
	assert.Len(t, last.Past(), 3)
	assert.Equal(t, onlyConference(t, tr), last, "the preview is what gets committed")

	_, ok := FromContext(stash)
	assert.False(t, ok, "not after the func returned")
	_, ok = FromContext(context.Background())
	assert.False(t, ok)
}

func TestTrackerOrderTolerance(t *testing.T) {
	live := loadSequence(t, "live-three")
	enterA, enterB, enterC, exitB, exitA, exitC := live[0], live[1], live[2], live[4], live[5], live[6]
	ctx := context.Background()
	kinds := func(chs []Change) []ChangeKind {
		var out []ChangeKind
		for _, c := range chs {
			out = append(out, c.Kind)
		}
		return out
	}
	apply := func(t *testing.T, tr *Tracker, line string) []ChangeKind {
		chs, err := tr.Apply(ctx, parseLine(t, line))
		require.NoError(t, err)
		return kinds(chs)
	}

	t.Run("exit before enter leaves a tombstone", func(t *testing.T) {
		tr := &Tracker{}
		assert.Equal(t, []ChangeKind{ChangeStarted, ChangeExited}, apply(t, tr, exitA))
		assert.Equal(t, []ChangeKind{ChangeEntered}, apply(t, tr, enterA), "the late enter is applied once")
		assert.Nil(t, apply(t, tr, enterA))
		c := onlyConference(t, tr)
		assert.Empty(t, c.Members(), "not resurrected")
		require.Len(t, c.Past(), 1)
		m := c.Past()[0]
		assert.Equal(t, "918071387423", m.From, "filled in from the late enter")
		assert.True(t, m.EnterSeen && m.ExitSeen)
		assert.False(t, m.JoinedAt.After(m.LeftAt), "join time clamped to the leave time")
		assert.False(t, c.Ended, "ConferenceLastMember=false: the room is not empty")
	})

	t.Run("exit after the end closes the stay", func(t *testing.T) {
		clock := newTestClock()
		tr := &Tracker{Now: clock.Now}
		apply(t, tr, enterA)
		clock.Advance(time.Minute)
		apply(t, tr, enterB)
		clock.Advance(time.Minute)
		// C's exit says the room is empty while A and B look present: their
		// exits are late.
		assert.Equal(t, []ChangeKind{ChangeExited, ChangeEnded}, apply(t, tr, exitC))
		c := onlyConference(t, tr)
		assert.True(t, c.Ended)
		assert.Empty(t, c.Members(), "an ended conference has nobody present")
		a, _ := c.Lookup("a1b2c3d4-0001-4000-8000-000000000001", "249")
		assert.False(t, a.ExitSeen)
		assert.Equal(t, c.EndedAt, a.LeftAt, "provisionally closed at the end")

		clock.Advance(time.Minute)
		assert.Equal(t, []ChangeKind{ChangeExited}, apply(t, tr, exitA), "no second end")
		a, _ = onlyConference(t, tr).Lookup("a1b2c3d4-0001-4000-8000-000000000001", "249")
		assert.True(t, a.ExitSeen)
		assert.Equal(t, clock.Now(), a.LeftAt, "its real exit time wins")
		assert.Equal(t, 3*time.Minute, a.Stay)
	})

	t.Run("enter after the end is recorded, not restarted", func(t *testing.T) {
		tr := &Tracker{}
		apply(t, tr, enterA)
		apply(t, tr, exitC)
		assert.Equal(t, []ChangeKind{ChangeEntered}, apply(t, tr, enterC))
		assert.Equal(t, []ChangeKind{ChangeEntered}, apply(t, tr, enterB))
		c := onlyConference(t, tr)
		assert.True(t, c.Ended)
		assert.Empty(t, c.Members())
		assert.Len(t, c.Past(), 3)
		assert.Equal(t, []ChangeKind{ChangeExited}, apply(t, tr, exitB))
		assert.Nil(t, apply(t, tr, exitB))
	})

	t.Run("roster fallback waits for the enters of early exits", func(t *testing.T) {
		minimal := loadSequence(t, "minimal-two")
		enter10, enter11, exit10, exit11 := minimal[0], minimal[1], minimal[2], minimal[3]
		tr := &Tracker{}
		assert.Equal(t, []ChangeKind{ChangeStarted, ChangeExited}, apply(t, tr, exit10))
		assert.Equal(t, []ChangeKind{ChangeExited}, apply(t, tr, exit11))
		assert.Equal(t, []ChangeKind{ChangeEntered}, apply(t, tr, enter11), "10's enter is still awaited")
		assert.False(t, onlyConference(t, tr).Ended)
		assert.Equal(t, []ChangeKind{ChangeEntered, ChangeEnded}, apply(t, tr, enter10))
		assert.Equal(t, EndEmptyRoster, onlyConference(t, tr).EndReason)
	})

	t.Run("provider start after a derived start, end after a derived end", func(t *testing.T) {
		classic := loadSequence(t, "classic-two")
		tr := &Tracker{}
		assert.Equal(t, []ChangeKind{ChangeStarted, ChangeExited, ChangeEnded}, apply(t, tr, classic[4]), "size-0 exit first")
		assert.Equal(t, []ChangeKind{ChangeUpdated}, apply(t, tr, classic[0]))
		assert.Equal(t, []ChangeKind{ChangeUpdated}, apply(t, tr, classic[5]))
		assert.Nil(t, apply(t, tr, classic[5]))
		c := onlyConference(t, tr)
		assert.Equal(t, EndLastMember, c.EndReason)
		assert.True(t, c.ProviderStart && c.ProviderEnd)
		assert.Equal(t, utc("2026-05-19 10:32:15"), c.StartedAt, "moved earlier by the provider's start")
		assert.Equal(t, utc("2026-05-19 10:45:01"), c.EndedAt, "the provider's end time wins")
		assert.NotEmpty(t, c.RecordingURL)
	})

	t.Run("after the provider's start only its end ends the room", func(t *testing.T) {
		classic := loadSequence(t, "classic-two")
		tr := &Tracker{}
		for _, l := range classic[:5] {
			apply(t, tr, l)
		}
		c := onlyConference(t, tr)
		assert.False(t, c.Ended, "the size-0 exit waits for the provider's end")
		assert.Equal(t, []ChangeKind{ChangeEnded}, apply(t, tr, classic[5]))
	})
}

func TestTrackerUntrackable(t *testing.T) {
	tr := &Tracker{}
	for _, body := range []string{
		"ConferenceAction=waitSound&Event=ConferenceRemoteSounds",
		"ConferenceAction=enter&CallUUID=x&ConferenceMemberID=1",
		"ConferenceAction=enter&ConferenceUUID=u",
		"ConferenceAction=floor&ConferenceUUID=u&floorEvent=true",
	} {
		_, err := tr.Apply(context.Background(), parseLine(t, body))
		assert.ErrorIs(t, err, ErrUntrackable, body)
		assert.NotContains(t, err.Error(), "floor", "the received value is not repeated")
	}
	assert.Empty(t, conferences(t, tr))

	// Through a vobizhook.Handler, untrackable events reach the funcs as without a tracker.
	rec := newRecorder()
	h := rec.handler(tr)
	assert.Equal(t, http.StatusOK, deliver(h, "ConferenceAction=enter&CallUUID=x&ConferenceMemberID=1"))
	assert.Equal(t, 1, rec.count[vobizhook.ActionEnter])
	assert.Equal(t, 0, rec.count[vobizhook.ActionStart])
}

// Apply copies no field longer than a vobizhook.Handler would accept: the tracker's
// memory is bounded in bytes, not only in records.
func TestTrackerApplyBoundsFieldLengths(t *testing.T) {
	base := vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, ConferenceUUID: "u", CallUUID: "c", MemberID: "1", CurrentSize: -1}
	for _, tc := range []struct {
		param string
		max   int
		set   func(*vobizhook.ConferenceEvent, string)
	}{
		{"ConferenceUUID", 128, func(ev *vobizhook.ConferenceEvent, v string) { ev.ConferenceUUID = v }},
		{"ConferenceName", 512, func(ev *vobizhook.ConferenceEvent, v string) { ev.ConferenceName = v }},
		{"ConferenceMemberID", 64, func(ev *vobizhook.ConferenceEvent, v string) { ev.MemberID = v }},
		{"CallUUID", 128, func(ev *vobizhook.ConferenceEvent, v string) { ev.CallUUID = v }},
		{"From", 64, func(ev *vobizhook.ConferenceEvent, v string) { ev.From = v }},
		{"To", 64, func(ev *vobizhook.ConferenceEvent, v string) { ev.To = v }},
		{"RecordingUrl", 2048, func(ev *vobizhook.ConferenceEvent, v string) { ev.RecordingURL = v }},
	} {
		t.Run(tc.param, func(t *testing.T) {
			tr := &Tracker{}
			ev := base
			tc.set(&ev, strings.Repeat("x", tc.max))
			_, err := tr.Apply(context.Background(), ev)
			require.NoError(t, err, "at the limit")

			ev = base
			ev.ConferenceUUID = "other"
			tc.set(&ev, strings.Repeat("x", tc.max+1))
			changes, err := tr.Apply(context.Background(), ev)
			require.ErrorIs(t, err, ErrUntrackable)
			require.ErrorIs(t, err, vobizhook.ErrInvalidParam)
			var pe *vobizhook.ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.param, pe.Param)
			assert.Contains(t, err.Error(), fmt.Sprintf("at most %d bytes", tc.max))
			assert.NotContains(t, err.Error(), "xxx", "the value is not repeated")
			assert.Empty(t, changes)
			assert.Len(t, conferences(t, tr), 1, "nothing tracked for it")
		})
	}
}

// ctxRecorder is a slog.Handler that keeps, for each record, the value of
// ctxProbe in the context it was logged with.
type ctxRecorder struct {
	mu   sync.Mutex
	seen map[string]any // message -> ctx.Value(ctxProbe{})
}

type ctxProbe struct{}

func (r *ctxRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *ctxRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }

func (r *ctxRecorder) WithGroup(string) slog.Handler { return r }

func (r *ctxRecorder) Handle(ctx context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[rec.Message] = ctx.Value(ctxProbe{})
	return nil
}

// The warning about an event the tracker cannot key is logged with the
// request's context, like the vobizhook.Handler's own records.
func TestTrackerUntrackableLogsWithRequestContext(t *testing.T) {
	for _, withFunc := range []bool{true, false} {
		t.Run(fmt.Sprint("func=", withFunc), func(t *testing.T) {
			logs := &ctxRecorder{seen: map[string]any{}}
			var called int
			h := &vobizhook.Handler{Tracker: &Tracker{Logger: slog.New(logs)}, Logger: slog.New(slog.DiscardHandler)}
			if withFunc {
				h.OnEnter = func(context.Context, vobizhook.ConferenceEvent) error { called++; return nil }
			}
			r := httptest.NewRequest(http.MethodPost, "/vobiz/conference", strings.NewReader("ConferenceAction=enter&ConferenceUUID=u"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r = r.WithContext(context.WithValue(r.Context(), ctxProbe{}, "request-42"))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, http.StatusOK, w.Code)
			logs.mu.Lock()
			defer logs.mu.Unlock()
			v, ok := logs.seen["track: event not tracked, dispatched as is"]
			require.True(t, ok, "the warning is logged")
			assert.Equal(t, "request-42", v, "with the request's context")
			assert.Equal(t, map[bool]int{true: 1, false: 0}[withFunc], called)
		})
	}
}

func TestTrackerHandlerWithoutFuncsStillTracks(t *testing.T) {
	tr := &Tracker{}
	h := &vobizhook.Handler{Tracker: tr}
	for _, l := range loadSequence(t, "live-three")[:3] {
		require.Equal(t, http.StatusOK, deliver(h, l))
	}
	c := onlyConference(t, tr)
	assert.Equal(t, 3, c.Size())
}

func TestTrackerWaitHonoursContext(t *testing.T) {
	live := loadSequence(t, "live-three")
	tr := &Tracker{}
	entered, release := make(chan struct{}), make(chan struct{})
	h := &vobizhook.Handler{Tracker: tr, OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		close(entered)
		<-release
		return nil
	}}
	done := make(chan int)
	go func() { done <- deliver(h, live[0]) }()
	<-entered
	// Reads do not wait for the running func (this one would block until
	// release otherwise); the steps of an event are committed together
	// once its funcs returned, so the conference is not visible yet.
	uuid := parseLine(t, live[0]).ConferenceUUID
	_, ok := conference(t, tr, uuid)
	assert.False(t, ok, "committed when the funcs of its first event returned")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tr.Apply(ctx, parseLine(t, live[1]))
	assert.ErrorIs(t, err, context.Canceled)
	close(release)
	assert.Equal(t, http.StatusOK, <-done)
	_, ok = conference(t, tr, uuid)
	assert.True(t, ok)
	_, err = tr.Apply(context.Background(), parseLine(t, live[1]))
	assert.NoError(t, err)
}
