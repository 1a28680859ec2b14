package vobizxml

import (
	"encoding/xml"
	"strings"
)

// InputType is the inputType attribute of [Gather]: which input it listens
// for.
type InputType string

// The values of [InputType].
const (
	GatherDTMF       InputType = "dtmf"        // key presses
	GatherSpeech     InputType = "speech"      // speech
	GatherDTMFSpeech InputType = "dtmf speech" // either; the first one detected wins
)

// SpeechModel is the speechModel attribute of [Gather]: the speech
// recognition model.
type SpeechModel string

// The values of [SpeechModel].
const (
	SpeechModelDefault          SpeechModel = "default" // Vobiz's default
	SpeechModelCommandAndSearch SpeechModel = "command_and_search"
	SpeechModelPhoneCall        SpeechModel = "phone_call"
	SpeechModelTelephony        SpeechModel = "telephony"
)

// FinishOnKeyNone is the finishOnKey value of [Gather] and [Record] that
// disables the finishing key (Vobiz also accepts an empty string, which
// this package cannot write: the empty string leaves the attribute unset).
const FinishOnKeyNone = "none"

// Gather is Vobiz's <Gather> element: it plays its prompts and collects
// key presses (DTMF) or speech, then requests Action with what it got. It
// goes in a [Response]. Vobiz has no <GetDigits> or <GetInput> (Plivo's):
// Gather is how input is collected.
//
// When the caller gives no input within ExecutionTimeout, Vobiz goes on
// with the next verb: put a fallback after the Gather (a Speak and a
// Hangup, say). When input arrives and Redirect is not Off, the answer of
// Action continues the call and nothing after the Gather runs.
//
// Vobiz's docs examples write timeout="10" on Gather, an attribute of
// Plivo's GetDigits that is not in Vobiz's attribute table; this package
// does not offer it: ExecutionTimeout is the time to wait for input.
type Gather struct {
	// Action receives the input. Required. Vobiz requests it by Method
	// (default POST) with the call's parameters (CallUUID, From, To,
	// Direction, CallStatus, ...) and InputType ("dtmf" or "speech"),
	// Digits (the keys, without the finishing key), Speech (the
	// transcript), SpeechConfidenceScore (0.0 to 1.0) and BilledAmount.
	// With Redirect (the default), its answer XML continues the call. That
	// request is not this library's to receive: answer it with a handler of
	// your own that checks the input and writes a Response (examples/basic
	// checks a PIN this way).
	Action string `xml:"action,attr,omitempty"`
	Method string `xml:"method,attr,omitempty"` // "GET" or "POST" (default)

	InputType InputType `xml:"inputType,attr,omitempty"` // [GatherDTMF], [GatherSpeech] or [GatherDTMFSpeech]

	// ExecutionTimeout is how many seconds to wait for input once the
	// prompts have played: 5 to 60 (default 15).
	ExecutionTimeout int `xml:"executionTimeout,attr,omitempty"`
	// DigitEndTimeout and SpeechEndTimeout end the input after that many
	// seconds of quiet, for key presses and for speech (default auto).
	DigitEndTimeout  EndTimeout `xml:"digitEndTimeout,attr,omitempty"`
	SpeechEndTimeout EndTimeout `xml:"speechEndTimeout,attr,omitempty"`
	// FinishOnKey is the key that ends key input: one of 0-9, '*' and '#'
	// (default "#"), or [FinishOnKeyNone].
	FinishOnKey string `xml:"finishOnKey,attr,omitempty"`
	// NumDigits ends key input after that many keys: 1 to 32 (default 32).
	NumDigits int `xml:"numDigits,attr,omitempty"`

	SpeechModel SpeechModel `xml:"speechModel,attr,omitempty"` // speech recognition model (default [SpeechModelDefault])
	Language    string      `xml:"language,attr,omitempty"`    // speech recognition language, e.g. "en-IN" (default en-US)
	Hints       Phrases     `xml:"hints,attr,omitempty"`       // phrases to expect in speech

	// InterimSpeechResultsCallback receives partial transcripts while the
	// caller speaks, by InterimSpeechResultsCallbackMethod (default POST):
	// StableSpeech, UnstableSpeech, Stability (0.0 to 1.0) and
	// SequenceNumber, with the call's parameters. Not this library's to
	// receive: serve it with a handler of your own.
	InterimSpeechResultsCallback       string `xml:"interimSpeechResultsCallback,attr,omitempty"`
	InterimSpeechResultsCallbackMethod string `xml:"interimSpeechResultsCallbackMethod,attr,omitempty"`

	ProfanityFilter Toggle `xml:"profanityFilter,attr,omitempty"` // mask profanity in Speech (default false)
	Log             Toggle `xml:"log,attr,omitempty"`             // Off keeps the input out of Vobiz's logs (default true)
	// Redirect, true by default, continues the call with Action's answer;
	// Off requests Action in the background and goes on with the next verb.
	Redirect Toggle `xml:"redirect,attr,omitempty"`

	// Prompts are played while Gather listens; input stops them. [Speak]
	// and [Play] only (or a custom verb).
	Prompts []Verb `xml:"-"`
}

// gatherXML is Gather without its methods, for encoding/xml.
type gatherXML Gather

func (Gather) tag() string { return "Gather" }

func (g Gather) encode(e *xml.Encoder) error {
	return e.EncodeElement(struct {
		gatherXML
		Kids verbList
	}{gatherXML(g), g.Prompts}, start("Gather"))
}

// MarshalXML validates g and writes it as <Gather> with its prompts.
func (g Gather) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, g) }

// UnmarshalXML reads a <Gather> and its prompts, as [Response.UnmarshalXML]
// reads a Response.
func (g *Gather) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	return g.decode(d, &start, 0)
}

func (g *Gather) decode(d *xml.Decoder, start *xml.StartElement, depth int) error {
	if err := decodeAttrs(start, (*gatherXML)(g)); err != nil {
		return err
	}
	kids, err := decodeChildren(d, "Gather", depth)
	g.Prompts = kids
	return err
}

// Validate reports every problem with g and its prompts, like
// [Conference.Validate]; a prompt other than Speak or Play is one.
func (g Gather) Validate() error { return joined(g.validate(nil)) }

func (g Gather) validate(errs []error) []error {
	ck := checker{element: "Gather", errs: errs}
	ck.requiredURL("action", g.Action, "method", g.Method)
	ck.oneOf("inputType", string(g.InputType), string(GatherDTMF), string(GatherSpeech), string(GatherDTMFSpeech))
	ck.between("executionTimeout", g.ExecutionTimeout, 5, 60)
	ck.endTimeout("digitEndTimeout", g.DigitEndTimeout)
	ck.endTimeout("speechEndTimeout", g.SpeechEndTimeout)
	if k := g.FinishOnKey; k != "" && k != FinishOnKeyNone && (len(k) != 1 || !onlyKeys(k, "0123456789*#")) {
		ck.fail("finishOnKey", `want one of 0-9, '*' and '#', or "none"`)
	}
	ck.between("numDigits", g.NumDigits, 1, 32)
	ck.oneOf("speechModel", string(g.SpeechModel), string(SpeechModelDefault), string(SpeechModelCommandAndSearch), string(SpeechModelPhoneCall), string(SpeechModelTelephony))
	if g.Language != "" && !validLanguage(g.Language) {
		ck.fail("language", reasonLanguage)
	}
	if !validHints(g.Hints) {
		ck.fail("hints", "want at most 500 comma-free phrases of 1 to 100 printable characters, 10000 in all")
	}
	ck.urlWithMethod("interimSpeechResultsCallback", g.InterimSpeechResultsCallback,
		"interimSpeechResultsCallbackMethod", g.InterimSpeechResultsCallbackMethod)
	ck.toggle("profanityFilter", g.ProfanityFilter)
	ck.toggle("log", g.Log)
	ck.toggle("redirect", g.Redirect)
	return gatherRule.validate(ck.errs, g.Prompts)
}

func (c *checker) endTimeout(attr string, t EndTimeout) {
	if t != 0 && t != EndTimeoutAuto && (t < 2 || t > 10) {
		c.fail(attr, reasonEndTimeout)
	}
}

func validHints(p Phrases) bool {
	if len(p) > 500 {
		return false
	}
	total := 0
	for i, h := range p {
		n := len([]rune(h))
		if n > 100 || !validRoom(h) || strings.IndexByte(h, ',') >= 0 {
			return false
		}
		total += n
		if i > 0 {
			total++ // the comma
		}
	}
	return total <= 10000
}
