package vobizxml

import "encoding/xml"

// Values for [Conference] EnterSound and ExitSound besides a URL. Vobiz
// documents these attributes only as strings; Plivo, whose XML Vobiz
// follows, documents "beep:1" and "beep:2".
const (
	SingleBeep = "beep:1" // one beep
	DoubleBeep = "beep:2" // two beeps
)

// FileFormat is the file format of a recording.
type FileFormat string

// Values for [Conference] RecordFileFormat and [Record] FileFormat.
const (
	RecordMP3 FileFormat = "mp3" // Vobiz's default
	RecordWAV FileFormat = "wav"
)

// Conference is Vobiz's <Conference> element: it puts the call into the
// room named Room, and its callbackUrl is what makes Vobiz send the
// callbacks a vobizhook.Handler receives.
//
// Every field maps to the attribute named in its tag. A field left at its
// zero value omits the attribute, so Vobiz's default (in the comments)
// applies. Methods (WaitMethod, CallbackMethod, Method) are "GET" or "POST",
// upper case as Vobiz documents them (http.MethodGet, http.MethodPost); URLs
// are absolute http or https URLs. Put it in a [Response] to answer a call.
//
// Vobiz takes <Conference> only in <Response> (other platforms also nest it
// in <Dial>). It blocks until the member leaves the room; what runs next is
// not documented by Vobiz: Plivo, which Vobiz follows, runs the next verb,
// or the answer of Action when it is set. Vobiz's docs put a [Record] (and
// a [Stream]) before it to record (or fork) the whole session.
type Conference struct {
	// Room is the room name, the element's text. Required; case-sensitive;
	// all callers in the same room are bridged. Control characters are
	// rejected.
	Room string `xml:",chardata"`

	Muted                  Toggle `xml:"muted,attr,omitempty"`                  // join muted (default false)
	Beep                   Toggle `xml:"beep,attr,omitempty"`                   // beep on enter/exit (default true)
	StartConferenceOnEnter Toggle `xml:"startConferenceOnEnter,attr,omitempty"` // this member starts the room (default true)
	EndConferenceOnExit    Toggle `xml:"endConferenceOnExit,attr,omitempty"`    // this member leaving ends it (default false)
	StayAlone              Toggle `xml:"stayAlone,attr,omitempty"`              // stay when left alone (Vobiz default false: disconnected)

	// MaxParticipants caps the room (Vobiz default 200; the account cap
	// wins). 0 omits it; negative is invalid.
	MaxParticipants int `xml:"maxParticipants,attr,omitempty"`
	// TimeLimit is the room's maximum duration in seconds (default 14400).
	// 0 omits it; negative is invalid.
	TimeLimit int `xml:"timeLimit,attr,omitempty"`

	// EnterSound and ExitSound are played when a member enters or leaves:
	// [SingleBeep], [DoubleBeep], or the URL of an XML answer made of
	// Speak, Play and Wait.
	EnterSound string `xml:"enterSound,attr,omitempty"`
	ExitSound  string `xml:"exitSound,attr,omitempty"`

	// WaitSound is the URL of an XML answer (Speak, Play, Wait: see
	// [Response]) played while the room has not started; WaitMethod fetches
	// it (default POST). Serve a Response there (a Response is an
	// http.Handler), or point it at the vobizhook.Handler of CallbackURL:
	// Vobiz's fetch then carries ConferenceAction=waitSound and
	// Handler.WaitSound answers it (see vobizhook.ActionWaitSound).
	WaitSound  string `xml:"waitSound,attr,omitempty"`
	WaitMethod string `xml:"waitMethod,attr,omitempty"`

	RelayDTMF    Toggle        `xml:"relayDTMF,attr,omitempty"`    // pass this member's key presses to the room (default false)
	HangupOnStar Toggle        `xml:"hangupOnStar,attr,omitempty"` // '*' leaves the room (default false)
	DigitsMatch  DigitPatterns `xml:"digitsMatch,attr,omitempty"`  // key sequences reported to callbackUrl

	Record           Toggle     `xml:"record,attr,omitempty"`           // record the room (default false)
	RecordFileFormat FileFormat `xml:"recordFileFormat,attr,omitempty"` // [RecordMP3] (default) or [RecordWAV]

	// CallbackURL receives the conference callbacks by CallbackMethod
	// (default POST): a form with ConferenceAction (enter, exit; older
	// documentation also start and end), ConferenceName, ConferenceUUID,
	// ConferenceMemberID, CallUUID, From, To and more, one request per
	// event, retried on a non-2xx answer; the answer's body is ignored.
	// This is what a vobizhook.Handler receives: mount one there.
	CallbackURL    string `xml:"callbackUrl,attr,omitempty"`
	CallbackMethod string `xml:"callbackMethod,attr,omitempty"`

	// Action is requested by Method (default POST) when the member's call
	// leaves the room: a form with ConferenceName, ConferenceUUID,
	// ConferenceMemberID, CallUUID, CallStatus and the call's parameters,
	// without ConferenceAction. Its answer XML continues the call. A
	// vobizhook.Handler answers it with its OnLeave func (the event has
	// Action vobizhook.ActionLeave), so Action may be the same URL as
	// CallbackURL. Vobiz's live notes of 31 Aug 2026 report this request
	// no longer being sent; do not rely on it alone to end a call.
	Action string `xml:"action,attr,omitempty"`
	Method string `xml:"method,attr,omitempty"`
}

type conferenceXML Conference

func (Conference) tag() string { return "Conference" }

func (c Conference) encode(e *xml.Encoder) error {
	return e.EncodeElement(conferenceXML(c), start("Conference"))
}

// MarshalXML validates c and writes it as <Conference>, so that xml.Marshal
// never produces an element Vobiz would reject.
func (c Conference) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return marshalVerb(e, c)
}

// Validate reports every problem with c, each an *[AttrError] (joined with
// errors.Join when there are several), or nil.
func (c Conference) Validate() error { return joined(c.validate(nil)) }

func (c Conference) validate(errs []error) []error {
	ck := checker{element: "Conference", errs: errs}
	if !validRoom(c.Room) {
		ck.fail("", reasonRoom)
	}
	ck.toggle("muted", c.Muted)
	ck.toggle("beep", c.Beep)
	ck.toggle("startConferenceOnEnter", c.StartConferenceOnEnter)
	ck.toggle("endConferenceOnExit", c.EndConferenceOnExit)
	ck.toggle("stayAlone", c.StayAlone)
	ck.positive("maxParticipants", c.MaxParticipants)
	ck.positive("timeLimit", c.TimeLimit)
	if !validSound(c.EnterSound) {
		ck.fail("enterSound", reasonSound)
	}
	if !validSound(c.ExitSound) {
		ck.fail("exitSound", reasonSound)
	}
	ck.urlWithMethod("waitSound", c.WaitSound, "waitMethod", c.WaitMethod)
	ck.toggle("relayDTMF", c.RelayDTMF)
	ck.toggle("hangupOnStar", c.HangupOnStar)
	if !validDigits(c.DigitsMatch) {
		ck.fail("digitsMatch", reasonDigits)
	}
	ck.toggle("record", c.Record)
	if f := c.RecordFileFormat; f != "" && f != RecordMP3 && f != RecordWAV {
		ck.fail("recordFileFormat", reasonRecordFmt)
	}
	ck.urlWithMethod("callbackUrl", c.CallbackURL, "callbackMethod", c.CallbackMethod)
	ck.urlWithMethod("action", c.Action, "method", c.Method)
	return ck.errs
}
