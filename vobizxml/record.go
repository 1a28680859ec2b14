package vobizxml

import "encoding/xml"

// TranscriptionType is the transcriptionType attribute of [Record].
type TranscriptionType string

// The values of [TranscriptionType].
const (
	TranscriptionAuto   TranscriptionType = "auto"   // Vobiz's default
	TranscriptionHybrid TranscriptionType = "hybrid" // more accurate, at an extra cost
)

// Record is Vobiz's <Record> element: it records the caller (a voicemail),
// or with RecordSession the whole call in the background, e.g. placed
// before a [Conference] to record the caller's time in the room. It goes in
// a [Response], or in a [Dial] with StartOnDialAnswer to record the bridged
// call.
//
// Recording ends on FinishOnKey, after MaxLength seconds, after Timeout
// seconds of silence, or when the call hangs up. Then Vobiz requests
// Action; with Redirect On, Action's answer continues the call (and nothing
// after the Record runs), otherwise the next verb runs.
type Record struct {
	// Action is requested by Method (default POST) when the recording ends,
	// with the call's parameters and RecordUrl, RecordingDuration (seconds),
	// RecordingDurationMs, RecordingStartMs, RecordingEndMs, RecordingID and
	// RecordingEndReason (RecordingTimeout, maxLength, FinishedOnKey,
	// HungUp). Required. RecordUrl may not be downloadable yet: wait for
	// CallbackURL. Not this library's to receive: serve it with a handler of
	// your own (examples/basic logs it).
	Action string `xml:"action,attr,omitempty"`
	Method string `xml:"method,attr,omitempty"` // "GET" or "POST" (default)

	FileFormat FileFormat `xml:"fileFormat,attr,omitempty"` // [RecordMP3] (default) or [RecordWAV]
	MaxLength  int        `xml:"maxLength,attr,omitempty"`  // seconds (default 60)
	Timeout    int        `xml:"timeout,attr,omitempty"`    // seconds of silence that end it (default 60)
	PlayBeep   Toggle     `xml:"playBeep,attr,omitempty"`   // beep before recording (default true)
	// FinishOnKey are the keys that end the recording: any of 0-9, '*' and
	// '#' (default all of them), or [FinishOnKeyNone].
	FinishOnKey string `xml:"finishOnKey,attr,omitempty"`

	RecordSession     Toggle `xml:"recordSession,attr,omitempty"`     // record the whole call in the background, until it hangs up (default false)
	StartOnDialAnswer Toggle `xml:"startOnDialAnswer,attr,omitempty"` // in a Dial: start when the target answers (default false)

	// Redirect, false by default (unlike Gather's and Dial's), continues
	// the call with Action's answer when On.
	Redirect Toggle `xml:"redirect,attr,omitempty"`

	// TranscriptionURL receives the transcript by TranscriptionMethod
	// (default POST): transcription, transcription_id, transcription_url
	// and recording_id. Not this library's to receive.
	TranscriptionType   TranscriptionType `xml:"transcriptionType,attr,omitempty"` // [TranscriptionAuto] (default) or [TranscriptionHybrid]
	TranscriptionURL    string            `xml:"transcriptionUrl,attr,omitempty"`
	TranscriptionMethod string            `xml:"transcriptionMethod,attr,omitempty"`

	// CallbackURL is requested by CallbackMethod (default POST) once the
	// file can be downloaded, with the same parameters as Action. Not this
	// library's to receive: serve it with a handler of your own.
	CallbackURL    string `xml:"callbackUrl,attr,omitempty"`
	CallbackMethod string `xml:"callbackMethod,attr,omitempty"`
}

type recordXML Record

func (Record) tag() string { return "Record" }

func (r Record) encode(e *xml.Encoder) error { return e.EncodeElement(recordXML(r), start("Record")) }

// MarshalXML validates r and writes it as <Record>.
func (r Record) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, r) }

// Validate reports every problem with r, like [Conference.Validate]; an
// empty Action is one.
func (r Record) Validate() error { return joined(r.validate(nil)) }

func (r Record) validate(errs []error) []error {
	ck := checker{element: "Record", errs: errs}
	ck.requiredURL("action", r.Action, "method", r.Method)
	ck.oneOf("fileFormat", string(r.FileFormat), string(RecordMP3), string(RecordWAV))
	ck.positive("maxLength", r.MaxLength)
	ck.positive("timeout", r.Timeout)
	ck.toggle("playBeep", r.PlayBeep)
	if k := r.FinishOnKey; k != "" && k != FinishOnKeyNone && !onlyKeys(k, "0123456789*#") {
		ck.fail("finishOnKey", `want keys of 0-9, '*' and '#', or "none"`)
	}
	ck.toggle("recordSession", r.RecordSession)
	ck.toggle("startOnDialAnswer", r.StartOnDialAnswer)
	ck.toggle("redirect", r.Redirect)
	ck.oneOf("transcriptionType", string(r.TranscriptionType), string(TranscriptionAuto), string(TranscriptionHybrid))
	ck.urlWithMethod("transcriptionUrl", r.TranscriptionURL, "transcriptionMethod", r.TranscriptionMethod)
	ck.urlWithMethod("callbackUrl", r.CallbackURL, "callbackMethod", r.CallbackMethod)
	return ck.errs
}
