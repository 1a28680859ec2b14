package genset

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSetGenerations(t *testing.T) {
	var s Set[int]
	a, b := s.Key("a"), s.Key("b")
	assert.NotEqual(t, a, b)
	assert.Equal(t, a, s.Key("a"), "keys are stable within a set")
	s.Put(a, 1)
	v, found, inCur := s.Get(a)
	assert.True(t, found && inCur)
	assert.Equal(t, 1, v)

	dropped := s.Rotate()
	assert.Empty(t, dropped)
	_, found, inCur = s.Get(a)
	assert.True(t, found)
	assert.False(t, inCur, "a moved to the previous generation")
	s.Put(b, 2)
	assert.Equal(t, 2, s.Len())
	assert.Equal(t, 1, s.CurLen())

	dropped = s.Rotate()
	assert.Equal(t, map[Key]int{a: 1}, dropped, "the previous generation is dropped whole")
	assert.False(t, s.Has(a))
	assert.True(t, s.Has(b))

	s.DeletePrev(b)
	assert.False(t, s.Has(b))
	s.Put(a, 3)
	s.Delete(a)
	assert.Zero(t, s.Len())
	s.Put(a, 4)
	s.Clear()
	assert.Zero(t, s.Len())
}

// Add remembers a key until at least limit more were added after it, and
// never holds more than 2 x limit.
func TestSetAddIsBounded(t *testing.T) {
	const limit = 5
	var s Set[struct{}]
	for i := range 100 {
		s.Add(s.Key(strconv.Itoa(i)), struct{}{}, limit)
		assert.LessOrEqual(t, s.Len(), 2*limit)
		for j := max(0, i-limit); j <= i; j++ {
			assert.True(t, s.Has(s.Key(strconv.Itoa(j))), "%d after %d", j, i)
		}
	}
	assert.False(t, s.Has(s.Key("0")))
}

// Two sets key the same string differently: a hash learnt from one cannot
// be aimed at another process's set.
func TestSetSeedsDiffer(t *testing.T) {
	var s1, s2 Set[int]
	assert.NotEqual(t, s1.Key("x"), s2.Key("x"))
}
