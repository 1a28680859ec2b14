package vobizhook

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Nonces are the nonces of a verified request: the value of its V3 nonce
// header when a V3 or MA-V3 signature verified, and of its V2 nonce header
// when a V2 or MA-V2 signature verified. Vobiz may send the same nonce in
// both or two different ones; claiming both keeps a replay that strips one
// signature from being dispatched again. A nonce whose signature did not
// verify (or is absent) is never returned: it could be anything.
type Nonces struct {
	V3 string // the X-Vobiz-Signature-V3-Nonce value, or ""
	V2 string // the X-Vobiz-Signature-V2-Nonce value when different from V3, or ""
}

// IsZero reports whether n holds no nonce.
func (n Nonces) IsZero() bool { return n.V3 == "" && n.V2 == "" }

// Claim is one claim on the nonces of a request, made by [Nonces.Claim]:
// its State says what was found, and, when it is [NonceNew], Complete or
// Release ends it. A claim carries a random token, so that it completes or
// releases only what it claimed itself: a delivery that outlived its lease
// and then fails cannot release the claim, or erase the success, of a
// retry that came after it.
type Claim struct {
	State  NonceState // NonceNew, NonceInProgress or NonceDone
	nonces Nonces     // claimed, when State is NonceNew
	token  uint64
	store  NonceStore
	mem    *MemoryNonceStore // store, when it is one: keys are its keys of nonces
	keys   nonceKeys
}

// Claim claims the nonces of n in store for lease (zero means
// [DefaultNonceLease]). On [NonceNew] act on the callback, then
// [Claim.Complete] or [Claim.Release] it; answer [NonceInProgress] with a
// 503 (the same request is being handled) and [NonceDone] with a 200 (a
// retry or a replay), without acting. Otherwise, or on a store error
// (which wraps [ErrUnavailable]; answer a 5xx), it leaves the store as it
// was.
func (n Nonces) Claim(ctx context.Context, store NonceStore, lease time.Duration) (Claim, error) {
	c := Claim{State: NonceInProgress, token: newClaimToken(), store: store}
	if store == nil {
		return c, errNilStore
	}
	if mem, ok := store.(*MemoryNonceStore); ok {
		state, keys := mem.claimNonces(n, c.token, lease)
		if state != NonceNew {
			return Claim{State: state}, nil
		}
		c.State, c.nonces, c.mem, c.keys = NonceNew, n, mem, keys
		return c, nil
	}
	if lease <= 0 {
		lease = DefaultNonceLease
	}
	for _, nonce := range [...]string{n.V3, n.V2} {
		if nonce == "" {
			continue
		}
		state, err := store.Claim(ctx, nonce, c.token, lease)
		if err != nil {
			// The claim may have been made with its answer lost (a
			// timeout): give it back, or every retry would be "in
			// progress" until the lease ends.
			store.Release(context.WithoutCancel(ctx), nonce, c.token)
			c.undo(ctx)
			return Claim{State: NonceInProgress}, fmt.Errorf("%w: claiming a nonce: %w", ErrUnavailable, err)
		}
		if state != NonceNew {
			c.undo(ctx)
			if state != NonceDone {
				state = NonceInProgress // also for a state this package does not know
			}
			return Claim{State: state}, nil
		}
		if nonce == n.V3 {
			c.nonces.V3 = nonce
		} else {
			c.nonces.V2 = nonce
		}
	}
	c.State = NonceNew
	return c, nil
}

// local reports whether c is a claim in a MemoryNonceStore, whose
// Complete and Release ignore their context.
func (c Claim) local() bool { return c.mem != nil }

// undo releases what c claimed so far.
func (c *Claim) undo(ctx context.Context) {
	if c.nonces.V3 != "" {
		c.store.Release(context.WithoutCancel(ctx), c.nonces.V3, c.token)
	}
}

var errNilStore = errors.New("vobizhook: nil NonceStore")

// errInProgress is the Outcome.Err of a copy answered 503 because its
// nonce is claimed by another delivery.
var errInProgress = errors.New("vobizhook: the same callback is being handled")

// Complete marks the claimed nonces done, remembered for window (zero or
// less means [DefaultReplayWindow]): call it when handling the request
// succeeded, so that its retries and replays are acknowledged without being
// handled again. It does nothing for a claim that is not NonceNew.
func (c Claim) Complete(ctx context.Context, window time.Duration) error {
	if c.State != NonceNew {
		return nil
	}
	if window <= 0 {
		window = DefaultReplayWindow
	}
	if c.mem != nil {
		c.mem.completeKeys(c.keys.list(), c.token, window)
		return nil
	}
	return c.each(func(nonce string) error { return c.store.Complete(ctx, nonce, c.token, window) }, "completing")
}

// Release gives the claimed nonces back, so that a retry of the request is
// handled: call it when handling the request failed. It does nothing for a
// claim that is not NonceNew, and nothing to a nonce another claim holds
// now (after this claim's lease ended) or that is done.
func (c Claim) Release(ctx context.Context) error {
	if c.State != NonceNew {
		return nil
	}
	if c.mem != nil {
		c.mem.releaseKeys(c.keys.list(), c.token)
		return nil
	}
	return c.each(func(nonce string) error { return c.store.Release(ctx, nonce, c.token) }, "releasing")
}

// each calls fn for each claimed nonce, all of them even when one fails.
func (c Claim) each(fn func(nonce string) error, verb string) error {
	var errs []error
	for _, nonce := range [...]string{c.nonces.V3, c.nonces.V2} {
		if nonce == "" {
			continue
		}
		if err := fn(nonce); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("vobizhook: %s a nonce: %w", verb, err)
	}
	return nil
}

// newClaimToken returns a random non-zero token: claims of several
// replicas must not collide, and 64 random bits make that a 2^-64 chance
// per pair.
func newClaimToken() uint64 {
	for {
		if t := rand.Uint64(); t != 0 {
			return t
		}
	}
}
