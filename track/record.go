package track

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"
	"time"

	"github.com/vobizhook/vobizhook"
)

// Record is the stored state of one conference: its lifecycle, its times
// and its roster. The Tracker makes and reads Records; a [Store] keeps
// them, by pointer when in memory, or encoded with MarshalBinary when
// elsewhere. A Record is immutable: the Tracker never changes one it has
// handed to a Store, it commits a new one, which shares the unchanged parts
// of the roster with the old.
type Record struct {
	m      meta
	roster rosterMap // present and past members, tombstones included
	// past orders the past records by when they became past (their
	// pastSeq, in [m.pastHead, m.pastTail)), for trimming.
	past pastQueue
	// dropped and droppedPrev remember the members trimmed to respect
	// MaxMembers, as 64-bit hashes, in two generations of at most
	// MaxMembers each: so a retry of a trimmed member's enter or exit is
	// recognised and not applied again.
	dropped, droppedPrev dropSet
}

// meta is a Record's scalars.
type meta struct {
	uuid, name     string
	started, ended bool
	startedAt      time.Time
	endedAt        time.Time
	lastAt         time.Time // event time of the last commit
	startedBy      vobizhook.Action
	endReason      EndReason
	providerStart  bool
	providerEnd    bool
	informed       bool // some event carried ConferenceLastMember or ConferenceCurrentSize, or was the provider's start
	awaitingEnter  int  // tombstones: exits applied whose enter is not
	present        int  // members present
	recordingURL   string
	peak           int
	pastDropped    int
	pastHead       uint64
	pastTail       uint64

	// By the tracker's clock, for MaxIdle and Retention.
	lastActive, endedLocal time.Time
}

type memberKey struct{ call, member string }

var keySeed = maphash.MakeSeed()

// hash places k in the roster; it changes with every process.
func (k memberKey) hash() uint64 { return maphash.Comparable(keySeed, k) }

// stableHash identifies k in the memory of dropped members, which is stored:
// FNV-1a, the same in every process.
func (k memberKey) stableHash() uint64 {
	h := uint64(14695981039346656037)
	for _, s := range [...]string{k.call, "\x00", k.member} {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
	}
	return h
}

// memberRec is one member's record; immutable like the Record holding it.
type memberRec struct {
	key          memberKey // owned copies of the IDs
	from, to     string
	direction    string
	joined, left time.Time
	enterSeen    bool
	exitSeen     bool
	present      bool
	pastSeq      uint64 // its place in Record.past, when not present
}

func (r *memberRec) member() Member {
	m := Member{CallUUID: r.key.call, MemberID: r.key.member, From: r.from, To: r.to, Direction: r.direction,
		JoinedAt: r.joined, LeftAt: r.left, EnterSeen: r.enterSeen, ExitSeen: r.exitSeen}
	if r.enterSeen && !r.left.IsZero() && r.left.After(r.joined) {
		m.Stay = r.left.Sub(r.joined)
	}
	return m
}

func memberFrom(m Member, present bool) *memberRec {
	return &memberRec{key: memberKey{m.CallUUID, m.MemberID}, from: m.From, to: m.To, direction: m.Direction,
		joined: m.JoinedAt, left: m.LeftAt, enterSeen: m.EnterSeen, exitSeen: m.ExitSeen, present: present}
}

// newRecord is the record of a conference seen for the first time.
func newRecord(uuid string) *Record {
	return &Record{m: meta{uuid: strings.Clone(uuid)}}
}

// clone returns a shallow copy, to be changed and committed in place of r.
func (r *Record) clone() *Record {
	c := *r
	return &c
}

// UUID returns the conference's ConferenceUUID.
func (r *Record) UUID() string { return r.m.uuid }

// Ended reports whether the conference has ended.
func (r *Record) Ended() bool { return r.m.ended }

// LastActive returns when an event was last applied to the conference, by
// the clock of the Tracker that applied it: a store lists a live
// conference as idle from LastActive + MaxIdle.
func (r *Record) LastActive() time.Time { return r.m.lastActive }

// EndedLocal returns when the conference ended, by the clock of the
// Tracker that ended it (zero while live): a store keeps an ended
// conference until EndedLocal + Retention.
func (r *Record) EndedLocal() time.Time { return r.m.endedLocal }

// Snapshot returns the conference as a [Snapshot], in O(1).
func (r *Record) Snapshot() Snapshot {
	m := &r.m
	return Snapshot{
		UUID: m.uuid, Name: m.name, StartedAt: m.startedAt, StartedBy: m.startedBy,
		Ended: m.ended, EndedAt: m.endedAt, EndReason: m.endReason,
		ProviderStart: m.providerStart, ProviderEnd: m.providerEnd,
		RecordingURL: m.recordingURL, Peak: m.peak, PastDropped: m.pastDropped,
		rec: r,
	}
}

// member returns the record of k, or nil.
func (r *Record) member(k memberKey) *memberRec {
	rec, _ := r.roster.Get(k.hash(), k)
	return rec
}

// putMember stores rec, whose key's hash is h, replacing the record of its
// key; it keeps the counts and the past order (a record becoming past is
// appended to it). r must be a record being built, by edit e.
func (r *Record) putMember(e, h uint64, rec *memberRec) {
	old, _ := r.roster.Get(h, rec.key)
	if old != nil && old.present {
		r.m.present--
	}
	if rec.present {
		r.m.present++
	} else if old == nil || old.present {
		rec.pastSeq = r.m.pastTail
		r.past = r.past.push(rec.pastSeq, rec.key)
		r.m.pastTail++
	} else {
		rec.pastSeq = old.pastSeq
	}
	r.roster = r.roster.setIn(e, h, rec)
}

// trim drops the oldest past records (tombstones included) while the
// conference holds more than limit records, and remembers their keys.
func (r *Record) trim(e uint64, limit int) {
	for r.roster.Len() > limit && r.m.pastHead < r.m.pastTail {
		seq, k, rest, ok := r.past.pop()
		if !ok {
			r.m.pastHead = r.m.pastTail
			return
		}
		r.past, r.m.pastHead = rest, seq+1
		h := k.hash()
		rec, _ := r.roster.Get(h, k)
		if rec == nil || rec.present || rec.pastSeq != seq {
			continue
		}
		if !rec.enterSeen && rec.exitSeen {
			r.m.awaitingEnter--
		}
		r.roster = r.roster.deleteIn(e, h, k)
		r.m.pastDropped++
		r.rememberDropped(k.stableHash(), limit)
	}
}

func (r *Record) rememberDropped(h uint64, limit int) {
	if r.dropped.Len() >= limit {
		r.droppedPrev, r.dropped = r.dropped.compact(), dropSet{}
	}
	r.dropped = r.dropped.add(h)
}

// wasDropped reports whether k's record was trimmed.
func (r *Record) wasDropped(k memberKey) bool {
	if r.dropped.Len() == 0 {
		return false
	}
	h := k.stableHash()
	return r.dropped.has(h) || r.droppedPrev.has(h)
}

// endAll moves the members present to the past, in order of joining, with
// the end time as their provisional LeftAt.
func (r *Record) endAll(e uint64, at time.Time) {
	if r.m.present == 0 {
		return
	}
	present := make([]*memberRec, 0, r.m.present)
	r.roster.Range(func(_ memberKey, rec *memberRec) bool {
		if rec.present {
			present = append(present, rec)
		}
		return true
	})
	slices.SortFunc(present, func(a, b *memberRec) int {
		return cmp.Or(a.joined.Compare(b.joined), cmp.Compare(a.key.call, b.key.call), cmp.Compare(a.key.member, b.key.member))
	})
	for _, old := range present {
		rec := *old
		rec.present = false
		rec.left = maxTime(at, rec.joined)
		r.putMember(e, rec.key.hash(), &rec)
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
