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
// at most: about 4 MB of heap at the cap (measured), none of it scanned by
// the garbage collector.
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
// expires exactly after its window, and the store never holds more than its
// maximum number of nonces. At the cap, the older half of the claims is
// forgotten at once (their windows are cut short, so a replay of one of those
// requests would be dispatched again); size the cap for the traffic of one
// window. It never returns an error.
//
// Claims live in two generations of a pointer-free map: a new one is started
// every window (or when the current one holds half the cap), and the one
// before it is dropped whole, so expiry and eviction cost nothing per claim.
// A claim is two lookups and an insert.
//
// It protects one process only; behind several replicas, use a shared store.
// Create one with [NewMemoryNonceStore]; the zero value is also ready to use,
// with a cap of [DefaultMaxNonces]. Do not copy a store once it is in use.
type MemoryNonceStore struct {
	mu        sync.Mutex
	max       int
	now       func() time.Time // nil means time.Now; set by tests
	epoch     time.Time        // times are kept as durations since the first claim
	seeds     [2]maphash.Seed  // key the 128-bit hashes nonces are stored as
	period    time.Duration    // the longest window claimed so far
	rotated   time.Duration    // when cur was started
	cur, prev map[nonceKey]time.Duration
}

// nonceKey is a nonce as a 128-bit keyed hash. Keys and values hold no
// pointers, so the garbage collector never scans the (large) maps and the
// request's nonce strings are not retained. With random seeds, a false match
// among DefaultMaxNonces entries has a probability near 2^-94.
type nonceKey [2]uint64

func (s *MemoryNonceStore) key(nonce string) nonceKey {
	return nonceKey{maphash.String(s.seeds[0], nonce), maphash.String(s.seeds[1], nonce)}
}

// NewMemoryNonceStore returns an empty store that keeps at most maxEntries
// nonces (at least 2); zero or negative means [DefaultMaxNonces].
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
	if s.cur == nil {
		s.epoch = s.clock()
		s.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
		s.cur = make(map[nonceKey]time.Duration)
	}
	now := s.clock().Sub(s.epoch)
	s.period = max(s.period, window)
	s.rotate(now)
	key := s.key(nonce)
	if exp, ok := s.cur[key]; ok && now < exp {
		return false, nil
	}
	if exp, ok := s.prev[key]; ok && now < exp {
		return false, nil
	}
	delete(s.prev, key) // an expired claim being renewed
	if len(s.cur) >= s.generationCap() {
		s.prev, s.cur = s.cur, make(map[nonceKey]time.Duration, len(s.cur))
		s.rotated = now
	}
	s.cur[key] = now + window
	return true, nil
}

// rotate starts a new generation once the current one is a period old, and
// drops both when even the newer is: every claim in a dropped generation was
// made more than a period ago, so it has expired.
func (s *MemoryNonceStore) rotate(now time.Duration) {
	switch age := now - s.rotated; {
	case age >= 2*s.period:
		if len(s.cur) > 0 || len(s.prev) > 0 {
			s.prev, s.cur = nil, make(map[nonceKey]time.Duration)
		}
		s.rotated = now
	case age >= s.period:
		s.prev, s.cur = s.cur, make(map[nonceKey]time.Duration, len(s.cur))
		s.rotated = now
	}
}

// Release implements [NonceStore].
func (s *MemoryNonceStore) Release(_ context.Context, nonce string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil {
		key := s.key(nonce)
		delete(s.cur, key)
		delete(s.prev, key)
	}
	return nil
}

// Len reports how many nonces the store holds, expired ones not yet dropped
// included. Use it for metrics.
func (s *MemoryNonceStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cur) + len(s.prev)
}

// generationCap is half the cap: two full generations hold at most the cap.
func (s *MemoryNonceStore) generationCap() int {
	return max(1, s.limit()/2)
}

func (s *MemoryNonceStore) limit() int {
	if s.max > 0 {
		return max(2, s.max)
	}
	return DefaultMaxNonces
}

func (s *MemoryNonceStore) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}
