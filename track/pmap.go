package track

import "math/bits"

// pmap is a persistent hash map (a hash array mapped trie): every update
// returns a new map that shares all but the changed path with the old one,
// and a map once built is never modified. So a conference's roster can be
// handed to a reader (a Snapshot, the context of a func) in O(1) while the
// tracker goes on changing it, each change costing O(log32 n) copies: one
// node for rooms of up to a few dozen members, three for ten thousand.
//
// Keys are placed by a 64-bit hash the caller supplies, five bits a level;
// below the last level (a full hash collision, never seen with real IDs but
// handled) a node is a plain list compared by key.
type pmap[K comparable, V any] struct {
	root *pnode[K, V]
	n    int
}

type pnode[K comparable, V any] struct {
	bitmap uint32 // which of the 32 positions hold a slot; unused in a collision list
	slots  []pslot[K, V]
}

// pslot is an entry (child == nil) or a link to the next level.
type pslot[K comparable, V any] struct {
	hash  uint64
	key   K
	val   V
	child *pnode[K, V]
}

const pmapBits = 5

func pos(hash uint64, shift uint) uint32 { return uint32(1) << ((hash >> shift) & (1<<pmapBits - 1)) }

// Len returns the number of entries.
func (m pmap[K, V]) Len() int { return m.n }

// Get returns the value for key, whose hash is h.
func (m pmap[K, V]) Get(h uint64, key K) (V, bool) {
	n, shift := m.root, uint(0)
	for n != nil {
		if shift >= 64 {
			for i := range n.slots {
				if n.slots[i].key == key {
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
		if s.hash == h && s.key == key {
			return s.val, true
		}
		break
	}
	var zero V
	return zero, false
}

// Set returns m with key (hash h) mapped to val.
func (m pmap[K, V]) Set(h uint64, key K, val V) pmap[K, V] {
	root, added := setIn(m.root, 0, pslot[K, V]{hash: h, key: key, val: val})
	if added {
		m.n++
	}
	m.root = root
	return m
}

// Delete returns m without key (hash h).
func (m pmap[K, V]) Delete(h uint64, key K) pmap[K, V] {
	root, removed := deleteIn(m.root, 0, h, key)
	if removed {
		m.n--
		m.root = root
	}
	return m
}

// Range calls fn for every entry, in no particular order, until fn returns
// false.
func (m pmap[K, V]) Range(fn func(K, V) bool) {
	if m.root != nil {
		rangeIn(m.root, fn)
	}
}

func rangeIn[K comparable, V any](n *pnode[K, V], fn func(K, V) bool) bool {
	for i := range n.slots {
		s := &n.slots[i]
		if s.child != nil {
			if !rangeIn(s.child, fn) {
				return false
			}
		} else if !fn(s.key, s.val) {
			return false
		}
	}
	return true
}

func (n *pnode[K, V]) clone() *pnode[K, V] {
	return &pnode[K, V]{bitmap: n.bitmap, slots: append([]pslot[K, V](nil), n.slots...)}
}

func setIn[K comparable, V any](n *pnode[K, V], shift uint, e pslot[K, V]) (*pnode[K, V], bool) {
	if shift >= 64 {
		if n == nil {
			return &pnode[K, V]{slots: []pslot[K, V]{e}}, true
		}
		for i := range n.slots {
			if n.slots[i].key == e.key {
				c := n.clone()
				c.slots[i] = e
				return c, false
			}
		}
		c := n.clone()
		c.slots = append(c.slots, e)
		return c, true
	}
	bit := pos(e.hash, shift)
	if n == nil {
		return &pnode[K, V]{bitmap: bit, slots: []pslot[K, V]{e}}, true
	}
	i := bits.OnesCount32(n.bitmap & (bit - 1))
	if n.bitmap&bit == 0 {
		c := &pnode[K, V]{bitmap: n.bitmap | bit, slots: make([]pslot[K, V], len(n.slots)+1)}
		copy(c.slots, n.slots[:i])
		c.slots[i] = e
		copy(c.slots[i+1:], n.slots[i:])
		return c, true
	}
	s := n.slots[i]
	c := n.clone()
	switch {
	case s.child != nil:
		child, added := setIn(s.child, shift+pmapBits, e)
		c.slots[i].child = child
		return c, added
	case s.hash == e.hash && s.key == e.key:
		c.slots[i] = e
		return c, false
	}
	c.slots[i] = pslot[K, V]{child: merge(shift+pmapBits, s, e)}
	return c, true
}

// merge makes the node holding two entries whose positions agree down to
// shift.
func merge[K comparable, V any](shift uint, a, b pslot[K, V]) *pnode[K, V] {
	if shift >= 64 {
		return &pnode[K, V]{slots: []pslot[K, V]{a, b}}
	}
	ba, bb := pos(a.hash, shift), pos(b.hash, shift)
	switch {
	case ba == bb:
		return &pnode[K, V]{bitmap: ba, slots: []pslot[K, V]{{child: merge(shift+pmapBits, a, b)}}}
	case ba < bb:
		return &pnode[K, V]{bitmap: ba | bb, slots: []pslot[K, V]{a, b}}
	}
	return &pnode[K, V]{bitmap: ba | bb, slots: []pslot[K, V]{b, a}}
}

func deleteIn[K comparable, V any](n *pnode[K, V], shift uint, h uint64, key K) (*pnode[K, V], bool) {
	if n == nil {
		return nil, false
	}
	if shift >= 64 {
		for i := range n.slots {
			if n.slots[i].key == key {
				if len(n.slots) == 1 {
					return nil, true
				}
				c := &pnode[K, V]{slots: make([]pslot[K, V], 0, len(n.slots)-1)}
				c.slots = append(append(c.slots, n.slots[:i]...), n.slots[i+1:]...)
				return c, true
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
		child, removed := deleteIn(s.child, shift+pmapBits, h, key)
		if !removed {
			return n, false
		}
		if child != nil && (len(child.slots) > 1 || child.slots[0].child != nil) {
			c := n.clone()
			c.slots[i].child = child
			return c, true
		}
		if child != nil {
			// One entry left below: pull it up to this level.
			c := n.clone()
			c.slots[i] = child.slots[0]
			return c, true
		}
	} else if s.hash != h || s.key != key {
		return n, false
	}
	if len(n.slots) == 1 {
		return nil, true
	}
	c := &pnode[K, V]{bitmap: n.bitmap &^ bit, slots: make([]pslot[K, V], 0, len(n.slots)-1)}
	c.slots = append(append(c.slots, n.slots[:i]...), n.slots[i+1:]...)
	return c, true
}
