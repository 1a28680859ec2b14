package redisstore_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/redisstore"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// enterRequest is a signed live enter for conference uuid, member m.
func enterRequest(t testing.TB, uuid string, m int) *http.Request {
	ev := vobizhook.ConferenceEvent{
		Action: vobizhook.ActionEnter, Event: "ConferenceEnter", ConferenceUUID: uuid, ConferenceName: "room",
		CallUUID: "call-" + uuid + "-" + strconv.Itoa(m), MemberID: strconv.Itoa(m), From: "918071387423", CurrentSize: -1,
	}
	return vobizhooktest.MustNewRequest(t, ev, vobizhooktest.WithURL(publicURL), vobizhooktest.WithAuthToken(replicaToken))
}

// serveCopy serves a fresh copy of r (its body rewound) to h.
func serveCopy(t testing.TB, h http.Handler, r *http.Request) int {
	req := r.Clone(r.Context())
	var err error
	req.Body, err = r.GetBody()
	require.NoError(t, err)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code
}

// goroutinesBack waits until the goroutine count is back to n.
func goroutinesBack(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Redis unreachable: 503 so Vobiz retries, nothing dispatched, nothing
// marked, no goroutine left behind; once it is back, the retry is
// dispatched once, and its replays are not.
func TestRedisDownThenBack(t *testing.T) {
	srv := startRedis(t)
	life := newLifecycle(false)
	rep := newReplica(t, []string{srv.Addr()}, "down:", life, redisstore.Options{Timeout: 200 * time.Millisecond})
	r := enterRequest(t, "c-down", 1)
	require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, enterRequest(t, "c-warm", 1)))
	base := runtime.NumGoroutine()

	srv.Stop()
	for range 3 {
		assert.Equal(t, http.StatusServiceUnavailable, serveCopy(t, rep.handler, r), "Redis down: Vobiz must retry")
	}
	assert.Zero(t, life.calls["c-down"], "nothing dispatched while Redis is down")
	goroutinesBack(t, base)

	require.NoError(t, srv.Restart()) // the same port, empty: Vobiz's retry now reaches a working store
	require.Eventually(t, func() bool { return serveCopy(t, rep.handler, r) == http.StatusOK }, 10*time.Second, 50*time.Millisecond)
	assert.Equal(t, http.StatusOK, serveCopy(t, rep.handler, r), "a replay")
	assert.Equal(t, map[vobizhook.Action]int{vobizhook.ActionStart: 1, vobizhook.ActionEnter: 1}, life.calls["c-down"], "dispatched once")
}

// Redis that accepts connections and never answers: every call ends at
// Options.Timeout, and the callback is answered 503 well within the 3 s
// Vobiz waits.
func TestRedisTimingOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			defer c.Close() // held open, never answered
		}
	}()
	life := newLifecycle(false)
	rep := newReplica(t, []string{ln.Addr().String()}, "slow:", life, redisstore.Options{Timeout: 300 * time.Millisecond})
	start := time.Now()
	code := serveCopy(t, rep.handler, enterRequest(t, "c-slow", 1))
	elapsed := time.Since(start)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Less(t, elapsed, 2*time.Second, "answered within Vobiz's 3 s")
	assert.Positive(t, conns.Load())
	assert.Empty(t, life.calls)
}

// A replica killed in the middle of a func: its claim and its turn expire
// after their leases, and Vobiz's retry is dispatched on another replica.
// For that event delivery is at least once: the dead replica's OnStart
// ran, and so does the survivor's.
func TestReplicaDiesMidFunc(t *testing.T) {
	srv := startRedis(t)
	addrs := []string{srv.Addr()}
	opt := redisstore.Options{TurnLease: 600 * time.Millisecond}
	lifeA, lifeB := newLifecycle(false), newLifecycle(false)
	a := newReplica(t, addrs, "die:", lifeA, opt)
	b := newReplica(t, addrs, "die:", lifeB, opt)
	a.handler.NonceLease, b.handler.NonceLease = 500*time.Millisecond, 500*time.Millisecond
	stuck, unstick := make(chan struct{}), make(chan struct{})
	enter := a.handler.OnEnter
	a.handler.OnEnter = func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		close(stuck)
		<-unstick // the process hangs here, then dies
		return enter(ctx, ev)
	}

	r := enterRequest(t, "c-die", 1)
	go serveCopy(t, a.handler, r)
	<-stuck
	a.rdb.Close() // A's process is gone: its Redis connections with it, no more renewals

	// Vobiz's retries reach B: 503 while A's claim holds, then dispatched.
	var codes []int
	require.Eventually(t, func() bool {
		code := serveCopy(t, b.handler, r)
		codes = append(codes, code)
		return code == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond)
	assert.Equal(t, http.StatusServiceUnavailable, codes[0], "a copy is refused while the claim holds: %v", codes)
	assert.Equal(t, map[vobizhook.Action]int{vobizhook.ActionStart: 1, vobizhook.ActionEnter: 1}, lifeB.calls["c-die"], "the survivor ran the steps")
	assert.Equal(t, map[vobizhook.Action]int{vobizhook.ActionStart: 1}, lifeA.calls["c-die"], "the dead replica had run OnStart: at least once")
	c, ok, err := b.tracker.Conference(context.Background(), "c-die")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 1, c.Size())
	close(unstick)
}

// Redis restarted empty loses what it held: a replay of a callback handled
// before is dispatched again, and a conference in progress starts over
// (OnStart again) at its next event. The README says so.
func TestRedisRestartedEmpty(t *testing.T) {
	srv := startRedis(t)
	life := newLifecycle(false)
	rep := newReplica(t, []string{srv.Addr()}, "empty:", life, redisstore.Options{})
	first := enterRequest(t, "c-empty", 1)
	require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, first))
	require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, first), "a replay, acknowledged")
	assert.Equal(t, 1, life.calls["c-empty"][vobizhook.ActionEnter])

	srv.Stop()
	require.NoError(t, srv.Restart())
	require.Eventually(t, func() bool { return serveCopy(t, rep.handler, enterRequest(t, "c-empty", 2)) == http.StatusOK }, 10*time.Second, 50*time.Millisecond)
	assert.Equal(t, 2, life.calls["c-empty"][vobizhook.ActionStart], "the conference started over")
	require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, first))
	assert.Equal(t, 3, life.calls["c-empty"][vobizhook.ActionEnter], "the old replay is dispatched again")
}
