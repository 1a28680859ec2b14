package genset

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// A Table behaves as two maps, cur and prev, under any sequence of
// operations, including keys that crowd into a few home slots (so runs
// wrap around the end of the slots and deletions shift entries back).
func TestTableAgainstMaps(t *testing.T) {
	for seed := range uint64(20) {
		rnd := rand.New(rand.NewPCG(seed, 7))
		var tab Table[int]
		if seed%2 == 0 {
			tab.Reserve(int(rnd.IntN(40)))
		}
		cur, prev := map[Key]int{}, map[Key]int{}
		keys := make([]Key, 64)
		for i := range keys {
			// Homes in a handful of slots, near the end of a small table.
			keys[i] = Key{uint64(i)<<1 | 1, uint64(rnd.IntN(4)) + 13}
		}
		for op := range 5000 {
			k := keys[rnd.IntN(len(keys))]
			switch r := rnd.IntN(100); {
			case r < 45:
				tab.Put(k, op)
				cur[k] = op
			case r < 60:
				tab.Delete(k)
				delete(cur, k)
				delete(prev, k)
			case r < 70:
				tab.DeletePrev(k)
				delete(prev, k)
			case r < 73:
				var lost []int
				tab.Rotate(func(v int) { lost = append(lost, v) })
				require.Len(t, lost, len(prev), "Rotate reports every value it drops")
				prev, cur = cur, map[Key]int{}
			case r < 74:
				tab.Clear()
				cur, prev = map[Key]int{}, map[Key]int{}
			}
			for _, k := range keys {
				v, found, inCur := tab.Get(k)
				wc, inC := cur[k]
				wp, inP := prev[k]
				switch {
				case inC:
					require.True(t, found && inCur, "seed %d op %d: %v in cur", seed, op, k)
					require.Equal(t, wc, v)
				case inP:
					require.True(t, found && !inCur, "seed %d op %d: %v in prev", seed, op, k)
					require.Equal(t, wp, v)
				default:
					require.False(t, found, "seed %d op %d: %v absent", seed, op, k)
				}
			}
			require.Equal(t, len(cur), tab.CurLen())
			require.Equal(t, len(cur)+len(prev), tab.Len())
		}
	}
}

// Keys are never zero (a free slot), and a table at its reserved size
// rotates without allocating.
func TestTableRotatesInPlace(t *testing.T) {
	var tab Table[uint64]
	require.NotEqual(t, Key{}, tab.Key(""))
	tab.Reserve(1000)
	fill := func(base int) {
		for i := range 1000 {
			tab.Put(tab.Key(string(rune(base+i))), 1)
		}
	}
	fill(0)
	tab.Rotate(nil)
	fill(1000)
	allocs := testing.AllocsPerRun(10, func() {
		tab.Rotate(nil)
		fill(2000)
	})
	require.Zero(t, allocs)
	require.Equal(t, 2000, tab.Len())
}
