package vobizxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResponseHeaderAndOrder(t *testing.T) {
	b, err := NewResponse(Speak{Text: "one"}, Play{URL: "https://cdn.example/two.mp3"}, Wait{Length: 3}, &Conference{Room: "four"}, Hangup{}).Bytes()
	require.NoError(t, err)
	s := string(b)
	require.True(t, strings.HasPrefix(s, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Response>"), s)

	var names []string
	for _, se := range startElements(t, b) {
		names = append(names, se.Name.Local)
	}
	assert.Equal(t, []string{"Response", "Speak", "Play", "Wait", "Conference", "Hangup"}, names)
}

// conferenceAttrs decodes the first <Conference> generically: wire names to
// values, and its text, independent of this package's types.
func conferenceAttrs(t *testing.T, doc []byte) (map[string]string, string) {
	t.Helper()
	return elementAttrs(t, doc, "Conference")
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

// BenchmarkResponseBytesGather renders an answer with a container: a
// Gather and its prompt, then the fallback.
func BenchmarkResponseBytesGather(b *testing.B) {
	r := NewResponse(
		Gather{Action: "https://app.example/pin", InputType: GatherDTMF, NumDigits: 4, ExecutionTimeout: 10,
			Prompts: []Verb{Speak{Text: "Enter your four-digit PIN."}}},
		Speak{Text: "We did not get a PIN. Goodbye."},
		Hangup{},
	)
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
