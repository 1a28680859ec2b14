package track

import "slices"

// dropSet is a Record's memory of the members trimmed to respect
// MaxMembers, as 64-bit hashes: a persistent set that only grows (until
// the Record starts a new generation), kept as sorted runs of distinct
// power-of-two sizes, newest and smallest first, merged like the digits of
// a binary counter (Bentley and Saxe's logarithmic method). An addition
// writes a run of one and merges it with the runs of its size: each hash is
// copied log2(n) times over its life, 8 bytes each time, into slices
// without pointers, which the garbage collector does not scan. A trie of
// the hashes copied a path of slots, each with a pointer, on every
// addition: about 2 KB at 20,000 hashes. A lookup is a binary search in
// each of at most log2(n) runs.
type dropSet struct {
	runs *dropRun
	n    int
}

type dropRun struct {
	keys []uint64 // sorted
	next *dropRun
}

// Len returns the number of hashes.
func (s dropSet) Len() int { return s.n }

// has reports whether h is in s.
func (s dropSet) has(h uint64) bool {
	for r := s.runs; r != nil; r = r.next {
		if _, ok := slices.BinarySearch(r.keys, h); ok {
			return true
		}
	}
	return false
}

// add returns s with h.
func (s dropSet) add(h uint64) dropSet {
	if s.has(h) {
		return s
	}
	keys, r := []uint64{h}, s.runs
	for r != nil && len(r.keys) == len(keys) {
		keys, r = mergeRuns(r.keys, keys), r.next
	}
	return dropSet{runs: &dropRun{keys: keys, next: r}, n: s.n + 1}
}

// compact returns s as one run.
func (s dropSet) compact() dropSet {
	if s.runs == nil || s.runs.next == nil {
		return s
	}
	keys := make([]uint64, 0, s.n)
	s.each(func(h uint64) { keys = append(keys, h) })
	slices.Sort(keys)
	return dropSet{runs: &dropRun{keys: keys}, n: s.n}
}

// each calls fn with every hash.
func (s dropSet) each(fn func(uint64)) {
	for r := s.runs; r != nil; r = r.next {
		for _, h := range r.keys {
			fn(h)
		}
	}
}

// dropSetOf returns the set of hs.
func dropSetOf(hs []uint64) dropSet {
	hs = slices.Clone(hs)
	slices.Sort(hs)
	hs = slices.Compact(hs)
	if len(hs) == 0 {
		return dropSet{}
	}
	return dropSet{runs: &dropRun{keys: hs}, n: len(hs)}
}

// mergeRuns merges two sorted runs of distinct hashes, none in both.
func mergeRuns(a, b []uint64) []uint64 {
	out := make([]uint64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] < b[j] {
			out, i = append(out, a[i]), i+1
		} else {
			out, j = append(out, b[j]), j+1
		}
	}
	return append(append(out, a[i:]...), b[j:]...)
}
