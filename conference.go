package vobizhook

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file writes the answer XML that asks Vobiz for conference callbacks:
// a <Response> holding a <Conference callbackUrl="..."> and the few verbs a
// conference flow needs around it. Everything is rendered with encoding/xml,
// so URLs with '&', room names with '<' or quotes and non-ASCII text are
// escaped correctly, and everything is validated before a byte is written.

// ErrInvalidAttr is the sentinel wrapped by every *[AttrError]: an answer
// XML element has an attribute (or text) Vobiz would reject or misread.
// Test for it with errors.Is.
var ErrInvalidAttr = errors.New("invalid value")

// AttrError reports one invalid attribute, or invalid element text, of an
// answer XML element. Validation ([Response.Validate], [Conference.Validate],
// ...) and rendering ([Response.Bytes], [Response.WriteTo],
// [Response.ServeHTTP], xml.Marshal) return it, joined with errors.Join when
// there are several; errors.As(err, &ae) finds the first.
//
// Like [ParamError], the message names the element, the attribute and what
// was expected, never the value itself: a URL may carry a secret token.
type AttrError struct {
	Element string // "Conference", "Speak", "Play", "Wait", "Hangup" or "Response"
	Attr    string // wire name, e.g. "callbackUrl"; "" for the element's text (the room name, the Play URL...)
	Reason  string // what was expected, e.g. "want an absolute http or https URL"
	Err     error  // always ErrInvalidAttr
}

// Error returns "vobizhook: <Element> attribute <Attr>: invalid value: <Reason>"
// ("... <Element> text: ..." for the element's text, "<Response>: ..." for a
// nil verb).
func (e *AttrError) Error() string {
	var b strings.Builder
	b.WriteString("vobizhook: <")
	b.WriteString(e.Element)
	b.WriteString(">")
	switch {
	case e.Attr != "":
		b.WriteString(" attribute ")
		b.WriteString(e.Attr)
		b.WriteString(": ")
	case e.Element == "Response":
		b.WriteString(": ")
	default:
		b.WriteString(" text: ")
	}
	err := e.Err
	if err == nil {
		err = ErrInvalidAttr
	}
	b.WriteString(err.Error())
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	return b.String()
}

// Unwrap returns the sentinel, for errors.Is.
func (e *AttrError) Unwrap() error { return e.Err }

// Toggle is a boolean attribute that can also be left unset. The zero value,
// [Unset], omits the attribute so that Vobiz's default applies; [On] and
// [Off] write "true" and "false". This is how "explicitly false" is said for
// an attribute whose default is true:
//
//	vobizhook.Conference{Room: "standup", Beep: vobizhook.Off}
//
// Every boolean attribute is a Toggle, not only the default-true ones, so
// you never need to remember which default is which, and so that a value you
// mean can be written even where Vobiz's and Plivo's documented defaults
// disagree (stayAlone, relayDTMF). Use [ToggleOf] to convert a bool.
type Toggle uint8

// The three states of a [Toggle].
const (
	Unset Toggle = iota // attribute omitted: Vobiz's default applies
	On                  // attribute written as "true"
	Off                 // attribute written as "false"
)

// ToggleOf returns [On] for true and [Off] for false: for a Toggle computed
// from a bool, e.g. Muted: vobizhook.ToggleOf(isListener).
func ToggleOf(b bool) Toggle {
	if b {
		return On
	}
	return Off
}

// String returns "true", "false", "unset", or "Toggle(n)" for an invalid value.
func (t Toggle) String() string {
	switch t {
	case Unset:
		return "unset"
	case On:
		return "true"
	case Off:
		return "false"
	}
	return "Toggle(" + strconv.Itoa(int(t)) + ")"
}

// MarshalXMLAttr writes "true" or "false", and nothing for [Unset].
func (t Toggle) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	switch t {
	case Unset:
		return xml.Attr{}, nil
	case On, Off:
		return xml.Attr{Name: name, Value: t.String()}, nil
	}
	return xml.Attr{}, fmt.Errorf("vobizhook: attribute %s: %w: %s is not Unset, On or Off", name.Local, ErrInvalidAttr, t)
}

// UnmarshalXMLAttr reads "true" or "false" (in any letter case).
func (t *Toggle) UnmarshalXMLAttr(attr xml.Attr) error {
	switch strings.ToLower(attr.Value) {
	case "true":
		*t = On
	case "false":
		*t = Off
	default:
		return fmt.Errorf("vobizhook: attribute %s: %w: want true or false", attr.Name.Local, ErrInvalidAttr)
	}
	return nil
}

// LoopCount is the loop attribute of [Speak] and [Play]: how many times to
// say or play. The zero value omits the attribute (Vobiz plays once);
// [LoopForever] repeats until something else moves the call on (it is
// written as loop="0", Vobiz's "continuous loop"). Other negative values
// are invalid.
type LoopCount int

// LoopForever repeats a [Speak] or [Play] indefinitely, e.g. hold music in a
// waitSound answer.
const LoopForever LoopCount = -1

// MarshalXMLAttr writes the count, "0" for [LoopForever], nothing for 0.
func (n LoopCount) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	switch {
	case n == 0:
		return xml.Attr{}, nil
	case n == LoopForever:
		return xml.Attr{Name: name, Value: "0"}, nil
	case n > 0:
		return xml.Attr{Name: name, Value: strconv.Itoa(int(n))}, nil
	}
	return xml.Attr{}, fmt.Errorf("vobizhook: attribute %s: %w: %s", name.Local, ErrInvalidAttr, reasonLoop)
}

// UnmarshalXMLAttr reads a count; "0" becomes [LoopForever].
func (n *LoopCount) UnmarshalXMLAttr(attr xml.Attr) error {
	v, err := strconv.Atoi(attr.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("vobizhook: attribute %s: %w: want an integer >= 0", attr.Name.Local, ErrInvalidAttr)
	}
	if v == 0 {
		*n = LoopForever
	} else {
		*n = LoopCount(v)
	}
	return nil
}

// DigitPatterns is the digitsMatch attribute of [Conference]: the DTMF
// sequences that, pressed by a member, are reported to callbackUrl
// (ConferenceAction=digits, Plivo's ConferenceDigitsMatch). Each pattern is
// made of 0-9, '*' and '#'; they are written comma-separated:
//
//	DigitsMatch: []string{"#0", "99", "000"} // digitsMatch="#0,99,000"
type DigitPatterns []string

// MarshalXMLAttr writes the patterns comma-separated, nothing when empty.
func (p DigitPatterns) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	if len(p) == 0 {
		return xml.Attr{}, nil
	}
	return xml.Attr{Name: name, Value: strings.Join(p, ",")}, nil
}

// UnmarshalXMLAttr splits a comma-separated list.
func (p *DigitPatterns) UnmarshalXMLAttr(attr xml.Attr) error {
	if attr.Value == "" {
		*p = nil
		return nil
	}
	*p = strings.Split(attr.Value, ",")
	return nil
}

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
// callbacks a [Handler] receives. [Handler.Conference] returns one already
// pointing at the Handler.
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
	// CallbackMethod (default POST). Mount a [Handler] there.
	CallbackURL    string `xml:"callbackUrl,attr,omitempty"`
	CallbackMethod string `xml:"callbackMethod,attr,omitempty"`

	// Action is fetched by Method (default POST) when the member leaves the
	// room; its answer XML continues the call.
	Action string `xml:"action,attr,omitempty"`
	Method string `xml:"method,attr,omitempty"`
}

// Conference returns a Conference for room whose callbackUrl is
// h.CallbackURL and callbackMethod POST, so that Vobiz sends this Handler
// its callbacks; the same string then serves for signature checks. Set
// other attributes on the result as needed.
//
// If h.CallbackURL is empty the result is still returned, but validating or
// rendering it fails with an *[AttrError] naming callbackUrl.
func (h *Handler) Conference(room string) Conference {
	return Conference{Room: room, CallbackURL: h.CallbackURL, CallbackMethod: http.MethodPost}
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

// Reasons shared by several checks.
const (
	reasonURL        = "want an absolute http or https URL"
	reasonMethod     = `want "GET" or "POST" (upper case)`
	reasonToggle     = "want Unset, On or Off"
	reasonLoop       = "want a count > 0, or LoopForever"
	reasonPositive   = "want a positive integer, or 0 to leave it unset"
	reasonSound      = `want "beep:1", "beep:2" or an absolute http or https URL`
	reasonDigits     = "want comma-free patterns of 0-9, '*' and '#', none empty"
	reasonRecordFmt  = `want "mp3" or "wav"`
	reasonRoom       = "want a non-empty room name of printable characters (no control characters)"
	reasonSpeakText  = "want non-empty text without control characters other than tab and newline"
	reasonVoice      = `want "WOMAN" or "MAN"`
	reasonLanguage   = `want a language tag such as "en-US"`
	reasonHangup     = `want "rejected" or "busy"`
	reasonNeedsURLFn = "want an absolute http or https URL; it is empty while %s is set"
)

type checker struct {
	element string
	errs    []error
}

func (c *checker) fail(attr, reason string) {
	c.errs = append(c.errs, &AttrError{Element: c.element, Attr: attr, Reason: reason, Err: ErrInvalidAttr})
}

func (c *checker) toggle(attr string, t Toggle) {
	if t > Off {
		c.fail(attr, reasonToggle)
	}
}

func (c *checker) positive(attr string, n int) {
	if n < 0 {
		c.fail(attr, reasonPositive)
	}
}

func (c *checker) method(attr, m string) {
	if m != "" && m != http.MethodGet && m != http.MethodPost {
		c.fail(attr, reasonMethod)
	}
}

// urlWithMethod checks an optional URL attribute and its method attribute:
// a method without a URL is a mistake (typically an empty
// Handler.CallbackURL), reported on the URL attribute.
func (c *checker) urlWithMethod(urlAttr, u, methodAttr, m string) {
	switch {
	case u == "" && m != "":
		c.fail(urlAttr, fmt.Sprintf(reasonNeedsURLFn, methodAttr))
	case u != "" && !validURL(u):
		c.fail(urlAttr, reasonURL)
	}
	c.method(methodAttr, m)
}

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

func (s Speak) validate(errs []error) []error {
	ck := checker{element: "Speak", errs: errs}
	if !validSpeakText(s.Text) {
		ck.fail("", reasonSpeakText)
	}
	if s.Voice != "" && s.Voice != VoiceWoman && s.Voice != VoiceMan {
		ck.fail("voice", reasonVoice)
	}
	if s.Language != "" && !validLanguage(s.Language) {
		ck.fail("language", reasonLanguage)
	}
	if s.Loop < LoopForever {
		ck.fail("loop", reasonLoop)
	}
	return ck.errs
}

func (p Play) validate(errs []error) []error {
	ck := checker{element: "Play", errs: errs}
	if !validURL(p.URL) {
		ck.fail("", reasonURL)
	}
	if p.Loop < LoopForever {
		ck.fail("loop", reasonLoop)
	}
	return ck.errs
}

func (w Wait) validate(errs []error) []error {
	ck := checker{element: "Wait", errs: errs}
	ck.positive("length", w.Length)
	ck.toggle("silence", w.Silence)
	ck.positive("minSilence", w.MinSilence)
	return ck.errs
}

func (h Hangup) validate(errs []error) []error {
	ck := checker{element: "Hangup", errs: errs}
	if h.Reason != "" && h.Reason != HangupRejected && h.Reason != HangupBusy {
		ck.fail("reason", reasonHangup)
	}
	ck.positive("schedule", h.Schedule)
	return ck.errs
}

// validURL reports whether s is an absolute http or https URL with a host
// and no whitespace or control characters (which Vobiz would not fetch).
func validURL(s string) bool {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return false
	}
	if !utf8.ValidString(s) {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return true
}

func validSound(s string) bool {
	return s == "" || s == SingleBeep || s == DoubleBeep || validURL(s)
}

func validDigits(p DigitPatterns) bool {
	for _, d := range p {
		if d == "" {
			return false
		}
		for i := 0; i < len(d); i++ {
			if c := d[i]; (c < '0' || c > '9') && c != '*' && c != '#' {
				return false
			}
		}
	}
	return true
}

// validRoom: non-blank, valid UTF-8, no control characters, only
// characters XML 1.0 can carry (encoding/xml would silently replace the
// others, putting the caller in a different room).
func validRoom(s string) bool {
	if strings.TrimSpace(s) == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || !xmlChar(r) {
			return false
		}
	}
	return true
}

// validSpeakText is validRoom allowing tab, newline and carriage return.
func validSpeakText(s string) bool {
	if strings.TrimSpace(s) == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) || !xmlChar(r) {
			return false
		}
	}
	return true
}

// xmlChar is the XML 1.0 Char production (tab, newline and carriage return
// aside, which callers handle).
func xmlChar(r rune) bool {
	return (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func validLanguage(s string) bool {
	if len(s) < 2 || len(s) > 35 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// joined returns nil, the single error, or errors.Join of all of them.
func joined(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// Response is the answer XML returned to Vobiz from an answer URL (or a
// waitSound or action URL): <Response> with its verbs, executed in order.
// Build one with [NewResponse] or a struct literal:
//
//	vobizhook.NewResponse(
//		vobizhook.Speak{Text: "Joining the stand-up."},
//		h.Conference("standup"),
//	)
//
// A Response is an [http.Handler] serving itself, so a fixed answer mounts
// directly (mux.Handle("/answer", resp)); for an answer that depends on the
// request, build it in your handler and call its ServeHTTP or [Response.WriteTo].
// Every way of rendering it validates it first and writes nothing when it is
// invalid.
type Response struct {
	// Verbs are the elements of <Response>, rendered in this order. An empty
	// Response is valid XML; Vobiz then leaves the call without instructions.
	Verbs []Verb
}

// NewResponse returns a Response with the given verbs, in order.
func NewResponse(verbs ...Verb) Response { return Response{Verbs: verbs} }

// Validate reports every problem with r's verbs, each an *[AttrError]
// (joined with errors.Join when there are several), or nil. A nil verb is
// reported with Element "Response".
func (r Response) Validate() error {
	var errs []error
	for i, v := range r.Verbs {
		if isNilVerb(v) {
			errs = append(errs, &AttrError{Element: "Response", Reason: "verb " + strconv.Itoa(i) + " is nil", Err: ErrInvalidAttr})
			continue
		}
		errs = v.validate(errs)
	}
	return joined(errs)
}

func isNilVerb(v Verb) bool {
	switch p := v.(type) {
	case nil:
		return true
	case *Conference:
		return p == nil
	case *Speak:
		return p == nil
	case *Play:
		return p == nil
	case *Wait:
		return p == nil
	case *Hangup:
		return p == nil
	}
	return false
}

// MarshalXML validates r and writes it as <Response> with its verbs in
// order; xml.Marshal(r) therefore fails rather than produce XML Vobiz would
// reject. Use [Response.Bytes] for a complete document with the XML header.
func (r Response) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := e.EncodeToken(responseStart); err != nil {
		return err
	}
	for _, v := range r.Verbs {
		if err := v.encode(e); err != nil {
			return err
		}
	}
	return e.EncodeToken(responseStart.End())
}

// UnmarshalXML reads a <Response> made of the verbs this package knows, so
// an answer can be parsed back (in tests, say) with xml.Unmarshal. Verbs
// are decoded as values, not validated; any other child element is an
// error.
func (r *Response) UnmarshalXML(d *xml.Decoder, _ xml.StartElement) error {
	r.Verbs = nil
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			v, err := decodeVerb(d, &t)
			if err != nil {
				return err
			}
			r.Verbs = append(r.Verbs, v)
		}
	}
}

func decodeVerb(d *xml.Decoder, start *xml.StartElement) (Verb, error) {
	switch start.Name.Local {
	case "Conference":
		var v conferenceXML
		err := d.DecodeElement(&v, start)
		return Conference(v), err
	case "Speak":
		var v speakXML
		err := d.DecodeElement(&v, start)
		return Speak(v), err
	case "Play":
		var v playXML
		err := d.DecodeElement(&v, start)
		return Play(v), err
	case "Wait":
		var v waitXML
		err := d.DecodeElement(&v, start)
		return Wait(v), err
	case "Hangup":
		var v hangupXML
		err := d.DecodeElement(&v, start)
		return Hangup(v), err
	}
	return nil, fmt.Errorf("vobizhook: unsupported element <%s> in <Response>", start.Name.Local)
}

// xmlIndent matches the layout of Vobiz's documentation examples.
const xmlIndent = "    "

// render appends the complete document to buf.
func (r Response) render(buf *bytes.Buffer) error {
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(buf)
	enc.Indent("", xmlIndent)
	if err := enc.Encode(r); err != nil {
		return err
	}
	buf.WriteByte('\n')
	return nil
}

// Bytes validates r and returns the complete answer document: the
// `<?xml version="1.0" encoding="UTF-8"?>` header, then <Response>, indented.
// On error it returns nil and the validation error (see [AttrError]).
func (r Response) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(256)
	if err := r.render(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteTo validates and renders r into memory, then writes the document to
// w; nothing is written when r is invalid. It implements io.WriterTo.
func (r Response) WriteTo(w io.Writer) (int64, error) {
	b, err := r.Bytes()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// ServeHTTP answers any request with r's document, status 200 and
// Content-Type application/xml (what Vobiz requires; text/html would fail
// the call).
//
// When r is invalid, nothing of it is sent: the error is logged with
// slog.Default at Error level and the answer is a 500 with a short
// plain-text body (Vobiz then ends the call). The error names the element
// and attribute, never a value. Validate your Response at start-up, or in a
// test, to catch this before a caller does.
func (r Response) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, err := r.Bytes()
	if err != nil {
		slog.Default().LogAttrs(req.Context(), slog.LevelError, "vobizhook: answer XML is invalid; answering 500",
			slog.String("path", req.URL.Path),
			slog.Any("error", err))
		writePlain(w, http.StatusInternalServerError, "vobizhook: invalid answer XML")
		return
	}
	h := w.Header()
	h["Content-Type"] = xmlContentType
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
