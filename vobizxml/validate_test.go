package vobizxml

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidation(t *testing.T) {
	const secret = "s3cr3t-token"
	ok := Conference{Room: "standup"}
	with := func(f func(*Conference)) Verb {
		c := ok
		f(&c)
		return c
	}
	const act = "https://app.example/action"
	num := Number{PhoneNumber: "+919876543210"}
	dial := func(f func(*Dial)) Verb { return mod(Dial{Children: []Verb{num}}, f) }
	inDial := func(v Verb) Verb { return Dial{Children: []Verb{v}} }
	gather := func(f func(*Gather)) Verb { return mod(Gather{Action: act}, f) }
	record := func(f func(*Record)) Verb { return mod(Record{Action: act}, f) }
	stream := func(f func(*Stream)) Verb { return mod(Stream{URL: "wss://media.example/s"}, f) }
	longHeaders := Headers{}
	for i := range 60 {
		longHeaders["header"+strconv.Itoa(i)] = "value"
	}
	cases := []struct {
		name    string
		verb    Verb
		element string
		attr    string
	}{
		{"empty room", Conference{}, "Conference", ""},
		{"blank room", Conference{Room: " \t "}, "Conference", ""},
		{"room with newline", Conference{Room: "a\nb"}, "Conference", ""},
		{"room with NUL", Conference{Room: "a\x00b"}, "Conference", ""},
		{"room with C1 control", Conference{Room: "a\u0085b"}, "Conference", ""},
		{"room with XML non-character", Conference{Room: "a\uFFFEb"}, "Conference", ""},
		{"room with invalid UTF-8", Conference{Room: "a\xffb"}, "Conference", ""},
		{"muted out of range", with(func(c *Conference) { c.Muted = 3 }), "Conference", "muted"},
		{"beep out of range", with(func(c *Conference) { c.Beep = 3 }), "Conference", "beep"},
		{"startConferenceOnEnter out of range", with(func(c *Conference) { c.StartConferenceOnEnter = 7 }), "Conference", "startConferenceOnEnter"},
		{"endConferenceOnExit out of range", with(func(c *Conference) { c.EndConferenceOnExit = 7 }), "Conference", "endConferenceOnExit"},
		{"stayAlone out of range", with(func(c *Conference) { c.StayAlone = 7 }), "Conference", "stayAlone"},
		{"relayDTMF out of range", with(func(c *Conference) { c.RelayDTMF = 7 }), "Conference", "relayDTMF"},
		{"hangupOnStar out of range", with(func(c *Conference) { c.HangupOnStar = 7 }), "Conference", "hangupOnStar"},
		{"record out of range", with(func(c *Conference) { c.Record = 7 }), "Conference", "record"},
		{"negative maxParticipants", with(func(c *Conference) { c.MaxParticipants = -1 }), "Conference", "maxParticipants"},
		{"negative timeLimit", with(func(c *Conference) { c.TimeLimit = -60 }), "Conference", "timeLimit"},
		{"enterSound beep:3", with(func(c *Conference) { c.EnterSound = "beep:3" }), "Conference", "enterSound"},
		{"enterSound relative", with(func(c *Conference) { c.EnterSound = "/sounds/" + secret }), "Conference", "enterSound"},
		{"exitSound ftp", with(func(c *Conference) { c.ExitSound = "ftp://a.example/" + secret }), "Conference", "exitSound"},
		{"waitSound relative", with(func(c *Conference) { c.WaitSound = "wait/" + secret }), "Conference", "waitSound"},
		{"waitSound without host", with(func(c *Conference) { c.WaitSound = "https:///" + secret }), "Conference", "waitSound"},
		{"waitMethod lower case", with(func(c *Conference) { c.WaitSound = "https://a.example/w"; c.WaitMethod = "post" }), "Conference", "waitMethod"},
		{"waitMethod PUT", with(func(c *Conference) { c.WaitSound = "https://a.example/w"; c.WaitMethod = "PUT" }), "Conference", "waitMethod"},
		{"waitMethod without waitSound", with(func(c *Conference) { c.WaitMethod = "GET" }), "Conference", "waitSound"},
		{"digitsMatch letter", with(func(c *Conference) { c.DigitsMatch = []string{"12", "1a"} }), "Conference", "digitsMatch"},
		{"digitsMatch empty pattern", with(func(c *Conference) { c.DigitsMatch = []string{"12", ""} }), "Conference", "digitsMatch"},
		{"digitsMatch comma inside", with(func(c *Conference) { c.DigitsMatch = []string{"1,2"} }), "Conference", "digitsMatch"},
		{"recordFileFormat ogg", with(func(c *Conference) { c.RecordFileFormat = "ogg" }), "Conference", "recordFileFormat"},
		{"recordFileFormat upper case", with(func(c *Conference) { c.RecordFileFormat = "MP3" }), "Conference", "recordFileFormat"},
		{"callbackUrl relative", with(func(c *Conference) { c.CallbackURL = "/conference-events?token=" + secret }), "Conference", "callbackUrl"},
		{"callbackUrl with space", with(func(c *Conference) { c.CallbackURL = "https://a.example/x y?" + secret }), "Conference", "callbackUrl"},
		{"callbackUrl javascript", with(func(c *Conference) { c.CallbackURL = "javascript:" + secret }), "Conference", "callbackUrl"},
		{"callbackUrl unparsable", with(func(c *Conference) { c.CallbackURL = "https://a.example:port/" + secret }), "Conference", "callbackUrl"},
		{"callbackMethod without callbackUrl", with(func(c *Conference) { c.CallbackMethod = "POST" }), "Conference", "callbackUrl"},
		{"callbackMethod lower case", with(func(c *Conference) { c.CallbackURL = "https://a.example/e"; c.CallbackMethod = "post" }), "Conference", "callbackMethod"},
		{"action relative", with(func(c *Conference) { c.Action = "next?" + secret }), "Conference", "action"},
		{"method DELETE", with(func(c *Conference) { c.Action = "https://a.example/next"; c.Method = "DELETE" }), "Conference", "method"},
		{"method without action", with(func(c *Conference) { c.Method = "POST" }), "Conference", "action"},

		{"speak empty", Speak{}, "Speak", ""},
		{"speak control character", Speak{Text: "a\x1bb"}, "Speak", ""},
		{"speak voice", Speak{Text: "hi", Voice: "woman"}, "Speak", "voice"},
		{"speak language", Speak{Text: "hi", Language: "en US"}, "Speak", "language"},
		{"speak language dash", Speak{Text: "hi", Language: "-en"}, "Speak", "language"},
		{"speak loop", Speak{Text: "hi", Loop: -2}, "Speak", "loop"},
		{"speak MAN in da-DK", Speak{Text: "hej", Voice: VoiceMan, Language: "da-DK"}, "Speak", "voice"},
		{"speak MAN in fr-CA", Speak{Text: "salut", Voice: VoiceMan, Language: "fr-ca"}, "Speak", "voice"},
		{"speak MAN in ru-RU", Speak{Text: "privet", Voice: VoiceMan, Language: "ru-RU"}, "Speak", "voice"},
		{"speak MAN in sv-SE", Speak{Text: "hej", Voice: VoiceMan, Language: "sv-SE"}, "Speak", "voice"},
		{"speak WOMAN in pt-PT", Speak{Text: "ola", Voice: VoiceWoman, Language: "pt-PT"}, "Speak", "voice"},
		{"speak default voice in pt-PT", Speak{Text: "ola", Language: "pt-PT"}, "Speak", "voice"},

		{"play empty URL", Play{}, "Play", ""},
		{"play relative URL", Play{URL: "hold.mp3?" + secret}, "Play", ""},
		{"play loop", Play{URL: "https://a.example/a.mp3", Loop: -5}, "Play", "loop"},
		{"play URL with an XML non-character", Play{URL: "https://a.example/hold\uFFFF.mp3"}, "Play", ""},
		{"redirect URL with an XML non-character", Redirect{URL: "https://a.example/next\uFFFE"}, "Redirect", ""},
		{"stream URL with an XML non-character", Stream{URL: "wss://a.example/s\uFFFE"}, "Stream", ""},

		{"wait negative length", Wait{Length: -1}, "Wait", "length"},
		{"wait silence out of range", Wait{Silence: 4}, "Wait", "silence"},
		{"wait negative minSilence", Wait{MinSilence: -1}, "Wait", "minSilence"},

		{"hangup reason", Hangup{Reason: "Busy"}, "Hangup", "reason"},
		{"hangup negative schedule", Hangup{Schedule: -1}, "Hangup", "schedule"},

		{"wait beep out of range", Wait{Beep: 3}, "Wait", "beep"},
		{"wait beep with silence", Wait{Beep: On, Silence: On}, "Wait", "beep"},
		{"wait minSilence not under length", Wait{Length: 2, Silence: On, MinSilence: 2000}, "Wait", "minSilence"},
		{"wait minSilence not under default length", Wait{Silence: On, MinSilence: 1000}, "Wait", "minSilence"},

		{"dtmf empty", DTMF{}, "DTMF", ""},
		{"dtmf letter", DTMF{Digits: "12a"}, "DTMF", ""},
		{"dtmf space", DTMF{Digits: "1 2"}, "DTMF", ""},
		{"dtmf async out of range", DTMF{Digits: "1", Async: 3}, "DTMF", "async"},

		{"redirect empty", Redirect{}, "Redirect", ""},
		{"redirect relative", Redirect{URL: "/next?" + secret}, "Redirect", ""},
		{"redirect method lower case", Redirect{URL: act, Method: "get"}, "Redirect", "method"},

		{"gather without action", Gather{}, "Gather", "action"},
		{"gather action relative", Gather{Action: "/pin?token=" + secret}, "Gather", "action"},
		{"gather method PUT", gather(func(g *Gather) { g.Method = "PUT" }), "Gather", "method"},
		{"gather inputType upper case", gather(func(g *Gather) { g.InputType = "DTMF" }), "Gather", "inputType"},
		{"gather inputType comma", gather(func(g *Gather) { g.InputType = "dtmf,speech" }), "Gather", "inputType"},
		{"gather executionTimeout 4", gather(func(g *Gather) { g.ExecutionTimeout = 4 }), "Gather", "executionTimeout"},
		{"gather executionTimeout 61", gather(func(g *Gather) { g.ExecutionTimeout = 61 }), "Gather", "executionTimeout"},
		{"gather executionTimeout negative", gather(func(g *Gather) { g.ExecutionTimeout = -1 }), "Gather", "executionTimeout"},
		{"gather digitEndTimeout 1", gather(func(g *Gather) { g.DigitEndTimeout = 1 }), "Gather", "digitEndTimeout"},
		{"gather digitEndTimeout 11", gather(func(g *Gather) { g.DigitEndTimeout = 11 }), "Gather", "digitEndTimeout"},
		{"gather speechEndTimeout -2", gather(func(g *Gather) { g.SpeechEndTimeout = -2 }), "Gather", "speechEndTimeout"},
		{"gather finishOnKey two keys", gather(func(g *Gather) { g.FinishOnKey = "##" }), "Gather", "finishOnKey"},
		{"gather finishOnKey letter", gather(func(g *Gather) { g.FinishOnKey = "a" }), "Gather", "finishOnKey"},
		{"gather numDigits 33", gather(func(g *Gather) { g.NumDigits = 33 }), "Gather", "numDigits"},
		{"gather numDigits negative", gather(func(g *Gather) { g.NumDigits = -1 }), "Gather", "numDigits"},
		{"gather speechModel", gather(func(g *Gather) { g.SpeechModel = "fast" }), "Gather", "speechModel"},
		{"gather language", gather(func(g *Gather) { g.Language = "en IN" }), "Gather", "language"},
		{"gather hints comma inside", gather(func(g *Gather) { g.Hints = Phrases{"a,b"} }), "Gather", "hints"},
		{"gather hints blank", gather(func(g *Gather) { g.Hints = Phrases{"sales", " "} }), "Gather", "hints"},
		{"gather hints 101 characters", gather(func(g *Gather) { g.Hints = Phrases{strings.Repeat("a", 101)} }), "Gather", "hints"},
		{"gather hints 501 phrases", gather(func(g *Gather) { g.Hints = make(Phrases, 501); fill(g.Hints, "a") }), "Gather", "hints"},
		{"gather hints over 10000 characters", gather(func(g *Gather) { g.Hints = make(Phrases, 100); fill(g.Hints, strings.Repeat("b", 100)) }), "Gather", "hints"},
		{"gather interim callback relative", gather(func(g *Gather) { g.InterimSpeechResultsCallback = "interim?" + secret }), "Gather", "interimSpeechResultsCallback"},
		{"gather interim method without URL", gather(func(g *Gather) { g.InterimSpeechResultsCallbackMethod = "POST" }), "Gather", "interimSpeechResultsCallback"},
		{"gather interim method lower case", gather(func(g *Gather) { g.InterimSpeechResultsCallback = act; g.InterimSpeechResultsCallbackMethod = "post" }), "Gather", "interimSpeechResultsCallbackMethod"},
		{"gather profanityFilter out of range", gather(func(g *Gather) { g.ProfanityFilter = 3 }), "Gather", "profanityFilter"},
		{"gather log out of range", gather(func(g *Gather) { g.Log = 3 }), "Gather", "log"},
		{"gather redirect out of range", gather(func(g *Gather) { g.Redirect = 3 }), "Gather", "redirect"},
		{"speak prompt voice", gather(func(g *Gather) { g.Prompts = []Verb{Speak{Text: "hi", Voice: "ROBOT"}} }), "Speak", "voice"},
		{"play prompt URL", gather(func(g *Gather) { g.Prompts = []Verb{Play{URL: "beep.mp3?" + secret}} }), "Play", ""},

		{"dial action relative", dial(func(d *Dial) { d.Action = "done?" + secret }), "Dial", "action"},
		{"dial method without action", dial(func(d *Dial) { d.Method = "GET" }), "Dial", "action"},
		{"dial hangupOnStar out of range", dial(func(d *Dial) { d.HangupOnStar = 5 }), "Dial", "hangupOnStar"},
		{"dial timeLimit negative", dial(func(d *Dial) { d.TimeLimit = -1 }), "Dial", "timeLimit"},
		{"dial timeout negative", dial(func(d *Dial) { d.Timeout = -1 }), "Dial", "timeout"},
		{"dial callerId letters", dial(func(d *Dial) { d.CallerID = "ACME" }), "Dial", "callerId"},
		{"dial callerId 16 digits", dial(func(d *Dial) { d.CallerID = "+1234567890123456" }), "Dial", "callerId"},
		{"dial callerId plus only", dial(func(d *Dial) { d.CallerID = "+" }), "Dial", "callerId"},
		{"dial callerName 51 characters", dial(func(d *Dial) { d.CallerName = strings.Repeat("é", 51) }), "Dial", "callerName"},
		{"dial callerName control", dial(func(d *Dial) { d.CallerName = "a\x07b" }), "Dial", "callerName"},
		{"dial confirmSound relative", dial(func(d *Dial) { d.ConfirmSound = "confirm.xml?" + secret }), "Dial", "confirmSound"},
		{"dial confirmKey two keys", dial(func(d *Dial) { d.ConfirmSound = act; d.ConfirmKey = "55" }), "Dial", "confirmKey"},
		{"dial confirmKey letter", dial(func(d *Dial) { d.ConfirmSound = act; d.ConfirmKey = "y" }), "Dial", "confirmKey"},
		{"dial confirmKey without confirmSound", dial(func(d *Dial) { d.ConfirmKey = "1" }), "Dial", "confirmKey"},
		{"dial confirmTimeout negative", dial(func(d *Dial) { d.ConfirmSound = act; d.ConfirmTimeout = -1 }), "Dial", "confirmTimeout"},
		{"dial confirmTimeout without confirmSound", dial(func(d *Dial) { d.ConfirmTimeout = 10 }), "Dial", "confirmTimeout"},
		{"dial dialMusic", dial(func(d *Dial) { d.DialMusic = "ringing" }), "Dial", "dialMusic"},
		{"dial callbackUrl relative", dial(func(d *Dial) { d.CallbackURL = "/dial-events?" + secret }), "Dial", "callbackUrl"},
		{"dial callbackMethod without callbackUrl", dial(func(d *Dial) { d.CallbackMethod = "POST" }), "Dial", "callbackUrl"},
		{"dial redirect out of range", dial(func(d *Dial) { d.Redirect = 9 }), "Dial", "redirect"},
		{"dial digitsMatch letter", dial(func(d *Dial) { d.DigitsMatch = DigitPatterns{"1a"} }), "Dial", "digitsMatch"},
		{"dial digitsMatchBLeg empty pattern", dial(func(d *Dial) { d.DigitsMatchBLeg = DigitPatterns{""} }), "Dial", "digitsMatchBLeg"},
		{"dial sipHeaders dash", dial(func(d *Dial) { d.SIPHeaders = Headers{"X-Token": secret} }), "Dial", "sipHeaders"},
		{"dial sipHeaders empty value", dial(func(d *Dial) { d.SIPHeaders = Headers{"token": ""} }), "Dial", "sipHeaders"},
		{"dial sipHeaders comma", dial(func(d *Dial) { d.SIPHeaders = Headers{"a": "1,b=2"} }), "Dial", "sipHeaders"},

		{"number empty", inDial(Number{}), "Number", ""},
		{"number letters", inDial(Number{PhoneNumber: "call-me"}), "Number", ""},
		{"number 16 digits", inDial(Number{PhoneNumber: "1234567890123456"}), "Number", ""},
		{"number with spaces", inDial(Number{PhoneNumber: "+91 98765 43210"}), "Number", ""},
		{"number sendDigits letter", inDial(Number{PhoneNumber: "1", SendDigits: "12x"}), "Number", "sendDigits"},
		{"number sendOnPreanswer out of range", inDial(Number{PhoneNumber: "1", SendDigits: "1", SendOnPreanswer: 4}), "Number", "sendOnPreanswer"},
		{"number sendOnPreanswer without sendDigits", inDial(Number{PhoneNumber: "1", SendOnPreanswer: On}), "Number", "sendOnPreanswer"},
		{"user empty", inDial(User{}), "User", ""},
		{"user without sip:", inDial(User{URI: "alice@example.com"}), "User", ""},
		{"user sip: only", inDial(User{URI: "sip:"}), "User", ""},
		{"user with space", inDial(User{URI: "sip:al ice@example.com"}), "User", ""},
		{"user sendDigits", inDial(User{URI: "sip:a@b", SendDigits: "#?"}), "User", "sendDigits"},
		{"user sipHeaders", inDial(User{URI: "sip:a@b", SIPHeaders: Headers{"": "1"}}), "User", "sipHeaders"},
		{"record in dial", inDial(Record{}), "Dial", ""},

		{"record without action", Record{}, "Record", "action"},
		{"record action relative", Record{Action: "rec?" + secret}, "Record", "action"},
		{"record method", record(func(r *Record) { r.Method = "PATCH" }), "Record", "method"},
		{"record fileFormat", record(func(r *Record) { r.FileFormat = "ogg" }), "Record", "fileFormat"},
		{"record maxLength negative", record(func(r *Record) { r.MaxLength = -1 }), "Record", "maxLength"},
		{"record timeout negative", record(func(r *Record) { r.Timeout = -5 }), "Record", "timeout"},
		{"record playBeep out of range", record(func(r *Record) { r.PlayBeep = 4 }), "Record", "playBeep"},
		{"record finishOnKey letter", record(func(r *Record) { r.FinishOnKey = "1a" }), "Record", "finishOnKey"},
		{"record recordSession out of range", record(func(r *Record) { r.RecordSession = 3 }), "Record", "recordSession"},
		{"record startOnDialAnswer out of range", record(func(r *Record) { r.StartOnDialAnswer = 3 }), "Record", "startOnDialAnswer"},
		{"record redirect out of range", record(func(r *Record) { r.Redirect = 3 }), "Record", "redirect"},
		{"record transcriptionType", record(func(r *Record) { r.TranscriptionType = "manual" }), "Record", "transcriptionType"},
		{"record transcriptionUrl relative", record(func(r *Record) { r.TranscriptionURL = "t?" + secret }), "Record", "transcriptionUrl"},
		{"record transcriptionMethod without URL", record(func(r *Record) { r.TranscriptionMethod = "POST" }), "Record", "transcriptionUrl"},
		{"record callbackUrl relative", record(func(r *Record) { r.CallbackURL = "ready?" + secret }), "Record", "callbackUrl"},
		{"record callbackMethod", record(func(r *Record) { r.CallbackURL = act; r.CallbackMethod = "PUT" }), "Record", "callbackMethod"},

		{"stream empty", Stream{}, "Stream", ""},
		{"stream https", Stream{URL: "https://media.example/s?" + secret}, "Stream", ""},
		{"stream relative", Stream{URL: "/s?" + secret}, "Stream", ""},
		{"stream bidirectional out of range", stream(func(s *Stream) { s.Bidirectional = 3 }), "Stream", "bidirectional"},
		{"stream audioTrack", stream(func(s *Stream) { s.AudioTrack = "left" }), "Stream", "audioTrack"},
		{"stream audioTrack both with bidirectional", stream(func(s *Stream) { s.Bidirectional = On; s.AudioTrack = TrackBoth }), "Stream", "audioTrack"},
		{"stream streamTimeout negative", stream(func(s *Stream) { s.StreamTimeout = -1 }), "Stream", "streamTimeout"},
		{"stream statusCallbackUrl relative", stream(func(s *Stream) { s.StatusCallbackURL = "events?" + secret }), "Stream", "statusCallbackUrl"},
		{"stream statusCallbackMethod without URL", stream(func(s *Stream) { s.StatusCallbackMethod = "GET" }), "Stream", "statusCallbackUrl"},
		{"stream contentType", stream(func(s *Stream) { s.ContentType = "audio/wav" }), "Stream", "contentType"},
		{"stream extraHeaders", stream(func(s *Stream) { s.ExtraHeaders = Headers{"auth": secret + "!"} }), "Stream", "extraHeaders"},
		{"stream extraHeaders over 512 bytes", stream(func(s *Stream) { s.ExtraHeaders = longHeaders }), "Stream", "extraHeaders"},
		{"stream keepCallAlive without bidirectional", stream(func(s *Stream) { s.KeepCallAlive = On }), "Stream", "keepCallAlive"},
		{"stream keepCallAlive out of range", stream(func(s *Stream) { s.KeepCallAlive = 3 }), "Stream", "keepCallAlive"},

		{"preanswer play", PreAnswer{Verbs: []Verb{Play{URL: "ring.mp3?" + secret}}}, "Play", ""},

		{"raw attribute value", RawVerb{Name: "Pause", Attrs: []xml.Attr{{Name: xml.Name{Local: "token"}, Value: secret + "\x01"}}}, "Pause", "token"},
		{"raw inner malformed", RawVerb{Name: "Pause", Inner: "<b>" + secret}, "Pause", ""},
		{"raw inner closes the response", RawVerb{Name: "Pause", Inner: "</Response><Hangup/>"}, "Pause", ""},
		{"raw inner directive", RawVerb{Name: "Pause", Inner: "<!DOCTYPE x>"}, "Pause", ""},
		{"raw inner attribute twice", RawVerb{Name: "Pause", Inner: `<a x="1" x="2"/>`}, "Pause", ""},
		{"raw inner attribute twice, many", RawVerb{Name: "Pause", Inner: `<a a="" b="" c="" d="" e="" f="" g="" h="" i="" j="" k="" l="" m="" n="" o="" p="" q="" a=""/>`}, "Pause", ""},
		{"raw inner unbound element prefix", RawVerb{Name: "Pause", Inner: `<a><p:b/></a>`}, "Pause", ""},
		{"raw inner unbound attribute prefix", RawVerb{Name: "Pause", Inner: `<a p:x="1"/>`}, "Pause", ""},
		{"raw inner namespace declaration", RawVerb{Name: "Pause", Inner: `<a xmlns="urn:x"/>`}, "Pause", ""},
		{"raw inner processing instruction", RawVerb{Name: "Pause", Inner: "<?php echo 1 ?>"}, "Pause", ""},

		{"nil verb", nil, "Response", ""},
		{"nil pointer verb", (*Conference)(nil), "Response", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := NewResponse(tc.verb)
			err := resp.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidAttr)
			var ae *AttrError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.element, ae.Element)
			assert.Equal(t, tc.attr, ae.Attr)
			assert.NotEmpty(t, ae.Reason)
			msg := err.Error()
			assert.Contains(t, msg, "<"+tc.element+">")
			if tc.attr != "" {
				assert.Contains(t, msg, "attribute "+tc.attr+":")
			}
			assert.NotContains(t, msg, secret, "the value must not be echoed")

			// Every rendering path refuses it.
			b, err2 := resp.Bytes()
			assert.Nil(t, b)
			assert.Equal(t, err, err2)
			_, err2 = xml.Marshal(resp)
			assert.ErrorIs(t, err2, ErrInvalidAttr)
			if tc.verb != nil && !isNilVerb(tc.verb) {
				_, err2 = xml.Marshal(tc.verb)
				assert.ErrorIs(t, err2, ErrInvalidAttr, "xml.Marshal of the verb alone validates too")
			}
		})
	}
}

func TestValidationAccepts(t *testing.T) {
	valid := []Verb{
		fullConference(),
		Conference{Room: "a", EnterSound: DoubleBeep, ExitSound: SingleBeep},
		Conference{Room: "a", CallbackURL: "http://10.0.0.5:8080/cb?x=1&y=2"},
		Conference{Room: "a", CallbackURL: "HTTPS://App.Example/cb"},
		Conference{Room: "a", DigitsMatch: []string{"#", "*", "0123456789#*"}},
		Conference{Room: "a", DigitsMatch: []string{}},
		Conference{Room: " padded room "},
		Speak{Text: "line one\nline two\ttabbed"},
		Speak{Text: "hi", Language: "en-US"},
		Speak{Text: "hej", Language: "da-DK"},
		Speak{Text: "ola", Voice: VoiceMan, Language: "pt-PT"},
		Speak{Text: "namaste", Voice: VoiceMan, Language: "hi-IN"},
		Play{URL: "https://a.example/m\u00fcsik.mp3"},
		RawVerb{Name: "Pause", Inner: `<a x="1" y="2"><b x="1"/></a>`},
		Wait{},
		Hangup{},
		&Conference{Room: "pointer"},
		fullGather(), fullDial(), fullRecord(), fullStream(),
		Wait{Length: 3, Silence: On, MinSilence: 2999},
		Wait{Silence: On, MinSilence: 999},
		DTMF{Digits: "0123456789*#wW"},
		Redirect{URL: "http://10.0.0.5/next"},
		Gather{Action: "https://a.example/g", FinishOnKey: FinishOnKeyNone, DigitEndTimeout: 2, SpeechEndTimeout: 10, ExecutionTimeout: 5, NumDigits: 32},
		Gather{Action: "https://a.example/g", Hints: make(Phrases, 500)[:0]},
		Dial{Children: []Verb{&Number{PhoneNumber: "+1"}, &User{URI: "SIPS:alice@example.com"}}},
		Dial{DialMusic: "https://a.example/music.xml", Children: []Verb{User{URI: "sip:alice"}}},
		Record{Action: "https://a.example/r", FinishOnKey: FinishOnKeyNone},
		Record{Action: "https://a.example/r", FinishOnKey: "0123456789*#"},
		Stream{URL: "ws://127.0.0.1:8080/s", Bidirectional: On, AudioTrack: TrackInbound},
		PreAnswer{Verbs: []Verb{Wait{Length: 1}, Speak{Text: "hi"}, &Play{URL: "https://a.example/a.mp3"}}},
		PreAnswer{},
		RawVerb{Name: "Pause", Attrs: []xml.Attr{{Name: xml.Name{Local: "length"}, Value: "1"}}, Inner: "text &amp; <b x='1'>bold</b><!-- c --><![CDATA[<raw>]]>"},
		RawVerb{Name: "Ünïcode-verb_1.0"},
	}
	for _, v := range valid {
		assert.NoError(t, NewResponse(v).Validate(), "%#v", v)
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	err := NewResponse(
		Conference{MaxParticipants: -1, CallbackMethod: "POST"},
		Speak{Text: "ok", Voice: "ROBOT"},
	).Validate()
	require.Error(t, err)
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ae *AttrError
		require.ErrorAs(t, e, &ae)
		got = append(got, ae.Element+"."+ae.Attr)
	}
	assert.Equal(t, []string{"Conference.", "Conference.maxParticipants", "Conference.callbackUrl", "Speak.voice"}, got)

	// Inside containers too, in document order: the container's own
	// problems, then each child's.
	err = NewResponse(Gather{NumDigits: 40, Prompts: []Verb{Speak{Text: "hi", Voice: "x"}, Wait{}}},
		Dial{Children: []Verb{Number{}, User{URI: "sip:a", SendDigits: "x"}}}).Validate()
	got = nil
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ae *AttrError
		require.ErrorAs(t, e, &ae)
		got = append(got, ae.Element+"."+ae.Attr)
	}
	assert.Equal(t, []string{"Gather.action", "Gather.numDigits", "Speak.voice", "Gather.", "Number.", "User.sendDigits"}, got)
}

func TestAttrErrorMessages(t *testing.T) {
	assert.Equal(t, `vobizxml: <Conference> attribute callbackMethod: invalid XML value: want "GET" or "POST" (upper case)`,
		(&AttrError{Element: "Conference", Attr: "callbackMethod", Reason: reasonMethod, Err: ErrInvalidAttr}).Error())
	assert.Equal(t, "vobizxml: <Conference> text: invalid XML value: "+reasonRoom,
		(&AttrError{Element: "Conference", Reason: reasonRoom, Err: ErrInvalidAttr}).Error())
	assert.Equal(t, "vobizxml: <Response>: invalid XML value: verb 0 is nil",
		NewResponse(nil).Validate().Error())
	assert.Equal(t, "vobizxml: <Gather>: invalid XML value: prompt 1 is a <Wait>: want Speak or Play",
		Gather{Action: "https://a.example/g", Prompts: []Verb{Speak{Text: "hi"}, Wait{}}}.Validate().Error())
	assert.Equal(t, "vobizxml: <Speak>: has no effect: verb 2 is never reached: <Hangup> ends the call (verb 1)",
		NewResponse(Conference{Room: "r"}, Hangup{}, Speak{Text: "bye"}).Warnings()[0].Error())
}

func TestAttrErrorWithoutSentinel(t *testing.T) {
	assert.Equal(t, "vobizxml: <Conference> attribute beep: invalid XML value: why",
		(&AttrError{Element: "Conference", Attr: "beep", Reason: "why"}).Error())
}

// mod returns base changed by f: a valid element with one thing wrong.
func mod[T any](base T, f func(*T)) T {
	f(&base)
	return base
}

func fill(p Phrases, s string) {
	for i := range p {
		p[i] = s
	}
}
