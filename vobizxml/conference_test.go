package vobizxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

func TestResponseHeaderAndOrder(t *testing.T) {
	b, err := NewResponse(Speak{Text: "one"}, Play{URL: "https://cdn.example/two.mp3"}, Wait{Length: 3}, &Conference{Room: "four"}, Hangup{}).Bytes()
	require.NoError(t, err)
	s := string(b)
	require.True(t, strings.HasPrefix(s, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Response>"), s)

	var names []string
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			names = append(names, se.Name.Local)
		}
	}
	assert.Equal(t, []string{"Response", "Speak", "Play", "Wait", "Conference", "Hangup"}, names)
}

// conferenceAttrs decodes the first <Conference> generically: wire names to
// values, and its text, independent of this package's types.
func conferenceAttrs(t *testing.T, doc []byte) (map[string]string, string) {
	t.Helper()
	var mirror struct {
		Conference struct {
			Attrs []xml.Attr `xml:",any,attr"`
			Text  string     `xml:",chardata"`
		} `xml:"Conference"`
	}
	require.NoError(t, xml.Unmarshal(doc, &mirror))
	m := map[string]string{}
	for _, a := range mirror.Conference.Attrs {
		_, dup := m[a.Name.Local]
		require.False(t, dup, "attribute %s written twice", a.Name.Local)
		m[a.Name.Local] = a.Value
	}
	return m, mirror.Conference.Text
}

func TestConferenceWireNames(t *testing.T) {
	b, err := NewResponse(fullConference()).Bytes()
	require.NoError(t, err)
	attrs, room := conferenceAttrs(t, b)
	assert.Equal(t, "standup", room)
	assert.Equal(t, map[string]string{
		"muted":                  "false",
		"beep":                   "true",
		"startConferenceOnEnter": "false",
		"endConferenceOnExit":    "true",
		"stayAlone":              "true",
		"maxParticipants":        "10",
		"timeLimit":              "3600",
		"enterSound":             "beep:1",
		"exitSound":              "https://app.example/sounds/exit.xml",
		"waitSound":              "https://app.example/wait",
		"waitMethod":             "GET",
		"relayDTMF":              "true",
		"hangupOnStar":           "true",
		"digitsMatch":            "#0,99,*1",
		"record":                 "true",
		"recordFileFormat":       "wav",
		"callbackUrl":            "https://app.example/conference-events",
		"callbackMethod":         "POST",
		"action":                 "https://app.example/after-conference",
		"method":                 "GET",
	}, attrs)
}

func TestConferenceUnsetAttributesOmitted(t *testing.T) {
	b, err := NewResponse(Conference{Room: "standup"}).Bytes()
	require.NoError(t, err)
	attrs, _ := conferenceAttrs(t, b)
	assert.Empty(t, attrs, "an unset attribute must be omitted so Vobiz's default applies")

	// Explicit false on the default-true attributes is written.
	b, err = NewResponse(Conference{Room: "standup", Beep: Off, StartConferenceOnEnter: ToggleOf(false), Muted: ToggleOf(true)}).Bytes()
	require.NoError(t, err)
	attrs, _ = conferenceAttrs(t, b)
	assert.Equal(t, map[string]string{"beep": "false", "startConferenceOnEnter": "false", "muted": "true"}, attrs)
}

func TestEscaping(t *testing.T) {
	b, err := NewResponse(Conference{Room: escRoom, CallbackURL: escURL}).Bytes()
	require.NoError(t, err)
	s := string(b)

	// The classic bug: a raw '&' in an attribute makes the document
	// malformed and Vobiz drops the call.
	assert.Contains(t, s, `callbackUrl="https://app.example/conference-events?tenant=a&amp;b=2&amp;q=&#34;x&#34;&amp;lt=&lt;"`)
	assert.NotContains(t, s, "&b=")
	assert.Contains(t, s, `>Sales &amp; &lt;Support&gt; &#34;EU&#34; &#39;west&#39; – Zürich 会议</Conference>`)

	attrs, room := conferenceAttrs(t, b)
	assert.Equal(t, escURL, attrs["callbackUrl"])
	assert.Equal(t, escRoom, room)
}

func TestRoundTripEveryVerb(t *testing.T) {
	in := NewResponse(
		Speak{Text: "Hello & <welcome>", Voice: VoiceWoman, Language: "hi-IN", Loop: LoopForever},
		Play{URL: "https://cdn.example/a.mp3?x=1&y=2", Loop: 3},
		Wait{Length: 2, Silence: Off, MinSilence: 100},
		fullConference(),
		Conference{Room: "Ünïcødé room", Beep: Off},
		Hangup{Reason: HangupRejected, Schedule: 5},
	)
	b, err := in.Bytes()
	require.NoError(t, err)
	var out Response
	require.NoError(t, xml.Unmarshal(b, &out))
	assert.Equal(t, in, out)
	// And what was read back renders to the same bytes.
	again, err := out.Bytes()
	require.NoError(t, err)
	assert.Equal(t, string(b), string(again))
}

func TestUnmarshalErrors(t *testing.T) {
	cases := map[string]string{
		"unknown element": `<Response><Dial><Number>1</Number></Dial></Response>`,
		"bad toggle":      `<Response><Conference beep="yes">r</Conference></Response>`,
		"bad loop":        `<Response><Play loop="-2">https://a.example/x.mp3</Play></Response>`,
		"bad int":         `<Response><Conference maxParticipants="many">r</Conference></Response>`,
		"truncated":       `<Response><Conference>r</Conference>`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			var r Response
			assert.Error(t, xml.Unmarshal([]byte(doc), &r))
		})
	}
}

func TestToggle(t *testing.T) {
	assert.Equal(t, On, ToggleOf(true))
	assert.Equal(t, Off, ToggleOf(false))
	assert.Equal(t, "unset", Unset.String())
	assert.Equal(t, "true", On.String())
	assert.Equal(t, "false", Off.String())
	assert.Equal(t, "Toggle(9)", Toggle(9).String())

	// Decoding is lenient about case (True, FALSE), so hand-written XML
	// parses too.
	var c Conference
	require.NoError(t, xml.Unmarshal([]byte(`<Conference beep="FALSE" muted="True">r</Conference>`), (*conferenceXML)(&c)))
	assert.Equal(t, Off, c.Beep)
	assert.Equal(t, On, c.Muted)
}

func TestValidation(t *testing.T) {
	const secret = "s3cr3t-token"
	ok := Conference{Room: "standup"}
	with := func(f func(*Conference)) Verb {
		c := ok
		f(&c)
		return c
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

		{"play empty URL", Play{}, "Play", ""},
		{"play relative URL", Play{URL: "hold.mp3?" + secret}, "Play", ""},
		{"play loop", Play{URL: "https://a.example/a.mp3", Loop: -5}, "Play", "loop"},

		{"wait negative length", Wait{Length: -1}, "Wait", "length"},
		{"wait silence out of range", Wait{Silence: 4}, "Wait", "silence"},
		{"wait negative minSilence", Wait{MinSilence: -1}, "Wait", "minSilence"},

		{"hangup reason", Hangup{Reason: "Busy"}, "Hangup", "reason"},
		{"hangup negative schedule", Hangup{Schedule: -1}, "Hangup", "schedule"},

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
		Wait{},
		Hangup{},
		&Conference{Room: "pointer"},
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
}

func TestAttrErrorMessages(t *testing.T) {
	assert.Equal(t, `vobizxml: <Conference> attribute callbackMethod: invalid XML value: want "GET" or "POST" (upper case)`,
		(&AttrError{Element: "Conference", Attr: "callbackMethod", Reason: reasonMethod, Err: ErrInvalidAttr}).Error())
	assert.Equal(t, "vobizxml: <Conference> text: invalid XML value: "+reasonRoom,
		(&AttrError{Element: "Conference", Reason: reasonRoom, Err: ErrInvalidAttr}).Error())
	assert.Equal(t, "vobizxml: <Response>: invalid XML value: verb 0 is nil",
		NewResponse(nil).Validate().Error())
}

func TestConferenceCallback(t *testing.T) {
	cb := "https://app.example/conference-events?tenant=a&b=1"
	c := Conference{Room: "standup", CallbackURL: cb, CallbackMethod: http.MethodPost}
	b, err := NewResponse(c).Bytes()
	require.NoError(t, err)
	attrs, room := conferenceAttrs(t, b)
	assert.Equal(t, "standup", room)
	assert.Equal(t, map[string]string{"callbackUrl": cb, "callbackMethod": "POST"}, attrs)

	// Without a callbackUrl the answer cannot be rendered, and the error
	// says why.
	_, err = NewResponse(Conference{Room: "standup", CallbackMethod: http.MethodPost}).Bytes()
	var ae *AttrError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "callbackUrl", ae.Attr)
	assert.Contains(t, err.Error(), "empty while callbackMethod is set")
}

func TestInvalidResponseServes500(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)

	srv := httptest.NewServer(NewResponse(Speak{Text: "hi"}, Conference{Room: "standup", CallbackMethod: http.MethodPost}))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/answer")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusInternalServerError, res.StatusCode)
	assert.Equal(t, "text/plain; charset=utf-8", res.Header.Get("Content-Type"))
	assert.NotContains(t, string(body), "<Response", "never a half-written answer")
	assert.Contains(t, logs.String(), "callbackUrl")
	assert.Contains(t, logs.String(), "level=ERROR")
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteTo(t *testing.T) {
	r := NewResponse(Conference{Room: "standup"})
	var buf bytes.Buffer
	n, err := r.WriteTo(&buf)
	require.NoError(t, err)
	want, _ := r.Bytes()
	assert.Equal(t, int64(len(want)), n)
	assert.Equal(t, want, buf.Bytes())

	buf.Reset()
	n, err = NewResponse(Conference{}).WriteTo(&buf)
	assert.ErrorIs(t, err, ErrInvalidAttr)
	assert.Zero(t, n)
	assert.Zero(t, buf.Len(), "nothing written for an invalid answer")

	boom := errors.New("boom")
	_, err = r.WriteTo(failWriter{boom})
	assert.ErrorIs(t, err, boom)
}

// FuzzConferenceRoundTrip: whatever room name and callback URL pass
// validation come back unchanged from the rendered XML, and nothing panics.
func FuzzConferenceRoundTrip(f *testing.F) {
	f.Add("standup", "https://app.example/cb?a=1&b=2")
	f.Add(escRoom, escURL)
	f.Add("a\uFFFEb", "https://a.example/\x00")
	f.Add("  ", "http://[::1]:80/x")
	f.Fuzz(func(t *testing.T, room, cb string) {
		c := Conference{Room: room, CallbackURL: cb}
		b, err := NewResponse(c).Bytes()
		if err != nil {
			var ae *AttrError
			require.ErrorAs(t, err, &ae)
			require.Nil(t, b)
			return
		}
		var back Response
		require.NoError(t, xml.Unmarshal(b, &back))
		require.Len(t, back.Verbs, 1)
		require.Equal(t, c, back.Verbs[0])
	})
}

func BenchmarkResponseBytes(b *testing.B) {
	c := Conference{Room: "standup", CallbackURL: "https://app.example/conference-events?tenant=a&b=2", CallbackMethod: http.MethodPost}
	c.Beep = Off
	c.MaxParticipants = 10
	r := NewResponse(Speak{Text: "Joining the stand-up."}, c, Hangup{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResponseBytesEveryAttribute(b *testing.B) {
	r := NewResponse(fullConference())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResponseServeHTTP(b *testing.B) {
	r := NewResponse(Speak{Text: "Joining the stand-up."}, Conference{Room: "standup", CallbackURL: "https://app.example/cb", CallbackMethod: http.MethodPost})
	req := httptest.NewRequest(http.MethodPost, "/answer", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
	}
}

func TestAttrErrorWithoutSentinel(t *testing.T) {
	assert.Equal(t, "vobizxml: <Conference> attribute beep: invalid XML value: why",
		(&AttrError{Element: "Conference", Attr: "beep", Reason: "why"}).Error())
}
