package vobizhook

import (
	"context"
	"hash/maphash"
	"strconv"
	"sync"
	"time"
)

// DefaultReplayWindow is how long a [Handler] whose ReplayWindow is zero
// remembers a handled nonce. Vobiz retries a failed callback within minutes;
// a day also turns away a late replay of a captured request. The signature
// covers no timestamp, so a replay older than the window is dispatched again:
// keep callbacks idempotent.
const DefaultReplayWindow = 24 * time.Hour

// DefaultNonceLease is how long a claim of a nonce whose callback is still
// running blocks other deliveries of it: a [Handler] answers them 503, so
// that Vobiz retries later. The claim is completed or released as soon as
// the callback returns; the lease only bounds the claim of a process that
// crashed mid-callback. A callback running longer than the lease may see a
// retry of its request dispatched concurrently.
const DefaultNonceLease = time.Minute

// DefaultMaxNonces is the number of nonces a [MemoryNonceStore] made by
// [NewMemoryNonceStore](0), and the one a [Handler] creates for itself, keeps
// at most: about 3.5 MB of heap at the cap (measured), none of it scanned by
// the garbage collector.
const DefaultMaxNonces = 100_000

// NonceState is what [NonceStore.Claim] found for a nonce.
type NonceState int

const (
	// NonceNew: the nonce was free (never claimed, released, or expired)
	// and is now claimed, in progress, by this call: act on the callback,
	// then Complete or Release the nonce.
	NonceNew NonceState = iota

	// NonceInProgress: an earlier call claimed the nonce and has neither
	// completed nor released it: its callback is still running (or its
	// process crashed, until the lease ends). Do not act on the callback;
	// ask for a retry (a Handler answers 503 with Retry-After).
	NonceInProgress

	// NonceDone: a callback with this nonce was handled successfully within
	// the replay window: a retry or a replay. Acknowledge it without acting.
	NonceDone
)

// String returns "new", "in progress" or "done".
func (s NonceState) String() string {
	switch s {
	case NonceNew:
		return "new"
	case NonceInProgress:
		return "in progress"
	case NonceDone:
		return "done"
	}
	return "NonceState(" + strconv.Itoa(int(s)) + ")"
}

// NonceStore remembers the nonces of verified callbacks so that a replayed
// or retried request is not dispatched twice. A claim has two phases:
// [Handler] claims a request's nonces (in progress, for a lease) before
// dispatching it; it completes them (done, for the replay window) when the
// callback succeeded, and releases them when it failed, so that Vobiz's
// retry is dispatched.
//
// Implementations must be safe for concurrent use, and Claim must be atomic:
// of several concurrent Claims of a free nonce, exactly one returns
// [NonceNew]. A shared store (Redis, a database) makes replay protection
// hold across several server instances; [MemoryNonceStore] protects one
// process.
//
// A Redis-backed store is a few lines (shown with github.com/redis/go-redis/v9):
//
//	type RedisNonces struct{ C *redis.Client }
//
//	func (s RedisNonces) Claim(ctx context.Context, nonce string, lease time.Duration) (vobizhook.NonceState, error) {
//		key := "vobiz:nonce:" + nonce
//		switch claimed, err := s.C.SetNX(ctx, key, "pending", lease).Result(); { // SET key pending NX PX lease
//		case err != nil:
//			return vobizhook.NonceInProgress, err
//		case claimed:
//			return vobizhook.NonceNew, nil
//		}
//		state, err := s.C.Get(ctx, key).Result()
//		if state == "done" {
//			return vobizhook.NonceDone, nil
//		}
//		if err == redis.Nil { // released or expired an instant ago
//			err = nil
//		}
//		return vobizhook.NonceInProgress, err
//	}
//
//	func (s RedisNonces) Complete(ctx context.Context, nonce string, window time.Duration) error {
//		return s.C.Set(ctx, "vobiz:nonce:"+nonce, "done", window).Err() // SET key done PX window
//	}
//
//	func (s RedisNonces) Release(ctx context.Context, nonce string) error {
//		return s.C.Del(ctx, "vobiz:nonce:"+nonce).Err()
//	}
type NonceStore interface {
	// Claim atomically looks nonce up: when it is free (absent, released or
	// expired) Claim marks it in progress for lease and returns NonceNew;
	// otherwise it returns the state found, NonceInProgress or NonceDone.
	// A non-nil error means the store could not answer; the state is then
	// ignored.
	Claim(ctx context.Context, nonce string, lease time.Duration) (NonceState, error)

	// Complete marks nonce done, remembered for window: the callback was
	// handled successfully.
	Complete(ctx context.Context, nonce string, window time.Duration) error

	// Release forgets nonce, so that the next Claim of it returns NonceNew:
	// the callback failed. Releasing a nonce that is not claimed is not an
	// error.
	Release(ctx context.Context, nonce string) error
}

// MemoryNonceStore is the in-memory [NonceStore] a [Handler] uses when its
// NonceStore is nil. It is safe for concurrent use and bounded: a claim
// expires exactly after its lease or window, and the store never holds more
// than its maximum number of nonces. At the cap, the older half of the
// claims is forgotten at once (their windows are cut short, so a replay of
// one of those requests would be dispatched again; [MemoryNonceStore.Evictions]
// counts them). Size the cap for the callbacks of one replay window: at
// 100,000 (the default) and a 24-hour window, about one callback a second
// on average. It never returns an error.
//
// Claims live in two generations of a pointer-free map: a new one is started
// every period (the longest lease or window seen), or when the current one
// holds half the cap, and the one before it is dropped whole, so expiry
// costs nothing per claim. A claim is two lookups and an insert; its
// completion one lookup and an update.
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
	period    time.Duration    // the longest lease or window seen so far
	rotated   time.Duration    // when cur was started
	evictions uint64           // live claims dropped at the cap
	cur, prev map[nonceKey]nonceEntry
}

// nonceEntry is a claim's expiry (a duration since the store's epoch)
// shifted left by one, with the low bit set once the claim is done.
type nonceEntry int64

func newNonceEntry(expiry time.Duration, done bool) nonceEntry {
	e := nonceEntry(expiry) << 1
	if done {
		e |= 1
	}
	return e
}

func (e nonceEntry) expiry() time.Duration { return time.Duration(e >> 1) }

func (e nonceEntry) state() NonceState {
	if e&1 != 0 {
		return NonceDone
	}
	return NonceInProgress
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

// Claim implements [NonceStore]. A lease of zero or less means
// [DefaultNonceLease].
func (s *MemoryNonceStore) Claim(_ context.Context, nonce string, lease time.Duration) (NonceState, error) {
	if lease <= 0 {
		lease = DefaultNonceLease
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.start(lease)
	key := s.key(nonce)
	e, inCur := s.cur[key]
	if inCur && now < e.expiry() {
		return e.state(), nil
	}
	if e, ok := s.prev[key]; ok {
		if now < e.expiry() {
			return e.state(), nil
		}
		delete(s.prev, key) // expired: renewed in cur below
	}
	s.put(key, inCur, newNonceEntry(now+lease, false), now)
	return NonceNew, nil
}

// Complete implements [NonceStore]. A window of zero or less means
// [DefaultReplayWindow]. Completing a nonce that is not claimed records it
// as done all the same.
func (s *MemoryNonceStore) Complete(_ context.Context, nonce string, window time.Duration) error {
	if window <= 0 {
		window = DefaultReplayWindow
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.start(window)
	key := s.key(nonce)
	_, inCur := s.cur[key]
	if !inCur {
		delete(s.prev, key) // claimed before the last rotation: moves to cur
	}
	s.put(key, inCur, newNonceEntry(now+window, true), now)
	return nil
}

// start initializes the store on first use, raises the rotation period to d,
// rotates the generations as time requires, and returns the time now.
func (s *MemoryNonceStore) start(d time.Duration) time.Duration {
	if s.cur == nil {
		s.epoch = s.clock()
		s.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
		s.cur = make(map[nonceKey]nonceEntry)
	}
	now := s.clock().Sub(s.epoch)
	s.period = max(s.period, d)
	s.rotate(now)
	return now
}

// put stores e under key in the current generation, starting a new one
// first when the current one is full and does not hold key already (inCur).
// The caller has removed key from the previous generation. Callers pass what
// their own lookups found, so that a claim costs three map operations and a
// completion two: on a store of 100,000 nonces each one is a cache miss.
func (s *MemoryNonceStore) put(key nonceKey, inCur bool, e nonceEntry, now time.Duration) {
	if !inCur && len(s.cur) >= s.generationCap() {
		for _, old := range s.prev {
			if now < old.expiry() {
				s.evictions++
			}
		}
		s.prev, s.cur = s.cur, make(map[nonceKey]nonceEntry, len(s.cur))
		s.rotated = now
	}
	s.cur[key] = e
}

// rotate starts a new generation once the current one is a period old, and
// drops both when even the newer is: every claim in a dropped generation was
// made (or last renewed) more than a period ago, so it has expired.
func (s *MemoryNonceStore) rotate(now time.Duration) {
	switch age := now - s.rotated; {
	case age >= 2*s.period:
		if len(s.cur) > 0 || len(s.prev) > 0 {
			s.prev, s.cur = nil, make(map[nonceKey]nonceEntry)
		}
		s.rotated = now
	case age >= s.period:
		s.prev, s.cur = s.cur, make(map[nonceKey]nonceEntry, len(s.cur))
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

// Evictions reports how many claims the store has dropped before their lease
// or window ended, because it reached its cap. A replay of one of those
// requests would be dispatched again: if it keeps growing, raise the cap
// (about 35 bytes a nonce) or use a shared store.
func (s *MemoryNonceStore) Evictions() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evictions
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
