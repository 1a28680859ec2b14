package vobizhook

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/vobizhook/vobizhook/internal/genset"
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
// [NewMemoryNonceStore](0), and the one a [Handler] creates for itself,
// keeps at most: about 4 MB of heap at the cap.
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
// or retried request is not dispatched twice. A claim has two phases: a
// [Handler] claims a request's nonces (in progress, for a lease) before
// dispatching it; it completes them (done, for the replay window) when the
// callback succeeded, and releases them when it failed, so that Vobiz's
// retry is dispatched. Each claim carries a token chosen by the caller, and
// a store acts on a claim only with its token: compare and set.
//
// Implementations must be safe for concurrent use and atomic per nonce: of
// several concurrent Claims of a free nonce, exactly one returns
// [NonceNew]. [MemoryNonceStore] protects one process; a shared store
// (package redisstore's, a database's) makes the protection hold across
// replicas. vobizhooktest.TestNonceStore checks an implementation against
// this contract.
type NonceStore interface {
	// Claim atomically looks nonce up: when it is free (absent, released or
	// expired) Claim marks it in progress for lease, held by token, and
	// returns NonceNew; otherwise it returns the state found,
	// NonceInProgress or NonceDone, and changes nothing. A non-nil error
	// means the store could not answer; the state is then ignored.
	Claim(ctx context.Context, nonce string, token uint64, lease time.Duration) (NonceState, error)

	// Complete marks nonce done, remembered for window: the callback of the
	// claim held by token was handled successfully. A success is never
	// lost: Complete marks the nonce done also when the claim expired or
	// another claim holds it now; a nonce already done stays done.
	Complete(ctx context.Context, nonce string, token uint64, window time.Duration) error

	// Release forgets nonce if, and only if, it is in progress and held by
	// token, so that the next Claim of it returns NonceNew: the callback
	// failed. Anything else (a nonce done, expired, or claimed again by
	// another token after this one's lease) is left as it is, and is not an
	// error.
	Release(ctx context.Context, nonce string, token uint64) error
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
// It protects one process only; behind several replicas, use a shared store.
// Create one with [NewMemoryNonceStore]; the zero value is also ready to use,
// with a cap of [DefaultMaxNonces]. Do not copy a store once it is in use.
type MemoryNonceStore struct {
	mu        sync.Mutex
	max       int
	now       func() time.Time // nil means time.Now; set by tests
	started   bool
	epoch     time.Time     // times are kept as durations since the first claim
	period    time.Duration // the longest lease or window seen so far
	rotated   time.Duration // when the current generation was started
	evictions uint64        // live claims dropped at the cap
	set       genset.Set[nonceEntry]
}

// This file's design: claims live in two generations of a pointer-free map
// (internal/genset). A new generation is started every period (the longest
// lease or window seen), or when the current one holds half the cap, and
// the one before it is dropped whole, so expiry costs nothing per claim. A
// claim is three map operations and its completion two; on a store of
// 100,000 nonces each one is a cache miss (see BENCHMARKS.md).

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
	key := s.set.Key(nonce)
	e, found, inCur := s.set.Get(key)
	if found && now < e.expiry() {
		return e.state(), nil
	}
	if found && !inCur {
		s.set.DeletePrev(key) // expired: renewed in cur below
	}
	s.put(key, inCur, newNonceEntry(now+lease, false, token), now)
	return NonceNew, nil
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
	key := s.set.Key(nonce)
	e, found, inCur := s.set.Get(key)
	if found && now < e.expiry() && e.state() == NonceDone {
		return nil
	}
	if found && !inCur {
		s.set.DeletePrev(key) // claimed before the last rotation: moves to cur
	}
	s.put(key, inCur, newNonceEntry(now+window, true, token), now)
	return nil
}

// Release implements [NonceStore].
func (s *MemoryNonceStore) Release(_ context.Context, nonce string, token uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return nil
	}
	key := s.set.Key(nonce)
	if e, found, _ := s.set.Get(key); found && e.state() == NonceInProgress && e.token == token {
		s.set.Delete(key)
	}
	return nil
}

// start initializes the store on first use, raises the rotation period to d,
// rotates the generations as time requires, and returns the time now.
func (s *MemoryNonceStore) start(d time.Duration) time.Duration {
	if !s.started {
		s.started = true
		s.epoch = s.clock()
	}
	now := s.clock().Sub(s.epoch)
	s.period = max(s.period, d)
	switch age := now - s.rotated; {
	case age >= 2*s.period:
		// Every claim in both generations was made (or last renewed) more
		// than a period ago: all have expired.
		s.set.Clear()
		s.rotated = now
	case age >= s.period:
		s.set.Rotate()
		s.rotated = now
	}
	return now
}

// put stores e under key in the current generation, starting a new one
// first when the current one is full and does not hold key already (inCur).
// The caller has removed key from the previous generation.
func (s *MemoryNonceStore) put(key genset.Key, inCur bool, e nonceEntry, now time.Duration) {
	if !inCur && s.set.CurLen() >= s.generationCap() {
		for _, old := range s.set.Rotate() {
			if now < old.expiry() {
				s.evictions++
			}
		}
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
