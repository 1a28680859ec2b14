package track

import (
	"math/bits"
	"slices"
	"sync/atomic"
)

// This file holds the persistent map behind a Record's roster: hamt, a
// hash array mapped trie, seen as rosterMap (roster.go, the members by
// key); its tests see it as pmap (keys and values). Every
// update returns a new map that shares all but the changed path with the
// old one, and a map once handed out is never modified. So a conference's
// roster can be handed to a reader (a Snapshot, the context of a func) in
// O(1) while the tracker goes on changing it, each change costing
// O(log32 n) copies: one node for rooms of up to a few dozen members,
// three for ten thousand.
//
// Keys are placed by a 64-bit hash the caller supplies, five bits a level;
// below the last level (a full hash collision, never seen with real IDs but
// handled) a node is a plain list compared by key. A slot holds the hash,
// the value and a link to the next level: 24 bytes for the roster, whose
// values are *memberRec (the key is in the record), where a slot holding
// the key too was 56; a path copy at 10,000 members copies about 84 slots.
//
// Edits: an update made with edit e copies a node only if e did not make
// it, and changes a node e made in place. The Tracker takes a new edit for
// each event's working record, so the steps of one event (an enter and the
// trimming it causes, say) copy each path once, and a fresh edit after
// each record it hands to a func, so that record is never changed. Edit 0
// copies always.

// hamt is a persistent map from 64-bit hashes to values; eq, when not nil,
// tells values of the same hash apart.
type hamt[V any] struct {
	root *hnode[V]
	n    int
}

type hnode[V any] struct {
	bitmap uint32 // which of the 32 positions hold a slot; unused in a collision list
	edit   uint64 // the edit that made this node, which may change it in place
	slots  []hslot[V]
}

// hslot is an entry (child == nil) or a link to the next level.
type hslot[V any] struct {
	hash  uint64
	val   V
	child *hnode[V]
}

const pmapBits = 5

// edits numbers the edits; 0 is none.
var edits atomic.Uint64

// newEdit returns an edit no node has yet.
func newEdit() uint64 { return edits.Add(1) }

func pos(hash uint64, shift uint) uint32 { return uint32(1) << ((hash >> shift) & (1<<pmapBits - 1)) }

// Len returns the number of entries.
func (m hamt[V]) Len() int { return m.n }

func (s *hslot[V]) is(h uint64, eq func(V) bool) bool {
	return s.hash == h && (eq == nil || eq(s.val))
}

// get returns the value whose hash is h (and which eq accepts).
func (m hamt[V]) get(h uint64, eq func(V) bool) (V, bool) {
	n, shift := m.root, uint(0)
	for n != nil {
		if shift >= 64 {
			for i := range n.slots {
				if n.slots[i].is(h, eq) {
					return n.slots[i].val, true
				}
			}
			break
		}
		bit := pos(h, shift)
		if n.bitmap&bit == 0 {
			break
		}
		s := &n.slots[bits.OnesCount32(n.bitmap&(bit-1))]
		if s.child != nil {
			n, shift = s.child, shift+pmapBits
			continue
		}
		if s.is(h, eq) {
			return s.val, true
		}
		break
	}
	var zero V
	return zero, false
}

// set returns m with val (hash h) in place of the value eq accepts.
func (m hamt[V]) set(e, h uint64, val V, eq func(V) bool) hamt[V] {
	root, added := setIn(m.root, 0, e, hslot[V]{hash: h, val: val}, eq)
	if added {
		m.n++
	}
	m.root = root
	return m
}

// delete returns m without the value of hash h that eq accepts.
func (m hamt[V]) delete(e, h uint64, eq func(V) bool) hamt[V] {
	root, removed := deleteIn(m.root, 0, e, h, eq)
	if removed {
		m.n--
		m.root = root
	}
	return m
}

// each calls fn for every value, in no particular order, until fn returns
// false.
func (m hamt[V]) each(fn func(V) bool) {
	if m.root != nil {
		eachIn(m.root, fn)
	}
}

func eachIn[V any](n *hnode[V], fn func(V) bool) bool {
	for i := range n.slots {
		s := &n.slots[i]
		if s.child != nil {
			if !eachIn(s.child, fn) {
				return false
			}
		} else if !fn(s.val) {
			return false
		}
	}
	return true
}

// mutable returns n itself when edit e made it, else a copy made by e.
func (n *hnode[V]) mutable(e uint64) *hnode[V] {
	if e != 0 && n.edit == e {
		return n
	}
	return &hnode[V]{bitmap: n.bitmap, edit: e, slots: slices.Clone(n.slots)}
}

func setIn[V any](n *hnode[V], shift uint, e uint64, s hslot[V], eq func(V) bool) (*hnode[V], bool) {
	if shift >= 64 {
		if n == nil {
			return &hnode[V]{edit: e, slots: []hslot[V]{s}}, true
		}
		for i := range n.slots {
			if n.slots[i].is(s.hash, eq) {
				c := n.mutable(e)
				c.slots[i] = s
				return c, false
			}
		}
		c := n.mutable(e)
		c.slots = append(c.slots, s)
		return c, true
	}
	bit := pos(s.hash, shift)
	if n == nil {
		return &hnode[V]{bitmap: bit, edit: e, slots: []hslot[V]{s}}, true
	}
	i := bits.OnesCount32(n.bitmap & (bit - 1))
	if n.bitmap&bit == 0 {
		if e != 0 && n.edit == e {
			n.bitmap |= bit
			n.slots = slices.Insert(n.slots, i, s)
			return n, true
		}
		c := &hnode[V]{bitmap: n.bitmap | bit, edit: e, slots: make([]hslot[V], len(n.slots)+1)}
		copy(c.slots, n.slots[:i])
		c.slots[i] = s
		copy(c.slots[i+1:], n.slots[i:])
		return c, true
	}
	old := n.slots[i]
	switch {
	case old.child != nil:
		child, added := setIn(old.child, shift+pmapBits, e, s, eq)
		if child == old.child {
			return n, added // changed in place below
		}
		c := n.mutable(e)
		c.slots[i].child = child
		return c, added
	case old.is(s.hash, eq):
		c := n.mutable(e)
		c.slots[i] = s
		return c, false
	}
	c := n.mutable(e)
	c.slots[i] = hslot[V]{child: merge(shift+pmapBits, e, old, s)}
	return c, true
}

// merge makes the node holding two entries whose positions agree down to
// shift.
func merge[V any](shift uint, e uint64, a, b hslot[V]) *hnode[V] {
	if shift >= 64 {
		return &hnode[V]{edit: e, slots: []hslot[V]{a, b}}
	}
	ba, bb := pos(a.hash, shift), pos(b.hash, shift)
	switch {
	case ba == bb:
		return &hnode[V]{bitmap: ba, edit: e, slots: []hslot[V]{{child: merge(shift+pmapBits, e, a, b)}}}
	case ba < bb:
		return &hnode[V]{bitmap: ba | bb, edit: e, slots: []hslot[V]{a, b}}
	}
	return &hnode[V]{bitmap: ba | bb, edit: e, slots: []hslot[V]{b, a}}
}

// without returns n without its slot i: n itself, changed, when edit e made
// it.
func (n *hnode[V]) without(e uint64, i int, bit uint32) *hnode[V] {
	if e != 0 && n.edit == e {
		n.bitmap &^= bit
		n.slots = slices.Delete(n.slots, i, i+1)
		return n
	}
	c := &hnode[V]{bitmap: n.bitmap &^ bit, edit: e, slots: make([]hslot[V], 0, len(n.slots)-1)}
	c.slots = append(append(c.slots, n.slots[:i]...), n.slots[i+1:]...)
	return c
}

func deleteIn[V any](n *hnode[V], shift uint, e, h uint64, eq func(V) bool) (*hnode[V], bool) {
	if n == nil {
		return nil, false
	}
	if shift >= 64 {
		for i := range n.slots {
			if n.slots[i].is(h, eq) {
				if len(n.slots) == 1 {
					return nil, true
				}
				return n.without(e, i, 0), true
			}
		}
		return n, false
	}
	bit := pos(h, shift)
	if n.bitmap&bit == 0 {
		return n, false
	}
	i := bits.OnesCount32(n.bitmap & (bit - 1))
	s := n.slots[i]
	if s.child != nil {
		child, removed := deleteIn(s.child, shift+pmapBits, e, h, eq)
		if !removed {
			return n, false
		}
		if child != nil && (len(child.slots) > 1 || child.slots[0].child != nil) {
			if child == s.child {
				return n, true // changed in place below
			}
			c := n.mutable(e)
			c.slots[i].child = child
			return c, true
		}
		if child != nil {
			// One entry left below: pull it up to this level.
			c := n.mutable(e)
			c.slots[i] = child.slots[0]
			return c, true
		}
	} else if !s.is(h, eq) {
		return n, false
	}
	if len(n.slots) == 1 {
		return nil, true
	}
	return n.without(e, i, bit), true
}
