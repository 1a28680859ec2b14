package track

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkAgainst verifies that m holds exactly want.
func checkAgainst(t *testing.T, m pmap[uint64, int], want map[uint64]int, hash func(uint64) uint64) {
	t.Helper()
	require.Equal(t, len(want), m.Len())
	for k, v := range want {
		got, ok := m.Get(hash(k), k)
		require.True(t, ok, "key %d", k)
		require.Equal(t, v, got, "key %d", k)
	}
	seen := 0
	m.Range(func(k uint64, v int) bool {
		seen++
		require.Equal(t, want[k], v)
		return true
	})
	require.Equal(t, len(want), seen)
}

// pmap agrees with a Go map under random sets and deletes, and every old
// version stays exactly as it was: what a Snapshot relies on.
func TestPmapIsPersistent(t *testing.T) {
	for name, hash := range map[string]func(uint64) uint64{
		"spread":     seqHash,
		"collisions": func(k uint64) uint64 { return k % 7 },   // full 64-bit collisions: the list level
		"prefixes":   func(k uint64) uint64 { return k << 40 }, // shared low bits: deep paths
	} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var m pmap[uint64, int]
			want := map[uint64]int{}
			type version struct {
				m    pmap[uint64, int]
				want map[uint64]int
			}
			var versions []version
			for i := range 3000 {
				k := uint64(rng.IntN(400))
				if rng.IntN(3) == 0 {
					m = m.Delete(hash(k), k)
					delete(want, k)
				} else {
					m = m.Set(hash(k), k, i)
					want[k] = i
				}
				if i%100 == 0 {
					cp := make(map[uint64]int, len(want))
					for k, v := range want {
						cp[k] = v
					}
					versions = append(versions, version{m, cp})
				}
			}
			checkAgainst(t, m, want, hash)
			for _, v := range versions {
				checkAgainst(t, v.m, v.want, hash)
			}
			// Delete everything: the map is empty and its root gone.
			for k := range want {
				m = m.Delete(hash(k), k)
			}
			assert.Zero(t, m.Len())
			assert.Nil(t, m.root)
			_, ok := m.Get(hash(1), 1)
			assert.False(t, ok)
		})
	}
}

func TestPmapRangeStops(t *testing.T) {
	var m pmap[uint64, int]
	for i := range uint64(100) {
		m = m.Set(seqHash(i), i, int(i))
	}
	n := 0
	m.Range(func(uint64, int) bool { n++; return n < 10 })
	assert.Equal(t, 10, n)
}

func BenchmarkPmapSet(b *testing.B) {
	for _, size := range []int{10, 1000, 10000} {
		b.Run("size="+strconv.Itoa(size), func(b *testing.B) {
			var m pmap[uint64, int]
			for i := range uint64(size) {
				m = m.Set(seqHash(i), i, 0)
			}
			b.ReportAllocs()
			i := uint64(0)
			for b.Loop() {
				k := i % uint64(size)
				_ = m.Set(seqHash(k), k, 1)
				i++
			}
		})
	}
}
