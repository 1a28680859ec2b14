package vobizhook

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/vobizhook/vobizhook/internal/genset"
)

// Defaults of replay protection.
const (
	// DefaultReplayWindow is how long a handled nonce is remembered. The
	// signature covers no time, so an older replay is dispatched again.
	DefaultReplayWindow = 24 * time.Hour
	// DefaultNonceLease is how long the claim of a callback still running
	// blocks its copies (503); it bounds the claim of a crashed process.
	DefaultNonceLease = time.Minute
	// DefaultMaxNonces is the cap of a default MemoryNonceStore: about 4 MB.
	DefaultMaxNonces = 100_000
)

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

// NonceStore remembers the nonces of verified callbacks, so that a replay
// or a retry of a handled one is not dispatched again. A claim has two
// phases: claimed (in progress, for a lease) before dispatch, then
// completed (done, for the replay window) when the callback succeeded or
// released when it failed, so that Vobiz's retry is dispatched. Each claim
// carries a token, and a store acts on a claim only with its token.
//
// Implementations must be safe for concurrent use and atomic per nonce.
// [MemoryNonceStore] protects one process, redisstore's store several;
// vobizhooktest.TestNonceStore checks an implementation of your own.
type NonceStore interface {
	// Claim marks a free nonce (absent, released or expired) in progress
	// for lease, held by token, and returns NonceNew; so it does, renewing
	// the lease, when token already holds it (a client library that re-sent
	// the call after a dropped connection must not lock out its own
	// caller). Otherwise it returns the state found and changes nothing. On
	// an error the state is ignored, and the caller releases the nonce
	// with token: the claim may have been made with its answer lost.
	Claim(ctx context.Context, nonce string, token uint64, lease time.Duration) (NonceState, error)

	// Complete marks nonce done for window: a success. It does so also
	// when the claim expired or another holds it: a success is never lost.
	Complete(ctx context.Context, nonce string, token uint64, window time.Duration) error

	// Release forgets nonce only while it is in progress and held by
	// token (the callback failed); anything else is left as it is.
	Release(ctx context.Context, nonce string, token uint64) error
}

// MemoryNonceStore is the in-memory [NonceStore] of a Handler whose
// NonceStore is nil: one process's, safe for concurrent use, never failing.
// It holds at most its cap of nonces; at the cap the older half is
// forgotten at once (a replay of one of those would be dispatched again;
// Evictions counts them), so size it for one replay window of callbacks:
// the default 100,000 over 24 hours is about one a second. The zero value
// is ready, with the default cap; do not copy a store in use.
type MemoryNonceStore struct {
	mu        sync.Mutex
	max       int
	now       func() time.Time // nil means time.Now; set by tests
	started   bool
	epoch     time.Time     // times are kept as durations since the first claim
	period    time.Duration // the longest lease or window seen so far
	rotated   time.Duration // when the current generation was started
	evictions uint64        // live claims dropped at the cap
	set       genset.Table[nonceEntry]
}

// This file's design: claims live in two generations of pointer-free flat
// hash tables (internal/genset's Table). A new generation is started every
// period (the longest lease or window seen), or when the current one holds
// half the cap, and the one before it is dropped whole, so expiry costs
// nothing per claim. A claim looks its key up in both generations and
// writes it into the current one; its completion rewrites the same slot,
// still in cache. A Handler's claims (nonces.go) take a path of their own
// here: the keys are hashed once per request and reused by the completion
// or release, and the nonces of one request are claimed under one lock.
// The clock is read once per operation, monotonic only (time.Since of the
// epoch: one vDSO call where time.Now makes two).

// nonceEntry is a claim: its expiry (a duration since the store's epoch)
// shifted left by one, with the low bit set once the claim is done, and the
// token that holds it.
type nonceEntry struct {
	exp   int64
	token uint64
}

func newNonceEntry(expiry time.Duration, done bool, token uint64) nonceEntry {
	e := int64(expiry) << 1
	if done {
		e |= 1
	}
	return nonceEntry{exp: e, token: token}
}

func (e nonceEntry) expiry() time.Duration { return time.Duration(e.exp >> 1) }

func (e nonceEntry) state() NonceState {
	if e.exp&1 != 0 {
		return NonceDone
	}
	return NonceInProgress
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
func (s *MemoryNonceStore) Claim(_ context.Context, nonce string, token uint64, lease time.Duration) (NonceState, error) {
	if lease <= 0 {
		lease = DefaultNonceLease
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.start(lease)
	return s.claimLocked(s.set.Key(nonce), token, lease, now), nil
}

func (s *MemoryNonceStore) claimLocked(key genset.Key, token uint64, lease, now time.Duration) NonceState {
	e, found, inCur := s.set.Get(key)
	if found && now < e.expiry() && (e.state() != NonceInProgress || e.token != token) {
		return e.state()
	}
	if found && !inCur {
		s.set.DeletePrev(key) // expired, or renewed by its holder: put in cur below
	}
	s.put(key, inCur, newNonceEntry(now+lease, false, token), now)
	return NonceNew
}

// Complete implements [NonceStore]. A window of zero or less means
// [DefaultReplayWindow].
func (s *MemoryNonceStore) Complete(_ context.Context, nonce string, token uint64, window time.Duration) error {
	if window <= 0 {
		window = DefaultReplayWindow
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.start(window)
	s.completeLocked(s.set.Key(nonce), token, window, now)
	return nil
}

func (s *MemoryNonceStore) completeLocked(key genset.Key, token uint64, window, now time.Duration) {
	e, found, inCur := s.set.Get(key)
	if found && now < e.expiry() && e.state() == NonceDone {
		return
	}
	if found && !inCur {
		s.set.DeletePrev(key) // claimed before the last rotation: moves to cur
	}
	s.put(key, inCur, newNonceEntry(now+window, true, token), now)
}

// Release implements [NonceStore].
func (s *MemoryNonceStore) Release(_ context.Context, nonce string, token uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return nil
	}
	s.releaseLocked(s.set.Key(nonce), token)
	return nil
}

func (s *MemoryNonceStore) releaseLocked(key genset.Key, token uint64) {
	if e, found, _ := s.set.Get(key); found && e.state() == NonceInProgress && e.token == token {
		s.set.Delete(key)
	}
}

// start initializes the store on first use, raises the rotation period to d,
// rotates the generations as time requires, and returns the time now.
func (s *MemoryNonceStore) start(d time.Duration) time.Duration {
	if !s.started {
		s.started = true
		s.epoch = s.clock()
		s.set.Reserve(s.generationCap())
	}
	now := s.sinceEpoch()
	s.period = max(s.period, d)
	switch age := now - s.rotated; {
	case age >= 2*s.period:
		// Every claim in both generations was made (or last renewed) more
		// than a period ago: all have expired.
		s.set.Clear()
		s.rotated = now
	case age >= s.period:
		s.set.Rotate(nil)
		s.rotated = now
	}
	return now
}

// put stores e under key in the current generation, starting a new one
// first when the current one is full and does not hold key already (inCur).
// The caller has removed key from the previous generation.
func (s *MemoryNonceStore) put(key genset.Key, inCur bool, e nonceEntry, now time.Duration) {
	if !inCur && s.set.CurLen() >= s.generationCap() {
		s.set.Rotate(func(old nonceEntry) {
			if now < old.expiry() {
				s.evictions++
			}
		})
		s.rotated = now
	}
	s.set.Put(key, e)
}

// Evictions reports how many claims the store has dropped before their lease
// or window ended, because it reached its cap. A replay of one of those
// requests would be dispatched again: if it keeps growing, raise the cap
// (about 40 bytes a nonce) or use a shared store.
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
	return s.set.Len()
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

// sinceEpoch is the store's time now. Without a test clock it reads only
// the monotonic clock, as time.Now().Sub(epoch) would have.
func (s *MemoryNonceStore) sinceEpoch() time.Duration {
	if s.now != nil {
		return s.now().Sub(s.epoch)
	}
	return time.Since(s.epoch)
}

// The path of Nonces.Claim and its Claim's Complete and Release on a
// MemoryNonceStore: keys hashed once, all of a request's nonces under one
// lock, all claimed or none.

// claimNonces claims the nonces of n for token, and returns NonceNew when
// it claimed them all, with their keys; otherwise the state of the first
// that was not free, with none of them claimed.
func (s *MemoryNonceStore) claimNonces(n Nonces, token uint64, lease time.Duration) (NonceState, nonceKeys) {
	if lease <= 0 {
		lease = DefaultNonceLease
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.start(lease)
	var keys nonceKeys
	for _, nonce := range [...]string{n.V3, n.V2} {
		if nonce == "" {
			continue
		}
		k := s.set.Key(nonce)
		if st := s.claimLocked(k, token, lease, now); st != NonceNew {
			for _, done := range keys.list() {
				s.releaseLocked(done, token)
			}
			return st, nonceKeys{}
		}
		keys.k[keys.n] = k
		keys.n++
	}
	return NonceNew, keys
}

// nonceKeys are the keys of a request's nonces in a MemoryNonceStore.
type nonceKeys struct {
	k [2]genset.Key
	n int
}

func (k *nonceKeys) list() []genset.Key { return k.k[:k.n] }

func (s *MemoryNonceStore) completeKeys(keys []genset.Key, token uint64, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.start(window)
	for _, k := range keys {
		s.completeLocked(k, token, window, now)
	}
}

func (s *MemoryNonceStore) releaseKeys(keys []genset.Key, token uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		s.releaseLocked(k, token)
	}
}
