package vobizxml

import "encoding/xml"

// Values for [Conference] EnterSound and ExitSound besides a URL. Vobiz
// documents these attributes only as strings; Plivo, whose XML Vobiz
// follows, documents "beep:1" and "beep:2".
const (
	SingleBeep = "beep:1" // one beep
	DoubleBeep = "beep:2" // two beeps
)

// Values for [Conference] RecordFileFormat.
const (
	RecordMP3 = "mp3" // Vobiz's default
	RecordWAV = "wav"
)

// Values for [Hangup] Reason.
const (
	HangupRejected = "rejected" // decline an unanswered call
	HangupBusy     = "busy"     // answer an unanswered call with a busy signal
)

// Values for [Speak] Voice.
const (
	VoiceWoman = "WOMAN" // Vobiz's default
	VoiceMan   = "MAN"
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
	// it (default POST). Vobiz may fetch it from callbackUrl's route too:
	// see [ActionWaitSound].
	WaitSound  string `xml:"waitSound,attr,omitempty"`
	WaitMethod string `xml:"waitMethod,attr,omitempty"`

	RelayDTMF    Toggle        `xml:"relayDTMF,attr,omitempty"`    // pass this member's key presses to the room (default false)
	HangupOnStar Toggle        `xml:"hangupOnStar,attr,omitempty"` // '*' leaves the room (default false)
	DigitsMatch  DigitPatterns `xml:"digitsMatch,attr,omitempty"`  // key sequences reported to callbackUrl

	Record           Toggle `xml:"record,attr,omitempty"`           // record the room (default false)
	RecordFileFormat string `xml:"recordFileFormat,attr,omitempty"` // [RecordMP3] (default) or [RecordWAV]

	// CallbackURL receives the conference callbacks (enter, exit, ...) by
	// CallbackMethod (default POST). Mount a vobizhook.Handler there.
	CallbackURL    string `xml:"callbackUrl,attr,omitempty"`
	CallbackMethod string `xml:"callbackMethod,attr,omitempty"`

	// Action is fetched by Method (default POST) when the member leaves the
	// room; its answer XML continues the call.
	Action string `xml:"action,attr,omitempty"`
	Method string `xml:"method,attr,omitempty"`
}

// Speak is Vobiz's <Speak> element: text to speech. Use it before a
// Conference (a greeting) or in a waitSound answer.
type Speak struct {
	// Text is said as is (escaped; SSML markup is not interpreted).
	// Required.
	Text     string    `xml:",chardata"`
	Voice    string    `xml:"voice,attr,omitempty"`    // [VoiceWoman] (default) or [VoiceMan]
	Language string    `xml:"language,attr,omitempty"` // e.g. "en-GB" (default en-US)
	Loop     LoopCount `xml:"loop,attr,omitempty"`     // times to say it (default 1)
}

// Play is Vobiz's <Play> element: plays an MP3 or WAV file, e.g. hold music
// in a waitSound answer.
type Play struct {
	URL  string    `xml:",chardata"`           // the audio file, an absolute http(s) URL; required
	Loop LoopCount `xml:"loop,attr,omitempty"` // times to play it (default 1)
}

// Wait is Vobiz's <Wait> element: silence, e.g. between hold-music loops in
// a waitSound answer.
type Wait struct {
	Length     int    `xml:"length,attr,omitempty"`     // seconds (default 1); 0 omits it
	Silence    Toggle `xml:"silence,attr,omitempty"`    // end early on MinSilence of silence (default false)
	MinSilence int    `xml:"minSilence,attr,omitempty"` // milliseconds, with Silence (default 2000); 0 omits it
}

// Hangup is Vobiz's <Hangup> element: ends the call, for example after the
// Conference when its member leaves, or instead of one (a full room).
type Hangup struct {
	Reason   string `xml:"reason,attr,omitempty"`   // [HangupRejected] or [HangupBusy] for an unanswered call
	Schedule int    `xml:"schedule,attr,omitempty"` // hang up after this many seconds, running the next verbs meanwhile; 0 omits it
}

// Verb is one element of a [Response]: [Conference], [Speak], [Play],
// [Wait] or [Hangup] (values or non-nil pointers). The set is closed; this
// is not a general Vobiz XML SDK.
type Verb interface {
	// validate appends an *AttrError for each problem.
	validate(errs []error) []error
	// encode writes the element without validating it again.
	encode(e *xml.Encoder) error
}

// plain types: the same fields without the MarshalXML methods, so that
// encoding/xml renders them with the struct tags.
type (
	conferenceXML Conference
	speakXML      Speak
	playXML       Play
	waitXML       Wait
	hangupXML     Hangup
)

var (
	conferenceStart = xml.StartElement{Name: xml.Name{Local: "Conference"}}
	speakStart      = xml.StartElement{Name: xml.Name{Local: "Speak"}}
	playStart       = xml.StartElement{Name: xml.Name{Local: "Play"}}
	waitStart       = xml.StartElement{Name: xml.Name{Local: "Wait"}}
	hangupStart     = xml.StartElement{Name: xml.Name{Local: "Hangup"}}
	responseStart   = xml.StartElement{Name: xml.Name{Local: "Response"}}
)

func (c Conference) encode(e *xml.Encoder) error {
	return e.EncodeElement(conferenceXML(c), conferenceStart)
}
func (s Speak) encode(e *xml.Encoder) error  { return e.EncodeElement(speakXML(s), speakStart) }
func (p Play) encode(e *xml.Encoder) error   { return e.EncodeElement(playXML(p), playStart) }
func (w Wait) encode(e *xml.Encoder) error   { return e.EncodeElement(waitXML(w), waitStart) }
func (h Hangup) encode(e *xml.Encoder) error { return e.EncodeElement(hangupXML(h), hangupStart) }

// MarshalXML validates c and writes it as <Conference>, so that xml.Marshal
// never produces an element Vobiz would reject.
func (c Conference) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return marshalVerb(e, c)
}

// MarshalXML validates s and writes it as <Speak>.
func (s Speak) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, s) }

// MarshalXML validates p and writes it as <Play>.
func (p Play) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, p) }

// MarshalXML validates w and writes it as <Wait>.
func (w Wait) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, w) }

// MarshalXML validates h and writes it as <Hangup>.
func (h Hangup) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, h) }

func marshalVerb(e *xml.Encoder, v Verb) error {
	if err := joined(v.validate(nil)); err != nil {
		return err
	}
	return v.encode(e)
}

// Validate reports every problem with c, each an *[AttrError] (joined with
// errors.Join when there are several), or nil.
func (c Conference) Validate() error { return joined(c.validate(nil)) }

// Validate reports every problem with s, like [Conference.Validate].
func (s Speak) Validate() error { return joined(s.validate(nil)) }

// Validate reports every problem with p, like [Conference.Validate].
func (p Play) Validate() error { return joined(p.validate(nil)) }

// Validate reports every problem with w, like [Conference.Validate].
func (w Wait) Validate() error { return joined(w.validate(nil)) }

// Validate reports every problem with h, like [Conference.Validate].
func (h Hangup) Validate() error { return joined(h.validate(nil)) }
