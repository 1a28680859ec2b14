package vobizxml

// The elements that steer the call: Hangup ends it, Redirect hands it to
// another answer URL, PreAnswer plays early media before it is answered.

import "encoding/xml"

// HangupReason is how a [Hangup] ends an unanswered call.
type HangupReason string

// Values for [Hangup] Reason.
const (
	HangupRejected HangupReason = "rejected" // decline an unanswered call
	HangupBusy     HangupReason = "busy"     // answer an unanswered call with a busy signal
)

// Hangup is Vobiz's <Hangup> element: ends the call, for example after the
// Conference when its member leaves, or instead of one (a full room, a
// wrong PIN). It goes in a [Response] only. As the first verb, without a
// Reason, it rejects the call unanswered (not billed); Vobiz still requests
// the number's hangup URL.
//
// Vobiz runs nothing after a Hangup, unless Schedule is set: the call then
// goes on with the next verbs and is hung up after Schedule seconds.
// [Response.Warnings] reports verbs that can never run.
type Hangup struct {
	Reason   HangupReason `xml:"reason,attr,omitempty"`   // [HangupRejected] or [HangupBusy] for an unanswered call
	Schedule int          `xml:"schedule,attr,omitempty"` // hang up after this many seconds, running the next verbs meanwhile; 0 omits it
}

// Redirect is Vobiz's <Redirect> element: Vobiz requests URL and continues
// the call with the answer XML it returns. It goes in a [Response] only;
// nothing after it runs ([Response.Warnings] reports verbs that follow it).
type Redirect struct {
	// URL is the next answer URL, the element's text: an absolute http or
	// https URL (Vobiz's docs recommend https). Required.
	//
	// Vobiz requests it by Method (default POST) with the call's
	// parameters: From, To, CallUUID, CallerName, Direction, CallStatus
	// (ringing, in-progress, completed; for a hung-up outbound call also
	// busy, failed, timeout or no-answer) and Event=Redirect, and expects a
	// Response back. That request is not this library's to receive: serve
	// it with a handler of your own that writes a Response.
	URL    string `xml:",chardata"`
	Method string `xml:"method,attr,omitempty"` // "GET" or "POST" (default)
}

// PreAnswer is Vobiz's <PreAnswer> element: plays its verbs (Speak, Play,
// Wait) as early media, while the call is still ringing, so the caller is
// not billed for them. It has no attributes and goes in a [Response],
// where Vobiz's docs want it first (see [Response.Warnings]). Some PSTN
// routes, and WebRTC and browser callers always, do not honour it: the
// verbs then play after the answer.
type PreAnswer struct {
	// Verbs are played in order: [Speak], [Play] and [Wait] only (or a
	// custom verb). A PreAnswer without any has no effect.
	Verbs []Verb `xml:"-"`
}

type (
	hangupXML   Hangup
	redirectXML Redirect
)

func (Hangup) tag() string    { return "Hangup" }
func (Redirect) tag() string  { return "Redirect" }
func (PreAnswer) tag() string { return "PreAnswer" }

func (h Hangup) encode(e *xml.Encoder) error { return e.EncodeElement(hangupXML(h), start("Hangup")) }
func (r Redirect) encode(e *xml.Encoder) error {
	return e.EncodeElement(redirectXML(r), start("Redirect"))
}
func (p PreAnswer) encode(e *xml.Encoder) error {
	return e.EncodeElement(struct{ Kids verbList }{p.Verbs}, start("PreAnswer"))
}

// MarshalXML validates h and writes it as <Hangup>.
func (h Hangup) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, h) }

// MarshalXML validates r and writes it as <Redirect>.
func (r Redirect) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, r) }

// MarshalXML validates p and writes it as <PreAnswer> with its verbs.
func (p PreAnswer) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, p) }

// UnmarshalXML reads a <PreAnswer> and its verbs, as [Response.UnmarshalXML]
// reads a Response.
func (p *PreAnswer) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	return p.decode(d, &start, 0)
}

func (p *PreAnswer) decode(d *xml.Decoder, start *xml.StartElement, depth int) error {
	verbs, err := decodeChildren(d, "PreAnswer", depth)
	p.Verbs = verbs
	return err
}

// Validate reports every problem with h, like [Conference.Validate].
func (h Hangup) Validate() error { return joined(h.validate(nil)) }

// Validate reports every problem with r, like [Conference.Validate].
func (r Redirect) Validate() error { return joined(r.validate(nil)) }

// Validate reports every problem with p and its verbs, like
// [Conference.Validate]; a verb other than Speak, Play or Wait is one.
func (p PreAnswer) Validate() error { return joined(p.validate(nil)) }

func (h Hangup) validate(errs []error) []error {
	ck := checker{element: "Hangup", errs: errs}
	ck.oneOf("reason", string(h.Reason), string(HangupRejected), string(HangupBusy))
	ck.positive("schedule", h.Schedule)
	return ck.errs
}

func (r Redirect) validate(errs []error) []error {
	ck := checker{element: "Redirect", errs: errs}
	if !validURL(r.URL) {
		ck.fail("", reasonRequired)
	}
	ck.method("method", r.Method)
	return ck.errs
}

func (p PreAnswer) validate(errs []error) []error {
	return preAnswerRule.validate(errs, p.Verbs)
}
