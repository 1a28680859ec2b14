package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/vobizhook/vobizhook"
)

// nonces is the Store's vobizhook.NonceStore.
type nonces struct{ s *Store }

// Claim implements vobizhook.NonceStore: one script, compare-and-set.
func (n nonces) Claim(ctx context.Context, nonce string, token uint64, lease time.Duration) (vobizhook.NonceState, error) {
	if lease <= 0 {
		lease = vobizhook.DefaultNonceLease
	}
	var state int64
	err := n.s.call(ctx, func(ctx context.Context) (err error) {
		state, err = nonceClaim.Eval(ctx, n.s.rdb, []string{n.s.nonceKey(nonce)}, strconv.FormatUint(token, 10), ms(lease)).Int64()
		return err
	})
	switch {
	case err != nil:
		return vobizhook.NonceInProgress, unavailable("claiming a nonce", err)
	case state == 0:
		return vobizhook.NonceNew, nil
	case state == 2:
		return vobizhook.NonceDone, nil
	}
	return vobizhook.NonceInProgress, nil
}

// Complete implements vobizhook.NonceStore.
func (n nonces) Complete(ctx context.Context, nonce string, _ uint64, window time.Duration) error {
	if window <= 0 {
		window = vobizhook.DefaultReplayWindow
	}
	err := n.s.call(ctx, func(ctx context.Context) error {
		return nonceComplete.Eval(ctx, n.s.rdb, []string{n.s.nonceKey(nonce)}, ms(window)).Err()
	})
	if err != nil {
		return unavailable("completing a nonce", err)
	}
	return nil
}

// Release implements vobizhook.NonceStore.
func (n nonces) Release(ctx context.Context, nonce string, token uint64) error {
	err := n.s.call(ctx, func(ctx context.Context) error {
		return nonceRelease.Eval(ctx, n.s.rdb, []string{n.s.nonceKey(nonce)}, strconv.FormatUint(token, 10)).Err()
	})
	if err != nil {
		return unavailable("releasing a nonce", err)
	}
	return nil
}
