package vobizhook

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
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

var (
	// ErrTrackerFull is returned (wrapped) by [Tracker.Apply] when a new
	// conference would exceed MaxConferences and no ended conference can be
	// evicted, or when a conference already has MaxMembers members present.
	// A [Handler] answers it with 503 so that Vobiz retries later.
	ErrTrackerFull = errors.New("vobizhook: tracker full")

	// ErrUntrackable is returned (wrapped) by [Tracker.Apply] for an event it
	// cannot key: an action other than enter, exit, start and end, an empty
	// ConferenceUUID, or an enter or exit with neither CallUUID nor
	// ConferenceMemberID. It is also returned, together with a *[ParamError]
	// naming the parameter, for an event with a field longer than the
	// Handler's decoding accepts (128 bytes for ConferenceUUID and CallUUID,
	// 512 for ConferenceName, 64 for ConferenceMemberID, From and To, 2048
	// for RecordingUrl). A [Handler] passes such events to its funcs as if
	// no Tracker were set.
	ErrUntrackable = errors.New("vobizhook: event cannot be tracked")
)

// EndReason says what ended a conference; see [Tracker] for the rule.
type EndReason string

// The reasons a conference ends.
const (
	// EndProvider: the provider's own end callback (ConferenceAction=end).
	EndProvider EndReason = "provider-end"
	// EndLastMember: an exit with ConferenceLastMember=true or, on older
	// payloads, ConferenceCurrentSize=0.
	EndLastMember EndReason = "last-member"
	// EndEmptyRoster: on traffic that never reports the room's state, the
	// tracked roster became empty with no exit awaiting its enter (rule 2c
	// of [Tracker]).
	EndEmptyRoster EndReason = "empty-roster"
	// EndIdle: no event arrived for MaxIdle (its end signal was lost); the
	// sweep closed it, calling OnEnd outside any request (see [Tracker],
	// "Idle conferences").
	EndIdle EndReason = "idle"
)

// ChangeKind names what a [Change] did.
type ChangeKind string

// The kinds of [Change].
const (
	ChangeStarted ChangeKind = "started" // the conference started
	ChangeEntered ChangeKind = "entered" // a member's enter was applied
	ChangeExited  ChangeKind = "exited"  // a member's exit was applied
	ChangeEnded   ChangeKind = "ended"   // the conference ended
	// ChangeUpdated: the event changed no member and no lifecycle state but
	// added information: the provider's start or end seen late, a
	// RecordingUrl, a larger ConferenceCurrentSize, an earlier Timestamp.
	ChangeUpdated ChangeKind = "updated"
	// ChangeRemoved: the conference was dropped (Retention passed, or it
	// was evicted to make room); it can no longer be read.
	ChangeRemoved ChangeKind = "removed"
)

// Member is one participant of a conference, as a value copy that is safe
// to keep and share.
//
// A member is identified by CallUUID + MemberID (MemberID is empty on older
// payloads). From and To come from its enter, since exits carry no numbers.
type Member struct {
	CallUUID string `json:"callUuid"`           // the member's call leg
	MemberID string `json:"memberId,omitempty"` // ConferenceMemberID; empty on older payloads
	From     string `json:"from,omitempty"`     // from its enter
	To       string `json:"to,omitempty"`       // from its enter
	// JoinedAt is when it entered; zero if its enter has not been seen.
	JoinedAt time.Time `json:"joinedAt,omitzero"`
	// LeftAt is when it left; zero while it is present. A member still
	// present when its conference ended is given the end time until its own
	// exit arrives (ExitSeen false meanwhile).
	LeftAt time.Time `json:"leftAt,omitzero"`
	// Stay is LeftAt - JoinedAt when both are known and ordered, else 0
	// (nanoseconds in JSON).
	Stay      time.Duration `json:"stay,omitempty"`
	EnterSeen bool          `json:"enterSeen"` // its enter was applied
	ExitSeen  bool          `json:"exitSeen"`  // its exit was applied
}

// ConferenceSnapshot is a consistent snapshot of one tracked conference. Each
// call that returns one hands out its own copy, Members and Past included:
// the tracker never modifies it, and what its holder does to it (sorting
// Members, editing an element) is seen by nobody else. So it is safe to
// keep, pass to another goroutine and encode as JSON for a web page.
//
// Times are event times: a callback's Timestamp when it carries one (read in
// Handler.Location), otherwise the tracker's clock when the event was
// applied. Today's Vobiz sends no Timestamp, so on live traffic they are
// arrival times.
type ConferenceSnapshot struct {
	UUID string `json:"uuid"` // ConferenceUUID
	Name string `json:"name"` // ConferenceName, from the first event that carried it
	// StartedAt is the earliest event time seen for the conference (so it
	// can move earlier when an out-of-order event with an earlier Timestamp
	// arrives after OnStart).
	StartedAt time.Time `json:"startedAt"`
	// StartedBy is the action of the event that started it: start when it
	// was the provider's, else enter, exit or end.
	StartedBy Action `json:"startedBy"`
	// Ended reports whether the conference has ended; it never reverts.
	Ended bool `json:"ended"`
	// EndedAt is the provider's end time when its end was seen, else the
	// time of the event that ended it; zero while live.
	EndedAt   time.Time `json:"endedAt,omitzero"`
	EndReason EndReason `json:"endReason,omitempty"` // which rule ended it; empty while live
	// ProviderStart and ProviderEnd report whether the provider's own start
	// and end callbacks were seen (older Vobiz revisions send them).
	ProviderStart bool   `json:"providerStart"`
	ProviderEnd   bool   `json:"providerEnd"`
	RecordingURL  string `json:"recordingUrl,omitempty"` // from the provider's end
	// Peak is the largest roster seen: the tracked roster's size or a
	// ConferenceCurrentSize the provider reported, whichever is larger.
	Peak int `json:"peak"`
	// Members are the members present, in order of JoinedAt. An ended
	// conference has none.
	Members []Member `json:"members"`
	// Past are the members that left, that were present when the conference
	// ended, or whose exit arrived before their enter; in order of LeftAt.
	Past []Member `json:"past"`
	// PastDropped counts past records discarded to respect MaxMembers.
	PastDropped int `json:"pastDropped,omitempty"`
}

// Size returns the number of members present.
func (c ConferenceSnapshot) Size() int { return len(c.Members) }

// Lookup finds a member, present or past, by CallUUID and ConferenceMemberID
// (empty on older payloads).
func (c ConferenceSnapshot) Lookup(callUUID, memberID string) (Member, bool) {
	for _, list := range [2][]Member{c.Members, c.Past} {
		for _, m := range list {
			if m.CallUUID == callUUID && m.MemberID == memberID {
				return m, true
			}
		}
	}
	return Member{}, false
}

// Change describes one state change the tracker applied. Subscribers
// (see [Tracker.Subscribe]) receive them, and [Tracker.Apply] returns them.
// A change is small; read the conference's state with [Tracker.Conference].
type Change struct {
	// Seq numbers the changes, from 1, in the order they are delivered to
	// subscribers. The changes of one conference are numbered in the order
	// they were committed. Across conferences Seq is not a commit order:
	// each change is numbered just after its commit, outside the tracker's
	// locks, so two changes of different conferences committed at about the
	// same time may be numbered either way.
	Seq            uint64     `json:"seq"`
	Kind           ChangeKind `json:"kind"`                     // what changed
	ConferenceUUID string     `json:"conferenceUuid"`           // the conference it changed
	ConferenceName string     `json:"conferenceName,omitempty"` // its room name
	// At is the event time of the change (for ChangeEnded, EndedAt).
	At time.Time `json:"at,omitzero"`
	// Member is the member entered or exited, as of this change; nil for
	// other kinds. Each subscriber, and Apply's caller, gets its own copy.
	Member *Member `json:"member,omitempty"`
	// Size is the number of members present after the change.
	Size int `json:"size"`
	// Dropped is how many changes this subscriber lost just before this one
	// because it fell behind (its buffer was full, so everything buffered
	// was discarded and this change delivered first); when it is not zero,
	// re-read the state with [Tracker.Conferences]. Always zero in Apply's
	// result.
	Dropped uint64 `json:"dropped,omitempty"`
}

// Tracker keeps the state of every conference from its callbacks: who is in
// which room now, when each room started and ended, how long each member
// stayed. Set it as [Handler.Tracker] and the Handler's OnStart and OnEnd
// fire exactly once per conference whether or not Vobiz sends start and
// end, and OnEnter and OnExit once per member change, never for duplicates.
// Without a Handler, feed it with [Tracker.Apply].
//
// Its zero value is ready to use; set the fields before first use and do not
// change them afterwards. A Tracker must not be copied after first use.
//
// # Delivery
//
// Vobiz neither orders nor deduplicates deliveries, and retries failures. The
// Tracker is idempotent (a duplicate delivery changes nothing and calls
// nothing) and order-tolerant: an exit that arrives before its member's
// enter is remembered (a tombstone, kept as a past member), so the late
// enter fills in the member's numbers and join time without making it
// present again; an exit that arrives after the conference ended still
// closes its member's stay. Members are keyed by CallUUID + MemberID.
//
// # Lifecycle rule
//
// A ConferenceUUID names one session, which goes not started → live → ended
// and never back:
//
//  1. Start: the first event applied for a ConferenceUUID (enter, exit,
//     start or end) starts it. An exit or end arriving first proves the room
//     existed. OnStart runs before that event's own func.
//  2. End: a live conference ends at the first event that is
//     (a) the provider's end; or
//     (b) an exit reporting an empty room, ConferenceLastMember=true or,
//     when it carries no ConferenceLastMember, ConferenceCurrentSize=0;
//     unless the provider's own start has been seen for this conference (a
//     provider that sends start also sends end, which carries RecordingUrl,
//     so then only its end counts); or
//     (c) only for a conference none of whose events so far carried
//     ConferenceLastMember or ConferenceCurrentSize or was the provider's
//     start: an enter or exit after which the tracked roster is empty and
//     no applied exit is still waiting for its member's enter.
//     OnEnd runs after that event's own func (after OnStart too when one
//     event does both).
//  3. Once ended, always ended: later events for the ConferenceUUID still
//     update the record (late enters and exits, the provider's late start
//     or end, RecordingUrl) but never fire OnStart or OnEnd again. Members
//     present at the end are moved to Past with LeftAt = EndedAt until
//     their own exit arrives; no OnExit is made up for them.
//
// So each conference gets at most one start and at most one end, whatever
// arrives in whatever order, and exactly one of each once all its events
// have been delivered. Today's Vobiz marks every exit with
// ConferenceLastMember and older payloads carry ConferenceCurrentSize, so (b)
// decides on real traffic; (c) serves payloads with neither, where a
// shuffled delivery (A's exit before B's enter) can end the room early,
// still exactly once. A conference whose end signal never arrives is closed
// after MaxIdle (EndIdle), also with exactly one OnEnd (see below).
//
// # Callbacks and failures
//
// OnStart and OnEnd receive the triggering event: the provider's start or
// end itself, or else a copy of the enter, exit or end that triggered them
// with Action set to start or end (Params still holds the trigger's
// parameters, so Params.Get("ConferenceAction") tells a derived event from
// the provider's). Their Timestamp is set to the start or end time the
// tracker recorded. Inside any func, [ConferenceFromContext] returns the
// conference as it will be once that step is committed.
//
// Each step (start, the member's enter or exit, end) is committed only after
// its func returned nil. When a func fails or panics, the Handler answers
// 500 and the steps already done stay done; Vobiz's retry then runs only the
// rest: a failed OnEnter is called again, the OnStart that preceded it is
// not.
//
// # Idle conferences
//
// On today's traffic the end is decided by the exit that reports the room
// empty (rule 2b); if that one delivery is lost for good (Vobiz gave up
// retrying), no later event ends the conference. So a live conference with
// no event applied for MaxIdle is ended by the sweep (see [Tracker.Sweep]),
// with EndReason EndIdle and EndedAt its last event's time, and the OnEnd of
// the Handler that fed it runs then: OnEnd stays exactly once per
// conference. That call differs from the others: it runs outside any
// request, with context.Background(), on the goroutine of Sweep (or on a
// goroutine of its own when the sweep was triggered by Apply, so that no
// request waits for another conference's OnEnd); its event names only the
// conference (ConferenceUUID, ConferenceName, Timestamp = EndedAt, Action
// end, no ConferenceAction in Params), and [ConferenceFromContext] returns
// the final roster with EndReason EndIdle. If it fails, the error is logged
// to the Handler's Logger and the next sweep calls it again; the conference
// stays live meanwhile. The price is lateness: OnEnd comes MaxIdle after the
// last event, 24 hours by default. A conference cannot outlast the
// <Conference timeLimit> (14400 s by default), so a MaxIdle a little longer
// than the longest timeLimit you set ends such conferences sooner.
//
// # Concurrency
//
// Events of different conferences are applied in parallel; no global lock is
// held while funcs run. Events of one conference are applied one at a time,
// funcs included, so keep funcs fast (Vobiz waits 3 s) and do not call Apply
// for the same conference from inside them. Reads never wait for funcs, and
// commits never wait for reads: the global lock is taken only to look up,
// add or remove a conference, never while a snapshot is built.
//
// # Memory
//
// Ended conferences are kept for Retention, then dropped. A dropped
// conference's ConferenceUUID is still remembered, as a 16-byte hash, until
// at least MaxConferences more conferences have been dropped after it
// (under 1 MB at the default cap): a late or retried event for it is then
// acknowledged and ignored (Apply returns no change, the Handler calls no
// func and answers 200) instead of starting the conference again and firing
// OnStart and OnEnd a second time. Past that memory, such an event would
// start a new record. At most MaxConferences are tracked: to admit a new one the
// tracker evicts the conference that ended longest ago; if none has ended it
// refuses the event with [ErrTrackerFull] (503 from a Handler, so Vobiz
// retries) rather than forget a live conference, which would break the
// exactly-once guarantee. Each conference keeps at most MaxMembers member
// records; the oldest past members and tombstones go first, and an enter
// beyond MaxMembers present members is refused with ErrTrackerFull.
// Expired conferences are swept by Apply at most once a second, or by
// [Tracker.Sweep].
//
// The caps bound memory by records: at most MaxConferences x MaxMembers
// member records, about 270 bytes each with Vobiz's IDs (see the
// benchmarks); Apply refuses fields longer than the Handler accepts (see
// [ErrUntrackable]), so even with every field at its limit a record takes
// about 500 bytes (measured). Size the caps to your traffic.
//
// # Untrusted traffic
//
// Whoever can reach the callback URL can make the tracker track
// conferences. Without signature verification, a few thousand requests
// inventing live conferences fill MaxConferences, and every real
// conference is then refused (503) until MaxIdle ends the fake ones: 24
// hours by default. In production, put the Tracker behind a Handler that
// verifies signatures (set [Handler.AuthToken]), so that only Vobiz's
// callbacks reach it; feed Apply only with events you trust.
type Tracker struct {
	// Retention is how long an ended conference stays readable after it
	// ended, by the tracker's clock. Zero means DefaultRetention; negative
	// means until evicted by MaxConferences.
	Retention time.Duration

	// MaxIdle ends a live conference (EndIdle) that has had no event
	// applied for this long: its end signal was lost. The sweep calls OnEnd
	// for it (see "Idle conferences" above). Zero means DefaultMaxIdle;
	// negative means never.
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

	// mu guards confs, and trackedConf.removed (written only with mu held
	// exclusively). Commits do not take it.
	mu        sync.RWMutex
	confs     map[string]*trackedConf
	lastSweep atomic.Int64 // unix nanoseconds of the last sweep

	// forgotten remembers the conferences dropped after they ended; guarded
	// by mu, held exclusively.
	forgotten endedSet

	// ended lists the conferences in the order they ended, for eviction;
	// entries already removed are skipped and dropped lazily.
	endedMu sync.Mutex
	ended   []*trackedConf

	subsMu sync.Mutex // orders Seq assignment and delivery to subscribers
	subs   map[*subscriber]struct{}
	nsubs  atomic.Int32
	seq    atomic.Uint64
}

// trackedConf is one conference. turn serializes the goroutines applying
// events to it, user funcs included; mu guards st and snap for readers.
// Writers hold both; a turn holder may read st without mu.
type trackedConf struct {
	turn    chan struct{}
	mu      sync.Mutex
	st      confState
	snap    *ConferenceSnapshot // cached snapshot; nil when stale
	removed bool                // dropped from the map; appliers must look up again
	// h is the Handler that last applied an event to it, if any: the sweep
	// calls its OnEnd when the conference is closed for idleness.
	h *Handler
}

type memberKey struct{ call, member string }

type memberRec struct {
	key          memberKey // owned copies of the IDs
	from, to     string
	joined, left time.Time
	enterSeen    bool
	exitSeen     bool
}

type confState struct {
	uuid, name     string
	started, ended bool
	startedAt      time.Time
	endedAt        time.Time
	lastAt         time.Time // event time of the last commit
	startedBy      Action
	endReason      EndReason
	providerStart  bool
	providerEnd    bool
	informed       bool // some event carried ConferenceLastMember or ConferenceCurrentSize, or was the provider's start
	awaitingEnter  int  // tombstones: exits applied whose enter is not
	recordingURL   string
	peak           int
	pastDropped    int
	current        map[memberKey]*memberRec
	past           map[memberKey]*memberRec
	pastOrder      []memberKey // keys of past in insertion order, for eviction

	// By the tracker's clock, for MaxIdle and Retention.
	lastActive, endedLocal time.Time
}

type stepKind uint8

const (
	stepNone stepKind = iota
	stepStart
	stepEnter
	stepExit
	stepEnd
	stepUpdate
)

type step struct {
	kind   stepKind
	at     time.Time
	reason EndReason // for stepEnd
}

// Apply applies one event without calling any func and returns the changes
// it made: none for a duplicate, nor for an event of a conference that
// ended and was dropped (see "Memory" in [Tracker]). Use it when you parse callbacks yourself
// (ParseConferenceEvent in your own router) or replay stored events; a
// [Handler] with its Tracker field set calls the same code.
//
// The error wraps [ErrUntrackable] or [ErrTrackerFull], or is ctx's error if
// ctx ended while waiting for another event of the same conference.
func (t *Tracker) Apply(ctx context.Context, ev ConferenceEvent) ([]Change, error) {
	if err := checkTrackable(&ev); err != nil {
		return nil, err
	}
	return t.apply(ctx, &ev, nil)
}

// trackedFields are the event fields the tracker copies. Their length is
// bounded by the caps the Handler's decoding enforces on the same parameters
// (namedMaxLen), so the tracker's memory is bounded in bytes and not only in
// records, and any event a Handler accepts, Apply accepts.
var trackedFields = [...]struct {
	param string
	get   func(*ConferenceEvent) string
}{
	{"ConferenceUUID", func(ev *ConferenceEvent) string { return ev.ConferenceUUID }},
	{"ConferenceName", func(ev *ConferenceEvent) string { return ev.ConferenceName }},
	{"ConferenceMemberID", func(ev *ConferenceEvent) string { return ev.MemberID }},
	{"CallUUID", func(ev *ConferenceEvent) string { return ev.CallUUID }},
	{"From", func(ev *ConferenceEvent) string { return ev.From }},
	{"To", func(ev *ConferenceEvent) string { return ev.To }},
	{"RecordingUrl", func(ev *ConferenceEvent) string { return ev.RecordingURL }},
}

func checkTrackable(ev *ConferenceEvent) error {
	for _, f := range trackedFields {
		if max := namedMaxLen[namedIndex(f.param)]; len(f.get(ev)) > max {
			return fmt.Errorf("%w: %w", ErrUntrackable,
				&ParamError{Param: f.param, Reason: "want at most " + strconv.Itoa(max) + " bytes", Err: ErrInvalidParam})
		}
	}
	switch ev.Action {
	case ActionEnter, ActionExit:
		if ev.CallUUID == "" && ev.MemberID == "" {
			return fmt.Errorf("%w: %s without CallUUID or ConferenceMemberID", ErrUntrackable, ev.Action)
		}
	case ActionStart, ActionEnd:
	default:
		return fmt.Errorf("%w: ConferenceAction is not enter, exit, start or end", ErrUntrackable)
	}
	if ev.ConferenceUUID == "" {
		return fmt.Errorf("%w: no ConferenceUUID", ErrUntrackable)
	}
	return nil
}

// handlerFunc is what a Handler with a Tracker dispatches ev to: fn itself
// for events the tracker cannot key, else a func that applies ev and calls
// h's funcs for the steps it makes.
func (t *Tracker) handlerFunc(h *Handler, ev ConferenceEvent, fn func(context.Context, ConferenceEvent) error) func(context.Context, ConferenceEvent) error {
	if err := checkTrackable(&ev); err != nil {
		switch ev.Action {
		case ActionEnter, ActionExit, ActionStart, ActionEnd:
			// Logged from inside the dispatched func, so with the request's
			// context (trace IDs and the like reach the log handler).
			return func(ctx context.Context, ev ConferenceEvent) error {
				h.logger().LogAttrs(ctx, slog.LevelWarn, "vobizhook: event not tracked, dispatched as is",
					slog.String("action", string(ev.Action)), slog.String("reason", err.Error()))
				if fn == nil {
					return nil
				}
				return fn(ctx, ev)
			}
		}
		return fn
	}
	return func(ctx context.Context, ev ConferenceEvent) error {
		_, err := t.apply(ctx, &ev, h)
		return err
	}
}

func (t *Tracker) apply(ctx context.Context, ev *ConferenceEvent, h *Handler) ([]Change, error) {
	now := t.now()
	t.maybeSweep(now)
	c, err := t.acquire(ctx, ev.ConferenceUUID, now)
	if err == errForgotten {
		if h != nil {
			h.logger().LogAttrs(ctx, slog.LevelDebug, "vobizhook: event for a conference that ended and was dropped; ignored",
				slog.String("action", string(ev.Action)), slog.String("conference_uuid", ev.ConferenceUUID))
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer c.release()
	if h != nil {
		c.h = h
	}

	at := ev.Timestamp
	if at.IsZero() {
		at = now
	}
	key := memberKey{ev.CallUUID, ev.MemberID}
	limit := t.maxMembers()
	var changes []Change
	// At most start, member, end and update; the bound is a safety net.
	for range 5 {
		st, err := c.st.next(ev, at, key, limit)
		if err != nil || st.kind == stepNone {
			return changes, err
		}
		if h != nil {
			if err := t.runFunc(ctx, h, c, st, ev, key, now); err != nil {
				return changes, err
			}
		}
		changes = append(changes, t.commit(c, st, ev, key, now))
	}
	return changes, nil
}

// runFunc calls h's func for the step, if any, with the step's preview in
// the context.
func (t *Tracker) runFunc(ctx context.Context, h *Handler, c *trackedConf, st step, ev *ConferenceEvent, key memberKey, now time.Time) error {
	var fn func(context.Context, ConferenceEvent) error
	arg := *ev
	switch st.kind {
	case stepStart:
		fn, arg.Action, arg.Timestamp = h.OnStart, ActionStart, st.at
	case stepEnter:
		fn = h.OnEnter
	case stepExit:
		fn = h.OnExit
	case stepEnd:
		fn, arg.Action, arg.Timestamp = h.OnEnd, ActionEnd, st.at
	}
	if fn == nil {
		return nil
	}
	p := &preview{c: c, st: st, ev: ev, key: key, now: now, limit: t.maxMembers()}
	defer p.done.Store(true)
	return call(context.WithValue(ctx, previewKey{}, p), fn, arg)
}

type previewKey struct{}

type preview struct {
	c     *trackedConf
	st    step
	ev    *ConferenceEvent
	key   memberKey
	now   time.Time
	limit int
	done  atomic.Bool
}

// ConferenceFromContext returns, inside a func called by a [Handler] whose
// Tracker is set, the conference as it will be once the current step is
// committed: in OnEnter the member is present, in OnEnd the conference is
// ended and its members are in Past. It reports false outside such a func,
// and after the func returned.
func ConferenceFromContext(ctx context.Context) (ConferenceSnapshot, bool) {
	p, _ := ctx.Value(previewKey{}).(*preview)
	if p == nil || p.done.Load() {
		return ConferenceSnapshot{}, false
	}
	p.c.mu.Lock()
	s := p.c.st.clone()
	p.c.mu.Unlock()
	s.apply(p.st, p.ev, p.key, p.now, p.limit)
	return *s.snapshot(), true
}

// commit applies st to c, whose turn the caller holds, and emits the change.
func (t *Tracker) commit(c *trackedConf, st step, ev *ConferenceEvent, key memberKey, now time.Time) Change {
	c.mu.Lock()
	c.st.apply(st, ev, key, now, t.maxMembers())
	c.snap = nil
	ch := c.st.change(st, key)
	c.mu.Unlock()
	if st.kind == stepEnd {
		t.noteEnded(c)
	}
	t.emit(&ch)
	return ch
}

// noteEnded queues c, which just ended, for eviction.
func (t *Tracker) noteEnded(c *trackedConf) {
	t.endedMu.Lock()
	t.ended = append(t.ended, c)
	t.endedMu.Unlock()
}

// next returns the step ev still calls for in state s, or stepNone. It
// depends only on s and ev, so a retry after a failed func redoes exactly
// the steps not yet committed.
func (s *confState) next(ev *ConferenceEvent, at time.Time, key memberKey, limit int) (step, error) {
	if !s.started {
		return step{kind: stepStart, at: at}, nil
	}
	switch ev.Action {
	case ActionEnter:
		if s.current[key] == nil {
			rec := s.past[key]
			if rec == nil && !s.ended && len(s.current) >= limit {
				return step{}, fmt.Errorf("%w: conference has %d members present (MaxMembers)", ErrTrackerFull, len(s.current))
			}
			if rec == nil || !rec.enterSeen {
				return step{kind: stepEnter, at: at}, nil
			}
		}
	case ActionExit:
		rec := s.current[key]
		if rec == nil {
			rec = s.past[key]
			if rec == nil && len(s.current) >= limit {
				return step{}, fmt.Errorf("%w: conference has %d members present (MaxMembers)", ErrTrackerFull, len(s.current))
			}
		}
		if rec == nil || !rec.exitSeen {
			return step{kind: stepExit, at: at}, nil
		}
		// The exit is applied (now or by an earlier delivery whose OnEnd
		// failed); the end it signals is due until committed.
		if reason := exitEnds(ev); reason != "" && !s.ended && !s.providerStart {
			return step{kind: stepEnd, at: at, reason: reason}, nil
		}
	case ActionEnd:
		if !s.ended {
			return step{kind: stepEnd, at: at, reason: EndProvider}, nil
		}
	}
	if s.rosterDone(ev) {
		return step{kind: stepEnd, at: at, reason: EndEmptyRoster}, nil
	}
	if s.wouldTouch(ev, at) {
		return step{kind: stepUpdate, at: at}, nil
	}
	return step{}, nil
}

// apply commits st to s. Every commit also records what ev adds (touch).
func (s *confState) apply(st step, ev *ConferenceEvent, key memberKey, now time.Time, limit int) {
	switch st.kind {
	case stepStart:
		s.started, s.startedAt, s.startedBy = true, st.at, ev.Action
	case stepEnter:
		if rec := s.past[key]; rec != nil {
			// Late: its exit, or the conference's end, came first.
			if !rec.enterSeen && rec.exitSeen {
				s.awaitingEnter--
			}
			rec.enterSeen, rec.from, rec.to = true, strings.Clone(ev.From), strings.Clone(ev.To)
			rec.joined = st.at
			if rec.left.Before(rec.joined) {
				rec.joined = rec.left
			}
		} else {
			k := ownKey(key)
			rec := &memberRec{key: k, from: strings.Clone(ev.From), to: strings.Clone(ev.To), joined: st.at, enterSeen: true}
			if s.ended {
				rec.left = maxTime(st.at, s.endedAt)
				s.addPast(k, rec, limit)
			} else {
				if s.current == nil {
					s.current = make(map[memberKey]*memberRec)
				}
				s.current[k] = rec
				s.peak = max(s.peak, len(s.current))
				s.trim(limit)
			}
		}
	case stepExit:
		if rec := s.current[key]; rec != nil {
			delete(s.current, key)
			rec.exitSeen, rec.left = true, st.at
			s.addPast(rec.key, rec, limit)
		} else if rec := s.past[key]; rec != nil {
			// Its stay was closed by the end; the real exit time wins.
			rec.exitSeen, rec.left = true, st.at
		} else {
			k := ownKey(key)
			s.awaitingEnter++
			s.addPast(k, &memberRec{key: k, exitSeen: true, left: st.at}, limit)
		}
	case stepEnd:
		s.end(st.at, st.reason, now, limit)
	}
	s.touch(ev, st.at, now)
}

// ownKey copies the IDs out of the request body they share memory with.
func ownKey(k memberKey) memberKey {
	return memberKey{strings.Clone(k.call), strings.Clone(k.member)}
}

// exitEnds reports whether the exit ev says the room is empty: by
// ConferenceLastMember=true, or, when it carries no ConferenceLastMember, by
// ConferenceCurrentSize=0. A parameter counts as carried when Params holds a
// non-empty value for it, so a hand-built event's zero CurrentSize is not
// read as an empty room.
func exitEnds(ev *ConferenceEvent) EndReason {
	switch {
	case ev.Action != ActionExit:
		return ""
	case ev.LastMember:
		return EndLastMember
	case ev.Params.Get("ConferenceLastMember") != "":
		return ""
	case ev.CurrentSize == 0 && ev.Params.Get("ConferenceCurrentSize") != "":
		return EndLastMember
	}
	return ""
}

// informative reports whether ev tells the room's state by itself, which
// turns the roster fallback off for its conference.
func informative(ev *ConferenceEvent) bool {
	return ev.Action == ActionStart || ev.LastMember || ev.CurrentSize > 0 ||
		ev.Params.Get("ConferenceLastMember") != "" || ev.Params.Get("ConferenceCurrentSize") != ""
}

// rosterDone is the fallback end rule for traffic that never reports the
// room's state: after an enter or exit, the tracked roster is empty and no
// exit awaits its enter.
func (s *confState) rosterDone(ev *ConferenceEvent) bool {
	return !s.ended && !s.informed && (ev.Action == ActionEnter || ev.Action == ActionExit) &&
		len(s.current) == 0 && s.awaitingEnter == 0 && len(s.past) > 0
}

// end marks s ended and moves the members still present to the past, with
// the end time as their provisional LeftAt.
func (s *confState) end(at time.Time, reason EndReason, now time.Time, limit int) {
	s.ended, s.endedAt, s.endReason, s.endedLocal = true, at, reason, now
	keys := make([]memberKey, 0, len(s.current))
	for k := range s.current {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b memberKey) int {
		return cmp.Or(s.current[a].joined.Compare(s.current[b].joined), cmp.Compare(a.call, b.call), cmp.Compare(a.member, b.member))
	})
	for _, k := range keys {
		rec := s.current[k]
		rec.left = maxTime(at, rec.joined)
		delete(s.current, k)
		s.addPast(k, rec, limit)
	}
}

// addPast records r as past, evicting the oldest past records beyond limit.
func (s *confState) addPast(k memberKey, r *memberRec, limit int) {
	if s.past == nil {
		s.past = make(map[memberKey]*memberRec)
	}
	s.past[k] = r
	s.pastOrder = append(s.pastOrder, k)
	s.trim(limit)
}

// trim evicts the oldest past records (tombstones included) while the
// conference holds more than limit records.
func (s *confState) trim(limit int) {
	for len(s.current)+len(s.past) > limit && len(s.pastOrder) > 0 {
		old := s.pastOrder[0]
		s.pastOrder = s.pastOrder[1:]
		if r, ok := s.past[old]; ok {
			if !r.enterSeen && r.exitSeen {
				s.awaitingEnter--
			}
			delete(s.past, old)
			s.pastDropped++
		}
	}
}

// wouldTouch reports whether touch would record anything new.
func (s *confState) wouldTouch(ev *ConferenceEvent, at time.Time) bool {
	return (s.name == "" && ev.ConferenceName != "") ||
		(!s.informed && informative(ev)) ||
		at.Before(s.startedAt) ||
		(ev.Action == ActionStart && !s.providerStart) ||
		(ev.Action == ActionEnd && s.ended && !s.providerEnd) ||
		(ev.RecordingURL != "" && ev.RecordingURL != s.recordingURL) ||
		ev.CurrentSize > s.peak
}

// touch records what ev adds beyond its step. It is idempotent: a duplicate
// of ev (even with a later clock time) changes nothing.
func (s *confState) touch(ev *ConferenceEvent, at, now time.Time) {
	if s.name == "" && ev.ConferenceName != "" {
		s.name = strings.Clone(ev.ConferenceName)
	}
	if at.Before(s.startedAt) {
		s.startedAt = at
	}
	if ev.Action == ActionStart {
		s.providerStart = true
	}
	if !s.informed && informative(ev) {
		s.informed = true
	}
	if ev.Action == ActionEnd && s.ended && !s.providerEnd {
		s.providerEnd, s.endedAt = true, at
	}
	if ev.RecordingURL != "" && ev.RecordingURL != s.recordingURL {
		s.recordingURL = strings.Clone(ev.RecordingURL)
	}
	s.peak = max(s.peak, ev.CurrentSize)
	s.lastAt, s.lastActive = at, now
}

func (s *confState) change(st step, key memberKey) Change {
	ch := Change{ConferenceUUID: s.uuid, ConferenceName: s.name, At: st.at, Size: len(s.current)}
	switch st.kind {
	case stepStart:
		ch.Kind = ChangeStarted
	case stepEnter, stepExit:
		ch.Kind = ChangeEntered
		if st.kind == stepExit {
			ch.Kind = ChangeExited
		}
		rec := s.current[key]
		if rec == nil {
			rec = s.past[key]
		}
		if rec != nil {
			m := rec.member()
			ch.Member = &m
		}
	case stepEnd:
		ch.Kind, ch.At = ChangeEnded, s.endedAt
	default:
		ch.Kind = ChangeUpdated
	}
	return ch
}

func (r *memberRec) member() Member {
	m := Member{CallUUID: r.key.call, MemberID: r.key.member, From: r.from, To: r.to,
		JoinedAt: r.joined, LeftAt: r.left, EnterSeen: r.enterSeen, ExitSeen: r.exitSeen}
	if r.enterSeen && !r.left.IsZero() && r.left.After(r.joined) {
		m.Stay = r.left.Sub(r.joined)
	}
	return m
}

func (s *confState) snapshot() *ConferenceSnapshot {
	c := &ConferenceSnapshot{
		UUID: s.uuid, Name: s.name, StartedAt: s.startedAt, StartedBy: s.startedBy,
		Ended: s.ended, EndedAt: s.endedAt, EndReason: s.endReason,
		ProviderStart: s.providerStart, ProviderEnd: s.providerEnd,
		RecordingURL: s.recordingURL, Peak: s.peak, PastDropped: s.pastDropped,
		Members: make([]Member, 0, len(s.current)),
		Past:    make([]Member, 0, len(s.past)),
	}
	for _, r := range s.current {
		c.Members = append(c.Members, r.member())
	}
	for _, r := range s.past {
		c.Past = append(c.Past, r.member())
	}
	slices.SortFunc(c.Members, func(a, b Member) int { return cmp.Or(a.JoinedAt.Compare(b.JoinedAt), compareIDs(a, b)) })
	slices.SortFunc(c.Past, func(a, b Member) int { return cmp.Or(a.LeftAt.Compare(b.LeftAt), compareIDs(a, b)) })
	return c
}

func compareIDs(a, b Member) int {
	return cmp.Or(cmp.Compare(a.CallUUID, b.CallUUID), cmp.Compare(a.MemberID, b.MemberID))
}

func (s *confState) clone() confState {
	n := *s
	n.current = cloneRecs(s.current)
	n.past = cloneRecs(s.past)
	n.pastOrder = slices.Clone(s.pastOrder)
	return n
}

func cloneRecs(m map[memberKey]*memberRec) map[memberKey]*memberRec {
	out := make(map[memberKey]*memberRec, len(m))
	for k, r := range m {
		cp := *r
		out[k] = &cp
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// errForgotten: the event is for a conference that ended and was dropped.
var errForgotten = errors.New("vobizhook: conference ended and dropped")

// endedSet remembers the ConferenceUUIDs of conferences dropped after they
// ended, so that a late or retried event for one is recognised instead of
// starting the conference again. UUIDs are kept as 128-bit keyed hashes in
// pointer-free maps (the garbage collector never scans them, and no request
// memory is retained; a false match has a probability near 2^-100), in two
// generations of at most limit entries each: when the current one is full it
// becomes the previous one and the previous one is dropped. So a UUID is
// remembered until at least limit more conferences were dropped after it.
type endedSet struct {
	seeds     [2]maphash.Seed
	cur, prev map[[2]uint64]struct{}
}

func (e *endedSet) key(uuid string) [2]uint64 {
	return [2]uint64{maphash.String(e.seeds[0], uuid), maphash.String(e.seeds[1], uuid)}
}

func (e *endedSet) has(uuid string) bool {
	if e.cur == nil {
		return false
	}
	k := e.key(uuid)
	if _, ok := e.cur[k]; ok {
		return true
	}
	_, ok := e.prev[k]
	return ok
}

func (e *endedSet) add(uuid string, limit int) {
	if e.cur == nil {
		e.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
		e.cur = make(map[[2]uint64]struct{})
	}
	if len(e.cur) >= limit {
		e.prev, e.cur = e.cur, make(map[[2]uint64]struct{}, len(e.cur))
	}
	e.cur[e.key(uuid)] = struct{}{}
}

func (e *endedSet) len() int { return len(e.cur) + len(e.prev) }

// acquire returns the conference for uuid, created if need be, with its turn
// held. The error is errForgotten for a conference that ended and was
// dropped.
func (t *Tracker) acquire(ctx context.Context, uuid string, now time.Time) (*trackedConf, error) {
	for {
		c, evicted, err := t.lookupOrCreate(uuid, now)
		if evicted != nil {
			t.emit(evicted)
		}
		if err != nil {
			return nil, err
		}
		select {
		case c.turn <- struct{}{}:
		default:
			select {
			case c.turn <- struct{}{}:
			case <-ctx.Done():
				return nil, fmt.Errorf("vobizhook: waiting for another event of the conference: %w", context.Cause(ctx))
			}
		}
		if !c.removed {
			return c, nil
		}
		c.release()
	}
}

func (c *trackedConf) tryAcquire() bool {
	select {
	case c.turn <- struct{}{}:
		return true
	default:
		return false
	}
}

func (c *trackedConf) release() { <-c.turn }

func (t *Tracker) lookupOrCreate(uuid string, now time.Time) (c *trackedConf, evicted *Change, err error) {
	t.mu.RLock()
	c = t.confs[uuid]
	t.mu.RUnlock()
	if c != nil {
		return c, nil, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c = t.confs[uuid]; c != nil {
		return c, nil, nil
	}
	if t.forgotten.has(uuid) {
		return nil, nil, errForgotten
	}
	if n := len(t.confs); n >= t.maxConferences() {
		if evicted = t.evictEndedLocked(); evicted == nil {
			return nil, nil, fmt.Errorf("%w: %d conferences tracked (MaxConferences), none ended", ErrTrackerFull, n)
		}
	}
	if t.confs == nil {
		t.confs = make(map[string]*trackedConf)
	}
	c = &trackedConf{turn: make(chan struct{}, 1)}
	c.st.uuid = strings.Clone(uuid)
	c.st.lastActive = now
	t.confs[c.st.uuid] = c
	return c, evicted, nil
}

// evictEndedLocked drops the conference that ended first and can be taken
// now (no event of it is being applied), if any. t.mu must be held
// exclusively. It walks the queue of ended conferences from its head, so
// it costs nothing per tracked conference.
func (t *Tracker) evictEndedLocked() *Change {
	t.endedMu.Lock()
	defer t.endedMu.Unlock()
	for len(t.ended) > 0 && t.ended[0].removed {
		t.ended[0] = nil
		t.ended = t.ended[1:]
	}
	for i, c := range t.ended {
		if c.removed || !c.tryAcquire() {
			continue
		}
		ch := t.removeLocked(c)
		c.release()
		if i == 0 {
			t.ended[0] = nil
			t.ended = t.ended[1:]
		}
		return &ch
	}
	return nil
}

// compactEndedLocked drops removed conferences from the eviction queue, so
// that it does not keep their memory alive. t.mu must be held exclusively.
func (t *Tracker) compactEndedLocked() {
	t.endedMu.Lock()
	defer t.endedMu.Unlock()
	kept := t.ended[:0]
	for _, c := range t.ended {
		if !c.removed {
			kept = append(kept, c)
		}
	}
	clear(t.ended[len(kept):])
	t.ended = kept
}

// removeLocked drops c; t.mu must be held exclusively and c's turn held.
func (t *Tracker) removeLocked(c *trackedConf) Change {
	if c.st.ended {
		t.forgotten.add(c.st.uuid, t.maxConferences())
	}
	c.mu.Lock()
	c.removed = true
	ch := Change{Kind: ChangeRemoved, ConferenceUUID: c.st.uuid, ConferenceName: c.st.name, At: c.st.endedAt}
	c.mu.Unlock()
	delete(t.confs, c.st.uuid)
	return ch
}

// Sweep drops ended conferences older than Retention and ends live ones
// idle for MaxIdle, calling their Handler's OnEnd before it returns (see
// [Tracker]). Apply sweeps at most once a second of the tracker's clock,
// running those OnEnd calls on a goroutine of their own; call Sweep from a
// ticker too, so that idle conferences are ended and expired ones dropped
// even when events stop.
func (t *Tracker) Sweep() { t.sweep(t.now(), false) }

func (t *Tracker) maybeSweep(now time.Time) {
	last := t.lastSweep.Load()
	if now.UnixNano()-last < int64(time.Second) || !t.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	t.sweep(now, true)
}

func (t *Tracker) sweep(now time.Time, async bool) {
	t.lastSweep.Store(now.UnixNano())
	retention, idle := t.retention(), t.maxIdle()
	var removed []Change
	var idled []*trackedConf
	t.mu.Lock()
	for _, c := range t.confs {
		if !c.tryAcquire() {
			continue // busy: it is not idle, and will be looked at next time
		}
		s := &c.st
		switch {
		case s.ended:
			if retention >= 0 && now.Sub(s.endedLocal) >= retention {
				removed = append(removed, t.removeLocked(c))
			}
		case idle >= 0 && now.Sub(s.lastActive) >= idle:
			if !s.started {
				// Its start never committed (the func failed and Vobiz
				// gave up): it was never visible.
				t.removeLocked(c)
				break
			}
			idled = append(idled, c)
		}
		c.release()
	}
	t.compactEndedLocked()
	t.mu.Unlock()
	for i := range removed {
		t.emit(&removed[i])
	}
	if len(idled) == 0 {
		return
	}
	if async {
		go t.endIdle(idled, now, idle)
		return
	}
	t.endIdle(idled, now, idle)
}

// endIdle ends the conferences that are still idle, as one more step: the
// OnEnd of the Handler that fed the conference runs first, with a
// background context, and the end is committed only if it returned nil
// (else it is logged and the next sweep tries again). No global lock is
// held meanwhile; the conference's turn is, as for any step.
func (t *Tracker) endIdle(confs []*trackedConf, now time.Time, idle time.Duration) {
	ctx := context.Background()
	for _, c := range confs {
		if !c.tryAcquire() {
			continue // an event arrived: it is no longer idle
		}
		s := &c.st
		if c.removed || !s.started || s.ended || now.Sub(s.lastActive) < idle {
			c.release()
			continue
		}
		st := step{kind: stepEnd, at: s.lastAt, reason: EndIdle}
		// The end has no triggering event: OnEnd receives one that names
		// only the conference, and Params holds no ConferenceAction.
		ev := &ConferenceEvent{ConferenceUUID: s.uuid, ConferenceName: s.name, CurrentSize: -1, Params: url.Values{}}
		if h := c.h; h != nil && h.OnEnd != nil {
			if err := t.runFunc(ctx, h, c, st, ev, memberKey{}, now); err != nil {
				attrs := []slog.Attr{slog.String("conference_uuid", s.uuid), slog.Any("error", err)}
				if pe, ok := errors.AsType[*PanicError](err); ok {
					attrs = append(attrs, slog.String("stack", string(pe.Stack)))
				}
				h.logger().LogAttrs(ctx, slog.LevelError, "vobizhook: OnEnd of an idle conference failed; the next sweep tries again", attrs...)
				c.release()
				continue
			}
		}
		t.commit(c, st, ev, memberKey{}, now)
		c.release()
	}
}

// Conference returns a snapshot of the conference with this ConferenceUUID,
// live or ended within Retention. It is cheap: the snapshot is built once
// per change, and each call copies its member slices (one allocation).
func (t *Tracker) Conference(uuid string) (ConferenceSnapshot, bool) {
	t.mu.RLock()
	c := t.confs[uuid]
	t.mu.RUnlock()
	if c == nil {
		return ConferenceSnapshot{}, false
	}
	return c.snapshot()
}

// Conferences returns snapshots of every tracked conference, live and ended
// within Retention, ordered by StartedAt then UUID. Each snapshot is
// consistent; they are taken one after the other without stopping commits,
// so a change committed meanwhile to one conference may be in its snapshot
// while a change committed at the same time to another is not in its own.
// Changes are delivered to subscribers after they are committed, so the
// order subscribe, read, then apply changes still misses nothing.
func (t *Tracker) Conferences() []ConferenceSnapshot { return t.collect(false) }

// Live returns snapshots of the conferences that have not ended, like
// [Tracker.Conferences].
func (t *Tracker) Live() []ConferenceSnapshot { return t.collect(true) }

// collect holds the global lock only to list the conferences. Snapshots are
// built under each conference's own lock, and copied out with no lock held:
// a cached snapshot is never modified, only replaced.
func (t *Tracker) collect(liveOnly bool) []ConferenceSnapshot {
	t.mu.RLock()
	confs := make([]*trackedConf, 0, len(t.confs))
	for _, c := range t.confs {
		confs = append(confs, c)
	}
	t.mu.RUnlock()
	snaps := make([]*ConferenceSnapshot, 0, len(confs))
	members := 0
	for _, c := range confs {
		if s := c.cached(); s != nil && !(liveOnly && s.Ended) {
			snaps = append(snaps, s)
			members += len(s.Members) + len(s.Past)
		}
	}
	slices.SortFunc(snaps, func(a, b *ConferenceSnapshot) int {
		return cmp.Or(a.StartedAt.Compare(b.StartedAt), cmp.Compare(a.UUID, b.UUID))
	})
	// One allocation for every member slice: each snapshot gets its own
	// window, capped so that appending to one cannot overwrite the next.
	buf := make([]Member, members)
	out := make([]ConferenceSnapshot, len(snaps))
	for i, s := range snaps {
		out[i] = *s
		n, p := len(s.Members), len(s.Past)
		copy(buf, s.Members)
		copy(buf[n:], s.Past)
		out[i].Members, out[i].Past = buf[:n:n], buf[n:n+p:n+p]
		buf = buf[n+p:]
	}
	return out
}

// cached returns the conference's snapshot, built if stale, or nil if it
// is not visible. The result is shared: never modify it.
func (c *trackedConf) cached() *ConferenceSnapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.st.started || c.removed {
		return nil
	}
	if c.snap == nil {
		c.snap = c.st.snapshot()
	}
	return c.snap
}

// snapshot returns a copy of the conference's snapshot for a reader.
func (c *trackedConf) snapshot() (ConferenceSnapshot, bool) {
	s := c.cached()
	if s == nil {
		return ConferenceSnapshot{}, false
	}
	return s.detached(), true
}

// detached returns a copy of c whose member slices are its own, so that a
// reader sorting or editing them cannot change what other readers get. Both
// slices share one allocation; Members is capped so that appending to it
// cannot overwrite Past.
func (c *ConferenceSnapshot) detached() ConferenceSnapshot {
	out := *c
	n := len(c.Members)
	buf := make([]Member, n+len(c.Past))
	copy(buf, c.Members)
	copy(buf[n:], c.Past)
	out.Members, out.Past = buf[:n:n], buf[n:]
	return out
}

type subscriber struct {
	ch chan Change
}

// Subscribe returns a channel of the changes committed from now on, for
// dashboards, and a func that ends the subscription and closes the channel.
//
// Sending never blocks the tracker. The channel buffers buf changes (at
// least 1). When a change finds it full, the consumer has fallen behind:
// every buffered change is discarded and the new one is delivered first,
// with the number discarded in Dropped. So a consumer learns of a loss at
// its next receive, and should then re-read [Tracker.Conferences] (which
// already holds the discarded changes' effects) instead of working through
// stale changes. To start a page, subscribe first, then read the snapshot,
// then apply changes: nothing is missed.
func (t *Tracker) Subscribe(buf int) (<-chan Change, func()) {
	s := &subscriber{ch: make(chan Change, max(buf, 1))}
	t.subsMu.Lock()
	if t.subs == nil {
		t.subs = make(map[*subscriber]struct{})
	}
	t.subs[s] = struct{}{}
	t.nsubs.Add(1)
	t.subsMu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			t.subsMu.Lock()
			delete(t.subs, s)
			t.nsubs.Add(-1)
			close(s.ch)
			t.subsMu.Unlock()
		})
	}
}

// emit numbers ch and delivers it to the subscribers.
func (t *Tracker) emit(ch *Change) {
	if t.nsubs.Load() == 0 {
		ch.Seq = t.seq.Add(1)
		return
	}
	t.subsMu.Lock()
	defer t.subsMu.Unlock()
	ch.Seq = t.seq.Add(1)
	for s := range t.subs {
		c := *ch
		if c.Member != nil { // each recipient gets its own copy
			m := *c.Member
			c.Member = &m
		}
		s.send(c)
	}
}

// send delivers ch. When the buffer is full, the subscriber has fallen
// behind and must re-read the state anyway, so what is buffered is stale:
// send discards all of it and enqueues ch alone, carrying the count in
// Dropped, so the consumer learns of the loss at its very next receive
// instead of after working through a full buffer of stale changes. Only
// emit sends, under subsMu, so after the drain there is room.
func (s *subscriber) send(ch Change) {
	select {
	case s.ch <- ch:
		return
	default:
	}
	var dropped uint64
drain:
	for {
		select {
		case old := <-s.ch:
			dropped += 1 + old.Dropped
		default:
			break drain
		}
	}
	ch.Dropped = dropped
	select {
	case s.ch <- ch:
	default: // unreachable: the buffer was just emptied under subsMu
	}
}

func (t *Tracker) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
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
