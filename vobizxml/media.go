package vobizxml

// The elements that play something to the caller: Speak, Play, Wait, and
// DTMF, which plays key tones into the call.

import (
	"cmp"
	"encoding/xml"
	"strings"
)

// Voice is the voice of a [Speak]: a man's or a woman's.
type Voice string

// Values for [Speak] Voice.
const (
	VoiceWoman Voice = "WOMAN" // Vobiz's default
	VoiceMan   Voice = "MAN"
)

// Speak is Vobiz's <Speak> element: text to speech. Use it before a
// Conference (a greeting), as a prompt of a [Gather], in a [PreAnswer], or
// in a waitSound answer. Vobiz has no MAN voice for da-DK, fr-CA, ru-RU
// and sv-SE, and no WOMAN voice for pt-PT: Validate reports those pairs.
type Speak struct {
	// Text is said as is (escaped; SSML markup is not interpreted: Vobiz's
	// docs do not document SSML). Required.
	Text     string    `xml:",chardata"`
	Voice    Voice     `xml:"voice,attr,omitempty"`    // [VoiceWoman] (default) or [VoiceMan]
	Language string    `xml:"language,attr,omitempty"` // e.g. "en-GB", "hi-IN" (default en-US)
	Loop     LoopCount `xml:"loop,attr,omitempty"`     // times to say it (default 1)
}

// Play is Vobiz's <Play> element: plays an MP3 or WAV file, e.g. hold music
// in a waitSound answer or a prompt of a [Gather]. Vobiz skips a file it
// cannot fetch and goes on with the next verb. It requests nothing else.
type Play struct {
	URL  string    `xml:",chardata"`           // the audio file, an absolute http(s) URL; required
	Loop LoopCount `xml:"loop,attr,omitempty"` // times to play it (default 1)
}

// Wait is Vobiz's <Wait> element: silence, e.g. between hold-music loops in
// a waitSound answer. As the first verb it delays answering the call (it
// keeps ringing).
//
// With Silence, the wait ends early once MinSilence milliseconds pass
// without sound, which must be shorter than the wait (Length, 1 second when
// unset). Beep waits for an answering machine's beep instead, and cannot be
// combined with Silence.
type Wait struct {
	Length     int    `xml:"length,attr,omitempty"`     // seconds (default 1); 0 omits it
	Silence    Toggle `xml:"silence,attr,omitempty"`    // end early on MinSilence of silence (default false)
	MinSilence int    `xml:"minSilence,attr,omitempty"` // milliseconds, with Silence (default 2000); 0 omits it
	Beep       Toggle `xml:"beep,attr,omitempty"`       // end on an answering machine's beep (default false); not with Silence
}

// defaultMinSilence is Vobiz's default for Wait's minSilence, in
// milliseconds.
const defaultMinSilence = 2000

// DTMF is Vobiz's <DTMF> element: sends key tones on the call, e.g. an
// extension to a phone menu the call reached. It goes in a [Response] only
// and requests nothing.
type DTMF struct {
	// Digits are the keys to press: 0-9, '*' and '#', with 'w' for a pause
	// of half a second and 'W' for one second, e.g. "1w2W#". Required (Vobiz
	// ignores a DTMF with any other character).
	Digits string `xml:",chardata"`
	// Async, true by default, goes on with the next verb once the first
	// tone is sent; Off sends them all first.
	Async Toggle `xml:"async,attr,omitempty"`
}

type (
	speakXML Speak
	playXML  Play
	waitXML  Wait
	dtmfXML  DTMF
)

func (Speak) tag() string { return "Speak" }
func (Play) tag() string  { return "Play" }
func (Wait) tag() string  { return "Wait" }
func (DTMF) tag() string  { return "DTMF" }

func (s Speak) encode(e *xml.Encoder) error { return e.EncodeElement(speakXML(s), start("Speak")) }
func (p Play) encode(e *xml.Encoder) error  { return e.EncodeElement(playXML(p), start("Play")) }
func (w Wait) encode(e *xml.Encoder) error  { return e.EncodeElement(waitXML(w), start("Wait")) }
func (d DTMF) encode(e *xml.Encoder) error  { return e.EncodeElement(dtmfXML(d), start("DTMF")) }

// MarshalXML validates s and writes it as <Speak>.
func (s Speak) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, s) }

// MarshalXML validates p and writes it as <Play>.
func (p Play) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, p) }

// MarshalXML validates w and writes it as <Wait>.
func (w Wait) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, w) }

// MarshalXML validates d and writes it as <DTMF>.
func (d DTMF) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, d) }

// Validate reports every problem with s, like [Conference.Validate].
func (s Speak) Validate() error { return joined(s.validate(nil)) }

// Validate reports every problem with p, like [Conference.Validate].
func (p Play) Validate() error { return joined(p.validate(nil)) }

// Validate reports every problem with w, like [Conference.Validate].
func (w Wait) Validate() error { return joined(w.validate(nil)) }

// Validate reports every problem with d, like [Conference.Validate].
func (d DTMF) Validate() error { return joined(d.validate(nil)) }

func (s Speak) validate(errs []error) []error {
	ck := checker{element: "Speak", errs: errs}
	if !validSpeakText(s.Text) {
		ck.fail("", reasonSpeakText)
	}
	ck.oneOf("voice", string(s.Voice), string(VoiceWoman), string(VoiceMan))
	if s.Language != "" && !validLanguage(s.Language) {
		ck.fail("language", reasonLanguage)
	} else if voice := cmp.Or(s.Voice, VoiceWoman); !voiceSpeaks(voice, s.Language) {
		ck.fail("voice", "Vobiz has no "+string(voice)+" voice for language "+s.Language)
	}
	if s.Loop < LoopForever {
		ck.fail("loop", reasonLoop)
	}
	return ck.errs
}

// voiceSpeaks reports whether Vobiz has voice for language: its docs list
// no MAN voice for da-DK, fr-CA, ru-RU and sv-SE, and no WOMAN voice (the
// default) for pt-PT.
func voiceSpeaks(voice Voice, language string) bool {
	var missing []string
	switch voice {
	case VoiceMan:
		missing = []string{"da-DK", "fr-CA", "ru-RU", "sv-SE"}
	case VoiceWoman:
		missing = []string{"pt-PT"}
	}
	for _, l := range missing {
		if strings.EqualFold(l, language) {
			return false
		}
	}
	return true
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
	ck.toggle("beep", w.Beep)
	length := max(w.Length, 1)
	if w.Silence == On && w.MinSilence > 0 && w.MinSilence/1000 >= length {
		ck.fail("minSilence", "want fewer milliseconds than the wait's length (1 second when unset)")
	}
	if w.Beep == On && w.Silence == On {
		ck.fail("beep", "cannot be On with silence On")
	}
	return ck.errs
}

func (d DTMF) validate(errs []error) []error {
	ck := checker{element: "DTMF", errs: errs}
	if d.Digits == "" || !onlyKeys(d.Digits, dtmfKeys) {
		ck.fail("", reasonDTMF)
	}
	ck.toggle("async", d.Async)
	return ck.errs
}

// dtmfKeys are the characters of DTMF text and of sendDigits.
const dtmfKeys = "0123456789*#wW"
