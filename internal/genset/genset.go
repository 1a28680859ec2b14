// Package genset is a bounded map keyed by 128-bit keyed hashes of strings,
// kept in two generations. It is the memory behind vobizhook's
// MemoryNonceStore (nonces and their claims) and track's memory of dropped
// conferences.
//
// Keys are two maphash sums of the string under random per-set seeds (one
// bit of the first fixed): the maps or slots hold no pointers when V holds
// none, so the garbage collector never scans them and no request memory is
// retained; a false match among a million entries has a probability near
// 2^-87. Expiry costs nothing per entry: the owner calls Rotate, and the
// previous generation is dropped whole.
//
// Set keeps the generations in Go maps; Table (table.go) in flat
// open-addressing tables, for the owner whose lookups are its hot path.
//
// A Set or a Table is not safe for concurrent use; its owner locks around it (the
// unlocked core under a locked wrapper, as hashicorp/golang-lru does).
package genset

import "hash/maphash"

// Key is a string as a 128-bit keyed hash.
type Key [2]uint64

// Set maps keys to values in two generations, cur and prev. The zero value
// is ready to use.
type Set[V any] struct {
	seeds     seeds
	cur, prev map[Key]V
}

// seeds are a set's two random hash seeds, made on first use.
type seeds struct {
	s  [2]maphash.Seed
	ok bool
}

// key hashes s under both seeds. The first word has its low bit set, so
// that no key is zero (a Table's free slot).
func (sd *seeds) key(s string) Key {
	if !sd.ok {
		sd.s = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
		sd.ok = true
	}
	return Key{maphash.String(sd.s[0], s) | 1, maphash.String(sd.s[1], s)}
}

// Key returns s's key in this set.
func (g *Set[V]) Key(s string) Key { return g.seeds.key(s) }

// Get returns k's value, whether it was found, and whether it is in the
// current generation.
func (g *Set[V]) Get(k Key) (v V, found, inCur bool) {
	if v, ok := g.cur[k]; ok {
		return v, true, true
	}
	v, ok := g.prev[k]
	return v, ok, false
}

// Has reports whether k is in either generation.
func (g *Set[V]) Has(k Key) bool {
	_, found, _ := g.Get(k)
	return found
}

// Put stores v under k in the current generation. It does not remove k from
// the previous one: callers that found it there delete it first.
func (g *Set[V]) Put(k Key, v V) {
	if g.cur == nil {
		g.cur = make(map[Key]V)
	}
	g.cur[k] = v
}

// DeletePrev removes k from the previous generation.
func (g *Set[V]) DeletePrev(k Key) { delete(g.prev, k) }

// Delete removes k from both generations.
func (g *Set[V]) Delete(k Key) {
	delete(g.cur, k)
	delete(g.prev, k)
}

// CurLen is the number of entries in the current generation.
func (g *Set[V]) CurLen() int { return len(g.cur) }

// Len is the number of entries in both generations.
func (g *Set[V]) Len() int { return len(g.cur) + len(g.prev) }

// Rotate starts a new current generation, sized like the one it replaces;
// the previous generation is dropped and returned, for its owner to count
// what it loses.
func (g *Set[V]) Rotate() (dropped map[Key]V) {
	dropped = g.prev
	g.prev, g.cur = g.cur, make(map[Key]V, len(g.cur))
	return dropped
}

// Clear drops both generations.
func (g *Set[V]) Clear() {
	if len(g.cur) > 0 || len(g.prev) > 0 {
		g.prev, g.cur = nil, make(map[Key]V)
	}
}

// Add puts k in the current generation as a set member, rotating first when
// the current generation already holds limit entries: so k is remembered
// until at least limit more keys were added after it.
func (g *Set[V]) Add(k Key, v V, limit int) {
	if _, ok := g.cur[k]; !ok && len(g.cur) >= max(1, limit) {
		g.Rotate()
	}
	g.Put(k, v)
}
