package track

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

// callLog records which func of which owner ran, per conference.
type callLog struct {
	mu    sync.Mutex
	calls map[string][]string // conference -> "owner:action"
}

func (l *callLog) fn(owner string, a vobizhook.Action) func(context.Context, vobizhook.ConferenceEvent) error {
	return func(_ context.Context, ev vobizhook.ConferenceEvent) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.calls[ev.ConferenceUUID] = append(l.calls[ev.ConferenceUUID], owner+":"+string(a))
		return nil
	}
}

func (l *callLog) handler(owner string, tr *Tracker) *vobizhook.Handler {
	return &vobizhook.Handler{
		Tracker: tr,
		OnStart: l.fn(owner, vobizhook.ActionStart), OnEnter: l.fn(owner, vobizhook.ActionEnter),
		OnExit: l.fn(owner, vobizhook.ActionExit), OnEnd: l.fn(owner, vobizhook.ActionEnd),
		Logger: slog.New(slog.DiscardHandler),
	}
}

// One Tracker fed by two Handlers (two routes, two tenants): each event's
// steps run the funcs of the Handler that received it, the lifecycle stays
// exactly once per conference across both, and the idle sweep calls the
// Tracker's OnIdleEnd, never the funcs of whichever Handler fed it last.
func TestTrackerFedByTwoHandlers(t *testing.T) {
	clock := newTestClock()
	log := &callLog{calls: map[string][]string{}}
	tr := &Tracker{Now: clock.Now, MaxIdle: time.Hour, OnIdleEnd: log.fn("tracker", vobizhook.ActionEnd)}
	a, b := log.handler("a", tr), log.handler("b", tr)

	// r1: enters through a, the rest through b.
	require.Equal(t, http.StatusOK, deliver(a, liveEvent(vobizhook.ActionEnter, "r1", 1, false)))
	require.Equal(t, http.StatusOK, deliver(b, liveEvent(vobizhook.ActionEnter, "r1", 2, false)))
	require.Equal(t, http.StatusOK, deliver(a, liveEvent(vobizhook.ActionEnter, "r1", 2, false)), "a duplicate through the other Handler")
	require.Equal(t, http.StatusOK, deliver(b, liveEvent(vobizhook.ActionExit, "r1", 1, false)))
	require.Equal(t, http.StatusOK, deliver(b, liveEvent(vobizhook.ActionExit, "r1", 2, true)))
	assert.Equal(t, []string{"a:start", "a:enter", "b:enter", "b:exit", "b:exit", "b:end"}, log.calls["r1"])

	// r2: its last exit is lost; b fed it last, yet the sweep calls neither
	// a's nor b's OnEnd, only the Tracker's own.
	require.Equal(t, http.StatusOK, deliver(a, liveEvent(vobizhook.ActionEnter, "r2", 1, false)))
	require.Equal(t, http.StatusOK, deliver(b, liveEvent(vobizhook.ActionEnter, "r2", 2, false)))
	clock.Advance(2 * time.Hour)
	sweep(t, tr)
	assert.Equal(t, []string{"a:start", "a:enter", "b:enter", "tracker:end"}, log.calls["r2"])
	c, ok := conference(t, tr, "r2")
	require.True(t, ok)
	assert.Equal(t, EndIdle, c.EndReason)
}
