package redisstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/redisstore"
	"github.com/vobizhook/vobizhook/track"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// Faults between a script running in Redis and its answer reaching the
// replica (through faultProxy): a late reply, a dropped connection, a
// partition; each test fails on the code before the fix it names.

// A nonce claim whose reply comes back after Options.Timeout: the script
// ran in Redis (the nonce is "p<token>"), the Handler answered 503. The
// claim is given back, so Vobiz's retry a second later is dispatched (it
// was answered "in progress" for the whole NonceLease, and lost).
func TestLostClaimReplyDoesNotBlockTheRetry(t *testing.T) {
	srv := startRedis(t)
	proxy := newFaultProxy(t, srv.Addr())
	life := newLifecycle(false)
	rep := newReplica(t, []string{proxy.Addr()}, "lostclaim:", life, redisstore.Options{Timeout: 200 * time.Millisecond})
	require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, enterRequest(t, "c-warm", 1)))

	r := enterRequest(t, "c-lostclaim", 1)
	proxy.delayReplyTo("then return 2 end", 400*time.Millisecond) // nonceClaim's script: its reply only is late
	require.Equal(t, http.StatusServiceUnavailable, serveCopy(t, rep.handler, r), "Redis too slow: 503, Vobiz retries")
	proxy.delayReplyTo("", 0)
	time.Sleep(time.Second) // Vobiz's first retry, Redis healthy again

	direct := newClient(t, srv.Addr())
	nonceKey := "lostclaim:n:" + r.Header.Get("X-Vobiz-Signature-V3-Nonce")
	v, _ := direct.Get(context.Background(), nonceKey).Result()
	pttl, _ := direct.PTTL(context.Background(), nonceKey).Result()
	t.Logf("after the 503: %s = %q, PTTL %s (the claim nobody holds)", nonceKey, v, pttl)

	assert.Equal(t, http.StatusOK, serveCopy(t, rep.handler, r), "the retry must be dispatched")
	assert.Equal(t, 1, life.count("c-lostclaim", vobizhook.ActionEnter), "dispatched once")
}

// The same for the turn: the acquire script ran, its reply came back late,
// the callback was answered 503. The turn is given back, so the retry is
// dispatched (every event of the conference waited out TurnLease).
func TestLostTurnReplyDoesNotBlockTheConference(t *testing.T) {
	srv := startRedis(t)
	proxy := newFaultProxy(t, srv.Addr())
	life := newLifecycle(false)
	rep := newReplica(t, []string{proxy.Addr()}, "lostturn:", life, redisstore.Options{Timeout: 200 * time.Millisecond})
	rep.tracker.MaxIdle = -1 // no sweep in the way
	require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, enterRequest(t, "c-warm", 1)))

	r := enterRequest(t, "c-lostturn", 1)
	proxy.delayReplyTo("PTTL", 400*time.Millisecond) // turnAcquire's script: its reply only is late
	require.Equal(t, http.StatusServiceUnavailable, serveCopy(t, rep.handler, r), "Redis too slow: 503, Vobiz retries")
	proxy.delayReplyTo("", 0)
	time.Sleep(time.Second) // Vobiz's first retry, Redis healthy again

	direct := newClient(t, srv.Addr())
	v, _ := direct.Get(context.Background(), "lostturn:c:{c-lostturn}:t").Result()
	pttl, _ := direct.PTTL(context.Background(), "lostturn:c:{c-lostturn}:t").Result()
	t.Logf("after the 503: the turn = %q, PTTL %s (a turn nobody holds)", v, pttl)

	assert.Equal(t, http.StatusOK, serveCopy(t, rep.handler, r), "the retry must be dispatched")
	assert.Equal(t, 1, life.count("c-lostturn", vobizhook.ActionEnter), "dispatched once")
}

// A commit fenced off (its holder was partitioned from Redis past its
// lease; another replica took the turn and committed) is refused by the
// script, and its pipeline's index writes of the stale record are undone:
// the live conference stays in the live index (for the idle sweep) and out
// of the ended one, and eviction at MaxConferences never drops it (it
// deleted the record, and its remaining exits and OnEnd were ignored).
func TestFencedCommitKeepsALiveConferenceLive(t *testing.T) {
	srv := startRedis(t)
	proxy := newFaultProxy(t, srv.Addr())
	opt := redisstore.Options{TurnLease: 600 * time.Millisecond}
	const prefix = "fence:"
	lifeA, lifeB := newLifecycle(false), newLifecycle(false)
	a := newReplica(t, []string{proxy.Addr()}, prefix, lifeA, opt) // A reaches Redis through the proxy
	b := newReplica(t, []string{srv.Addr()}, prefix, lifeB, opt)
	for _, rep := range []*replica{a, b} {
		rep.tracker.MaxConferences = 1
		rep.tracker.MaxIdle = -1
	}
	const uuid = "c-fence"
	member := func(m int, action vobizhook.Action, last bool) *http.Request {
		ev := vobizhook.ConferenceEvent{
			Action: action, ConferenceUUID: uuid, ConferenceName: "room",
			CallUUID: "call-" + strconv.Itoa(m), MemberID: strconv.Itoa(m), CurrentSize: -1, LastMember: last,
		}
		if action == vobizhook.ActionEnter {
			ev.Event = "ConferenceEnter"
		} else {
			ev.Event = "ConferenceExit"
		}
		return vobizhooktest.MustNewRequest(t, ev, vobizhooktest.WithURL(publicURL), vobizhooktest.WithAuthToken(replicaToken))
	}

	require.Equal(t, http.StatusOK, serveCopy(t, b.handler, member(1, vobizhook.ActionEnter, false)))

	// A applies member 1's exit (LastMember=true: it ends the conference);
	// its OnExit stalls while A is cut off from Redis past TurnLease.
	stuck, unstick := make(chan struct{}), make(chan struct{})
	a.handler.OnExit = func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		close(stuck)
		<-unstick
		return nil
	}
	codeA := make(chan int, 1)
	go func() { codeA <- serveCopy(t, a.handler, member(1, vobizhook.ActionExit, true)) }()
	<-stuck
	proxy.setCut(true)
	time.Sleep(900 * time.Millisecond) // A's renewals fail; its turn expires

	// Meanwhile B applies member 2's enter: the conference is live, with 2 present.
	require.Equal(t, http.StatusOK, serveCopy(t, b.handler, member(2, vobizhook.ActionEnter, false)))

	// A comes back and commits: fenced off, 503. Correct so far.
	proxy.setCut(false)
	close(unstick)
	require.Equal(t, http.StatusServiceUnavailable, <-codeA, "A's stale commit is refused")
	c, ok, err := b.tracker.Conference(context.Background(), uuid)
	require.NoError(t, err)
	require.True(t, ok)
	require.False(t, c.Ended, "the record is B's: live")

	rdb := newClient(t, srv.Addr())
	ctx := context.Background()
	_, errLive := rdb.ZScore(ctx, prefix+"live", uuid).Result()
	_, errEnded := rdb.ZScore(ctx, prefix+"ended", uuid).Result()
	assert.NoError(t, errLive, "a live conference must stay in the live index (the idle sweep reads only it)")
	assert.Error(t, errEnded, "a live conference must not be in the ended index (eviction reads it)")

	// A new conference at MaxConferences=1: must be refused (503), not evict a live one.
	code := serveCopy(t, b.handler, enterRequest(t, "c-other", 1))
	assert.Equal(t, http.StatusServiceUnavailable, code, "tracker full: the only conference is live")
	c, ok, err = b.tracker.Conference(context.Background(), uuid)
	require.NoError(t, err)
	assert.True(t, ok, "the live conference was evicted")
	_ = c

	// Vobiz's retry of member 1's exit, then member 2's exit: both must run.
	require.Equal(t, http.StatusOK, serveCopy(t, b.handler, member(1, vobizhook.ActionExit, false)))
	require.Equal(t, http.StatusOK, serveCopy(t, b.handler, member(2, vobizhook.ActionExit, true)))
	assert.Equal(t, 2, lifeB.count(uuid, vobizhook.ActionExit), "OnExit of both members: %v", lifeB.snapshot(uuid))
	assert.Equal(t, 1, lifeB.count(uuid, vobizhook.ActionEnd), "OnEnd")
}

// A client configured as the README shows (go-redis's default MaxRetries:
// 3) whose connection drops after Redis ran the nonce claim, before its
// reply: go-redis re-sends the script, which finds the nonce held by this
// very token and takes it for the same claim (it answered "in progress",
// and every retry got 503 for the whole NonceLease).
func TestClientRetryOfAScriptFindsItsOwnClaim(t *testing.T) {
	srv := startRedis(t)
	proxy := newFaultProxy(t, srv.Addr())
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{ // the README's client
		Addrs: []string{proxy.Addr()}, ContextTimeoutEnabled: true,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
	})
	t.Cleanup(func() { rdb.Close() })
	life := newLifecycle(false)
	s := redisstore.New(rdb, redisstore.Options{Prefix: "retried:"})
	h := &vobizhook.Handler{
		Verifier:   &vobizhook.Verifier{AuthTokens: []string{replicaToken}, CallbackURL: publicURL},
		NonceStore: s.Nonces(),
		Tracker:    &track.Tracker{Store: s.Conferences(), MaxIdle: -1},
		OnStart:    life.fn(vobizhook.ActionStart), OnEnter: life.fn(vobizhook.ActionEnter),
		Logger: slog.New(slog.NewTextHandler(tlog{t}, nil)),
	}
	require.Equal(t, http.StatusOK, serveCopy(t, h, enterRequest(t, "c-warm", 1)))

	r := enterRequest(t, "c-retried", 1)
	proxy.dropReplyOnce("then return 2 end") // nonceClaim's script
	first := serveCopy(t, h, r)
	time.Sleep(time.Second) // Vobiz's retry
	assert.Equal(t, http.StatusOK, serveCopy(t, h, r), "the retry must be dispatched (the first delivery got %d)", first)
	assert.Equal(t, 1, life.count("c-retried", vobizhook.ActionEnter), "dispatched once")
}

type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// When Redis stalls after the turn was taken, a new conference at
// MaxConferences is answered within Vobiz's 3 s: eviction stops at the
// first failed call (it paid one Options.Timeout per ended candidate, 8).
func TestEvictionAnswersWithinVobizDeadline(t *testing.T) {
	srv := startRedis(t)
	proxy := newFaultProxy(t, srv.Addr())
	life := newLifecycle(false)
	rep := newReplica(t, []string{proxy.Addr()}, "evict:", life, redisstore.Options{}) // default Timeout 500 ms
	rep.tracker.MaxConferences, rep.tracker.MaxIdle = 8, -1
	for c := range 8 {
		uuid := fmt.Sprint("c-ended-", c)
		require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, enterRequest(t, uuid, 1)))
		exit := vobizhook.ConferenceEvent{Action: vobizhook.ActionExit, Event: "ConferenceExit", ConferenceUUID: uuid, ConferenceName: "room",
			CallUUID: "call-" + uuid + "-1", MemberID: "1", CurrentSize: -1, LastMember: true}
		require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, vobizhooktest.MustNewRequest(t, exit, vobizhooktest.WithURL(publicURL), vobizhooktest.WithAuthToken(replicaToken))))
	}
	proxy.delayReplyTo("existed", 5*time.Second) // Redis stalls for the evictions (dropEnded)
	start := time.Now()
	code := serveCopy(t, rep.handler, enterRequest(t, "c-new", 1))
	elapsed := time.Since(start)
	t.Logf("answered %d after %s", code, elapsed)
	assert.Less(t, elapsed, 3*time.Second, "answered within Vobiz's 3 s")
}

// The reindex after a fenced commit is not fenced itself: a successor that
// commits between its read of the record and its index writes (here B
// ends the conference) would have its index entries overwritten with
// those of the record it replaced. The reindex reads the record again
// after writing and indexes the new one. A replica whose lease ran out is
// a slow one, so a pause between its round trips is the expected case.
func TestFencedReindexYieldsToTheSuccessorsCommit(t *testing.T) {
	srv := startRedis(t)
	proxy := newFaultProxy(t, srv.Addr())
	opt := redisstore.Options{TurnLease: 600 * time.Millisecond, Timeout: 3 * time.Second}
	const prefix = "reidx:"
	lifeA, lifeB := newLifecycle(false), newLifecycle(false)
	a := newReplica(t, []string{proxy.Addr()}, prefix, lifeA, opt)
	b := newReplica(t, []string{srv.Addr()}, prefix, lifeB, opt)
	for _, rep := range []*replica{a, b} {
		rep.tracker.MaxIdle = -1
	}
	const uuid = "c-reidx"
	member := func(m int, action vobizhook.Action, last bool) *http.Request {
		ev := vobizhook.ConferenceEvent{
			Action: action, ConferenceUUID: uuid, ConferenceName: "room",
			CallUUID: "call-" + strconv.Itoa(m), MemberID: strconv.Itoa(m), CurrentSize: -1, LastMember: last,
		}
		if action == vobizhook.ActionEnter {
			ev.Event = "ConferenceEnter"
		} else {
			ev.Event = "ConferenceExit"
		}
		return vobizhooktest.MustNewRequest(t, ev, vobizhooktest.WithURL(publicURL), vobizhooktest.WithAuthToken(replicaToken))
	}
	require.Equal(t, http.StatusOK, serveCopy(t, b.handler, member(1, vobizhook.ActionEnter, false)))

	stuck, unstick := make(chan struct{}), make(chan struct{})
	a.handler.OnExit = func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		close(stuck)
		<-unstick
		return nil
	}
	codeA := make(chan int, 1)
	go func() { codeA <- serveCopy(t, a.handler, member(1, vobizhook.ActionExit, true)) }()
	<-stuck
	// A's lease runs out (as if it had been paused): its turn is gone.
	rdb := newClient(t, srv.Addr())
	require.NoError(t, rdb.Del(context.Background(), prefix+"c:{"+uuid+"}:t").Err())
	require.Equal(t, http.StatusOK, serveCopy(t, b.handler, member(2, vobizhook.ActionEnter, false)))

	// A's reindex Load (a plain GET of the record) runs in Redis at once,
	// but A is slow to act on its answer.
	proxy.delayReplyTo("$3\r\nget\r\n", 800*time.Millisecond)
	t0 := time.Now()
	close(unstick)
	time.Sleep(250 * time.Millisecond) // A's fenced commit is refused; its Load has run

	// Meanwhile B applies both exits: the conference ends, B indexes it as ended.
	require.Equal(t, http.StatusOK, serveCopy(t, b.handler, member(1, vobizhook.ActionExit, false)))
	require.Equal(t, http.StatusOK, serveCopy(t, b.handler, member(2, vobizhook.ActionExit, true)))
	t.Logf("B's exits done at %s", time.Since(t0))
	require.Equal(t, http.StatusServiceUnavailable, <-codeA, "A's stale commit is refused")
	t.Logf("A answered at %s", time.Since(t0))

	c, ok, err := b.tracker.Conference(context.Background(), uuid)
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, c.Ended, "B ended it")

	ctx := context.Background()
	_, errLive := rdb.ZScore(ctx, prefix+"live", uuid).Result()
	_, errEnded := rdb.ZScore(ctx, prefix+"ended", uuid).Result()
	assert.NoError(t, errEnded, "an ended conference must be in the ended index (eviction and Expire read it)")
	assert.Error(t, errLive, "an ended conference must not be in the live index")

	// The consequence: the ended conference cannot be evicted, so at
	// MaxConferences=1 a new conference is refused (it is admitted when
	// the index is right).
	b.tracker.MaxConferences = 1
	assert.Equal(t, http.StatusOK, serveCopy(t, b.handler, enterRequest(t, "c-reidx-next", 1)),
		"the only conference ended: it is evicted to admit a new one")
}

// The commit script, re-sent by go-redis after a dropped connection, finds
// the turn it gave back gone and reports the commit it made as fenced off:
// the delivery is answered 503, and Vobiz's retry finds the steps done and
// is acknowledged without calling a func again (README, the fault table).
func TestClientRetryOfACommitCallsNoFuncTwice(t *testing.T) {
	srv := startRedis(t)
	proxy := newFaultProxy(t, srv.Addr())
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: []string{proxy.Addr()}, ContextTimeoutEnabled: true,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
	})
	t.Cleanup(func() { rdb.Close() })
	life := newLifecycle(false)
	s := redisstore.New(rdb, redisstore.Options{Prefix: "recommit:"})
	h := &vobizhook.Handler{
		Verifier:   &vobizhook.Verifier{AuthTokens: []string{replicaToken}, CallbackURL: publicURL},
		NonceStore: s.Nonces(),
		Tracker:    &track.Tracker{Store: s.Conferences(), MaxIdle: -1},
		OnStart:    life.fn(vobizhook.ActionStart), OnEnter: life.fn(vobizhook.ActionEnter),
		Logger: slog.New(slog.NewTextHandler(tlog{t}, nil)),
	}
	require.Equal(t, http.StatusOK, serveCopy(t, h, enterRequest(t, "c-warm", 1)))
	proxy.dropReplyOnce("PUBLISH") // turnCommit's script
	r := enterRequest(t, "c-recommit", 1)
	assert.Equal(t, http.StatusServiceUnavailable, serveCopy(t, h, r), "the commit was made, but reported fenced off")
	time.Sleep(100 * time.Millisecond) // Vobiz's retry of the 503
	assert.Equal(t, http.StatusOK, serveCopy(t, h, r))
	assert.Equal(t, 1, life.count("c-recommit", vobizhook.ActionStart), "OnStart once: %v", life.snapshot("c-recommit"))
	assert.Equal(t, 1, life.count("c-recommit", vobizhook.ActionEnter), "OnEnter once: %v", life.snapshot("c-recommit"))
}
