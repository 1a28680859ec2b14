package genset

// Table is Set's semantics (two generations of values keyed by 128-bit
// keyed hashes) on flat open-addressing tables instead of Go maps: each
// generation is one slice of slots, probed linearly from the slot the key's
// second word picks, so a lookup touches one or two adjacent cache lines
// where a large Go map touches its directory, a table header, a control
// word and a slot. A rotation clears the dropped generation's slots and
// reuses them for the new one, so a Table at its size allocates nothing.
// MemoryNonceStore keeps its claims in one: at its cap of 100,000 nonces,
// a claim and its completion went from about 580 ns on two Go maps to
// about 120 ns (BENCHMARKS.md).
//
// A table grows (doubling) when a generation would fill more than 13/16 of
// its slots; Reserve sizes it ahead. Keys are never zero (Key sets a bit),
// so a zero slot is free. Deletion shifts the following entries of the run
// back (Knuth's algorithm R), so no tombstones accumulate.
type Table[V any] struct {
	seeds     seeds
	cur, prev table[V]
	reserve   int // slots for a new generation
}

type table[V any] struct {
	slots []slot[V]
	n     int
}

type slot[V any] struct {
	k Key
	v V
}

// Key returns s's key in this table: never the zero Key.
func (t *Table[V]) Key(s string) Key { return t.seeds.key(s) }

// Reserve sizes the tables of later generations for n entries each, and
// the current one if it is smaller.
func (t *Table[V]) Reserve(n int) {
	t.reserve = slotsFor(n)
	if len(t.cur.slots) < t.reserve {
		t.cur.resize(t.reserve)
	}
}

// Get returns k's value, whether it was found, and whether it is in the
// current generation.
func (t *Table[V]) Get(k Key) (v V, found, inCur bool) {
	if i, ok := t.cur.find(k); ok {
		return t.cur.slots[i].v, true, true
	}
	if i, ok := t.prev.find(k); ok {
		return t.prev.slots[i].v, true, false
	}
	return v, false, false
}

// Put stores v under k in the current generation. It does not remove k from
// the previous one: callers that found it there delete it first.
func (t *Table[V]) Put(k Key, v V) { t.cur.put(k, v, t.reserve) }

// DeletePrev removes k from the previous generation.
func (t *Table[V]) DeletePrev(k Key) { t.prev.delete(k) }

// Delete removes k from both generations.
func (t *Table[V]) Delete(k Key) {
	t.cur.delete(k)
	t.prev.delete(k)
}

// CurLen is the number of entries in the current generation.
func (t *Table[V]) CurLen() int { return t.cur.n }

// Len is the number of entries in both generations.
func (t *Table[V]) Len() int { return t.cur.n + t.prev.n }

// Rotate starts a new current generation in the slots of the previous
// one, which it drops, first calling dropped (if not nil) with each of its
// values, for its owner to count what it loses.
func (t *Table[V]) Rotate(dropped func(V)) {
	old := t.prev
	if dropped != nil && old.n > 0 {
		for i := range old.slots {
			if old.slots[i].k != (Key{}) {
				dropped(old.slots[i].v)
			}
		}
	}
	clear(old.slots)
	old.n = 0
	want := max(t.reserve, len(t.cur.slots))
	if len(old.slots) != want {
		old.slots = make([]slot[V], want)
	}
	t.prev, t.cur = t.cur, old
}

// Clear drops both generations and frees their memory.
func (t *Table[V]) Clear() { t.cur, t.prev = table[V]{}, table[V]{} }

// minSlots is the size of a table's first slice.
const minSlots = 16

// slotsFor returns the power of two of slots that holds n entries below
// the growth threshold.
func slotsFor(n int) int {
	s := minSlots
	for s*13/16 < n {
		s *= 2
	}
	return s
}

func (t *table[V]) mask() uint64 { return uint64(len(t.slots) - 1) }

// find returns the index of k's slot, or of the free slot that ends its
// run, and whether k was found. A table without slots finds nothing (-1).
func (t *table[V]) find(k Key) (int, bool) {
	if len(t.slots) == 0 {
		return -1, false
	}
	m := t.mask()
	for i := k[1] & m; ; i = (i + 1) & m {
		s := &t.slots[i].k
		if s[0] == k[0] && s[1] == k[1] {
			return int(i), true
		}
		if s[0] == 0 {
			return int(i), false
		}
	}
}

func (t *table[V]) put(k Key, v V, reserve int) {
	i, found := t.find(k)
	if found {
		t.slots[i].v = v
		return
	}
	if i < 0 || (t.n+1)*16 > len(t.slots)*13 {
		t.resize(max(reserve, slotsFor(t.n+1), 2*len(t.slots)))
		i, _ = t.find(k)
	}
	t.slots[i] = slot[V]{k, v}
	t.n++
}

func (t *table[V]) resize(size int) {
	old := t.slots
	t.slots, t.n = make([]slot[V], size), 0
	for i := range old {
		if old[i].k != (Key{}) {
			j, _ := t.find(old[i].k)
			t.slots[j] = old[i]
			t.n++
		}
	}
}

// delete removes k, shifting back the entries after it in its run that
// may move: those whose home slot is not between the hole and themselves.
func (t *table[V]) delete(k Key) {
	hole, found := t.find(k)
	if !found {
		return
	}
	m := t.mask()
	i := uint64(hole)
	for j := (i + 1) & m; t.slots[j].k != (Key{}); j = (j + 1) & m {
		home := t.slots[j].k[1] & m
		// The entry at j stays when its home is in the cyclic range (i, j].
		if i <= j && i < home && home <= j || i > j && (home > i || home <= j) {
			continue
		}
		t.slots[i] = t.slots[j]
		i = j
	}
	t.slots[i] = slot[V]{}
	t.n--
}
