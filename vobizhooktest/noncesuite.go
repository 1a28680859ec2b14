package vobizhooktest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vobizhook/vobizhook"
)

// TestNonceStore runs the contract of vobizhook.NonceStore against the
// stores newStore returns (a fresh, empty one per call): claims and their
// states, tokens (a claim completes or releases only what it holds),
// leases and replay windows that expire, atomic claims under concurrency,
// and a Handler that dispatches a replayed callback once. Call it from a
// test of your own store (a Postgres or DynamoDB one, say); the memory
// store and package redisstore's pass it.
//
// It takes about two seconds: expiry is checked with leases and windows of
// 200 milliseconds of real time, so a store must honour durations of that
// order (redisstore uses PX milliseconds).
func TestNonceStore(t *testing.T, newStore func(t *testing.T) vobizhook.NonceStore) {
	t.Helper()
	for _, tc := range nonceCases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, &nonceSuite{t: t, s: newStore(t), prefix: strconv.FormatInt(time.Now().UnixNano(), 36) + "-"})
		})
	}
}

type nonceSuite struct {
	t      *testing.T
	s      vobizhook.NonceStore
	prefix string // keeps nonces distinct across runs against a shared store
}

const suiteShort = 200 * time.Millisecond

func (n *nonceSuite) nonce(s string) string { return n.prefix + s }

func (n *nonceSuite) claim(nonce string, token uint64, lease time.Duration) vobizhook.NonceState {
	n.t.Helper()
	st, err := n.s.Claim(context.Background(), n.nonce(nonce), token, lease)
	if err != nil {
		n.t.Fatalf("Claim(%s): %v", nonce, err)
	}
	return st
}

func (n *nonceSuite) want(nonce string, token uint64, want vobizhook.NonceState, why string) {
	n.t.Helper()
	if got := n.claim(nonce, token, time.Minute); got != want {
		n.t.Errorf("Claim(%s) = %v, want %v: %s", nonce, got, want, why)
	}
}

func (n *nonceSuite) complete(nonce string, token uint64, window time.Duration) {
	n.t.Helper()
	if err := n.s.Complete(context.Background(), n.nonce(nonce), token, window); err != nil {
		n.t.Fatalf("Complete(%s): %v", nonce, err)
	}
}

func (n *nonceSuite) release(nonce string, token uint64) {
	n.t.Helper()
	if err := n.s.Release(context.Background(), n.nonce(nonce), token); err != nil {
		n.t.Fatalf("Release(%s): %v", nonce, err)
	}
}

// eventually polls claim(nonce) until it returns want, for up to 5 s.
func (n *nonceSuite) eventually(nonce string, token uint64, want vobizhook.NonceState, why string) {
	n.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := n.s.Claim(context.Background(), n.nonce(nonce), token, time.Minute)
		if err == nil && st == want {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("Claim(%s) = %v, %v after 5 s, want %v: %s", nonce, st, err, want, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var nonceCases = []struct {
	name string
	run  func(t *testing.T, n *nonceSuite)
}{
	{"states", func(t *testing.T, n *nonceSuite) {
		n.want("a", 1, vobizhook.NonceNew, "first claim")
		n.want("a", 2, vobizhook.NonceInProgress, "claimed, not completed")
		n.want("a", 1, vobizhook.NonceNew, "claimed again by its own token: a retried call, still its claim")
		n.want("a", 2, vobizhook.NonceInProgress, "still held")
		n.want("b", 3, vobizhook.NonceNew, "another nonce is independent")
		n.complete("a", 1, time.Hour)
		n.want("a", 4, vobizhook.NonceDone, "completed")
	}},
	{"release frees only its own claim", func(t *testing.T, n *nonceSuite) {
		n.want("a", 1, vobizhook.NonceNew, "first claim")
		n.release("a", 2)
		n.want("a", 3, vobizhook.NonceInProgress, "a release with another token changes nothing")
		n.release("a", 1)
		n.want("a", 4, vobizhook.NonceNew, "released by its holder: free again")
		n.release("never-claimed", 5) // not an error
	}},
	{"release never undoes a success", func(t *testing.T, n *nonceSuite) {
		n.want("a", 1, vobizhook.NonceNew, "first claim")
		n.complete("a", 1, time.Hour)
		n.release("a", 1)
		n.want("a", 2, vobizhook.NonceDone, "done stays done after its holder's release")
	}},
	{"a success is recorded whoever holds the claim", func(t *testing.T, n *nonceSuite) {
		// Delivery 1 outlived its lease; delivery 2 claimed again; 1 then
		// succeeded: the success counts, and 2's later release keeps it.
		n.want("a", 1, vobizhook.NonceNew, "first claim")
		n.release("a", 1)
		n.want("a", 2, vobizhook.NonceNew, "second claim")
		n.complete("a", 1, time.Hour)
		n.release("a", 2)
		n.want("a", 3, vobizhook.NonceDone, "done, whatever claim held it")
		n.complete("never-claimed", 4, time.Hour)
		n.want("never-claimed", 5, vobizhook.NonceDone, "Complete without a claim records the success")
	}},
	{"leases and windows expire", func(t *testing.T, n *nonceSuite) {
		if n.claim("lease", 1, suiteShort) != vobizhook.NonceNew {
			t.Fatal("first claim of a fresh nonce is not NonceNew")
		}
		n.want("lease", 2, vobizhook.NonceInProgress, "inside the lease")
		n.eventually("lease", 2, vobizhook.NonceNew, "a claim whose holder crashed frees after its lease")
		n.want("window", 1, vobizhook.NonceNew, "first claim")
		n.complete("window", 1, suiteShort)
		n.want("window", 2, vobizhook.NonceDone, "inside the window")
		n.eventually("window", 3, vobizhook.NonceNew, "a replay older than the window is new again")
	}},
	{"a re-claim by its own token renews the lease", func(t *testing.T, n *nonceSuite) {
		n.claim("renew", 1, suiteShort)
		if n.claim("renew", 1, time.Minute) != vobizhook.NonceNew {
			t.Fatal("a claim again by its own token is not NonceNew")
		}
		time.Sleep(2 * suiteShort)
		n.want("renew", 2, vobizhook.NonceInProgress, "the lease renewed to a minute still holds past the first one")
	}},
	{"long leases and windows hold", func(t *testing.T, n *nonceSuite) {
		n.claim("long-lease", 1, time.Minute)
		n.complete("long-window", 1, time.Hour)
		time.Sleep(2 * suiteShort) // longer than a store with one fixed short TTL keeps anything
		n.want("long-lease", 2, vobizhook.NonceInProgress, "a one-minute lease, a moment later")
		n.want("long-window", 2, vobizhook.NonceDone, "a one-hour window, a moment later")
	}},
	{"nonces differing in case are distinct", func(t *testing.T, n *nonceSuite) {
		n.want("abcDEF", 1, vobizhook.NonceNew, "first claim")
		n.want("ABCdef", 2, vobizhook.NonceNew, "another nonce (a case-insensitive collation would collide)")
	}},
	{"done stays done for its own token", func(t *testing.T, n *nonceSuite) {
		n.want("d", 1, vobizhook.NonceNew, "first claim")
		n.complete("d", 1, time.Hour)
		n.want("d", 1, vobizhook.NonceDone, "claimed again by the token that completed it")
		n.release("d", 1)
		n.want("d", 2, vobizhook.NonceDone, "and that token's release does not undo it")
	}},
	{"claims are atomic", func(t *testing.T, n *nonceSuite) {
		const goroutines, nonces = 16, 20
		var wins [nonces]atomic.Int32
		var errs atomic.Int32
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range nonces {
					st, err := n.s.Claim(context.Background(), n.nonce("c"+strconv.Itoa(i)), uint64(g+1), time.Minute)
					if err != nil {
						errs.Add(1)
					} else if st == vobizhook.NonceNew {
						wins[i].Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if errs.Load() > 0 {
			t.Fatalf("%d claims failed", errs.Load())
		}
		for i := range wins {
			if w := wins[i].Load(); w != 1 {
				t.Errorf("nonce %d: %d concurrent claims returned NonceNew, want exactly 1", i, w)
			}
		}
	}},
	{"a Handler dispatches a replay once", func(t *testing.T, n *nonceSuite) {
		const token, url = "suite-token", "https://app.example/conference-events"
		var calls atomic.Int32
		h := &vobizhook.Handler{
			Verifier:   &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: url},
			NonceStore: n.s,
			Logger:     slog.New(slog.DiscardHandler),
			OnEnter:    func(context.Context, vobizhook.ConferenceEvent) error { calls.Add(1); return nil },
		}
		ev := vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, ConferenceUUID: "u", CallUUID: "c", CurrentSize: -1}
		r, err := NewRequest(ev, WithURL(url), WithAuthToken(token), WithNonce(n.nonce("handler")))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			req := r.Clone(r.Context())
			if req.Body, err = r.GetBody(); err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("delivery %d: status %d", i, w.Code)
			}
		}
		if c := calls.Load(); c != 1 {
			t.Errorf("OnEnter ran %d times for one callback delivered 3 times, want 1", c)
		}
	}},
}
