package vobizxml

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// go test -run TestResponseGolden -update rewrites testdata/xml/*.xml.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fullConference sets every attribute, mixing On and Off.
func fullConference() Conference {
	return Conference{
		Room:                   "standup",
		Muted:                  Off,
		Beep:                   On,
		StartConferenceOnEnter: Off,
		EndConferenceOnExit:    On,
		StayAlone:              On,
		MaxParticipants:        10,
		TimeLimit:              3600,
		EnterSound:             SingleBeep,
		ExitSound:              "https://app.example/sounds/exit.xml",
		WaitSound:              "https://app.example/wait",
		WaitMethod:             http.MethodGet,
		RelayDTMF:              On,
		HangupOnStar:           On,
		DigitsMatch:            []string{"#0", "99", "*1"},
		Record:                 On,
		RecordFileFormat:       RecordWAV,
		CallbackURL:            "https://app.example/conference-events",
		CallbackMethod:         http.MethodPost,
		Action:                 "https://app.example/after-conference",
		Method:                 http.MethodGet,
	}
}

const (
	escRoom = `Sales & <Support> "EU" 'west' – Zürich 会议`
	escURL  = `https://app.example/conference-events?tenant=a&b=2&q="x"&lt=<`
)

// fullGather sets every attribute of Gather, with both kinds of prompt.
func fullGather() Gather {
	return Gather{
		Action:                             "https://app.example/gather?step=pin&x=1",
		Method:                             http.MethodGet,
		InputType:                          GatherDTMFSpeech,
		ExecutionTimeout:                   20,
		DigitEndTimeout:                    3,
		SpeechEndTimeout:                   EndTimeoutAuto,
		FinishOnKey:                        "*",
		NumDigits:                          6,
		SpeechModel:                        SpeechModelPhoneCall,
		Language:                           "hi-IN",
		Hints:                              Phrases{"sales", "support desk", "billing"},
		InterimSpeechResultsCallback:       "https://app.example/interim",
		InterimSpeechResultsCallbackMethod: http.MethodPost,
		ProfanityFilter:                    On,
		Log:                                Off,
		Redirect:                           On,
		Prompts: []Verb{
			Speak{Text: "Enter or say your account number.", Voice: VoiceMan},
			Play{URL: "https://cdn.example/beep.mp3"},
		},
	}
}

// fullDial sets every attribute of Dial, Number and User, with a Record.
func fullDial() Dial {
	return Dial{
		Action:          "https://app.example/dial-done",
		Method:          http.MethodGet,
		HangupOnStar:    On,
		TimeLimit:       600,
		Timeout:         25,
		CallerID:        "918071387423",
		CallerName:      "Acme Support",
		ConfirmSound:    "https://app.example/confirm.xml",
		ConfirmKey:      "5",
		ConfirmTimeout:  30,
		DialMusic:       DialMusicReal,
		CallbackURL:     "https://app.example/dial-events?leg=b&t=1",
		CallbackMethod:  http.MethodPost,
		Redirect:        Off,
		DigitsMatch:     DigitPatterns{"*9", "#0"},
		DigitsMatchBLeg: DigitPatterns{"11"},
		SIPHeaders:      Headers{"tenant": "acme", "ticket": "42"},
		Children: []Verb{
			Number{PhoneNumber: "+919876543210", SendDigits: "wwww2410", SendOnPreanswer: On},
			User{URI: "sip:supervisor@acme.sip.vobiz.ai", SendDigits: "1#", SendOnPreanswer: Off, SIPHeaders: Headers{"role": "supervisor"}},
			Record{Action: "https://app.example/recordings", StartOnDialAnswer: On, RecordSession: On},
		},
	}
}

// fullRecord sets every attribute of Record.
func fullRecord() Record {
	return Record{
		Action:              "https://app.example/recordings?call=1&k=2",
		Method:              http.MethodGet,
		FileFormat:          RecordWAV,
		MaxLength:           120,
		Timeout:             15,
		PlayBeep:            Off,
		FinishOnKey:         "#*",
		RecordSession:       Off,
		StartOnDialAnswer:   Off,
		Redirect:            On,
		TranscriptionType:   TranscriptionHybrid,
		TranscriptionURL:    "https://app.example/transcripts",
		TranscriptionMethod: http.MethodPost,
		CallbackURL:         "https://app.example/recording-ready",
		CallbackMethod:      http.MethodGet,
	}
}

// fullStream sets every attribute of Stream.
func fullStream() Stream {
	return Stream{
		URL:                  "wss://media.example/stream?room=standup&t=1",
		Bidirectional:        On,
		AudioTrack:           TrackInbound,
		StreamTimeout:        3600,
		StatusCallbackURL:    "https://app.example/stream-events",
		StatusCallbackMethod: http.MethodGet,
		ContentType:          StreamL16At16k,
		ExtraHeaders:         Headers{"room": "standup", "tenant": "acme"},
		KeepCallAlive:        On,
	}
}

func goldenCases() []struct {
	name string
	resp Response
} {
	cb := "https://app.example/conference-events"
	return []struct {
		name string
		resp Response
	}{
		{"empty-response", Response{}},
		{"conference-minimal", NewResponse(Conference{Room: "standup"})},
		{"conference-every-attribute", NewResponse(fullConference())},
		{"conference-default-true-off", NewResponse(Conference{Room: "standup", Beep: Off, StartConferenceOnEnter: Off})},
		{"conference-escaping", NewResponse(Conference{Room: escRoom, CallbackURL: escURL, WaitSound: "https://app.example/wait?x=1&y=2"})},
		{"conference-from-handler", NewResponse(Conference{Room: "standup", CallbackURL: cb, CallbackMethod: http.MethodPost})},
		{"speak", NewResponse(Speak{Text: "Welcome to the <stand-up> & \"retro\"", Voice: VoiceMan, Language: "en-GB", Loop: 2})},
		{"play", NewResponse(Play{URL: "https://cdn.example/hold.mp3?v=1&t=2", Loop: LoopForever})},
		{"wait-sound-answer", NewResponse(Play{URL: "https://cdn.example/hold.mp3"}, Wait{Length: 5, Silence: On, MinSilence: 500})},
		{"hangup", NewResponse(Hangup{Reason: HangupBusy, Schedule: 60}, Speak{Text: "This call ends in a minute.", Loop: LoopForever})},
		{"flow", NewResponse(Speak{Text: "Joining the stand-up."}, Conference{Room: "standup", CallbackURL: cb, CallbackMethod: http.MethodPost}, Hangup{})},

		{"wait-beep", NewResponse(Wait{Length: 30, Beep: On})},
		{"dtmf", NewResponse(DTMF{Digits: "1w2W#*0", Async: Off})},
		{"redirect", NewResponse(Redirect{URL: "https://app.example/next?step=2&lang=hi", Method: http.MethodGet})},
		{"preanswer", NewResponse(
			PreAnswer{Verbs: []Verb{Speak{Text: "Please hold."}, Play{URL: "https://cdn.example/ring.mp3"}, Wait{Length: 2}}},
			Conference{Room: "standup"},
		)},
		{"gather-every-attribute", NewResponse(fullGather())},
		{"gather-pin", NewResponse(
			Gather{Action: "https://app.example/pin", InputType: GatherDTMF, NumDigits: 4, ExecutionTimeout: 10,
				Prompts: []Verb{Speak{Text: "Enter your four-digit PIN."}}},
			Speak{Text: "We did not get a PIN. Goodbye."},
			Hangup{},
		)},
		{"gather-speech", NewResponse(Gather{Action: "https://app.example/menu", InputType: GatherSpeech,
			SpeechEndTimeout: EndTimeoutAuto, Language: "en-IN", Hints: Phrases{"sales", "support"},
			Prompts: []Verb{Play{URL: "https://cdn.example/menu.mp3"}}})},
		{"dial-every-attribute", NewResponse(fullDial())},
		{"dial-supervisor", NewResponse(
			Speak{Text: "Connecting your supervisor."},
			Dial{CallerID: "+918071387423", Children: []Verb{Number{PhoneNumber: "+919876543210"}}},
		)},
		{"record-every-attribute", NewResponse(fullRecord())},
		{"stream-every-attribute", NewResponse(fullStream(), Conference{Room: "standup"})},
		{"conference-call-flow", NewResponse(
			Speak{Text: "Welcome to the stand-up.", Language: "en-IN"},
			Record{Action: "https://app.example/recordings", RecordSession: On, FileFormat: RecordMP3},
			Stream{URL: "wss://media.example/transcribe?room=standup", AudioTrack: TrackBoth, StatusCallbackURL: "https://app.example/stream-events"},
			Conference{Room: "standup", CallbackURL: cb, CallbackMethod: http.MethodPost, Action: cb},
			Hangup{},
		)},
		{"raw-verb", NewResponse(
			RawVerb{Name: "Pause", Attrs: []xml.Attr{{Name: xml.Name{Local: "length"}, Value: "2 & more"}}},
			RawVerb{Name: "Say", Inner: `Hello <emphasis level="strong">there</emphasis> &amp; welcome`},
		)},
	}
}

func TestResponseGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.resp.Bytes()
			require.NoError(t, err)
			path := filepath.Join("testdata", "xml", tc.name+".xml")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create it")
			assert.Equal(t, string(want), string(got))

			// Every golden document is well-formed XML and parses back to
			// the same Response.
			var back Response
			require.NoError(t, xml.Unmarshal(got, &back))
			assert.Equal(t, normalize(tc.resp), back)
		})
	}
}

// normalize turns pointer verbs into values, the form UnmarshalXML returns.
func normalize(r Response) Response {
	if len(r.Verbs) == 0 {
		return Response{}
	}
	out := Response{Verbs: make([]Verb, len(r.Verbs))}
	for i, v := range r.Verbs {
		switch p := v.(type) {
		case *Conference:
			out.Verbs[i] = *p
		case *Speak:
			out.Verbs[i] = *p
		default:
			out.Verbs[i] = v
		}
	}
	return out
}

// elementAttrs decodes the first element named name in doc generically:
// wire names to values, and its direct text (untrimmed), independent of this
// package's types. An attribute written twice fails the test.
func elementAttrs(t *testing.T, doc []byte, name string) (map[string]string, string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		require.NoError(t, err, "no <%s> in the document", name)
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != name {
			continue
		}
		m := map[string]string{}
		for _, a := range se.Attr {
			_, dup := m[a.Name.Local]
			require.False(t, dup, "attribute %s written twice", a.Name.Local)
			m[a.Name.Local] = a.Value
		}
		var text strings.Builder
		for depth := 0; depth >= 0; {
			tok, err := d.Token()
			require.NoError(t, err)
			switch tt := tok.(type) {
			case xml.StartElement:
				depth++
			case xml.EndElement:
				depth--
			case xml.CharData:
				if depth == 0 {
					text.Write(tt)
				}
			}
		}
		return m, text.String()
	}
}

// TestWireNames: every attribute of every element, by its exact wire name
// (callerId, not callerID; callbackUrl, not callbackURL), and its text.
func TestWireNames(t *testing.T) {
	dial := fullDial()
	cases := []struct {
		element string
		verb    Verb
		text    string
		attrs   map[string]string
	}{
		{"Conference", fullConference(), "standup", map[string]string{
			"muted": "false", "beep": "true", "startConferenceOnEnter": "false", "endConferenceOnExit": "true",
			"stayAlone": "true", "maxParticipants": "10", "timeLimit": "3600", "enterSound": "beep:1",
			"exitSound": "https://app.example/sounds/exit.xml", "waitSound": "https://app.example/wait",
			"waitMethod": "GET", "relayDTMF": "true", "hangupOnStar": "true", "digitsMatch": "#0,99,*1",
			"record": "true", "recordFileFormat": "wav", "callbackUrl": "https://app.example/conference-events",
			"callbackMethod": "POST", "action": "https://app.example/after-conference", "method": "GET",
		}},
		{"Speak", Speak{Text: "hi", Voice: VoiceMan, Language: "en-GB", Loop: 3}, "hi", map[string]string{
			"voice": "MAN", "language": "en-GB", "loop": "3",
		}},
		{"Play", Play{URL: "https://cdn.example/a.mp3", Loop: LoopForever}, "https://cdn.example/a.mp3", map[string]string{"loop": "0"}},
		{"Wait", Wait{Length: 5, Silence: On, MinSilence: 500}, "", map[string]string{"length": "5", "silence": "true", "minSilence": "500"}},
		{"Wait", Wait{Beep: On}, "", map[string]string{"beep": "true"}},
		{"Hangup", Hangup{Reason: HangupRejected, Schedule: 9}, "", map[string]string{"reason": "rejected", "schedule": "9"}},
		{"Redirect", Redirect{URL: "https://app.example/next", Method: http.MethodPost}, "https://app.example/next", map[string]string{"method": "POST"}},
		{"DTMF", DTMF{Digits: "12#", Async: On}, "12#", map[string]string{"async": "true"}},
		{"Gather", fullGather(), "", map[string]string{
			"action": "https://app.example/gather?step=pin&x=1", "method": "GET", "inputType": "dtmf speech",
			"executionTimeout": "20", "digitEndTimeout": "3", "speechEndTimeout": "auto", "finishOnKey": "*",
			"numDigits": "6", "speechModel": "phone_call", "language": "hi-IN", "hints": "sales,support desk,billing",
			"interimSpeechResultsCallback": "https://app.example/interim", "interimSpeechResultsCallbackMethod": "POST",
			"profanityFilter": "true", "log": "false", "redirect": "true",
		}},
		{"Dial", dial, "", map[string]string{
			"action": "https://app.example/dial-done", "method": "GET", "hangupOnStar": "true", "timeLimit": "600",
			"timeout": "25", "callerId": "918071387423", "callerName": "Acme Support",
			"confirmSound": "https://app.example/confirm.xml", "confirmKey": "5", "confirmTimeout": "30",
			"dialMusic": "real", "callbackUrl": "https://app.example/dial-events?leg=b&t=1", "callbackMethod": "POST",
			"redirect": "false", "digitsMatch": "*9,#0", "digitsMatchBLeg": "11", "sipHeaders": "tenant=acme,ticket=42",
		}},
		{"Number", dial, "+919876543210", map[string]string{"sendDigits": "wwww2410", "sendOnPreanswer": "true"}},
		{"User", dial, "sip:supervisor@acme.sip.vobiz.ai", map[string]string{
			"sendDigits": "1#", "sendOnPreanswer": "false", "sipHeaders": "role=supervisor",
		}},
		{"Record", fullRecord(), "", map[string]string{
			"action": "https://app.example/recordings?call=1&k=2", "method": "GET", "fileFormat": "wav",
			"maxLength": "120", "timeout": "15", "playBeep": "false", "finishOnKey": "#*", "recordSession": "false",
			"startOnDialAnswer": "false", "redirect": "true", "transcriptionType": "hybrid",
			"transcriptionUrl": "https://app.example/transcripts", "transcriptionMethod": "POST",
			"callbackUrl": "https://app.example/recording-ready", "callbackMethod": "GET",
		}},
		{"Stream", fullStream(), "wss://media.example/stream?room=standup&t=1", map[string]string{
			"bidirectional": "true", "audioTrack": "inbound", "streamTimeout": "3600",
			"statusCallbackUrl": "https://app.example/stream-events", "statusCallbackMethod": "GET",
			"contentType": "audio/x-l16;rate=16000", "extraHeaders": "room=standup,tenant=acme", "keepCallAlive": "true",
		}},
		{"PreAnswer", PreAnswer{Verbs: []Verb{Wait{}}}, "", map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.element, func(t *testing.T) {
			b, err := xml.Marshal(tc.verb)
			require.NoError(t, err)
			attrs, text := elementAttrs(t, b, tc.element)
			assert.Equal(t, tc.attrs, attrs)
			assert.Equal(t, tc.text, text)
		})
	}
}

// TestUnsetAttributesOmitted: the zero value of every element writes no
// attribute at all, so Vobiz's defaults apply.
func TestUnsetAttributesOmitted(t *testing.T) {
	for _, v := range []Verb{
		Conference{Room: "r"}, Speak{Text: "t"}, Play{URL: "https://a.example/a.mp3"}, Wait{}, Hangup{},
		Redirect{URL: "https://a.example/n"}, DTMF{Digits: "1"}, Gather{Action: "https://a.example/g"},
		Dial{Children: []Verb{Number{PhoneNumber: "1"}, User{URI: "sip:a@b"}}}, Record{Action: "https://a.example/r"},
		Stream{URL: "wss://a.example/s"}, PreAnswer{Verbs: []Verb{Speak{Text: "t"}}},
	} {
		b, err := xml.Marshal(v)
		require.NoError(t, err)
		for _, se := range startElements(t, b) {
			want := 0
			if se.Name.Local == "Gather" || se.Name.Local == "Record" {
				want = 1 // the required action
			}
			assert.Len(t, se.Attr, want, "%s", b)
		}
	}
}

// startElements returns the start elements of doc, in document order.
func startElements(t *testing.T, doc []byte) []xml.StartElement {
	t.Helper()
	var out []xml.StartElement
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			out = append(out, se.Copy())
		}
	}
}
