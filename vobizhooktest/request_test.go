package vobizhooktest_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

var discardLogger = slog.New(slog.DiscardHandler)

// recorded is the directory of the project's recorded payloads.
var recorded = filepath.Join("..", "testdata")

func liveEnter() vobizhook.ConferenceEvent {
	return vobizhook.ConferenceEvent{
		Action: vobizhook.ActionEnter, Event: "ConferenceEnter",
		ConferenceUUID: "b6c2e1a4-0d7f-4a52-9a61-2f0c5e9d8a10", ConferenceName: "Weekly Standup",
		MemberID: "249", FirstMember: true, CallUUID: "c1f4a7e2-5b3d-4e8f-a9c0-7d2e6b1f3a45",
		From: "918071387423", To: "919624705678", Direction: "inbound", CallStatus: "in-progress",
		CurrentSize: -1,
		Params: url.Values{
			"SessionStart": {"2026-08-31 20:08:21.073308"},
			"BillRate":     {"0.0045"},
			"Zeta":         {"z1", "z2"},
			"Alpha":        {"a&b=c"},
			// Named parameters in Params are ignored: the fields are the truth.
			"ConferenceAction": {"exit"},
			"From":             {"1"},
		},
	}
}

func classicEnd() vobizhook.ConferenceEvent {
	return vobizhook.ConferenceEvent{
		Action: vobizhook.ActionEnd, ConferenceUUID: "3f9a1b2c-44de-4f0a-b832-7c0a12345678",
		ConferenceName: "WeeklyStandup", CallUUID: "9a0e0208-d01a-4572-9a04-fe583a05ac53",
		From: "918071387423", To: "919624705678", CurrentSize: 0,
		RecordingURL: "https://recordings.vobiz.ai/conf-3f9a1b2c.mp3",
		Timestamp:    time.Date(2026, 5, 19, 10, 58, 47, 0, time.UTC),
		// The size is carried: send the 0.
		Params: url.Values{"ConferenceCurrentSize": {"0"}},
	}
}

// sameEvent asserts that got (parsed) carries want (built): every field, and
// every extra parameter of want.Params.
func sameEvent(t *testing.T, want, got vobizhook.ConferenceEvent) {
	t.Helper()
	for name, vs := range want.Params {
		if !isNamed(name) {
			assert.Equal(t, vs, got.Params[name], "Params[%s]", name)
		}
	}
	want.Params, got.Params = nil, nil
	if !want.Timestamp.IsZero() {
		assert.True(t, want.Timestamp.Equal(got.Timestamp), "Timestamp %v != %v", want.Timestamp, got.Timestamp)
		want.Timestamp, got.Timestamp = time.Time{}, time.Time{}
	}
	assert.Equal(t, want, got)
}

// isNamed reports whether a ConferenceEvent field models the parameter
// name.
func isNamed(name string) bool { return slices.Contains(vobizhook.NamedParams(), name) }

func TestNewRequestRoundTrip(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		name string
		ev   vobizhook.ConferenceEvent
		opts []vobizhooktest.Option
	}{
		{"live enter", liveEnter(), nil},
		{"live exit, not last", vobizhook.ConferenceEvent{Action: vobizhook.ActionExit, Event: "ConferenceExit", ConferenceName: "R", MemberID: "7", CallUUID: "c", CurrentSize: -1}, nil},
		{"classic end with recording", classicEnd(), nil},
		{"classic enter, time in another zone and with fractions", vobizhook.ConferenceEvent{
			Action: vobizhook.ActionEnter, ConferenceName: "R", CallUUID: "c", CurrentSize: 3,
			Timestamp: time.Date(2026, 5, 19, 16, 2, 15, 123456000, ist),
		}, nil},
		{"an action nobody documents", vobizhook.ConferenceEvent{Action: "digits", CurrentSize: -1, Params: url.Values{"ConferenceDigitsMatch": {"123"}}}, nil},
		{"GET", classicEnd(), []vobizhooktest.Option{vobizhooktest.WithMethod(http.MethodGet)}},
		{"GET to a URL with a query", liveEnter(), []vobizhooktest.Option{vobizhooktest.WithMethod(http.MethodGet), vobizhooktest.WithURL("http://127.0.0.1:8080/cb?tenant=42")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := vobizhooktest.NewRequest(tt.ev, tt.opts...)
			require.NoError(t, err)
			got, err := vobizhook.ParseConferenceEvent(r)
			require.NoError(t, err)
			sameEvent(t, tt.ev, got)
		})
	}
}

func TestNewRequestLooksLikeVobiz(t *testing.T) {
	r, err := vobizhooktest.NewRequest(liveEnter())
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "Vobiz", r.Header.Get("User-Agent"))
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Equal(t, vobizhooktest.DefaultURL, r.URL.String())
	assert.Equal(t, "example.com", r.Host)
	assert.Equal(t, "/conference-events", r.RequestURI)
	assert.Equal(t, vobizhooktest.RemoteAddr, r.RemoteAddr)
	require.NotNil(t, r.TLS, "https URL: TLS set like httptest.NewRequest")
	assert.Empty(t, r.Header.Get(vobizhook.HeaderSignatureV3), "unsigned without a token")

	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, int64(len(body)), r.ContentLength)
	assert.Equal(t, "ConferenceAction=enter&Event=ConferenceEnter&ConferenceUUID=b6c2e1a4-0d7f-4a52-9a61-2f0c5e9d8a10"+
		"&ConferenceName=Weekly+Standup&ConferenceMemberID=249&ConferenceFirstMember=true"+
		"&CallUUID=c1f4a7e2-5b3d-4e8f-a9c0-7d2e6b1f3a45&From=918071387423&To=919624705678"+
		"&Direction=inbound&CallStatus=in-progress&BillRate=0.0045&SessionStart=2026-08-31+20%3A08%3A21.073308"+
		"&Alpha=a%26b%3Dc&Zeta=z1&Zeta=z2", string(body))

	again, err := r.GetBody()
	require.NoError(t, err)
	b2, _ := io.ReadAll(again)
	assert.Equal(t, body, b2, "GetBody replays the body")

	get, err := vobizhooktest.NewRequest(liveEnter(), vobizhooktest.WithMethod(http.MethodGet), vobizhooktest.WithURL("http://127.0.0.1:8080/cb?tenant=42"))
	require.NoError(t, err)
	assert.Equal(t, http.NoBody, get.Body)
	assert.Empty(t, get.Header.Get("Content-Type"))
	assert.Nil(t, get.TLS)
	assert.True(t, strings.HasPrefix(get.URL.RawQuery, "tenant=42&ConferenceAction=enter&"), get.URL.RawQuery)
	assert.Equal(t, "/cb?"+get.URL.RawQuery, get.RequestURI)
}

// EncodeEvent of a parsed recorded payload gives back the recorded body
// byte for byte: same names, order and formats as Vobiz.
func TestEncodeEventMatchesRecordings(t *testing.T) {
	for _, file := range []string{"enter-live.http", "exit-live.http", "enter-classic.http", "exit-classic.http", "start-classic.http", "end-classic-recording.http"} {
		t.Run(file, func(t *testing.T) {
			r := vobizhooktest.MustReadRequestFile(t, filepath.Join(recorded, file))
			raw, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			r.Body, _ = r.GetBody()
			ev, err := vobizhook.ParseConferenceEvent(r)
			require.NoError(t, err)
			assert.Equal(t, string(raw), vobizhooktest.EncodeEvent(ev))
		})
	}
}

func TestEncodeEventOptionalParameters(t *testing.T) {
	tests := []struct {
		name      string
		ev        vobizhook.ConferenceEvent
		has, hasn []string // substrings present / absent
	}{
		{"size -1 left out", vobizhook.ConferenceEvent{Action: "enter", CurrentSize: -1}, nil, []string{"ConferenceCurrentSize"}},
		{"size 0 of a struct literal left out", vobizhook.ConferenceEvent{Action: "exit"}, nil, []string{"ConferenceCurrentSize"}},
		{"size 0 carried in Params sent", vobizhook.ConferenceEvent{Action: "end", Params: url.Values{"ConferenceCurrentSize": {"0"}}}, []string{"ConferenceCurrentSize=0"}, nil},
		{"size 0 with an empty Params value left out", vobizhook.ConferenceEvent{Action: "end", Params: url.Values{"ConferenceCurrentSize": {""}}}, nil, []string{"ConferenceCurrentSize"}},
		{"positive size sent", vobizhook.ConferenceEvent{Action: "exit", CurrentSize: 2}, []string{"ConferenceCurrentSize=2"}, nil},
		{"the field's value is sent", vobizhook.ConferenceEvent{Action: "exit", CurrentSize: 0, Params: url.Values{"ConferenceCurrentSize": {"5"}}}, []string{"ConferenceCurrentSize=0"}, []string{"=5"}},
		{"size -1 left out even when carried", vobizhook.ConferenceEvent{Action: "exit", CurrentSize: -1, Params: url.Values{"ConferenceCurrentSize": {"0"}}}, nil, []string{"ConferenceCurrentSize"}},
		{"classic enter: no booleans", vobizhook.ConferenceEvent{Action: "enter", CurrentSize: 2}, nil, []string{"FirstMember", "LastMember"}},
		{"live enter: FirstMember=false sent", vobizhook.ConferenceEvent{Action: "enter", Event: "ConferenceEnter", CurrentSize: -1}, []string{"ConferenceFirstMember=false"}, []string{"LastMember"}},
		{"live exit: LastMember=false sent", vobizhook.ConferenceEvent{Action: "exit", MemberID: "1", CurrentSize: -1}, []string{"ConferenceLastMember=false"}, []string{"FirstMember"}},
		{"true always sent", vobizhook.ConferenceEvent{Action: "exit", FirstMember: true, CurrentSize: -1}, []string{"ConferenceFirstMember=true"}, nil},
		{"empty strings left out", vobizhook.ConferenceEvent{Action: "exit", CurrentSize: -1, Params: url.Values{"X": {""}}}, nil, []string{"From", "Event", "X="}},
		{"zero time left out", vobizhook.ConferenceEvent{Action: "exit", CurrentSize: -1}, nil, []string{"Timestamp"}},
		{"time in UTC", vobizhook.ConferenceEvent{Action: "exit", CurrentSize: -1, Timestamp: time.Date(2026, 1, 2, 8, 4, 5, 0, time.FixedZone("X", 3600))}, []string{"Timestamp=2026-01-02+07%3A04%3A05"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := vobizhooktest.EncodeEvent(tt.ev)
			for _, s := range tt.has {
				assert.Contains(t, got, s)
			}
			for _, s := range tt.hasn {
				assert.NotContains(t, got, s)
			}
		})
	}
	assert.Equal(t, "", vobizhooktest.EncodeEvent(vobizhook.ConferenceEvent{CurrentSize: -1}))
}

// A hand-built exit that leaves CurrentSize at its zero value does not tell
// a Tracker that the room is empty: the conference goes on while a member
// remains. A classic end built by Scenario (size 0 carried) does end it.
func TestZeroSizeDoesNotEndConference(t *testing.T) {
	tr := &track.Tracker{}
	h := &vobizhook.Handler{Tracker: tr, Logger: discardLogger}
	serve := func(ev vobizhook.ConferenceEvent) {
		t.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, vobizhooktest.MustNewRequest(t, ev))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	}
	for _, ev := range []vobizhook.ConferenceEvent{
		{Action: vobizhook.ActionEnter, ConferenceUUID: "c", CallUUID: "a"},
		{Action: vobizhook.ActionEnter, ConferenceUUID: "c", CallUUID: "b"},
		{Action: vobizhook.ActionExit, ConferenceUUID: "c", CallUUID: "a"},
	} {
		serve(ev)
	}
	c, ok, err := tr.Conference(t.Context(), "c")
	require.NoError(t, err)
	require.True(t, ok)
	assert.False(t, c.Ended, "ended by a size nobody set (reason %s)", c.EndReason)
	assert.Equal(t, 1, c.Size(), "b is still in the room")

	events := vobizhooktest.Scenario{Style: vobizhooktest.Classic, Participants: 2, Seed: 3}.MustEvents(t)
	for _, ev := range events {
		serve(ev)
	}
	c, ok, err = tr.Conference(t.Context(), events[0].ConferenceUUID)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, c.Ended, "the classic end carries ConferenceCurrentSize=0")
	assert.Contains(t, vobizhooktest.EncodeEvent(events[len(events)-1]), "ConferenceCurrentSize=0")
	assert.Contains(t, vobizhooktest.EncodeEvent(events[len(events)-2]), "ConferenceCurrentSize=0", "so does the exit that empties the room")
}

func TestNewRequestErrors(t *testing.T) {
	for _, u := range []string{"", "/conference-events", "ftp://example.com/x", "http://", "http://exa mple.com/", "example.com/cb"} {
		_, err := vobizhooktest.NewRequest(liveEnter(), vobizhooktest.WithURL(u))
		assert.ErrorIs(t, err, vobizhook.ErrInvalidCallbackURL, "%q", u)
	}
	// The error says what is wrong without repeating the URL, which may
	// carry a token (the library's rule for every error).
	const secret = "s3cr3t-token"
	for _, u := range []string{
		"http://exa mple.com/cb?token=" + secret,
		"http://example.com:" + secret + "/cb",
		"http://example.com/%zz?token=" + secret,
		"ftp://example.com/cb?token=" + secret,
		"/cb?token=" + secret,
		"http:///cb?token=" + secret,
		"https://user:" + secret + "@/cb",
		"http://example.com/cb\n?token=" + secret + "\x7f",
	} {
		_, err := vobizhooktest.NewRequest(liveEnter(), vobizhooktest.WithURL(u))
		require.ErrorIs(t, err, vobizhook.ErrInvalidCallbackURL, "%q", u)
		assert.NotContains(t, err.Error(), secret, "%q", u)
		err = vobizhooktest.Resign(httptest.NewRequest(http.MethodPost, "/cb", nil), u, "tok")
		require.ErrorIs(t, err, vobizhook.ErrInvalidCallbackURL, "%q", u)
		assert.NotContains(t, err.Error(), secret, "%q", u)
	}
	for _, m := range []string{"", "PO ST", "GET/"} {
		_, err := vobizhooktest.NewRequest(liveEnter(), vobizhooktest.WithMethod(m))
		assert.ErrorContains(t, err, "invalid HTTP method", "%q", m)
	}
	// Another method still builds a request (to test a refusal).
	r, err := vobizhooktest.NewRequest(liveEnter(), vobizhooktest.WithMethod(http.MethodPut))
	require.NoError(t, err)
	w := httptest.NewRecorder()
	(&vobizhook.Handler{Logger: discardLogger}).ServeHTTP(w, r)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
}

func TestClientRequest(t *testing.T) {
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, r.Method+" "+r.URL.RequestURI()+" "+r.UserAgent()+" "+string(b))
	}))
	defer srv.Close()

	r := vobizhooktest.MustNewRequest(t, classicEnd(), vobizhooktest.WithURL(srv.URL+"/cb"))
	for range 2 { // the same request twice, as a retry
		c, err := vobizhooktest.ClientRequest(r)
		require.NoError(t, err)
		assert.Empty(t, c.RequestURI)
		resp, err := srv.Client().Do(c)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	require.Len(t, bodies, 2)
	assert.Equal(t, bodies[0], bodies[1])
	assert.True(t, strings.HasPrefix(bodies[0], "POST /cb Vobiz ConferenceAction=end&"), bodies[0])

	// A recorded request has a relative URL until it is re-targeted.
	rec := vobizhooktest.MustReadRequestFile(t, filepath.Join(recorded, "enter-live.http"))
	_, err := vobizhooktest.ClientRequest(rec)
	assert.ErrorIs(t, err, vobizhook.ErrInvalidCallbackURL)
	assert.ErrorContains(t, err, "Resign")

	// A one-shot body that was consumed cannot be sent again.
	oneShot := httptest.NewRequest(http.MethodPost, "http://example.com/cb", io.NopCloser(strings.NewReader("x")))
	oneShot.RequestURI = ""
	_, err = vobizhooktest.ClientRequest(oneShot)
	assert.ErrorContains(t, err, "cannot be read again")

	must := vobizhooktest.MustClientRequest(t, r)
	assert.Equal(t, r.URL.String(), must.URL.String())
}

func TestReadRequestFileAllRecordings(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(recorded, "*.http"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		r, err := vobizhooktest.ReadRequestFile(file)
		require.NoError(t, err, file)
		assert.Equal(t, "yourapp.com", r.Host, file)
		assert.Equal(t, vobizhooktest.RemoteAddr, r.RemoteAddr)
		_, err = vobizhook.ParseConferenceEvent(r)
		require.NoError(t, err, file)
	}
}

func TestReadRequestFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	head := "POST /cb HTTP/1.1\r\nHost: a.example\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	tests := []struct {
		name, content, want string
	}{
		{"longer than Content-Length", head + "Content-Length: 5\r\n\r\nConferenceAction=enter", "fix Content-Length"},
		{"shorter than Content-Length", head + "Content-Length: 50\r\n\r\nConferenceAction=enter", "Content-Length 50"},
		{"not HTTP", "hello\n", "malformed HTTP request"},
		{"empty", "", "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(strings.ReplaceAll(tt.name, " ", "-")+".http", tt.content)
			_, err := vobizhooktest.ReadRequestFile(p)
			require.Error(t, err)
			assert.ErrorContains(t, err, p, "the error names the file")
			assert.ErrorContains(t, err, tt.want)
		})
	}
	_, err := vobizhooktest.ReadRequestFile(filepath.Join(dir, "missing.http"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	// An editor's newline after the body, and LF line endings, are fine.
	ok := write("ok.http", "POST /cb HTTP/1.1\nHost: a.example\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 22\n\nConferenceAction=enter\n")
	r := vobizhooktest.MustReadRequestFile(t, ok)
	ev, err := vobizhook.ParseConferenceEvent(r)
	require.NoError(t, err)
	assert.Equal(t, vobizhook.ActionEnter, ev.Action)

	// ReadRequest works on any reader.
	r, err = vobizhooktest.ReadRequest(strings.NewReader("GET /cb?ConferenceAction=exit HTTP/1.1\r\nHost: a.example\r\n\r\n"))
	require.NoError(t, err)
	assert.Equal(t, http.NoBody, r.Body)
	ev, err = vobizhook.ParseConferenceEvent(r)
	require.NoError(t, err)
	assert.Equal(t, vobizhook.ActionExit, ev.Action)
}

// kolkata is Asia/Kolkata, or the same fixed offset where the system has no
// time zone database.
func kolkata(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Logf("no tzdata (%v): using a fixed +05:30", err)
		return time.FixedZone("IST", 5*3600+1800)
	}
	return loc
}

// Vobiz timestamps carry no zone: a Handler reads them in its Location.
// WithLocation writes them in that zone, so the Handler gets the instant
// back; without it the kit writes UTC and the instant is off by the offset.
func TestWithLocationRoundTrip(t *testing.T) {
	ist := kolkata(t)
	var got []time.Time
	h := &vobizhook.Handler{Location: ist, Logger: discardLogger, Verifier: &vobizhook.Verifier{AuthTokens: []string{"tok"}, CallbackURL: vobizhooktest.DefaultURL},
		OnEnter: func(_ context.Context, ev vobizhook.ConferenceEvent) error {
			got = append(got, ev.Timestamp)
			return nil
		}}
	at := time.Date(2026, 5, 19, 10, 32, 15, 0, time.UTC)
	ev := vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, ConferenceUUID: "c", CallUUID: "a", CurrentSize: 1, Timestamp: at}

	for _, method := range []string{http.MethodPost, http.MethodGet} {
		r := vobizhooktest.MustNewRequest(t, ev, vobizhooktest.WithLocation(ist), vobizhooktest.WithAuthToken("tok"), vobizhooktest.WithMethod(method))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	}
	require.Len(t, got, 2)
	for _, ts := range got {
		assert.True(t, at.Equal(ts), "round trip in Asia/Kolkata: sent %v, got %v", at, ts)
	}

	assert.Contains(t, vobizhooktest.EncodeEventIn(ev, ist), "Timestamp=2026-05-19+16%3A02%3A15", "the zoneless layout, in IST")
	assert.Equal(t, vobizhooktest.EncodeEvent(ev), vobizhooktest.EncodeEventIn(ev, nil), "nil means UTC")
	assert.Equal(t, vobizhooktest.EncodeEvent(ev), vobizhooktest.EncodeEventIn(ev, time.UTC))

	// Without WithLocation the Handler reads the UTC wall clock as IST.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, vobizhooktest.MustNewRequest(t, ev, vobizhooktest.WithAuthToken("tok")))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, -5*time.Hour-30*time.Minute, got[2].Sub(at))

	// Scenario.Requests passes the option on: a classic conference's times
	// come back exact.
	got = got[:0]
	sc := vobizhooktest.Scenario{Style: vobizhooktest.Classic, Participants: 2, Seed: 8}
	events := sc.MustEvents(t)
	h.OnOther = func(_ context.Context, ev vobizhook.ConferenceEvent) error {
		got = append(got, ev.Timestamp)
		return nil
	}
	h.OnStart, h.OnEnter, h.OnExit, h.OnEnd = h.OnOther, h.OnOther, h.OnOther, h.OnOther
	for _, r := range sc.MustRequests(t, vobizhooktest.WithLocation(ist), vobizhooktest.WithAuthToken("tok")) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	}
	require.Len(t, got, len(events))
	for i, ev := range events {
		assert.True(t, ev.Timestamp.Equal(got[i]), "%s: sent %v, got %v", ev.Action, ev.Timestamp, got[i])
	}
}
