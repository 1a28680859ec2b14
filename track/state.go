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
	return r.nextOf(ev, roomFactsOf(ev), at, key, limit)
}

// nextOf is next with the room facts of ev looked up already.
func (r *Record) nextOf(ev *vobizhook.ConferenceEvent, f roomFacts, at time.Time, key memberKey, limit int) (step, error) {
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
		if reason := exitEnds(ev, f); reason != "" && !m.ended && !m.providerStart {
			return step{kind: stepEnd, at: at, reason: reason}, nil
		}
	case vobizhook.ActionEnd:
		if !m.ended {
			return step{kind: stepEnd, at: at, reason: EndProvider}, nil
		}
	}
	if r.rosterDone(ev, f) {
		return step{kind: stepEnd, at: at, reason: EndEmptyRoster}, nil
	}
	if r.wouldTouch(ev, at, f) {
		return step{kind: stepUpdate, at: at}, nil
	}
	return step{}, nil
}

// apply returns the Record st leads to from r: a copy, changed with an
// edit of its own, so r and every record handed out before stay as they
// were.
func (r *Record) apply(st step, ev *vobizhook.ConferenceEvent, key memberKey, now time.Time, limit int) *Record {
	n := r.clone()
	n.step(newEdit(), st, ev, roomFactsOf(ev), key, now, limit)
	return n
}

// step changes r, a record being built by edit e, as st says, and returns
// the record of the member it entered or exited (nil for other steps).
// Every step also records what ev adds (touch).
func (r *Record) step(e uint64, st step, ev *vobizhook.ConferenceEvent, f roomFacts, key memberKey, now time.Time, limit int) (member *memberRec) {
	switch st.kind {
	case stepStart:
		r.m.started, r.m.startedAt, r.m.startedBy = true, st.at, ev.Action
	case stepEnter:
		h := key.hash()
		if old, _ := r.roster.Get(h, key); old != nil {
			// Late: its exit, or the conference's end, came first.
			rec := *old
			if !rec.enterSeen && rec.exitSeen {
				r.m.awaitingEnter--
			}
			rec.enterSeen = true
			_, rec.from, rec.to, rec.direction = owned(memberKey{}, ev.From, ev.To, ev.Direction)
			rec.joined = st.at
			if rec.left.Before(rec.joined) {
				rec.joined = rec.left
			}
			r.putMember(e, h, &rec)
			member = &rec
		} else {
			rec := &memberRec{joined: st.at, enterSeen: true}
			rec.key, rec.from, rec.to, rec.direction = owned(key, ev.From, ev.To, ev.Direction)
			if r.m.ended {
				rec.left = maxTime(st.at, r.m.endedAt)
			} else {
				rec.present = true
			}
			r.putMember(e, h, rec)
			r.m.peak = max(r.m.peak, r.m.present)
			r.trim(e, limit)
			member = rec
		}
	case stepExit:
		h := key.hash()
		if old, _ := r.roster.Get(h, key); old != nil {
			// Present, or its stay was closed by the end: the real exit
			// time wins.
			rec := *old
			rec.present, rec.exitSeen, rec.left = false, true, st.at
			r.putMember(e, h, &rec)
			r.trim(e, limit)
			member = &rec
		} else {
			r.m.awaitingEnter++
			rec := &memberRec{exitSeen: true, left: st.at}
			rec.key, _, _, _ = owned(key, "", "", "")
			r.putMember(e, h, rec)
			r.trim(e, limit)
			member = rec
		}
	case stepEnd:
		r.m.ended, r.m.endedAt, r.m.endReason, r.m.endedLocal = true, st.at, st.reason, now
		r.endAll(e, st.at)
	}
	r.touch(ev, f, st.at, now)
	if member != nil && !member.present && member.pastSeq < r.m.pastHead {
		member = nil // trimmed by its own step (a tiny MaxMembers): gone, as change would find
	}
	return member
}

// owned copies the IDs and numbers of a member out of the request body
// they share memory with, in one allocation.
func owned(k memberKey, from, to, direction string) (memberKey, string, string, string) {
	var b strings.Builder
	b.Grow(len(k.call) + len(k.member) + len(from) + len(to) + len(direction))
	for _, s := range [...]string{k.call, k.member, from, to, direction} {
		b.WriteString(s)
	}
	all := b.String()
	cut := func(n int) string {
		s := all[:n]
		all = all[n:]
		return s
	}
	return memberKey{cut(len(k.call)), cut(len(k.member))}, cut(len(from)), cut(len(to)), cut(len(direction))
}

// roomFacts are what an event's Params say of the room's state: whether it
// carries ConferenceLastMember and ConferenceCurrentSize (a non-empty
// value), looked up once per step.
type roomFacts struct{ lastMember, currentSize bool }

func roomFactsOf(ev *vobizhook.ConferenceEvent) roomFacts {
	return roomFacts{ev.Params.Get("ConferenceLastMember") != "", ev.Params.Get("ConferenceCurrentSize") != ""}
}

// exitEnds reports whether the exit ev says the room is empty: by
// ConferenceLastMember=true, or, when it carries no ConferenceLastMember, by
// ConferenceCurrentSize=0. A parameter counts as carried when Params holds a
// non-empty value for it, so a hand-built event's zero CurrentSize is not
// read as an empty room.
func exitEnds(ev *vobizhook.ConferenceEvent, f roomFacts) EndReason {
	switch {
	case ev.Action != vobizhook.ActionExit:
		return ""
	case ev.LastMember:
		return EndLastMember
	case f.lastMember:
		return ""
	case ev.CurrentSize == 0 && f.currentSize:
		return EndLastMember
	}
	return ""
}

// informative reports whether ev tells the room's state by itself, which
// turns the roster fallback off for its conference.
func informative(ev *vobizhook.ConferenceEvent, f roomFacts) bool {
	return ev.Action == vobizhook.ActionStart || ev.LastMember || ev.CurrentSize > 0 || f.lastMember || f.currentSize
}

// rosterDone is the fallback end rule for traffic that never reports the
// room's state: after an enter or exit, the tracked roster is empty and no
// exit awaits its enter.
func (r *Record) rosterDone(ev *vobizhook.ConferenceEvent, f roomFacts) bool {
	m := &r.m
	return !m.ended && !m.informed && (ev.Action == vobizhook.ActionEnter || ev.Action == vobizhook.ActionExit) &&
		m.present == 0 && m.awaitingEnter == 0 && r.roster.Len() > 0
}

// wouldTouch reports whether touch would record anything new.
func (r *Record) wouldTouch(ev *vobizhook.ConferenceEvent, at time.Time, f roomFacts) bool {
	m := &r.m
	return (m.name == "" && ev.ConferenceName != "") ||
		(!m.informed && informative(ev, f)) ||
		at.Before(m.startedAt) ||
		(ev.Action == vobizhook.ActionStart && !m.providerStart) ||
		(ev.Action == vobizhook.ActionEnd && m.ended && !m.providerEnd) ||
		(ev.RecordingURL != "" && ev.RecordingURL != m.recordingURL) ||
		ev.CurrentSize > m.peak
}

// touch records what ev adds beyond its step. It is idempotent: a duplicate
// of ev (even with a later clock time) changes nothing.
func (r *Record) touch(ev *vobizhook.ConferenceEvent, f roomFacts, at, now time.Time) {
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
	if !m.informed && informative(ev, f) {
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
	ch := r.changeHead(st)
	if st.kind == stepEnter || st.kind == stepExit {
		if rec := r.member(key); rec != nil {
			m := rec.member()
			ch.Member = &m
		}
	}
	return ch
}

// changeHead is change without its member.
func (r *Record) changeHead(st step) Change {
	ch := Change{ConferenceUUID: r.m.uuid, ConferenceName: r.m.name, At: st.at, Size: r.m.present}
	switch st.kind {
	case stepStart:
		ch.Kind = ChangeStarted
	case stepEnter:
		ch.Kind = ChangeEntered
	case stepExit:
		ch.Kind = ChangeExited
	case stepEnd:
		ch.Kind, ch.At = ChangeEnded, r.m.endedAt
	default:
		ch.Kind = ChangeUpdated
	}
	return ch
}

// firstChange is the first change of an event with its member, in one
// allocation: most events make one change.
type firstChange struct {
	c [1]Change
	m Member
}

// appendChange appends to changes the change of step st, which made r;
// rec is the member it entered or exited, as step returned it.
func (r *Record) appendChange(changes []Change, st step, rec *memberRec) []Change {
	ch := r.changeHead(st)
	if len(changes) == 0 {
		b := &firstChange{c: [1]Change{ch}}
		if rec != nil {
			b.m = rec.member()
			b.c[0].Member = &b.m
		}
		return b.c[:]
	}
	if rec != nil {
		m := rec.member()
		ch.Member = &m
	}
	return append(changes, ch)
}
