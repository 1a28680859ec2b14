package track

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/vobizhook/vobizhook"
)

// EndReason says what ended a conference; see the package documentation
// for the rule.
type EndReason string

// The reasons a conference ends.
const (
	// EndProvider: the provider's own end callback (ConferenceAction=end).
	EndProvider EndReason = "provider-end"
	// EndLastMember: an exit with ConferenceLastMember=true or, on older
	// payloads, ConferenceCurrentSize=0.
	EndLastMember EndReason = "last-member"
	// EndEmptyRoster: on traffic that never reports the room's state, the
	// tracked roster became empty with no exit awaiting its enter (rule 2c).
	EndEmptyRoster EndReason = "empty-roster"
	// EndIdle: no event arrived for MaxIdle (its end signal was lost); the
	// sweep closed it, calling Tracker.OnIdleEnd outside any request.
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
	// Direction is "inbound" or "outbound", from its enter.
	Direction string `json:"direction,omitempty"`
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

// Snapshot is a consistent, immutable view of one tracked conference: what
// [Tracker.Conference], [Tracker.Conferences], [Tracker.Live] and
// [FromContext] return. Taking one costs the same whatever the room's size:
// it shares the tracker's copy of the roster, which the tracker never
// changes once built (each change makes a new version), so a Snapshot is
// safe to keep, pass to another goroutine and encode as JSON for a web
// page. Members and Past build the lists on each call, each caller its own.
//
// Times are event times: a callback's Timestamp when it carries one (read in
// Handler.Location), otherwise the tracker's clock when the event was
// applied. Today's Vobiz sends no Timestamp, so on live traffic they are
// arrival times.
type Snapshot struct {
	UUID string // ConferenceUUID
	Name string // ConferenceName, from the first event that carried it
	// StartedAt is the earliest event time seen for the conference (so it
	// can move earlier when an out-of-order event with an earlier Timestamp
	// arrives after OnStart).
	StartedAt time.Time
	// StartedBy is the action of the event that started it: start when it
	// was the provider's, else enter, exit or end.
	StartedBy vobizhook.Action
	// Ended reports whether the conference has ended; it never reverts.
	Ended bool
	// EndedAt is the provider's end time when its end was seen, else the
	// time of the event that ended it; zero while live.
	EndedAt   time.Time
	EndReason EndReason // which rule ended it; empty while live
	// ProviderStart and ProviderEnd report whether the provider's own start
	// and end callbacks were seen (older Vobiz revisions send them).
	ProviderStart bool
	ProviderEnd   bool
	RecordingURL  string // from the provider's end
	// Peak is the largest roster seen: the tracked roster's size or a
	// ConferenceCurrentSize the provider reported, whichever is larger.
	Peak int
	// PastDropped counts past records discarded to respect MaxMembers.
	PastDropped int

	rec *Record // the roster; nil for a zero Snapshot
}

// Size returns the number of members present.
func (c Snapshot) Size() int {
	if c.rec == nil {
		return 0
	}
	return c.rec.m.present
}

// Members returns the members present, in order of JoinedAt (then IDs), as
// a new slice: an ended conference has none. It costs O(n log n) in the
// room's size; Size and Lookup do not.
func (c Snapshot) Members() []Member { return c.list(true) }

// Past returns the members that left, that were present when the
// conference ended, or whose exit arrived before their enter, in order of
// LeftAt (then IDs), as a new slice.
func (c Snapshot) Past() []Member { return c.list(false) }

func (c Snapshot) list(present bool) []Member {
	if c.rec == nil {
		return []Member{}
	}
	n := c.rec.m.present
	if !present {
		n = c.rec.roster.Len() - n
	}
	out := make([]Member, 0, n)
	c.rec.roster.Range(func(_ memberKey, r *memberRec) bool {
		if r.present == present {
			out = append(out, r.member())
		}
		return true
	})
	if present {
		slices.SortFunc(out, func(a, b Member) int { return cmp.Or(a.JoinedAt.Compare(b.JoinedAt), compareIDs(a, b)) })
	} else {
		slices.SortFunc(out, func(a, b Member) int { return cmp.Or(a.LeftAt.Compare(b.LeftAt), compareIDs(a, b)) })
	}
	return out
}

func compareIDs(a, b Member) int {
	return cmp.Or(cmp.Compare(a.CallUUID, b.CallUUID), cmp.Compare(a.MemberID, b.MemberID))
}

// Lookup finds a member, present or past, by CallUUID and
// ConferenceMemberID (empty on older payloads), in O(log n).
func (c Snapshot) Lookup(callUUID, memberID string) (Member, bool) {
	if c.rec == nil {
		return Member{}, false
	}
	k := memberKey{callUUID, memberID}
	if r, ok := c.rec.roster.Get(k.hash(), k); ok {
		return r.member(), true
	}
	return Member{}, false
}

// snapshotJSON is the JSON form of a Snapshot, with its lists.
type snapshotJSON struct {
	UUID          string           `json:"uuid"`
	Name          string           `json:"name"`
	StartedAt     time.Time        `json:"startedAt"`
	StartedBy     vobizhook.Action `json:"startedBy"`
	Ended         bool             `json:"ended"`
	EndedAt       time.Time        `json:"endedAt,omitzero"`
	EndReason     EndReason        `json:"endReason,omitempty"`
	ProviderStart bool             `json:"providerStart"`
	ProviderEnd   bool             `json:"providerEnd"`
	RecordingURL  string           `json:"recordingUrl,omitempty"`
	Peak          int              `json:"peak"`
	Size          int              `json:"size"`
	Members       []Member         `json:"members"`
	Past          []Member         `json:"past"`
	PastDropped   int              `json:"pastDropped,omitempty"`
}

// MarshalJSON encodes the snapshot with its fields and its member lists
// (members, past) and size, for a web page.
func (c Snapshot) MarshalJSON() ([]byte, error) {
	return json.Marshal(snapshotJSON{
		UUID: c.UUID, Name: c.Name, StartedAt: c.StartedAt, StartedBy: c.StartedBy,
		Ended: c.Ended, EndedAt: c.EndedAt, EndReason: c.EndReason,
		ProviderStart: c.ProviderStart, ProviderEnd: c.ProviderEnd, RecordingURL: c.RecordingURL,
		Peak: c.Peak, Size: c.Size(), Members: c.Members(), Past: c.Past(), PastDropped: c.PastDropped,
	})
}

// UnmarshalJSON decodes what MarshalJSON encodes, members included, so that
// a client of a page's JSON can use Snapshot too.
func (c *Snapshot) UnmarshalJSON(b []byte) error {
	var j snapshotJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	rec := &Record{}
	rec.m = meta{
		uuid: j.UUID, name: j.Name, started: true, startedAt: j.StartedAt, startedBy: j.StartedBy,
		ended: j.Ended, endedAt: j.EndedAt, endReason: j.EndReason,
		providerStart: j.ProviderStart, providerEnd: j.ProviderEnd, recordingURL: j.RecordingURL,
		peak: j.Peak, pastDropped: j.PastDropped,
	}
	e := newEdit()
	for _, m := range j.Members {
		r := memberFrom(m, true)
		rec.putMember(e, r.key.hash(), r)
	}
	for _, m := range j.Past {
		r := memberFrom(m, false)
		rec.putMember(e, r.key.hash(), r)
	}
	*c = rec.Snapshot()
	return nil
}

// Change describes one state change the tracker applied. Subscribers
// (see [Tracker.Subscribe]) receive them, and [Tracker.Apply] returns them.
// A change is small; read the conference's state with [Tracker.Conference].
type Change struct {
	// Seq numbers the changes a subscriber receives, from 1, in the order
	// this Tracker delivers them. The changes of one conference are
	// numbered in the order they were committed, whichever replica
	// committed them; across conferences Seq is only the delivery order.
	// Zero in Apply's result.
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
	// was discarded and this change delivered first), or, with a shared
	// store, at least 1 after its connection to the store was lost for a
	// while; when it is not zero, re-read the state with
	// [Tracker.Conferences]. Always zero in Apply's result.
	Dropped uint64 `json:"dropped,omitempty"`
}
