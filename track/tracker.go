package track

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vobizhook/vobizhook"
)

// Defaults used by a [Tracker] whose field of the same purpose is zero.
const (
	// DefaultRetention is how long an ended conference stays readable. It is
	// well beyond Vobiz's retry window (three retries with backoff), so a
	// late or retried delivery still finds its conference.
	DefaultRetention = 30 * time.Minute
	// DefaultMaxIdle is how long a live conference may go without any
	// accepted event before the tracker gives up on it (see Tracker.MaxIdle).
	DefaultMaxIdle = 24 * time.Hour
	// DefaultMaxConferences caps the conferences tracked at once.
	DefaultMaxConferences = 10000
	// DefaultMaxMembers caps the member records (present, past and
	// tombstones) kept per conference. Vobiz rooms hold at most 200
	// participants by default.
	DefaultMaxMembers = 1000
)

// Tracker keeps the state of every conference from its callbacks: who is in
// which room now, when each room started and ended, how long each member
// stayed; and it makes the lifecycle funcs fire exactly once. Set it as
// vobizhook.Handler.Tracker: the Handler passes it every enter, exit, start
// and end with its funcs, and the Tracker calls OnStart and OnEnd exactly
// once per conference whether or not Vobiz sends start and end, and
// OnEnter and OnExit once per member change, never for duplicates. Without
// a Handler, feed it with [Tracker.Apply]. The package documentation gives
// the rules.
//
// Its zero value is ready to use, in memory; set Store to share the state
// between replicas. Set the fields before first use and do not change them
// afterwards. A Tracker must not be copied after first use.
type Tracker struct {
	// Store keeps the conferences' records and serializes the events of
	// each; nil means a [MemoryStore] of this process, created on first
	// use. redisstore's Conferences() shares one state between replicas.
	Store Store

	// OnIdleEnd is called when the sweep ends a conference idle for
	// MaxIdle (EndIdle: its last exit was lost), outside any request, with
	// an event naming only the conference; the end is committed only if it
	// returns nil (else the next sweep calls it again). Set it to the same
	// func as the Handler's OnEnd to keep OnEnd exactly once per
	// conference. A Handler's funcs are never called by the sweep: a
	// Tracker may serve several Handlers, and only this field says which
	// func ends an idle conference. nil commits the end without a call.
	OnIdleEnd func(ctx context.Context, ev vobizhook.ConferenceEvent) error

	// Logger receives the tracker's own records: events not tracked
	// (Warn), an OnIdleEnd that failed (Error). nil means slog.Default().
	Logger *slog.Logger

	// Retention is how long an ended conference stays readable after it
	// ended, by the tracker's clock. Zero means DefaultRetention; negative
	// means until evicted by MaxConferences.
	Retention time.Duration

	// MaxIdle ends a live conference (EndIdle) that has had no event
	// applied for this long: its end signal was lost. Zero means
	// DefaultMaxIdle; negative means never.
	MaxIdle time.Duration

	// MaxConferences caps the conferences tracked at once, live and ended.
	// Zero or negative means DefaultMaxConferences.
	MaxConferences int

	// MaxMembers caps the member records kept per conference. Zero or
	// negative means DefaultMaxMembers.
	MaxMembers int

	// Now is the tracker's clock, used for events without Timestamp and for
	// Retention and MaxIdle. nil means time.Now. Set it in tests.
	Now func() time.Time

	once      sync.Once
	st        Store
	hub       hub
	lastSweep atomic.Int64 // unix nanoseconds of the last sweep
}

// Track implements vobizhook.Tracker: it applies ev and calls from funcs
// the func of each step ev calls for. An event the tracker cannot key
// ([ErrUntrackable]) is passed to its func as if no Tracker were set, and
// logged at Warn.
func (t *Tracker) Track(ctx context.Context, ev vobizhook.ConferenceEvent, funcs vobizhook.Funcs) (bool, error) {
	if err := checkTrackable(&ev); err != nil {
		fn := funcs.For(ev.Action)
		if fn == nil && ev.Action != vobizhook.ActionEnter && ev.Action != vobizhook.ActionExit &&
			ev.Action != vobizhook.ActionStart && ev.Action != vobizhook.ActionEnd {
			return false, nil
		}
		t.logger().LogAttrs(ctx, slog.LevelWarn, "track: event not tracked, dispatched as is",
			slog.String("action", string(ev.Action)), slog.String("reason", err.Error()))
		if fn == nil {
			return false, nil
		}
		return true, vobizhook.Call(ctx, fn, ev)
	}
	_, called, err := t.apply(ctx, &ev, &funcs)
	return called, err
}

// Apply applies one event without calling any func and returns the changes
// it made: none for a duplicate, nor for an event of a conference that
// ended and was dropped. Use it when you parse callbacks yourself
// (ParseConferenceEvent in your own router) or replay stored events.
//
// The error wraps [ErrUntrackable] or [ErrTrackerFull]; or
// vobizhook.ErrUnavailable when the Store failed; or is ctx's error if ctx
// ended while waiting for another event of the same conference.
func (t *Tracker) Apply(ctx context.Context, ev vobizhook.ConferenceEvent) ([]Change, error) {
	if err := checkTrackable(&ev); err != nil {
		return nil, err
	}
	changes, _, err := t.apply(ctx, &ev, nil)
	return changes, err
}

func checkTrackable(ev *vobizhook.ConferenceEvent) error {
	if err := ev.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrUntrackable, err)
	}
	switch ev.Action {
	case vobizhook.ActionEnter, vobizhook.ActionExit:
		if ev.CallUUID == "" && ev.MemberID == "" {
			return fmt.Errorf("%w: %s without CallUUID or ConferenceMemberID", ErrUntrackable, ev.Action)
		}
	case vobizhook.ActionStart, vobizhook.ActionEnd:
	default:
		return fmt.Errorf("%w: ConferenceAction is not enter, exit, start or end", ErrUntrackable)
	}
	if ev.ConferenceUUID == "" {
		return fmt.Errorf("%w: no ConferenceUUID", ErrUntrackable)
	}
	return nil
}

// apply takes the conference's turn, runs ev's steps (and their funcs, when
// funcs is not nil) on a working copy of its record, and commits what
// succeeded in one go: all steps, or those before the first that failed.
func (t *Tracker) apply(ctx context.Context, ev *vobizhook.ConferenceEvent, funcs *vobizhook.Funcs) (changes []Change, called bool, err error) {
	now := t.now()
	t.maybeSweep(now)
	turn, err := t.store().Acquire(ctx, ev.ConferenceUUID, now, t.limits())
	switch {
	case errors.Is(err, ErrForgotten):
		if l := t.logger(); l.Enabled(ctx, slog.LevelDebug) {
			l.LogAttrs(ctx, slog.LevelDebug, "track: event for a conference that ended and was dropped; ignored",
				slog.String("action", string(ev.Action)), slog.String("conference_uuid", ev.ConferenceUUID))
		}
		return nil, false, nil
	case err != nil:
		return nil, false, storeError(err)
	}
	defer turn.Release()

	// Without funcs, nothing sees the steps between the committed record
	// and the one committed next: one working copy takes them all, with
	// one edit. With funcs, each step's record is handed to its func
	// (FromContext) and must stay as it is: each step makes a copy.
	work, owned := turn.Record(), false
	if work == nil {
		work, owned = newRecord(ev.ConferenceUUID), true
	}
	var edit uint64
	at := ev.Timestamp
	if at.IsZero() {
		at = now
	}
	key := memberKey{ev.CallUUID, ev.MemberID}
	limit := t.maxMembers()
	commit := func() error {
		if len(changes) == 0 {
			return nil
		}
		return turn.Commit(context.WithoutCancel(ctx), work, changes)
	}
	defer func() {
		// A func aborted with http.ErrAbortHandler: keep the steps done.
		if v := recover(); v != nil {
			commit()
			panic(v)
		}
	}()
	var failed error
	facts := roomFactsOf(ev)
	// At most start, member, end and update; the bound is a safety net.
	for range 5 {
		st, err := work.nextOf(ev, facts, at, key, limit)
		if err != nil {
			failed = err
			break
		}
		if st.kind == stepNone {
			break
		}
		var member *memberRec
		if funcs != nil {
			next := work.clone()
			member = next.step(newEdit(), st, ev, facts, key, now, limit)
			if fn, arg := stepFunc(funcs, st, ev); fn != nil {
				if err := run(ctx, fn, arg, next); err != nil {
					failed = err
					break
				}
				called = true
			}
			work = next
		} else {
			if !owned {
				work, owned, edit = work.clone(), true, newEdit()
			} else if edit == 0 {
				edit = newEdit()
			}
			member = work.step(edit, st, ev, facts, key, now, limit)
		}
		changes = work.appendChange(changes, st, member)
	}
	if err := commit(); err != nil {
		return nil, called, storeError(err)
	}
	return changes, called, failed
}

// storeError makes a store's failure answer 503, unless it says what it is
// already (tracker full, turn lost, a context's end).
func storeError(err error) error {
	if errors.Is(err, vobizhook.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: track store: %w", vobizhook.ErrUnavailable, err)
}

// stepFunc returns the func for step st, and the event it receives: ev
// itself for a member's step, a copy with Action and Timestamp of the
// start or end for the lifecycle's.
func stepFunc(funcs *vobizhook.Funcs, st step, ev *vobizhook.ConferenceEvent) (func(context.Context, vobizhook.ConferenceEvent) error, vobizhook.ConferenceEvent) {
	arg := *ev
	switch st.kind {
	case stepStart:
		arg.Action, arg.Timestamp = vobizhook.ActionStart, st.at
		return funcs.OnStart, arg
	case stepEnter:
		return funcs.OnEnter, arg
	case stepExit:
		return funcs.OnExit, arg
	case stepEnd:
		arg.Action, arg.Timestamp = vobizhook.ActionEnd, st.at
		return funcs.OnEnd, arg
	}
	return nil, arg
}

// run calls fn with rec, the record as it will be once fn's step is
// committed, for FromContext.
func run(ctx context.Context, fn func(context.Context, vobizhook.ConferenceEvent) error, ev vobizhook.ConferenceEvent, rec *Record) error {
	p := &preview{Context: ctx, rec: rec}
	defer p.done.Store(true)
	return vobizhook.Call(p, fn, ev)
}

// Conference returns a snapshot of the conference with this ConferenceUUID,
// live or ended within Retention. It costs the same whatever the room's
// size. The error is the Store's (it wraps vobizhook.ErrUnavailable).
func (t *Tracker) Conference(ctx context.Context, uuid string) (Snapshot, bool, error) {
	rec, err := t.store().Load(ctx, uuid)
	if err != nil {
		return Snapshot{}, false, storeError(err)
	}
	if rec == nil {
		return Snapshot{}, false, nil
	}
	return rec.Snapshot(), true, nil
}

// Conferences returns snapshots of every tracked conference, live and ended
// within Retention, ordered by StartedAt then UUID. Each snapshot is
// consistent; they are taken one after the other without stopping commits,
// so a change committed meanwhile to one conference may be in its snapshot
// while a change committed at the same time to another is not in its own.
// Changes are delivered to subscribers after they are committed, so the
// order subscribe, read, then apply changes still misses nothing. It
// allocates only its result.
func (t *Tracker) Conferences(ctx context.Context) ([]Snapshot, error) { return t.collect(ctx, false) }

// Live returns snapshots of the conferences that have not ended, like
// [Tracker.Conferences].
func (t *Tracker) Live(ctx context.Context) ([]Snapshot, error) { return t.collect(ctx, true) }

func (t *Tracker) collect(ctx context.Context, liveOnly bool) ([]Snapshot, error) {
	var out []Snapshot
	if ms, ok := t.store().(*MemoryStore); ok {
		out = ms.snapshots(liveOnly)
	} else {
		var err error
		if out, err = rangeSnapshots(ctx, t.store(), liveOnly); err != nil {
			return nil, storeError(err)
		}
	}
	slices.SortFunc(out, func(a, b Snapshot) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.UUID, b.UUID))
	})
	if out == nil {
		out = []Snapshot{}
	}
	return out, nil
}

// rangeSnapshots collects the snapshots of a store of unknown size (a
// function of its own: the closure it passes escapes, with what it holds).
func rangeSnapshots(ctx context.Context, st Store, liveOnly bool) ([]Snapshot, error) {
	var out []Snapshot
	err := st.Range(ctx, func(rec *Record) bool {
		if !(liveOnly && rec.m.ended) {
			out = append(out, rec.Snapshot())
		}
		return true
	})
	return out, err
}

func (t *Tracker) store() Store {
	t.once.Do(func() {
		t.st = t.Store
		if t.st == nil {
			t.st = NewMemoryStore()
		}
	})
	return t.st
}

func (t *Tracker) logger() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

// now is the tracker's clock without its monotonic reading: records are
// compared and encoded by wall clock, so that a time means the same to
// every process sharing a store.
func (t *Tracker) now() time.Time {
	if t.Now != nil {
		return t.Now().Round(0)
	}
	return time.Now().Round(0)
}

func (t *Tracker) limits() Limits {
	return Limits{MaxConferences: t.maxConferences(), Retention: t.retention(), MaxIdle: t.maxIdle()}
}

func (t *Tracker) retention() time.Duration {
	switch {
	case t.Retention == 0:
		return DefaultRetention
	case t.Retention < 0:
		return -1
	}
	return t.Retention
}

func (t *Tracker) maxIdle() time.Duration {
	switch {
	case t.MaxIdle == 0:
		return DefaultMaxIdle
	case t.MaxIdle < 0:
		return -1
	}
	return t.MaxIdle
}

func (t *Tracker) maxConferences() int {
	if t.MaxConferences > 0 {
		return t.MaxConferences
	}
	return DefaultMaxConferences
}

func (t *Tracker) maxMembers() int {
	if t.MaxMembers > 0 {
		return t.MaxMembers
	}
	return DefaultMaxMembers
}
