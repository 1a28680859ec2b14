package vobizxml

import "encoding/xml"

// AudioTrack is the audioTrack attribute of [Stream]: which side of the
// call is streamed.
type AudioTrack string

// The values of [AudioTrack].
const (
	TrackInbound  AudioTrack = "inbound"  // the caller (Vobiz's default; the only one with Bidirectional)
	TrackOutbound AudioTrack = "outbound" // what the caller hears
	TrackBoth     AudioTrack = "both"
)

// StreamContentType is the contentType attribute of [Stream]: the audio
// encoding sent over the WebSocket.
type StreamContentType string

// The values of [StreamContentType].
const (
	StreamL16At8k   StreamContentType = "audio/x-l16;rate=8000" // Vobiz's default
	StreamL16At16k  StreamContentType = "audio/x-l16;rate=16000"
	StreamMulawAt8k StreamContentType = "audio/x-mulaw;rate=8000"
)

// Stream is Vobiz's <Stream> element: it forks the call's audio to a
// WebSocket server (for transcription, an AI agent...). It goes in a
// [Response], typically before a [Conference] or a [Dial] that keeps the
// call going.
//
// Without KeepCallAlive, Stream returns at once and the next verb runs
// while the audio streams; with nothing after it, the call hangs up
// ([Response.Warnings] reports that). With KeepCallAlive (which Vobiz's
// docs allow only with Bidirectional), the call stays on the Stream until
// the stream ends, then goes on with the next verb.
type Stream struct {
	// URL is the WebSocket server, the element's text: an absolute ws or
	// wss URL (Vobiz's docs use wss). Required. It receives the audio; with
	// Bidirectional, it may send playAudio, clearAudio and checkpoint
	// messages back. That WebSocket is not this library's to serve.
	URL string `xml:",chardata"`

	Bidirectional Toggle     `xml:"bidirectional,attr,omitempty"` // the server may play audio into the call (default false)
	AudioTrack    AudioTrack `xml:"audioTrack,attr,omitempty"`    // [TrackInbound] (default), [TrackOutbound] or [TrackBoth]
	StreamTimeout int        `xml:"streamTimeout,attr,omitempty"` // seconds before the stream is stopped (default 86400)

	// StatusCallbackURL receives the stream's events by
	// StatusCallbackMethod (default POST): Event (StartStream,
	// PlayedStream, StopStream), CallUUID, StreamID, From, To, Timestamp,
	// Name (the checkpoint, on PlayedStream) and ServiceURL (on
	// StartStream). Not this library's to receive: serve it with a handler
	// of your own.
	StatusCallbackURL    string `xml:"statusCallbackUrl,attr,omitempty"`
	StatusCallbackMethod string `xml:"statusCallbackMethod,attr,omitempty"`

	ContentType StreamContentType `xml:"contentType,attr,omitempty"` // audio encoding (default [StreamL16At8k])
	// ExtraHeaders are passed to the WebSocket server, 512 bytes at most.
	ExtraHeaders  Headers `xml:"extraHeaders,attr,omitempty"`
	KeepCallAlive Toggle  `xml:"keepCallAlive,attr,omitempty"` // hold the call until the stream ends; needs Bidirectional (default false)
}

type streamXML Stream

func (Stream) tag() string { return "Stream" }

func (s Stream) encode(e *xml.Encoder) error { return e.EncodeElement(streamXML(s), start("Stream")) }

// MarshalXML validates s and writes it as <Stream>.
func (s Stream) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, s) }

// Validate reports every problem with s, like [Conference.Validate].
func (s Stream) Validate() error { return joined(s.validate(nil)) }

func (s Stream) validate(errs []error) []error {
	ck := checker{element: "Stream", errs: errs}
	if !validURLScheme(s.URL, "wss", "ws") {
		ck.fail("", "want an absolute wss or ws URL; Vobiz requires it")
	}
	ck.toggle("bidirectional", s.Bidirectional)
	ck.oneOf("audioTrack", string(s.AudioTrack), string(TrackInbound), string(TrackOutbound), string(TrackBoth))
	if s.Bidirectional == On && (s.AudioTrack == TrackOutbound || s.AudioTrack == TrackBoth) {
		ck.fail("audioTrack", `want "inbound" with bidirectional On`)
	}
	ck.positive("streamTimeout", s.StreamTimeout)
	ck.urlWithMethod("statusCallbackUrl", s.StatusCallbackURL, "statusCallbackMethod", s.StatusCallbackMethod)
	ck.oneOf("contentType", string(s.ContentType), string(StreamL16At8k), string(StreamL16At16k), string(StreamMulawAt8k))
	ck.headers("extraHeaders", s.ExtraHeaders, 512)
	ck.toggle("keepCallAlive", s.KeepCallAlive)
	if s.KeepCallAlive == On && s.Bidirectional != On {
		ck.fail("keepCallAlive", "needs bidirectional On (Vobiz's docs)")
	}
	return ck.errs
}
