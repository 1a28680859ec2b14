package redisstore_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/redisstore"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// roundTrips counts the calls a client makes: each command and each
// pipeline is one round trip (a Cluster sends a pipeline's parts to their
// nodes in parallel).
type roundTrips struct{ n atomic.Int64 }

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

// A signed, tracked callback costs at most four round trips: the nonce
// claim, the turn and load, the commit and release, the nonce completion;
// also the first event of a conference (start + enter) and the one that
// ends it (exit + end), whose steps are committed together.
func TestRoundTripsPerCallback(t *testing.T) {
	topologies(t, func(t *testing.T, addrs []string) {
		life := newLifecycle(false)
		rep := newReplica(t, addrs, fmt.Sprintf("rt%d:", prefixes.Add(1)), life, redisstore.Options{})
		// The sweep (once a second per replica: one call, plus a goroutine
		// listing idle conferences) is not the callback's cost: the
		// warm-up below takes this second's, and the idle one is off.
		rep.tracker.MaxIdle = -1
		require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, enterRequest(t, "warm-up", 1)))
		hook := &roundTrips{}
		rep.rdb.AddHook(hook)
		sc := vobizhooktest.Scenario{Room: "rt", Participants: 3, Seed: 7}
		reqs := sc.MustRequests(t, vobizhooktest.WithURL(publicURL), vobizhooktest.WithAuthToken(replicaToken))
		events := sc.MustEvents(t)
		for i, r := range reqs {
			before := hook.n.Load()
			require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, r))
			got := hook.n.Load() - before
			assert.LessOrEqual(t, got, int64(4), "event %d (%s): %d round trips", i, events[i].Action, got)
			t.Logf("%s: %d round trips", events[i].Action, got)
		}
		before := hook.n.Load()
		require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, reqs[1]))
		assert.Equal(t, int64(1), hook.n.Load()-before, "a replay costs its nonce claim only")
		assert.Equal(t, 1, life.calls[events[0].ConferenceUUID][vobizhook.ActionEnd])
	})
}

// Memory in Redis is bounded: after a busy run, every key but the two
// indexes has a TTL, and the indexes hold at most MaxConferences. It also
// logs the measured bytes per nonce and per member (MEMORY USAGE), which
// BENCHMARKS.md reports.
func TestRedisMemoryIsBounded(t *testing.T) {
	single, _ := sharedServers(t)
	rdb := newClient(t, single)
	life := newLifecycle(false)
	prefix := fmt.Sprintf("mem%d:", prefixes.Add(1))
	rep := newReplica(t, []string{single}, prefix, life, redisstore.Options{})
	rep.tracker.MaxConferences = 50
	for c := range 20 {
		sc := vobizhooktest.Scenario{Room: fmt.Sprint("m", c), Participants: 5, Seed: int64(c) + 100, Duplicates: 0.2}
		for _, r := range sc.MustRequests(t, vobizhooktest.WithURL(publicURL), vobizhooktest.WithAuthToken(replicaToken)) {
			require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, r))
		}
	}
	// One conference left live, with 50 members present.
	for m := range 50 {
		require.Equal(t, http.StatusOK, serveCopy(t, rep.handler, enterRequest(t, "big", m)))
	}
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	var nonceBytes, nonces int64
	for _, k := range keys {
		typ, err := rdb.Type(ctx, k).Result()
		require.NoError(t, err)
		if typ == "zset" {
			n, err := rdb.ZCard(ctx, k).Result()
			require.NoError(t, err)
			assert.LessOrEqual(t, n, int64(50), "%s is capped by MaxConferences", k)
			continue
		}
		ttl, err := rdb.PTTL(ctx, k).Result()
		require.NoError(t, err)
		assert.Positive(t, ttl, "%s has a TTL", k)
		if strings.HasPrefix(k, prefix+"n:") {
			n, err := rdb.MemoryUsage(ctx, k).Result()
			require.NoError(t, err)
			nonceBytes += n
			nonces++
		}
	}
	require.Positive(t, nonces)
	rec, err := rdb.MemoryUsage(ctx, prefix+"c:{big}:r").Result()
	require.NoError(t, err)
	t.Logf("MEMORY USAGE: %d bytes per nonce (mean of %d); a record of 50 present members: %d bytes, %d per member",
		nonceBytes/nonces, nonces, rec, rec/50)
}
