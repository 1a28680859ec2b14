package track

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vobizhook/vobizhook"
)

// Store is the storage seam of a [Tracker]: where conference [Record]s
// live, and how the application of events to one conference is serialized.
// Tracker.Store nil means a [MemoryStore] (one process); package
// redisstore's store shares one state between replicas. A Store holds
// records and turns, and knows nothing of the lifecycle: the Tracker
// decides what a record becomes, the Store keeps it, fenced.
//
// Implementations must be safe for concurrent use. vobizhooktest.TestTrackStore
// checks one against this contract.
type Store interface {
	// Acquire takes the turn of conference uuid: while one caller holds it,
	// other Acquires of the same uuid wait, until ctx ends (their error is
	// then ctx's). It returns the turn, with the conference's committed
	// record (nil for a conference the store does not hold). It returns
	// [ErrForgotten] for a conference that ended and was dropped, and an
	// error wrapping [ErrTrackerFull] when admitting a new conference would
	// exceed lim.MaxConferences. now is the tracker's clock.
	Acquire(ctx context.Context, uuid string, now time.Time, lim Limits) (Turn, error)

	// Load returns the committed record of uuid, or nil, without taking its
	// turn.
	Load(ctx context.Context, uuid string) (*Record, error)

	// Range calls fn with the committed record of every conference the
	// store holds, until fn returns false.
	Range(ctx context.Context, fn func(*Record) bool) error

	// Idle returns the UUIDs of live conferences whose LastActive is not
	// after before: the candidates for the idle sweep, which checks each
	// again under its turn.
	Idle(ctx context.Context, before time.Time) ([]string, error)

	// Expire drops what lim says has expired (ended conferences past
	// Retention) and announces each drop (ChangeRemoved) to the watchers;
	// a store whose entries expire by themselves may do nothing.
	Expire(ctx context.Context, now time.Time, lim Limits) error

	// Watch calls deliver with every change committed to the store, by any
	// Tracker sharing it, from its return until stop is called; deliver
	// must not block. When the store knows it could not deliver some
	// changes (a lost connection), it calls lost before the next delivery.
	Watch(deliver func(Change), lost func()) (stop func())
}

// Turn is the right to change one conference, returned by
// [Store.Acquire]. Exactly one caller holds a conference's turn at a time;
// a store shared by processes gives the turn a lease, so that the turn of a
// process that died is taken over, and fences it, so that the late commit
// of such a holder is refused.
type Turn interface {
	// Record returns the conference's committed record when the turn was
	// taken; nil for a conference the store does not hold yet.
	Record() *Record

	// Commit stores rec as the conference's record, delivers changes to
	// the watchers, and gives the turn back, if this turn is still the
	// conference's; otherwise it stores nothing and returns an error
	// wrapping [ErrTurnLost]. One call does all three, so that a shared
	// store can do them in one round trip; a Tracker commits at most once
	// per turn.
	Commit(ctx context.Context, rec *Record, changes []Change) error

	// Release gives the turn back without committing. The Tracker calls it
	// on every path, so after a Commit it must do nothing.
	Release()
}

// Limits are the bounds a Tracker asks of its Store, from its fields.
type Limits struct {
	MaxConferences int           // conferences held at once, live and ended
	Retention      time.Duration // how long an ended conference is kept; negative: until evicted
	MaxIdle        time.Duration // how long a live one may go without an event; negative: forever
}

var (
	// ErrTrackerFull is returned (wrapped) by [Tracker.Apply] when a new
	// conference would exceed MaxConferences and no ended conference can be
	// evicted, or when a conference already has MaxMembers members present.
	// It wraps vobizhook.ErrUnavailable, so a Handler answers 503 and Vobiz
	// retries later.
	ErrTrackerFull = fmt.Errorf("track: tracker full: %w", vobizhook.ErrUnavailable)

	// ErrUntrackable is returned (wrapped) by [Tracker.Apply] for an event it
	// cannot key: an action other than enter, exit, start and end, an empty
	// ConferenceUUID, or an enter or exit with neither CallUUID nor
	// ConferenceMemberID. It is also returned, together with a
	// *vobizhook.ParamError naming the field, for an event that
	// ConferenceEvent.Validate refuses (a field longer than a Handler's
	// decoding accepts, control characters). [Tracker.Track] passes such
	// events to their func as if no Tracker were set.
	ErrUntrackable = errors.New("track: event cannot be tracked")

	// ErrForgotten is returned by [Store.Acquire] for a conference that
	// ended and was dropped: a late or retried event for it, which the
	// Tracker acknowledges and ignores instead of starting it again.
	ErrForgotten = errors.New("track: conference ended and dropped")

	// ErrTurnLost is returned (wrapped) by [Turn.Commit] when the turn is no
	// longer the caller's: its lease ran out and another holder took it.
	// Nothing was committed. It wraps vobizhook.ErrUnavailable (503): the
	// retry is applied by the new holder's state.
	ErrTurnLost = fmt.Errorf("track: turn lost, commit refused: %w", vobizhook.ErrUnavailable)
)
