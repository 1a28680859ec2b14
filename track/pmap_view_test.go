package track

// pmap is a view of hamt for its tests: a persistent map from K to V,
// placed by a hash of K the caller supplies, as a hamt of key and value
// pairs.
type pmap[K comparable, V any] struct {
	hamt[pentry[K, V]]
}

type pentry[K comparable, V any] struct {
	key K
	val V
}

// Get returns the value for key, whose hash is h.
func (m pmap[K, V]) Get(h uint64, key K) (V, bool) {
	en, ok := m.get(h, func(x pentry[K, V]) bool { return x.key == key })
	return en.val, ok
}

// Set returns m with key (hash h) mapped to val.
func (m pmap[K, V]) Set(h uint64, key K, val V) pmap[K, V] {
	return pmap[K, V]{m.set(0, h, pentry[K, V]{key, val}, func(x pentry[K, V]) bool { return x.key == key })}
}

// Delete returns m without key (hash h).
func (m pmap[K, V]) Delete(h uint64, key K) pmap[K, V] {
	return pmap[K, V]{m.delete(0, h, func(x pentry[K, V]) bool { return x.key == key })}
}

// Range calls fn for every entry, in no particular order, until fn returns
// false.
func (m pmap[K, V]) Range(fn func(K, V) bool) {
	m.each(func(x pentry[K, V]) bool { return fn(x.key, x.val) })
}

// seqHash spreads sequence numbers over the 64 bits, for the tests' keys.
func seqHash(seq uint64) uint64 { return seq * 0x9e3779b97f4a7c15 }
