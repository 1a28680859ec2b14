package track

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/vobizhook/vobizhook"
)

// sweepWait is how long the sweep waits for the turn of an idle
// conference: a conference whose turn is busy has an event being applied,
// so it is not idle, and the next sweep looks again.
const sweepWait = 100 * time.Millisecond

// Sweep drops ended conferences older than Retention and ends live ones
// idle for MaxIdle, calling OnIdleEnd for each before it returns (see the
// package documentation, "Idle conferences"). Apply sweeps at most once a
// second of the tracker's clock, running the idle ends on a goroutine of
// their own; call Sweep from a ticker too, so that idle conferences are
// ended and expired ones dropped even when events stop. With a shared
// Store, every replica may sweep: each idle conference is ended by exactly
// one of them. The error is the Store's.
func (t *Tracker) Sweep(ctx context.Context) error {
	now := t.now()
	t.lastSweep.Store(now.UnixNano())
	lim := t.limits()
	return errors.Join(t.store().Expire(ctx, now, lim), t.endIdle(ctx, now, lim))
}

func (t *Tracker) maybeSweep(now time.Time) {
	last := t.lastSweep.Load()
	if now.UnixNano()-last < int64(time.Second) || !t.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	lim := t.limits()
	ctx := context.Background()
	if err := t.store().Expire(ctx, now, lim); err != nil {
		t.logger().LogAttrs(ctx, slog.LevelWarn, "track: dropping expired conferences failed; the next sweep tries again", slog.Any("error", err))
	}
	if lim.MaxIdle >= 0 {
		go func() {
			if err := t.endIdle(ctx, now, lim); err != nil {
				t.logger().LogAttrs(ctx, slog.LevelWarn, "track: listing idle conferences failed; the next sweep tries again", slog.Any("error", err))
			}
		}()
	}
}

// endIdle ends the conferences idle since before now - MaxIdle.
func (t *Tracker) endIdle(ctx context.Context, now time.Time, lim Limits) error {
	if lim.MaxIdle < 0 {
		return nil
	}
	ids, err := t.store().Idle(ctx, now.Add(-lim.MaxIdle))
	if err != nil {
		return storeError(err)
	}
	var errs []error
	for _, uuid := range ids {
		if err := t.endOne(ctx, uuid, now, lim); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// endOne ends one conference if it is still idle, as one more step: the
// OnIdleEnd func runs first, and the end is committed only if it returned
// nil (else it is logged and the next sweep tries again). The conference's
// turn is held meanwhile, as for any step, and released on every path.
func (t *Tracker) endOne(ctx context.Context, uuid string, now time.Time, lim Limits) error {
	actx, cancel := context.WithTimeout(ctx, sweepWait)
	turn, err := t.store().Acquire(actx, uuid, now, lim)
	cancel()
	if err != nil {
		if errors.Is(err, ErrForgotten) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTrackerFull) {
			return nil // dropped, or busy (so not idle)
		}
		return storeError(err)
	}
	defer turn.Release()
	rec := turn.Record()
	if rec == nil || rec.m.ended || now.Sub(rec.m.lastActive) < lim.MaxIdle {
		return nil // an event arrived: it is no longer idle
	}
	st := step{kind: stepEnd, at: rec.m.lastAt, reason: EndIdle}
	// The end has no triggering event: OnIdleEnd receives one that names
	// only the conference, and Params holds no ConferenceAction.
	ev := &vobizhook.ConferenceEvent{ConferenceUUID: rec.m.uuid, ConferenceName: rec.m.name, CurrentSize: -1, Params: url.Values{}}
	next := rec.apply(st, ev, memberKey{}, now, t.maxMembers())
	if t.OnIdleEnd != nil {
		arg := *ev
		arg.Action, arg.Timestamp = vobizhook.ActionEnd, st.at
		if err := runOutside(ctx, t.OnIdleEnd, arg, next); err != nil {
			attrs := []slog.Attr{slog.String("conference_uuid", uuid), slog.Any("error", err)}
			var pe *vobizhook.PanicError
			if errors.As(err, &pe) {
				attrs = append(attrs, slog.String("stack", string(pe.Stack)))
			}
			t.logger().LogAttrs(ctx, slog.LevelError, "track: OnIdleEnd of an idle conference failed; the next sweep tries again", attrs...)
			return nil
		}
	}
	// OnIdleEnd succeeded: commit even if ctx ended meanwhile (a shutdown),
	// or the next sweep would call it again.
	if err := turn.Commit(context.WithoutCancel(ctx), next, []Change{next.change(st, memberKey{})}); err != nil {
		return storeError(err)
	}
	return nil
}

// runOutside is run for a func called outside any request: nothing above
// it would recover a panic, so every panic, http.ErrAbortHandler included,
// becomes a *vobizhook.PanicError.
func runOutside(ctx context.Context, fn func(context.Context, vobizhook.ConferenceEvent) error, ev vobizhook.ConferenceEvent, rec *Record) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &vobizhook.PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return run(ctx, fn, ev, rec)
}
