package vobizhook

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// DefaultReplayWindow is how long a [Handler] whose ReplayWindow is zero
// remembers a handled nonce. Vobiz retries a failed callback within minutes;
// a day also turns away a late replay of a captured request. The signature
// covers no timestamp, so a replay older than the window is dispatched again:
// keep callbacks idempotent.
const DefaultReplayWindow = 24 * time.Hour

// DefaultMaxNonces is the number of nonces a [MemoryNonceStore] made by
// [NewMemoryNonceStore](0), and the one a [Handler] creates for itself, keeps
// at most: up to about 17 MB of heap at the cap (measured), none of it scanned
// by the garbage collector.
const DefaultMaxNonces = 100_000

// NonceStore remembers the nonces of verified callbacks so that a replayed
// or retried request is not dispatched twice. [Handler] claims a request's
// nonces before dispatching it and releases them when the callback fails, so
// that Vobiz's retry is dispatched.
//
// Implementations must be safe for concurrent use, and Claim must be atomic:
// of several concurrent Claims of one nonce, exactly one reports true.
// A shared store (Redis, a database) makes replay protection hold across
// several server instances; [MemoryNonceStore] protects one process.
//
// A Redis-backed store is a few lines (shown with github.com/redis/go-redis/v9):
//
//	type RedisNonces struct{ C *redis.Client }
//
//	func (s RedisNonces) Claim(ctx context.Context, nonce string, window time.Duration) (bool, error) {
//		return s.C.SetNX(ctx, "vobiz:nonce:"+nonce, 1, window).Result() // SET key 1 NX EX window
//	}
//
//	func (s RedisNonces) Release(ctx context.Context, nonce string) error {
//		return s.C.Del(ctx, "vobiz:nonce:"+nonce).Err()
//	}
type NonceStore interface {
	// Claim records nonce for window and reports whether this call claimed
	// it: false means it is already claimed (and neither released nor
	// expired). A non-nil error means the store could not answer.
	Claim(ctx context.Context, nonce string, window time.Duration) (claimed bool, err error)

	// Release forgets nonce, so that the next Claim of it succeeds. Releasing
	// a nonce that is not claimed is not an error.
	Release(ctx context.Context, nonce string) error
}

// MemoryNonceStore is the in-memory [NonceStore] a [Handler] uses when its
// NonceStore is nil. It is safe for concurrent use and bounded: a claim
// expires after its window, and when the store holds its maximum number of
// nonces, a new claim evicts the oldest one (whose window is cut short, so a
// replay of that request would be dispatched again). It never returns an
// error.
//
// It protects one process only; behind several replicas, use a shared store.
// Create one with [NewMemoryNonceStore]; the zero value is also ready to use,
// with a cap of [DefaultMaxNonces]. Do not copy a store once it is in use.
type MemoryNonceStore struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time // nil means time.Now; set by tests
	epoch time.Time        // times are kept as durations since the first claim
	seq   uint64           // numbers claims, to tell a live queue entry from a stale one
	seeds [2]maphash.Seed  // key the 128-bit hashes nonces are stored as
	byKey map[nonceKey]nonceSlot
	queue []queuedNonce // claims in order; queue[head:] are pending
	head  int
}

// nonceKey is a nonce as a 128-bit keyed hash. Keys and queue entries hold
// no pointers, so the garbage collector never scans the (large) map and the
// request's nonce strings are not retained. With random seeds, a false match
// among DefaultMaxNonces entries has a probability near 2^-94.
type nonceKey [2]uint64

func (s *MemoryNonceStore) key(nonce string) nonceKey {
	return nonceKey{maphash.String(s.seeds[0], nonce), maphash.String(s.seeds[1], nonce)}
}

type nonceSlot struct {
	expires time.Duration // since epoch
	seq     uint64
}

type queuedNonce struct {
	key     nonceKey
	expires time.Duration
	seq     uint64
}

// NewMemoryNonceStore returns an empty store that keeps at most maxEntries
// nonces; zero or negative means [DefaultMaxNonces].
func NewMemoryNonceStore(maxEntries int) *MemoryNonceStore {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxNonces
	}
	return &MemoryNonceStore{max: maxEntries}
}

// Claim implements [NonceStore]. A window of zero or less claims nothing and
// reports true.
func (s *MemoryNonceStore) Claim(_ context.Context, nonce string, window time.Duration) (bool, error) {
	if window <= 0 {
		return true, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byKey == nil {
		s.byKey = make(map[nonceKey]nonceSlot)
		s.epoch = s.clock()
		s.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	}
	key := s.key(nonce)
	now := s.clock().Sub(s.epoch)
	s.expire(now)
	if slot, ok := s.byKey[key]; ok {
		// Windows can differ between calls, so this claim may be expired
		// even though an older one is still at the front of the queue.
		if now < slot.expires {
			return false, nil
		}
		delete(s.byKey, key) // its queue entry is stale now
	}
	for len(s.byKey) >= s.limit() {
		s.evictOldest()
	}
	s.seq++
	s.byKey[key] = nonceSlot{expires: now + window, seq: s.seq}
	s.queue = append(s.queue, queuedNonce{key: key, expires: now + window, seq: s.seq})
	s.compact()
	return true, nil
}

// Release implements [NonceStore].
func (s *MemoryNonceStore) Release(_ context.Context, nonce string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byKey != nil {
		delete(s.byKey, s.key(nonce)) // its queue entry is stale now
	}
	return nil
}

// Len reports how many nonces the store holds, expired ones not yet swept
// included. Use it for metrics.
func (s *MemoryNonceStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byKey)
}

func (s *MemoryNonceStore) live(q queuedNonce) bool {
	slot, ok := s.byKey[q.key]
	return ok && slot.seq == q.seq
}

// expire drops expired and released claims from the front. With one window
// for all claims, as a Handler uses, insertion order is expiry order and this
// sweeps every expired claim.
func (s *MemoryNonceStore) expire(now time.Duration) {
	for s.head < len(s.queue) {
		q := s.queue[s.head]
		live := s.live(q)
		if live && now < q.expires {
			return
		}
		if live {
			delete(s.byKey, q.key)
		}
		s.pop()
	}
}

// evictOldest removes the oldest live claim, at the cap.
func (s *MemoryNonceStore) evictOldest() {
	for s.head < len(s.queue) {
		q := s.queue[s.head]
		s.pop()
		if s.live(q) {
			delete(s.byKey, q.key)
			return
		}
	}
}

func (s *MemoryNonceStore) pop() {
	s.head++
}

// compact keeps the queue's memory proportional to the live claims: it drops
// the popped prefix once it is half the queue, and the stale entries of
// released claims once they outnumber the cap.
func (s *MemoryNonceStore) compact() {
	pending := len(s.queue) - s.head
	switch {
	case s.head > 1024 && s.head > pending:
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue, s.head = s.queue[:n], 0
	case pending > 2*s.limit():
		n := 0
		for _, q := range s.queue[s.head:] {
			if s.live(q) {
				s.queue[n] = q
				n++
			}
		}
		clear(s.queue[n:])
		s.queue, s.head = s.queue[:n], 0
	}
}

func (s *MemoryNonceStore) limit() int {
	if s.max > 0 {
		return s.max
	}
	return DefaultMaxNonces
}

func (s *MemoryNonceStore) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}
