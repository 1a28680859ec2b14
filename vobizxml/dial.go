package vobizxml

import (
	"encoding/xml"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DialMusicReal is the dialMusic value of [Dial] that plays the real
// ringback tone to the caller while the call is being connected.
const DialMusicReal = "real"

// Dial is Vobiz's <Dial> element: it calls its [Number] and [User] targets
// (all at once: the first to answer is connected) and bridges the caller
// to the one that answers, e.g. a supervisor into a conference's line. It
// goes in a [Response] and needs at least one target.
//
// When the dialled call ends (no answer, busy, or hung up after talking),
// Vobiz goes on with the next verb; with Action set and Redirect not Off,
// with Action's answer instead, and nothing after the Dial runs.
//
// Older Vobiz docs wrote the number as the Dial's text
// (<Dial>+14155551234</Dial>); the newer ones nest a <Number>, which is what
// this package writes and reads (text in a <Dial> is a decoding error).
type Dial struct {
	// Action is requested by Method (default POST) when the dial ends, with
	// the call's parameters and DialRingStatus (true or false), DialStatus
	// (completed, busy, failed, cancel, timeout, no-answer),
	// DialHangupCause, DialALegUUID and DialBLegUUID (empty if unanswered).
	// With Redirect (the default), its answer XML continues the call. Not
	// this library's to receive: serve it with a handler of your own.
	Action string `xml:"action,attr,omitempty"`
	Method string `xml:"method,attr,omitempty"` // "GET" or "POST" (default)

	HangupOnStar Toggle `xml:"hangupOnStar,attr,omitempty"` // the caller's '*' drops the dialled call and goes on (default false)
	TimeLimit    int    `xml:"timeLimit,attr,omitempty"`    // seconds the bridged call may last (default 14400; at most 24 hours)
	Timeout      int    `xml:"timeout,attr,omitempty"`      // seconds the target has to answer (default: the carrier's)

	CallerID   string `xml:"callerId,attr,omitempty"`   // phone number shown to the target (default the caller's)
	CallerName string `xml:"callerName,attr,omitempty"` // name shown to the target, at most 50 characters (default the caller's)

	// ConfirmSound is the URL of an answer (Play, Speak, Wait: a [Response])
	// Vobiz fetches by POST and plays to the target when it answers; with
	// ConfirmKey, only a target who then presses that key (one of 0-9, '*'
	// and '#') is connected, and ConfirmTimeout (seconds, default 120)
	// bounds the wait when there is no key.
	ConfirmSound   string `xml:"confirmSound,attr,omitempty"`
	ConfirmKey     string `xml:"confirmKey,attr,omitempty"`
	ConfirmTimeout int    `xml:"confirmTimeout,attr,omitempty"`

	// DialMusic is what the caller hears while the target rings:
	// [DialMusicReal], or the URL of an answer (Play, Speak, Wait) Vobiz
	// fetches.
	DialMusic string `xml:"dialMusic,attr,omitempty"`

	// CallbackURL receives the dialled leg's events by CallbackMethod
	// (default POST): DialAction (answer, connected, hangup, digits),
	// DialBLegStatus, DialALegUUID, DialBLegUUID, DialDigitsMatch and
	// DialDigitsPressedBy (for digits), DialBLegDuration,
	// DialBLegBillDuration and DialBLegHangupCauseName (on hangup), and
	// more. Not this library's to receive (a vobizhook.Handler takes only
	// conference callbacks and refuses these with 400): serve it with a
	// handler of your own.
	CallbackURL    string `xml:"callbackUrl,attr,omitempty"`
	CallbackMethod string `xml:"callbackMethod,attr,omitempty"`

	// Redirect, true by default, continues the call with Action's answer
	// when the dial ends; Off requests Action in the background and goes on
	// with the next verb.
	Redirect Toggle `xml:"redirect,attr,omitempty"`

	DigitsMatch     DigitPatterns `xml:"digitsMatch,attr,omitempty"`     // the caller's key sequences reported to CallbackURL
	DigitsMatchBLeg DigitPatterns `xml:"digitsMatchBLeg,attr,omitempty"` // the same for the target's keys

	// SIPHeaders are sent to the targets as SIP headers, named with the
	// prefix X-VH- (Vobiz's newer docs; an older page says X-PH-, Plivo's).
	SIPHeaders Headers `xml:"sipHeaders,attr,omitempty"`

	// Children are the targets, [Number] and [User], and optionally a
	// [Record] with StartOnDialAnswer to record the bridged call (Vobiz's
	// docs and its newer SDKs take a Record here; the Plivo-derived SDK
	// did not), or a custom verb. At least one Number or User is required.
	Children []Verb `xml:"-"`
}

// Number is Vobiz's <Number> element, a phone number for a [Dial] to call.
// It goes in a Dial only.
type Number struct {
	// PhoneNumber is the number, the element's text: digits with an
	// optional leading '+' (Vobiz's docs use both), at most 15 digits.
	// Required.
	PhoneNumber string `xml:",chardata"`
	// SendDigits are keys pressed once the number answers, with 'w' for a
	// half-second pause (and 'W' for a second), e.g. "wwww2410" for an
	// extension.
	SendDigits string `xml:"sendDigits,attr,omitempty"`
	// SendOnPreanswer sends SendDigits during early media instead (default
	// false).
	SendOnPreanswer Toggle `xml:"sendOnPreanswer,attr,omitempty"`
}

// User is Vobiz's <User> element, a SIP endpoint for a [Dial] to call. It
// goes in a Dial only.
type User struct {
	// URI is the SIP URI, the element's text, e.g. "sip:alice@example.com".
	// Required.
	URI             string  `xml:",chardata"`
	SendDigits      string  `xml:"sendDigits,attr,omitempty"`      // as [Number] SendDigits
	SendOnPreanswer Toggle  `xml:"sendOnPreanswer,attr,omitempty"` // as [Number] SendOnPreanswer
	SIPHeaders      Headers `xml:"sipHeaders,attr,omitempty"`      // as [Dial] SIPHeaders, for this target
}

type (
	dialXML   Dial
	numberXML Number
	userXML   User
)

func (Dial) tag() string   { return "Dial" }
func (Number) tag() string { return "Number" }
func (User) tag() string   { return "User" }

func (d Dial) encode(e *xml.Encoder) error {
	return e.EncodeElement(struct {
		dialXML
		Kids verbList
	}{dialXML(d), d.Children}, start("Dial"))
}
func (n Number) encode(e *xml.Encoder) error { return e.EncodeElement(numberXML(n), start("Number")) }
func (u User) encode(e *xml.Encoder) error   { return e.EncodeElement(userXML(u), start("User")) }

// MarshalXML validates d and writes it as <Dial> with its children.
func (d Dial) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, d) }

// MarshalXML validates n and writes it as <Number>.
func (n Number) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, n) }

// MarshalXML validates u and writes it as <User>.
func (u User) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, u) }

// UnmarshalXML reads a <Dial> and its children, as [Response.UnmarshalXML]
// reads a Response.
func (d *Dial) UnmarshalXML(dec *xml.Decoder, start xml.StartElement) error {
	return d.decode(dec, &start, 0)
}

func (d *Dial) decode(dec *xml.Decoder, start *xml.StartElement, depth int) error {
	if err := decodeAttrs(start, (*dialXML)(d)); err != nil {
		return err
	}
	kids, err := decodeChildren(dec, "Dial", depth)
	d.Children = kids
	return err
}

// Validate reports every problem with d and its children, like
// [Conference.Validate]; a Dial without a Number or User is one.
func (d Dial) Validate() error { return joined(d.validate(nil)) }

// Validate reports every problem with n, like [Conference.Validate].
func (n Number) Validate() error { return joined(n.validate(nil)) }

// Validate reports every problem with u, like [Conference.Validate].
func (u User) Validate() error { return joined(u.validate(nil)) }

func (d Dial) validate(errs []error) []error {
	ck := checker{element: "Dial", errs: errs}
	ck.urlWithMethod("action", d.Action, "method", d.Method)
	ck.toggle("hangupOnStar", d.HangupOnStar)
	ck.positive("timeLimit", d.TimeLimit)
	ck.positive("timeout", d.Timeout)
	if d.CallerID != "" && !validPhone(d.CallerID) {
		ck.fail("callerId", reasonPhone)
	}
	if n := utf8.RuneCountInString(d.CallerName); d.CallerName != "" && (n > 50 || !validRoom(d.CallerName)) {
		ck.fail("callerName", "want at most 50 printable characters")
	}
	if d.ConfirmSound != "" && !validURL(d.ConfirmSound) {
		ck.fail("confirmSound", reasonURL)
	}
	if k := d.ConfirmKey; k != "" && (len(k) != 1 || !onlyKeys(k, "0123456789*#")) {
		ck.fail("confirmKey", "want one of 0-9, '*' and '#'")
	}
	ck.needs("confirmKey", d.ConfirmKey != "", "confirmSound", d.ConfirmSound != "")
	ck.positive("confirmTimeout", d.ConfirmTimeout)
	ck.needs("confirmTimeout", d.ConfirmTimeout > 0, "confirmSound", d.ConfirmSound != "")
	if m := d.DialMusic; m != "" && m != DialMusicReal && !validURL(m) {
		ck.fail("dialMusic", `want "real" or an absolute http or https URL`)
	}
	ck.urlWithMethod("callbackUrl", d.CallbackURL, "callbackMethod", d.CallbackMethod)
	ck.toggle("redirect", d.Redirect)
	if !validDigits(d.DigitsMatch) {
		ck.fail("digitsMatch", reasonDigits)
	}
	if !validDigits(d.DigitsMatchBLeg) {
		ck.fail("digitsMatchBLeg", reasonDigits)
	}
	ck.headers("sipHeaders", d.SIPHeaders, 0)
	if count(d.Children, "Number", "User") == 0 {
		ck.failStructure("want at least one Number or User to call")
	}
	return dialRule.validate(ck.errs, d.Children)
}

func (n Number) validate(errs []error) []error {
	ck := checker{element: "Number", errs: errs}
	if !validPhone(n.PhoneNumber) {
		ck.fail("", reasonPhone)
	}
	ck.sendDigits(n.SendDigits, n.SendOnPreanswer)
	return ck.errs
}

func (u User) validate(errs []error) []error {
	ck := checker{element: "User", errs: errs}
	if !validSIPURI(u.URI) {
		ck.fail("", `want a SIP URI such as "sip:alice@example.com"`)
	}
	ck.sendDigits(u.SendDigits, u.SendOnPreanswer)
	ck.headers("sipHeaders", u.SIPHeaders, 0)
	return ck.errs
}

func (c *checker) sendDigits(digits string, onPreanswer Toggle) {
	if digits != "" && !onlyKeys(digits, dtmfKeys) {
		c.fail("sendDigits", reasonDTMF)
	}
	c.toggle("sendOnPreanswer", onPreanswer)
	c.needs("sendOnPreanswer", onPreanswer == On, "sendDigits", digits != "")
}

const reasonPhone = "want a phone number: digits with an optional leading '+', at most 15"

func validPhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	return len(s) >= 1 && len(s) <= 15 && onlyKeys(s, "0123456789")
}

func validSIPURI(s string) bool {
	rest, ok := cutPrefixFold(s, "sip:")
	if !ok {
		rest, ok = cutPrefixFold(s, "sips:")
	}
	return ok && rest != "" && validURLText(rest)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// validURLText: valid UTF-8 of XML characters without spaces or controls.
func validURLText(s string) bool {
	return validRoom(s) && !strings.ContainsFunc(s, unicode.IsSpace)
}
