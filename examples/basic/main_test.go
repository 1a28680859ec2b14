package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
	"github.com/vobizhook/vobizhook/vobizxml"
)

const (
	testToken = "MAtesttokenTESTTOKEN0123456789"
	testPIN   = "2468"
)

// lockedBuffer is a log sink the server's goroutines and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start serves newMux on a live server whose public URL is its own.
func start(t *testing.T, token string) (public string, logs *lockedBuffer) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	public = "http://" + ts.Listener.Addr().String()
	logs = &lockedBuffer{}
	mux, err := newMux(config{
		PublicURL: public,
		PIN:       testPIN,
		Room:      "standup",
		AuthToken: token,
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
	})
	require.NoError(t, err)
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return public, logs
}

// vobizPost sends what Vobiz sends to an answer or action URL: a signed
// form POST (unsigned when token is empty).
func vobizPost(t *testing.T, u, token string, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", vobizhooktest.UserAgent)
	if token != "" {
		require.NoError(t, vobizhook.SignRequest(req, u, token))
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// answerOf reads an answer XML response back into a vobizxml.Response.
func answerOf(t *testing.T, res *http.Response) vobizxml.Response {
	t.Helper()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "application/xml", res.Header.Get("Content-Type"))
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var r vobizxml.Response
	require.NoError(t, xml.Unmarshal(body, &r), "%s", body)
	require.NoError(t, r.Validate())
	assert.Empty(t, r.Warnings())
	return r
}

func call(from string) url.Values {
	return url.Values{"CallUUID": {"call-" + from}, "From": {from}, "To": {"918071387423"}, "Direction": {"inbound"}, "CallStatus": {"in-progress"}}
}

func withDigits(v url.Values, digits string) url.Values {
	v = maps.Clone(v) // Set replaces the slices, so a shallow copy will do
	v.Set("Digits", digits)
	v.Set("InputType", "dtmf")
	return v
}

// TestCallFlow plays Vobiz through a whole call: the answer gathers a PIN,
// the action URL admits the caller into the recorded conference, the
// conference callbacks reach the Handler, and the <Conference action>
// request when the caller leaves is answered by OnLeave.
func TestCallFlow(t *testing.T) {
	public, logs := start(t, testToken)
	caller := call("919876543210")

	// 1. The answer: a Gather for the PIN, then a goodbye for no input.
	answer := answerOf(t, vobizPost(t, public+"/answer", testToken, caller))
	require.Len(t, answer.Verbs, 3)
	gather, ok := answer.Verbs[0].(vobizxml.Gather)
	require.True(t, ok, "%#v", answer.Verbs[0])
	assert.Equal(t, public+"/pin", gather.Action)
	assert.Equal(t, vobizxml.GatherDTMF, gather.InputType)
	assert.Equal(t, len(testPIN), gather.NumDigits)
	require.Len(t, gather.Prompts, 1)
	assert.Contains(t, gather.Prompts[0].(vobizxml.Speak).Text, "enter your PIN")
	assert.Equal(t, vobizxml.Hangup{}, answer.Verbs[2])

	// 2. A wrong PIN: a goodbye and a hangup.
	refused := answerOf(t, vobizPost(t, gather.Action, testToken, withDigits(caller, "1111")))
	require.Len(t, refused.Verbs, 2)
	assert.Contains(t, refused.Verbs[0].(vobizxml.Speak).Text, "not valid")
	assert.Equal(t, vobizxml.Hangup{}, refused.Verbs[1])

	// 3. The right PIN: the session recorded, then the room, whose
	// callbackUrl and action are the Handler's.
	admitted := answerOf(t, vobizPost(t, gather.Action, testToken, withDigits(caller, testPIN)))
	require.Len(t, admitted.Verbs, 4)
	rec := admitted.Verbs[0].(vobizxml.Record)
	assert.Equal(t, vobizxml.On, rec.RecordSession)
	assert.Equal(t, public+"/recording", rec.Action)
	room := admitted.Verbs[2].(vobizxml.Conference)
	assert.Equal(t, "standup", room.Room)
	assert.Equal(t, public+"/conference-events", room.CallbackURL)
	assert.Equal(t, http.MethodPost, room.CallbackMethod)
	assert.Equal(t, room.CallbackURL, room.Action)

	// 4. The conference callbacks Vobiz sends to callbackUrl.
	member := vobizhook.ConferenceEvent{
		ConferenceName: "standup", ConferenceUUID: "conf-1", MemberID: "249", CallUUID: caller.Get("CallUUID"),
	}
	enter, exit := member, member
	enter.Action, enter.Event, enter.From = vobizhook.ActionEnter, "ConferenceEnter", "919876543210"
	exit.Action, exit.Event = vobizhook.ActionExit, "ConferenceExit"
	for _, ev := range []vobizhook.ConferenceEvent{enter, exit} {
		req := vobizhooktest.MustNewRequest(t, ev, vobizhooktest.WithURL(room.CallbackURL), vobizhooktest.WithAuthToken(testToken))
		res, err := http.DefaultClient.Do(vobizhooktest.MustClientRequest(t, req))
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
	}
	assert.Contains(t, logs.String(), "conference event\" action=enter conference=standup conference_uuid=conf-1")
	assert.Contains(t, logs.String(), "conference event\" action=exit")

	// 5. The <Conference action> request when the member's call leaves:
	// no ConferenceAction, and XML expected back, from OnLeave.
	leave := member
	leave.CallStatus = "in-progress"
	req := vobizhooktest.MustNewRequest(t, leave, vobizhooktest.WithURL(room.Action), vobizhooktest.WithAuthToken(testToken))
	res, err := http.DefaultClient.Do(vobizhooktest.MustClientRequest(t, req))
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	bye := answerOf(t, res)
	require.Len(t, bye.Verbs, 2)
	assert.Contains(t, bye.Verbs[0].(vobizxml.Speak).Text, "left the conference")
	assert.Equal(t, vobizxml.Hangup{}, bye.Verbs[1])
	assert.Contains(t, logs.String(), "action=leave")

	// 6. The Record's action request, in the background.
	form := maps.Clone(caller)
	form.Set("RecordUrl", "https://media.vobiz.example/rec/1.mp3")
	form.Set("RecordingID", "rec-1")
	form.Set("RecordingDuration", "42")
	form.Set("RecordingEndReason", "HungUp")
	assert.Equal(t, http.StatusOK, vobizPost(t, rec.Action, testToken, form).StatusCode)
	assert.Contains(t, logs.String(), "recording_id=rec-1 duration=42 end_reason=HungUp")
}

// TestSignatures: with an Auth Token, a request without a valid signature
// learns nothing, on the action URLs as on the callbacks.
func TestSignatures(t *testing.T) {
	public, logs := start(t, testToken)
	caller := withDigits(call("919876543210"), testPIN)
	for _, path := range []string{"/pin", "/recording"} {
		for name, token := range map[string]string{"unsigned": "", "wrong token": "not-the-token"} {
			res := vobizPost(t, public+path, token, caller)
			body, _ := io.ReadAll(res.Body)
			assert.Equal(t, http.StatusForbidden, res.StatusCode, "%s %s", name, path)
			assert.NotContains(t, string(body), "<Conference", "%s %s", name, path)
		}
	}
	assert.NotContains(t, logs.String(), "PIN accepted")
	assert.NotContains(t, logs.String(), testToken)

	// A signature for another URL does not open /pin either.
	req, err := http.NewRequest(http.MethodPost, public+"/pin", strings.NewReader(caller.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	require.NoError(t, vobizhook.SignRequest(req, public+"/recording", testToken))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode)

	// The callbacks too.
	ev := vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, ConferenceName: "standup", ConferenceUUID: "c", CallUUID: "u"}
	cb := vobizhooktest.MustNewRequest(t, ev, vobizhooktest.WithURL(public+"/conference-events"))
	res, err = http.DefaultClient.Do(vobizhooktest.MustClientRequest(t, cb))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
}

// TestWithoutToken: without VOBIZ_AUTH_TOKEN nothing is verified.
func TestWithoutToken(t *testing.T) {
	public, _ := start(t, "")
	admitted := answerOf(t, vobizPost(t, public+"/pin", "", withDigits(call("1"), testPIN)))
	assert.IsType(t, vobizxml.Conference{}, admitted.Verbs[2])

	// No Digits at all (a caller who pressed only '#') is a wrong PIN.
	refused := answerOf(t, vobizPost(t, public+"/pin", "", call("1")))
	assert.Equal(t, vobizxml.Hangup{}, refused.Verbs[1])

	// The action URL takes the POST the Gather asks for, nothing else.
	res, err := http.Get(public + "/pin?Digits=" + testPIN)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
}

func TestNewMuxRefusesABadPIN(t *testing.T) {
	for _, pin := range []string{"", "12a4", strings.Repeat("1", 33)} {
		_, err := newMux(config{PublicURL: "https://conf.example", PIN: pin, Room: "r", Logger: slog.New(slog.DiscardHandler)})
		assert.Error(t, err, "%q", pin)
	}
	// A public URL Vobiz could not fetch is refused.
	_, err := newMux(config{PublicURL: "conf.example", PIN: "1", Room: "r", Logger: slog.New(slog.DiscardHandler)})
	assert.ErrorContains(t, err, "-public-url: want an absolute http or https URL")
}

// A -public-url written with a trailing slash (https://conf.example.com/)
// still gives action URLs that this server answers with XML (not "//pin",
// which ServeMux redirects); one with a query is refused at start-up.
func TestPublicURLWithTrailingSlash(t *testing.T) {
	for _, bad := range []string{"https://conf.example.com/?x=1", "https://conf.example.com/?", "https://conf.example.com/#"} {
		_, err := newMux(config{PublicURL: bad, PIN: testPIN, Room: "standup", AuthToken: testToken, Logger: slog.New(slog.DiscardHandler)})
		require.ErrorContains(t, err, "-public-url", bad)
	}
	ts := httptest.NewUnstartedServer(nil)
	public := "http://" + ts.Listener.Addr().String() + "/"
	mux, err := newMux(config{PublicURL: public, PIN: testPIN, Room: "standup", AuthToken: testToken, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ts.Config.Handler = mux
	ts.Start()
	defer ts.Close()
	answer := answerOf(t, vobizPost(t, public+"answer", testToken, call("919876543210")))
	gather := answer.Verbs[0].(vobizxml.Gather)
	http.DefaultClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	defer func() { http.DefaultClient.CheckRedirect = nil }()
	res := vobizPost(t, gather.Action, testToken, withDigits(call("919876543210"), testPIN))
	assert.Equal(t, http.StatusOK, res.StatusCode, "Gather action %s", gather.Action)
	require.Equal(t, "application/xml", res.Header.Get("Content-Type"))
}
