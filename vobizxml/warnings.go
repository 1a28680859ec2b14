package vobizxml

// Design: what Vobiz accepts but ignores is a warning, not a validation
// error. Vobiz's docs say nothing after <Hangup> or <Redirect> runs; the
// answer is still well-formed and Vobiz still runs everything before it.
// Rejecting it would turn a harmless dead verb into a 500 from ServeHTTP,
// that is a dropped call, and some verbs after a Hangup are the documented
// pattern (Hangup with schedule must be followed by what plays meanwhile).
// So Validate stays "Vobiz would reject or misread this", and Warnings,
// called in a test or at start-up, says "this has no effect".

import (
	"fmt"
	"strconv"
)

// Warnings reports the parts of r that Vobiz accepts but that have no
// effect, each an *[AttrError] whose Err is [ErrNoEffect] (so
// errors.Is(w, ErrInvalidAttr) is false: r is still valid and renders).
// It returns nil when there are none. Check it in a test of your answers,
// or log it at start-up; it is not called when r is rendered.
//
// It reports:
//   - a verb that can never run, because an earlier one ends the call or
//     hands it over: a [Hangup] without Schedule, a [Redirect], a [Dial]
//     with Action (unless Redirect is Off), a [Record] with Redirect On, a
//     [Speak] or [Play] with LoopForever (reported once, on the first such
//     verb);
//   - a Hangup with Schedule that nothing follows (the call ends at once);
//   - a [PreAnswer] that is not the first verb (Vobiz's docs want it
//     first) or has no verbs;
//   - a [Stream] that nothing follows, without KeepCallAlive: the call
//     hangs up as soon as the stream starts;
//   - a [Record] with StartOnDialAnswer outside a Dial;
//   - a [Wait] with Silence On and MinSilence unset that lasts 2 seconds or
//     less: Vobiz's default MinSilence, 2000 ms, is not shorter than the
//     wait, so silence never ends it early (a MinSilence set that long is
//     a validation error).
//
// Custom verbs and RawVerbs are taken to run and let the call go on.
func (r Response) Warnings() []*AttrError {
	var ws []*AttrError
	warn := func(element, attr, reason string) {
		ws = append(ws, &AttrError{Element: element, Attr: attr, Structure: attr == "", Reason: reason, Err: ErrNoEffect})
	}
	last := len(r.Verbs) - 1
	for i, v := range r.Verbs {
		el, ok := v.(element)
		if !ok || isNilVerb(v) {
			continue
		}
		switch x := deref(el).(type) {
		case Hangup:
			if x.Schedule > 0 && i == last {
				warn("Hangup", "schedule", "nothing follows <Hangup>, so the call ends at once")
			}
		case PreAnswer:
			if i > 0 {
				warn("PreAnswer", "", "verb "+strconv.Itoa(i)+": Vobiz's docs want <PreAnswer> first, before the call is answered")
			}
			if len(x.Verbs) == 0 {
				warn("PreAnswer", "", "it has no Speak, Play or Wait")
			}
		case Stream:
			if i == last && x.KeepCallAlive != On {
				warn("Stream", "", "nothing follows it and keepCallAlive is not On, so the call hangs up as soon as the stream starts")
			}
		case Wait:
			if x.Silence == On && x.MinSilence == 0 && max(x.Length, 1)*1000 <= defaultMinSilence {
				warn("Wait", "silence", "the default minSilence of 2000 ms is not shorter than the wait, so silence never ends it early")
			}
		case Record:
			if x.StartOnDialAnswer == On {
				warn("Record", "startOnDialAnswer", "only a <Record> inside a <Dial> starts when the dialled call answers")
			}
		}
		if i < last {
			if why := ender(el); why != "" {
				what := "verb " + strconv.Itoa(i+1) + " is"
				if i+1 < last {
					what = "verbs " + strconv.Itoa(i+1) + " to " + strconv.Itoa(last) + " are"
				}
				warn(name(r.Verbs[i+1]), "", what+" never reached: "+why+" (verb "+strconv.Itoa(i)+")")
				break
			}
		}
	}
	return ws
}

// ender says why nothing after el runs, or "" when the call goes on.
func ender(el element) string {
	switch x := deref(el).(type) {
	case Hangup:
		if x.Schedule == 0 {
			return "<Hangup> ends the call"
		}
	case Redirect:
		return "<Redirect> hands the call to its URL"
	case Dial:
		if x.Action != "" && x.Redirect != Off {
			return "<Dial> with an action continues with the action's answer"
		}
	case Record:
		if x.Redirect == On {
			return "<Record> with redirect On continues with the action's answer"
		}
	case Speak:
		if x.Loop == LoopForever {
			return "<Speak> with LoopForever never ends"
		}
	case Play:
		if x.Loop == LoopForever {
			return "<Play> with LoopForever never ends"
		}
	}
	return ""
}

// deref turns a pointer to one of this package's elements into its value.
func deref(el element) element {
	switch p := el.(type) {
	case *Hangup:
		return *p
	case *Redirect:
		return *p
	case *Dial:
		return *p
	case *Record:
		return *p
	case *Speak:
		return *p
	case *Play:
		return *p
	case *PreAnswer:
		return *p
	case *Stream:
		return *p
	case *Wait:
		return *p
	}
	return el
}

// name returns the element name of a verb, the Go type of a custom one
// that writes none, or "Response" for nil.
func name(v Verb) string {
	if isNilVerb(v) {
		return "Response"
	}
	if el, ok := v.(element); ok {
		return el.tag()
	}
	if n, _, _ := inspectCustom(v); n != "" {
		return n
	}
	return fmt.Sprintf("%T", v)
}
