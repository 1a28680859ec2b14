package track

import (
	"math/bits"
	"slices"
)

// rosterMap holds a conference's member records by key: a hamt of
// *memberRec, each record holding its own key.
type rosterMap struct {
	hamt[*memberRec]
}

// Get returns the record of k, whose hash is h. It is hamt.get with the
// key compared in line: the roster's lookups are on every event's path.
func (m rosterMap) Get(h uint64, k memberKey) (*memberRec, bool) {
	n, shift := m.root, uint(0)
	for n != nil {
		if shift >= 64 {
			for i := range n.slots {
				if s := &n.slots[i]; s.hash == h && s.val.key == k {
					return s.val, true
				}
			}
			return nil, false
		}
		bit := pos(h, shift)
		if n.bitmap&bit == 0 {
			return nil, false
		}
		s := &n.slots[bits.OnesCount32(n.bitmap&(bit-1))]
		if s.child != nil {
			n, shift = s.child, shift+pmapBits
			continue
		}
		if s.hash == h && s.val.key == k {
			return s.val, true
		}
		return nil, false
	}
	return nil, false
}

// setIn returns m with rec (its key's hash h) in place of the record of
// its key, by edit e.
func (m rosterMap) setIn(e, h uint64, rec *memberRec) rosterMap {
	k := rec.key
	return rosterMap{m.set(e, h, rec, func(r *memberRec) bool { return r.key == k })}
}

// deleteIn returns m without the record of k (hash h), by edit e.
func (m rosterMap) deleteIn(e, h uint64, k memberKey) rosterMap {
	return rosterMap{m.delete(e, h, func(r *memberRec) bool { return r.key == k })}
}

// Range calls fn for every record, with its key, until fn returns false.
func (m rosterMap) Range(fn func(memberKey, *memberRec) bool) {
	m.each(func(r *memberRec) bool { return fn(r.key, r) })
}

// pastQueue orders the past records by when they became past, oldest
// first, for trimming: a persistent queue (a list to pop from and a list,
// newest first, to push onto, turned over when the first runs out), so
// that pushing and popping cost O(1) allocations amortized, whatever the
// room's size, where an index of the past by sequence number cost a path
// copy each. The Tracker's records form one line of versions (each
// commit builds on the last), so a turn-over is paid once.
type pastQueue struct {
	front, back *pastEntry
	n           int
}

type pastEntry struct {
	seq  uint64
	key  memberKey
	next *pastEntry
}

// Len returns the number of entries.
func (q pastQueue) Len() int { return q.n }

func (q pastQueue) push(seq uint64, k memberKey) pastQueue {
	q.back = &pastEntry{seq: seq, key: k, next: q.back}
	q.n++
	return q
}

// pop returns the oldest entry and the queue without it; ok is false when
// the queue is empty.
func (q pastQueue) pop() (seq uint64, k memberKey, rest pastQueue, ok bool) {
	if q.front == nil {
		for e := q.back; e != nil; e = e.next {
			q.front = &pastEntry{seq: e.seq, key: e.key, next: q.front}
		}
		q.back = nil
	}
	if q.front == nil {
		return 0, memberKey{}, q, false
	}
	e := q.front
	q.front = e.next
	q.n--
	return e.seq, e.key, q, true
}

// pastQueueOf builds the queue of recs, the past records, in the order of
// their pastSeq.
func pastQueueOf(recs []*memberRec) pastQueue {
	slices.SortFunc(recs, func(a, b *memberRec) int {
		switch {
		case a.pastSeq < b.pastSeq:
			return -1
		case a.pastSeq > b.pastSeq:
			return 1
		}
		return 0
	})
	var q pastQueue
	for i := len(recs) - 1; i >= 0; i-- {
		q.front = &pastEntry{seq: recs[i].pastSeq, key: recs[i].key, next: q.front}
	}
	q.n = len(recs)
	return q
}
