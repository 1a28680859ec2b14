package track

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vobizhook/vobizhook/internal/genset"
)

// MemoryStore is the [Store] of one process, the default of a [Tracker]
// whose Store is nil. Records are kept by pointer, so reads and commits
// cost no encoding. It is bounded: at most Limits.MaxConferences
// conferences, live and ended, the one that ended longest ago evicted to
// admit a new one; ended conferences dropped after Retention by Expire. A
// dropped conference's UUID is remembered, as a 16-byte hash, until at
// least MaxConferences more conferences have been dropped after it (under 1
// MB at the default cap), so a late retry for it gets [ErrForgotten].
//
// A conference is admitted at its first commit: an event whose first func
// fails (OnStart failing, say) leaves nothing behind, so failures cannot
// fill the store. Use one MemoryStore per Tracker, or share one between
// Trackers of one process; the zero value is ready to use.
type MemoryStore struct {
	// mu guards confs, all, holes, seq and forgotten; commits do not
	// take it.
	mu    sync.RWMutex
	confs map[string]*memConf
	// all holds the same conferences in the order they came (by seq), for
	// walking in batches; removed ones stay in it until compacted.
	all       []*memConf
	holes     int    // the removed conferences still in all
	seq       uint64 // the seq of the newest conference
	forgotten genset.Set[struct{}]

	// ended lists the conferences in the order they ended, for eviction
	// and expiry; entries already removed are skipped and dropped lazily.
	endedMu sync.Mutex
	ended   []*memConf

	watchMu  sync.Mutex                 // serializes changes to the list of watchers
	watchers atomic.Pointer[[]*watcher] // copy on write: commits read it without a lock
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// memConf is one conference: its turn (a channel of one slot), its
// committed record, and the bookkeeping of its place in the store.
type memConf struct {
	uuid    string
	turn    chan struct{}
	rec     atomic.Pointer[Record]
	refs    atomic.Int32 // callers holding or waiting for the turn
	removed atomic.Bool  // dropped from the map: acquirers must look up again
	queued  bool         // in the ended queue; guarded by the turn
	seq     uint64       // its place in all: increasing in the order conferences came
}

type watcher struct {
	deliver func(Change)
}

// sweepBatch is how many conferences a sweep looks at per hold of the
// global lock.
const sweepBatch = 256

// Acquire implements [Store].
func (s *MemoryStore) Acquire(ctx context.Context, uuid string, now time.Time, lim Limits) (Turn, error) {
	for {
		c, err := s.lookupOrCreate(uuid, lim)
		if err != nil {
			return nil, err
		}
		select {
		case c.turn <- struct{}{}:
		default:
			select {
			case c.turn <- struct{}{}:
			case <-ctx.Done():
				s.unref(c)
				return nil, fmt.Errorf("track: waiting for another event of the conference: %w", context.Cause(ctx))
			}
		}
		if !c.removed.Load() {
			return &memTurn{s: s, c: c}, nil
		}
		<-c.turn
		c.refs.Add(-1)
	}
}

func (s *MemoryStore) lookupOrCreate(uuid string, lim Limits) (*memConf, error) {
	s.mu.RLock()
	c := s.confs[uuid]
	if c != nil {
		c.refs.Add(1)
	}
	s.mu.RUnlock()
	if c != nil {
		return c, nil
	}
	s.mu.Lock()
	if c = s.confs[uuid]; c != nil {
		c.refs.Add(1)
		s.mu.Unlock()
		return c, nil
	}
	if s.forgotten.Has(s.forgotten.Key(uuid)) {
		s.mu.Unlock()
		return nil, ErrForgotten
	}
	var evicted *memConf
	if n := len(s.confs); n >= max(1, lim.MaxConferences) {
		if evicted = s.evictEndedLocked(lim); evicted == nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("%w: %d conferences tracked (MaxConferences), none ended", ErrTrackerFull, n)
		}
	}
	if s.confs == nil {
		s.confs = make(map[string]*memConf)
	}
	s.compactLocked()
	// A copy: the event's strings share its request's body, which would
	// stay in memory as long as the conference.
	uuid = strings.Clone(uuid)
	s.seq++
	c = &memConf{uuid: uuid, turn: make(chan struct{}, 1), seq: s.seq}
	c.refs.Add(1)
	s.confs[uuid] = c
	s.all = append(s.all, c)
	s.mu.Unlock()
	if evicted != nil {
		s.announceRemoved(evicted)
	}
	return c, nil
}

// unref drops a caller's reference to c, and c itself when it holds no
// record and nobody else wants it: a conference whose first event never
// committed leaves nothing behind.
func (s *MemoryStore) unref(c *memConf) {
	if c.refs.Add(-1) > 0 || c.rec.Load() != nil {
		return
	}
	s.mu.Lock()
	if c.refs.Load() == 0 && c.rec.Load() == nil && !c.removed.Load() {
		s.removeLocked(c, 0)
	}
	s.mu.Unlock()
}

// removeLocked drops c from the store; s.mu must be held exclusively, and
// c's turn held or c unused. With remember > 0, its UUID is remembered
// until at least remember more conferences were dropped.
func (s *MemoryStore) removeLocked(c *memConf, remember int) {
	if c.removed.Swap(true) {
		return // already dropped (an eviction and an expiry both took it)
	}
	if s.confs[c.uuid] == c {
		delete(s.confs, c.uuid)
	}
	s.holes++
	s.compactLocked()
	if remember > 0 {
		s.forgotten.Add(s.forgotten.Key(c.uuid), struct{}{}, remember)
	}
}

// evictEndedLocked drops the conference that ended first and can be taken
// now (no event of it is being applied), if any. s.mu must be held
// exclusively. It walks the queue of ended conferences from its head, so it
// costs nothing per tracked conference.
func (s *MemoryStore) evictEndedLocked(lim Limits) *memConf {
	s.endedMu.Lock()
	defer s.endedMu.Unlock()
	s.compactHeadLocked()
	for i, c := range s.ended {
		if c.removed.Load() || !tryTurn(c) {
			continue
		}
		s.removeLocked(c, max(1, lim.MaxConferences))
		<-c.turn
		if i == 0 {
			s.ended[0] = nil
			s.ended = s.ended[1:]
		}
		return c
	}
	return nil
}

func (s *MemoryStore) compactHeadLocked() {
	for len(s.ended) > 0 && s.ended[0].removed.Load() {
		s.ended[0] = nil
		s.ended = s.ended[1:]
	}
}

func tryTurn(c *memConf) bool {
	select {
	case c.turn <- struct{}{}:
		return true
	default:
		return false
	}
}

// Load implements [Store].
func (s *MemoryStore) Load(_ context.Context, uuid string) (*Record, error) {
	s.mu.RLock()
	c := s.confs[uuid]
	s.mu.RUnlock()
	if c == nil {
		return nil, nil
	}
	return c.rec.Load(), nil
}

// Range implements [Store]. It holds the global lock only to list the
// conferences, in batches.
func (s *MemoryStore) Range(_ context.Context, fn func(*Record) bool) error {
	s.each(func(c *memConf) bool {
		if rec := c.rec.Load(); rec != nil {
			return fn(rec)
		}
		return true
	})
	return nil
}

// compactLocked drops the removed conferences from all once they are half
// of it; s.mu must be held exclusively. It keeps the order, so that all
// stays sorted by seq and a walk resumes after the last conference it saw
// (by seq, not by index): a walk never misses a conference that was there
// throughout, nor sees one twice, however all changes under it.
func (s *MemoryStore) compactLocked() {
	if s.holes == 0 || 2*s.holes < len(s.all) {
		return
	}
	kept := slices.DeleteFunc(s.all, func(c *memConf) bool { return c.removed.Load() })
	clear(s.all[len(kept):])
	s.all, s.holes = kept, 0
}

// each calls fn for every conference, holding the read lock for at most
// sweepBatch of them at a time. A conference there throughout is seen
// once; one added or removed meanwhile may be seen or not.
func (s *MemoryStore) each(fn func(*memConf) bool) {
	var batch [sweepBatch]*memConf
	var last uint64 // the seq of the last conference seen
	for {
		s.mu.RLock()
		next, _ := slices.BinarySearchFunc(s.all, last+1, func(c *memConf, seq uint64) int { return cmp.Compare(c.seq, seq) })
		n := copy(batch[:], s.all[next:])
		s.mu.RUnlock()
		if n == 0 {
			return
		}
		last = batch[n-1].seq
		for _, c := range batch[:n] {
			if !c.removed.Load() && !fn(c) {
				return
			}
		}
		if n < sweepBatch {
			return
		}
	}
}

// snapshots returns a snapshot of every conference (liveOnly: of those
// not ended), in a slice counted first, so that Tracker.Conferences and
// Live allocate only their result. A conference committed between the
// count and the copy may be left out or make the slice grow.
func (s *MemoryStore) snapshots(liveOnly bool) []Snapshot {
	keep := func(rec *Record) bool { return rec != nil && !(liveOnly && rec.m.ended) }
	n := 0
	s.each(func(c *memConf) bool {
		if keep(c.rec.Load()) {
			n++
		}
		return true
	})
	out := make([]Snapshot, 0, n)
	s.each(func(c *memConf) bool {
		if rec := c.rec.Load(); keep(rec) {
			out = append(out, rec.Snapshot())
		}
		return true
	})
	return out
}

// Idle implements [Store].
func (s *MemoryStore) Idle(_ context.Context, before time.Time) ([]string, error) {
	var out []string
	s.each(func(c *memConf) bool {
		if rec := c.rec.Load(); rec != nil && !rec.m.ended && !rec.m.lastActive.After(before) {
			out = append(out, c.uuid)
		}
		return true
	})
	return out, nil
}

// Expire implements [Store]: it drops the ended conferences whose
// Retention has passed, oldest first, taking the global lock once per
// conference dropped.
func (s *MemoryStore) Expire(_ context.Context, now time.Time, lim Limits) error {
	defer s.compactEnded()
	if lim.Retention < 0 {
		return nil
	}
	for {
		s.endedMu.Lock()
		s.compactHeadLocked()
		var c *memConf
		if len(s.ended) > 0 {
			c = s.ended[0]
		}
		s.endedMu.Unlock()
		if c == nil {
			return nil
		}
		rec := c.rec.Load()
		if now.Sub(rec.m.endedLocal) < lim.Retention {
			return nil
		}
		if !tryTurn(c) {
			return nil // an event of it is being applied; next time
		}
		s.mu.Lock()
		s.removeLocked(c, max(1, lim.MaxConferences))
		s.mu.Unlock()
		<-c.turn
		s.announceRemoved(c)
	}
}

// compactEnded drops removed conferences from the ended queue, so that it
// does not keep their memory alive.
func (s *MemoryStore) compactEnded() {
	s.endedMu.Lock()
	defer s.endedMu.Unlock()
	kept := s.ended[:0]
	for _, c := range s.ended {
		if !c.removed.Load() {
			kept = append(kept, c)
		}
	}
	clear(s.ended[len(kept):])
	s.ended = kept
}

func (s *MemoryStore) announceRemoved(c *memConf) {
	rec := c.rec.Load()
	ch := Change{Kind: ChangeRemoved, ConferenceUUID: c.uuid}
	if rec != nil {
		ch.ConferenceName, ch.At = rec.m.name, rec.m.endedAt
	}
	s.deliver([]Change{ch})
}

// Watch implements [Store]. The memory store never loses a change: lost
// is never called.
func (s *MemoryStore) Watch(deliver func(Change), _ func()) (stop func()) {
	w := &watcher{deliver: deliver}
	s.watchMu.Lock()
	s.setWatchers(append(s.currentWatchers(), w))
	s.watchMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.watchMu.Lock()
			defer s.watchMu.Unlock()
			var kept []*watcher
			for _, x := range s.currentWatchers() {
				if x != w {
					kept = append(kept, x)
				}
			}
			s.setWatchers(kept)
		})
	}
}

func (s *MemoryStore) currentWatchers() []*watcher {
	if p := s.watchers.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *MemoryStore) setWatchers(ws []*watcher) { s.watchers.Store(&ws) }

func (s *MemoryStore) deliver(changes []Change) {
	ws := s.currentWatchers()
	for _, ch := range changes {
		for _, w := range ws {
			w.deliver(ch)
		}
	}
}

// memTurn is a held turn of the memory store.
type memTurn struct {
	s        *MemoryStore
	c        *memConf
	released bool
}

func (t *memTurn) Record() *Record { return t.c.rec.Load() }

func (t *memTurn) Commit(_ context.Context, rec *Record, changes []Change) error {
	if t.released { // given back (or committed): another may hold the turn now
		return fmt.Errorf("%w: track: the turn was already given back", ErrTurnLost)
	}
	c := t.c
	c.rec.Store(rec)
	if rec.m.ended && !c.queued {
		c.queued = true
		t.s.endedMu.Lock()
		t.s.ended = append(t.s.ended, c)
		t.s.endedMu.Unlock()
	}
	t.s.deliver(changes)
	t.Release()
	return nil
}

func (t *memTurn) Release() {
	if t.released {
		return
	}
	t.released = true
	<-t.c.turn
	t.s.unref(t.c)
}
