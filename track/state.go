package track

import (
	"fmt"
	"strings"
	"time"

	"github.com/vobizhook/vobizhook"
)

// This file is the lifecycle state machine: given a conference's Record and
// an event, next says which step the event still calls for, and apply makes
// the Record that step leads to. It takes no lock, reads no clock and does
// no I/O; the Tracker runs it under the conference's turn, calls the step's
// func, and commits the result to its Store.

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

// next returns the step ev still calls for in r, or stepNone. It depends
// only on r and ev, so a retry after a failed func redoes exactly the steps
// not yet committed.
func (r *Record) next(ev *vobizhook.ConferenceEvent, at time.Time, key memberKey, limit int) (step, error) {
	m := &r.m
	if !m.started {
		return step{kind: stepStart, at: at}, nil
	}
	switch ev.Action {
	case vobizhook.ActionEnter:
		rec := r.member(key)
		switch {
		case rec != nil && rec.present:
		case rec == nil && r.wasDropped(key):
			// Its record was trimmed (MaxMembers): a retry of its enter.
		case rec == nil && !m.ended && m.present >= limit:
			return step{}, fmt.Errorf("%w: conference has %d members present (MaxMembers)", ErrTrackerFull, m.present)
		case rec == nil || !rec.enterSeen:
			return step{kind: stepEnter, at: at}, nil
		}
	case vobizhook.ActionExit:
		rec := r.member(key)
		dropped := rec == nil && r.wasDropped(key)
		if rec == nil && !dropped && m.present >= limit {
			return step{}, fmt.Errorf("%w: conference has %d members present (MaxMembers)", ErrTrackerFull, m.present)
		}
		if !dropped && (rec == nil || !rec.exitSeen) {
			return step{kind: stepExit, at: at}, nil
		}
		// The exit is applied (now or by an earlier delivery whose OnEnd
		// failed); the end it signals is due until committed.
		if reason := exitEnds(ev); reason != "" && !m.ended && !m.providerStart {
			return step{kind: stepEnd, at: at, reason: reason}, nil
		}
	case vobizhook.ActionEnd:
		if !m.ended {
			return step{kind: stepEnd, at: at, reason: EndProvider}, nil
		}
	}
	if r.rosterDone(ev) {
		return step{kind: stepEnd, at: at, reason: EndEmptyRoster}, nil
	}
	if r.wouldTouch(ev, at) {
		return step{kind: stepUpdate, at: at}, nil
	}
	return step{}, nil
}

// apply returns the Record st leads to from r. Every step also records
// what ev adds (touch).
func (r *Record) apply(st step, ev *vobizhook.ConferenceEvent, key memberKey, now time.Time, limit int) *Record {
	n := r.clone()
	switch st.kind {
	case stepStart:
		n.m.started, n.m.startedAt, n.m.startedBy = true, st.at, ev.Action
	case stepEnter:
		if old := n.member(key); old != nil {
			// Late: its exit, or the conference's end, came first.
			rec := *old
			if !rec.enterSeen && rec.exitSeen {
				n.m.awaitingEnter--
			}
			rec.enterSeen, rec.from, rec.to, rec.direction = true, strings.Clone(ev.From), strings.Clone(ev.To), strings.Clone(ev.Direction)
			rec.joined = st.at
			if rec.left.Before(rec.joined) {
				rec.joined = rec.left
			}
			n.putMember(&rec)
		} else {
			rec := &memberRec{key: ownKey(key), from: strings.Clone(ev.From), to: strings.Clone(ev.To),
				direction: strings.Clone(ev.Direction), joined: st.at, enterSeen: true}
			if n.m.ended {
				rec.left = maxTime(st.at, n.m.endedAt)
			} else {
				rec.present = true
			}
			n.putMember(rec)
			n.m.peak = max(n.m.peak, n.m.present)
			n.trim(limit)
		}
	case stepExit:
		if old := n.member(key); old != nil {
			// Present, or its stay was closed by the end: the real exit
			// time wins.
			rec := *old
			rec.present, rec.exitSeen, rec.left = false, true, st.at
			n.putMember(&rec)
			n.trim(limit)
		} else {
			n.m.awaitingEnter++
			n.putMember(&memberRec{key: ownKey(key), exitSeen: true, left: st.at})
			n.trim(limit)
		}
	case stepEnd:
		n.m.ended, n.m.endedAt, n.m.endReason, n.m.endedLocal = true, st.at, st.reason, now
		n.endAll(st.at)
	}
	n.touch(ev, st.at, now)
	return n
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
func exitEnds(ev *vobizhook.ConferenceEvent) EndReason {
	switch {
	case ev.Action != vobizhook.ActionExit:
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
func informative(ev *vobizhook.ConferenceEvent) bool {
	return ev.Action == vobizhook.ActionStart || ev.LastMember || ev.CurrentSize > 0 ||
		ev.Params.Get("ConferenceLastMember") != "" || ev.Params.Get("ConferenceCurrentSize") != ""
}

// rosterDone is the fallback end rule for traffic that never reports the
// room's state: after an enter or exit, the tracked roster is empty and no
// exit awaits its enter.
func (r *Record) rosterDone(ev *vobizhook.ConferenceEvent) bool {
	m := &r.m
	return !m.ended && !m.informed && (ev.Action == vobizhook.ActionEnter || ev.Action == vobizhook.ActionExit) &&
		m.present == 0 && m.awaitingEnter == 0 && r.roster.Len() > 0
}

// wouldTouch reports whether touch would record anything new.
func (r *Record) wouldTouch(ev *vobizhook.ConferenceEvent, at time.Time) bool {
	m := &r.m
	return (m.name == "" && ev.ConferenceName != "") ||
		(!m.informed && informative(ev)) ||
		at.Before(m.startedAt) ||
		(ev.Action == vobizhook.ActionStart && !m.providerStart) ||
		(ev.Action == vobizhook.ActionEnd && m.ended && !m.providerEnd) ||
		(ev.RecordingURL != "" && ev.RecordingURL != m.recordingURL) ||
		ev.CurrentSize > m.peak
}

// touch records what ev adds beyond its step. It is idempotent: a duplicate
// of ev (even with a later clock time) changes nothing.
func (r *Record) touch(ev *vobizhook.ConferenceEvent, at, now time.Time) {
	m := &r.m
	if m.name == "" && ev.ConferenceName != "" {
		m.name = strings.Clone(ev.ConferenceName)
	}
	if at.Before(m.startedAt) {
		m.startedAt = at
	}
	if ev.Action == vobizhook.ActionStart {
		m.providerStart = true
	}
	if !m.informed && informative(ev) {
		m.informed = true
	}
	if ev.Action == vobizhook.ActionEnd && m.ended && !m.providerEnd {
		m.providerEnd, m.endedAt = true, at
	}
	if ev.RecordingURL != "" && ev.RecordingURL != m.recordingURL {
		m.recordingURL = strings.Clone(ev.RecordingURL)
	}
	m.peak = max(m.peak, ev.CurrentSize)
	m.lastAt, m.lastActive = at, now
}

// change describes the step st that made r.
func (r *Record) change(st step, key memberKey) Change {
	ch := Change{ConferenceUUID: r.m.uuid, ConferenceName: r.m.name, At: st.at, Size: r.m.present}
	switch st.kind {
	case stepStart:
		ch.Kind = ChangeStarted
	case stepEnter, stepExit:
		ch.Kind = ChangeEntered
		if st.kind == stepExit {
			ch.Kind = ChangeExited
		}
		if rec := r.member(key); rec != nil {
			m := rec.member()
			ch.Member = &m
		}
	case stepEnd:
		ch.Kind, ch.At = ChangeEnded, r.m.endedAt
	default:
		ch.Kind = ChangeUpdated
	}
	return ch
}
