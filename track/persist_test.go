package track

import (
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Updates made with one edit change that edit's nodes in place and copy
// every other: each version committed under an edit of its own stays
// exactly as it was, while many updates under one edit build the next.
func TestHamtEditsKeepOlderVersions(t *testing.T) {
	for name, hash := range map[string]func(uint64) uint64{
		"spread":     seqHash,
		"collisions": func(k uint64) uint64 { return k % 5 },
		"prefixes":   func(k uint64) uint64 { return k << 44 },
	} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			var m pmap[uint64, int]
			want := map[uint64]int{}
			// Each committed version, and what it must hold.
			var ms []pmap[uint64, int]
			var wants []map[uint64]int
			for range 300 {
				e := newEdit() // a new event's working copy
				for range 1 + rng.IntN(6) {
					k := uint64(rng.IntN(200))
					eq := func(x pentry[uint64, int]) bool { return x.key == k }
					if rng.IntN(3) == 0 {
						m = pmap[uint64, int]{m.delete(e, hash(k), eq)}
						delete(want, k)
					} else {
						v := rng.Int()
						m = pmap[uint64, int]{m.set(e, hash(k), pentry[uint64, int]{k, v}, eq)}
						want[k] = v
					}
				}
				ms, wants = append(ms, m), append(wants, maps.Clone(want))
			}
			for i := range ms {
				checkAgainst(t, ms[i], wants[i], hash)
			}
		})
	}
}

// dropSet holds what was added, counts each hash once, and every version
// stays as it was.
func TestDropSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s dropSet
	want := map[uint64]bool{}
	type version struct {
		s    dropSet
		want map[uint64]bool
	}
	var versions []version
	for i := range 2000 {
		h := uint64(rng.IntN(1500))
		s = s.add(h)
		want[h] = true
		if i%97 == 0 {
			cp := map[uint64]bool{}
			for k := range want {
				cp[k] = true
			}
			versions = append(versions, version{s, cp})
		}
	}
	versions = append(versions, version{s, want}, version{s.compact(), want})
	for _, v := range versions {
		require.Equal(t, len(v.want), v.s.Len())
		for h := range uint64(1600) {
			require.Equal(t, v.want[h], v.s.has(h), "hash %d", h)
		}
		n := 0
		v.s.each(func(h uint64) { require.True(t, v.want[h]); n++ })
		require.Equal(t, len(v.want), n)
	}
	var all []uint64
	s.each(func(h uint64) { all = append(all, h, h) })
	back := dropSetOf(all)
	require.Equal(t, s.Len(), back.Len())
	for h := range want {
		require.True(t, back.has(h))
	}
}
