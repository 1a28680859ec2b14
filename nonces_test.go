package vobizhook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNoncesNilStore(t *testing.T) {
	n := Nonces{V3: nonceA}
	c, err := n.Claim(t.Context(), nil, time.Minute)
	assert.Error(t, err)
	assert.Equal(t, NonceInProgress, c.State, "never NonceNew with an error")
	assert.NoError(t, c.Complete(t.Context(), time.Minute), "a claim that is not NonceNew completes nothing")
	assert.NoError(t, c.Release(t.Context()))
	c, err = Nonces{}.Claim(t.Context(), NewMemoryNonceStore(1), time.Minute)
	require.NoError(t, err)
	assert.Equal(t, NonceNew, c.State, "no nonce: nothing to claim")
	assert.NoError(t, c.Complete(t.Context(), time.Minute))
}

func TestNoncesTwoPhase(t *testing.T) {
	ctx := t.Context()
	both := Nonces{V3: nonceA, V2: nonceB}
	claimOne := func(s NonceStore, nonce string) NonceState {
		st, err := s.Claim(ctx, nonce, 99, time.Minute)
		require.NoError(t, err)
		return st
	}
	claim := func(s NonceStore, n Nonces, lease time.Duration) Claim {
		c, err := n.Claim(ctx, s, lease)
		require.NoError(t, err)
		return c
	}

	t.Run("claim, complete, replays", func(t *testing.T) {
		s := NewMemoryNonceStore(10)
		c := claim(s, both, time.Minute)
		require.Equal(t, NonceNew, c.State)
		for _, n := range []Nonces{both, {V3: nonceA}, {V2: nonceB}} {
			assert.Equal(t, NonceInProgress, claim(s, n, time.Minute).State, "%+v while the first is running", n)
		}
		require.NoError(t, c.Complete(ctx, time.Hour))
		for _, n := range []Nonces{both, {V3: nonceA}, {V2: nonceB}} {
			assert.Equal(t, NonceDone, claim(s, n, time.Minute).State, "%+v once handled", n)
		}
	})
	t.Run("release", func(t *testing.T) {
		s := NewMemoryNonceStore(10)
		c := claim(s, both, time.Minute)
		require.Equal(t, NonceNew, c.State)
		require.NoError(t, c.Release(ctx))
		assert.Equal(t, NonceNew, claimOne(s, nonceA))
		assert.Equal(t, NonceNew, claimOne(s, nonceB))
	})
	t.Run("a blocked second nonce releases the first", func(t *testing.T) {
		for _, second := range []NonceState{NonceInProgress, NonceDone} {
			s := NewMemoryNonceStore(10)
			require.Equal(t, NonceNew, claimOne(s, nonceB))
			if second == NonceDone {
				require.NoError(t, s.Complete(ctx, nonceB, 99, time.Hour))
			}
			assert.Equal(t, second, claim(s, both, time.Minute).State)
			assert.Equal(t, NonceNew, claimOne(s, nonceA), "the V3 nonce is free again")
		}
	})
	t.Run("zero lease and window mean the defaults", func(t *testing.T) {
		s, clk := newTestStore(10)
		c := claim(s, both, 0)
		require.Equal(t, NonceNew, c.State)
		clk.advance(DefaultNonceLease - time.Second)
		assert.Equal(t, NonceInProgress, claimOne(s, nonceA), "claimed for DefaultNonceLease, not for nothing")
		require.NoError(t, c.Complete(ctx, -1))
		clk.advance(DefaultReplayWindow - time.Second)
		assert.Equal(t, NonceDone, claimOne(s, nonceB), "completed for DefaultReplayWindow")
	})
	t.Run("a claim acts only on itself", func(t *testing.T) {
		// Delivery A outlives its lease; retry B claims and succeeds; then
		// A fails: A's release must not erase B's success, or copy C
		// would be dispatched a third time.
		s, clk := newTestStore(10)
		a := claim(s, both, time.Minute)
		require.Equal(t, NonceNew, a.State)
		clk.advance(time.Minute)
		b := claim(s, both, time.Minute)
		require.Equal(t, NonceNew, b.State, "A's lease is over")
		require.NoError(t, b.Complete(ctx, time.Hour))
		require.NoError(t, a.Release(ctx))
		assert.Equal(t, NonceDone, claim(s, both, time.Minute).State, "C is acknowledged, not dispatched")

		// And while B is running, A's release does not free B's claim.
		s, clk = newTestStore(10)
		a = claim(s, both, time.Minute)
		clk.advance(time.Minute)
		b = claim(s, both, time.Minute)
		require.Equal(t, NonceNew, b.State)
		require.NoError(t, a.Release(ctx))
		assert.Equal(t, NonceInProgress, claim(s, both, time.Minute).State, "B still holds it")
		// A late success of A is still recorded: a success is never lost.
		require.NoError(t, a.Complete(ctx, time.Hour))
		assert.Equal(t, NonceDone, claim(s, both, time.Minute).State)
	})
}

func TestNonceStateString(t *testing.T) {
	assert.Equal(t, "new", NonceNew.String())
	assert.Equal(t, "in progress", NonceInProgress.String())
	assert.Equal(t, "done", NonceDone.String())
	assert.Equal(t, "NonceState(7)", NonceState(7).String())
}
