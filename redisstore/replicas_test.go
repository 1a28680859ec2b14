package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
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

const (
	replicaToken = "replica-test-token"
	publicURL    = "https://app.example/conference-events" // what Vobiz signs; the replicas sit behind it
)

// lifecycle is the user's side of every replica (they share this
// process): the successful func calls per conference, and whether two
// funcs of one conference ever ran at the same time, on any replicas.
type lifecycle struct {
	mu      sync.Mutex
	calls   map[string]map[vobizhook.Action]int
	running map[string]bool
	overlap atomic.Bool
	faults  atomic.Int32
	inject  bool
}

func newLifecycle(inject bool) *lifecycle {
	return &lifecycle{calls: map[string]map[vobizhook.Action]int{}, running: map[string]bool{}, inject: inject}
}

// count returns how many times the func of action ran for conference uuid.
func (l *lifecycle) count(uuid string, action vobizhook.Action) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls[uuid][action]
}

// snapshot returns the calls of conference uuid, by action.
func (l *lifecycle) snapshot(uuid string) map[vobizhook.Action]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.calls[uuid])
}

func (l *lifecycle) fn(a vobizhook.Action) func(context.Context, vobizhook.ConferenceEvent) error {
	return func(_ context.Context, ev vobizhook.ConferenceEvent) error {
		l.mu.Lock()
		if l.running[ev.ConferenceUUID] {
			l.overlap.Store(true)
		}
		l.running[ev.ConferenceUUID] = true
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			l.running[ev.ConferenceUUID] = false
			l.mu.Unlock()
		}()
		if l.inject {
			switch rand.IntN(40) {
			case 0, 1:
				l.faults.Add(1)
				return errors.New("injected: database unavailable")
			case 2:
				l.faults.Add(1)
				panic("injected: bug in user code")
			}
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.calls[ev.ConferenceUUID] == nil {
			l.calls[ev.ConferenceUUID] = map[vobizhook.Action]int{}
		}
		l.calls[ev.ConferenceUUID][a]++
		return nil
	}
}

// replica is one server of the deployment: its own Redis client, Store,
// Tracker, Handler and HTTP server.
type replica struct {
	rdb     redis.UniversalClient
	store   *redisstore.Store
	tracker *track.Tracker
	handler *vobizhook.Handler
	srv     *httptest.Server
	down    atomic.Bool
}

func newReplica(t testing.TB, addrs []string, prefix string, life *lifecycle, opt redisstore.Options) *replica {
	opt.Prefix = prefix
	rdb := newClient(t, addrs...)
	s := redisstore.New(rdb, opt)
	r := &replica{rdb: rdb, store: s}
	r.tracker = &track.Tracker{Store: s.Conferences(), OnIdleEnd: life.fn(vobizhook.ActionEnd), Logger: slog.New(slog.DiscardHandler)}
	r.handler = &vobizhook.Handler{
		Verifier:   &vobizhook.Verifier{AuthTokens: []string{replicaToken}, CallbackURL: publicURL},
		NonceStore: s.Nonces(),
		Tracker:    r.tracker,
		OnStart:    life.fn(vobizhook.ActionStart), OnEnter: life.fn(vobizhook.ActionEnter),
		OnExit: life.fn(vobizhook.ActionExit), OnEnd: life.fn(vobizhook.ActionEnd),
		Logger: slog.New(slog.DiscardHandler),
	}
	r.srv = httptest.NewServer(r.handler)
	t.Cleanup(r.srv.Close)
	return r
}

// send delivers r to replica rep as Vobiz would: the request signed for
// publicURL, sent to the replica's own address.
func send(client *http.Client, rep *replica, r *http.Request) (int, error) {
	req, err := vobizhooktest.ClientRequest(r)
	if err != nil {
		return 0, err
	}
	target, _ := url.Parse(rep.srv.URL + "/conference-events")
	req.URL, req.Host = target, target.Host
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Several replicas, one truth: thousands of shuffled, duplicated signed
// deliveries spread at random over three replicas sharing one Redis (or
// one Cluster), funcs failing and panicking now and then (and Vobiz
// retrying, on any replica), one replica stopped mid-run. Every count is
// exact: OnStart and OnEnd once per conference, OnEnter and OnExit once per
// member, never two funcs of one conference at once; and every replica
// reads, and a subscriber on any of them receives, what all committed.
func TestReplicasShareOneTruth(t *testing.T) {
	topologies(t, func(t *testing.T, addrs []string) {
		confs := 100
		if testing.Short() {
			confs = 20
		}
		life := newLifecycle(true)
		prefix := fmt.Sprintf("rep%d:", prefixes.Add(1))
		reps := []*replica{
			newReplica(t, addrs, prefix, life, redisstore.Options{}),
			newReplica(t, addrs, prefix, life, redisstore.Options{}),
			newReplica(t, addrs, prefix, life, redisstore.Options{}),
		}
		sub, cancel := reps[0].tracker.Subscribe(1 << 14)
		defer cancel()

		var queue []*http.Request
		participants := map[string]int{}
		for c := range confs {
			sc := vobizhooktest.Scenario{Room: fmt.Sprint("room-", c), Participants: 2 + c%7, Seed: int64(c) + 1, Shuffle: true, Duplicates: 0.3}
			reqs := sc.MustRequests(t, vobizhooktest.WithURL(publicURL), vobizhooktest.WithAuthToken(replicaToken))
			events := sc.MustEvents(t)
			participants[events[0].ConferenceUUID] = sc.Participants
			queue = append(queue, reqs...)
		}
		rand.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
		require.Greater(t, len(queue), 10*confs)

		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
		var next, done atomic.Int64
		var stopOnce sync.Once
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < len(queue); i = int(next.Add(1)) - 1 {
					for attempt := 0; ; attempt++ {
						if attempt > 300 {
							t.Errorf("delivery %d never answered 200", i)
							return
						}
						rep := reps[rand.IntN(len(reps))]
						if rep.down.Load() {
							continue
						}
						if code, err := send(client, rep, queue[i]); err == nil && code == http.StatusOK {
							break
						}
						time.Sleep(time.Duration(2+rand.IntN(10)) * time.Millisecond) // Vobiz's backoff, shortened
					}
					if done.Add(1) == int64(len(queue)*2/5) {
						stopOnce.Do(func() { // a replica goes away mid-run (a deploy)
							reps[2].down.Store(true)
							reps[2].srv.Close() // in-flight requests finish
						})
					}
				}
			}()
		}
		wg.Wait()

		assert.False(t, life.overlap.Load(), "two funcs of one conference ran at the same time")
		assert.Positive(t, life.faults.Load(), "faults were injected")
		for uuid, n := range participants {
			assert.Equal(t, map[vobizhook.Action]int{vobizhook.ActionStart: 1, vobizhook.ActionEnter: n, vobizhook.ActionExit: n, vobizhook.ActionEnd: 1},
				life.calls[uuid], "conference %s", uuid)
		}
		for _, rep := range reps[:2] {
			all, err := rep.tracker.Conferences(context.Background())
			require.NoError(t, err)
			assert.Len(t, all, confs, "every replica reads every conference")
			live, err := rep.tracker.Live(context.Background())
			require.NoError(t, err)
			assert.Empty(t, live)
			for _, c := range all {
				assert.True(t, c.Ended, c.UUID)
				assert.Len(t, c.Past(), participants[c.UUID], c.UUID)
			}
		}
		started := 0
		deadline := time.After(10 * time.Second)
		for started < confs {
			select {
			case ch := <-sub:
				require.Zero(t, ch.Dropped, "the subscriber kept up")
				if ch.Kind == track.ChangeStarted {
					started++
				}
			case <-deadline:
				t.Fatalf("the subscriber on replica 0 saw %d of %d conferences start", started, confs)
			}
		}
	})
}
