package vobizhook

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook/vobizxml"
)

// loadRequest reads a recorded raw HTTP/1.1 request from testdata.
func loadRequest(t testing.TB, name string) *http.Request {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	r, err := http.ReadRequest(bufio.NewReader(f))
	require.NoError(t, err)
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.RemoteAddr = "192.0.2.10:40000"
	return r
}

// formRequest builds a POST callback with the given raw form body.
func formRequest(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/conference-events", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// recorder is a Handler whose funcs record what they were called with.
type recorder struct {
	calls  []string
	events []ConferenceEvent
}

func (rec *recorder) fn(name string) func(context.Context, ConferenceEvent) error {
	return func(_ context.Context, ev ConferenceEvent) error {
		rec.calls = append(rec.calls, name)
		rec.events = append(rec.events, ev)
		return nil
	}
}

func (rec *recorder) handler(logs io.Writer) *Handler {
	if logs == nil {
		logs = io.Discard
	}
	return &Handler{
		OnEnter: rec.fn("enter"),
		OnExit:  rec.fn("exit"),
		OnStart: rec.fn("start"),
		OnEnd:   rec.fn("end"),
		OnOther: rec.fn("other"),
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerRecordedPayloads(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		file  string
		calls string
		check func(t *testing.T, ev ConferenceEvent)
	}{
		{"enter-classic.http", "enter", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, ActionEnter, ev.Action)
			assert.Equal(t, "3f9a1b2c-44de-4f0a-b832-7c0a12345678", ev.ConferenceUUID)
			assert.Equal(t, "WeeklyStandup", ev.ConferenceName)
			assert.Equal(t, "9a0e0208-d01a-4572-9a04-fe583a05ac53", ev.CallUUID)
			assert.Equal(t, "918071387423", ev.From)
			assert.Equal(t, "919624705678", ev.To)
			assert.Equal(t, 3, ev.CurrentSize)
			assert.Equal(t, time.Date(2026, 5, 19, 10, 32, 15, 0, time.UTC), ev.Timestamp)
			assert.Empty(t, ev.Event)
			assert.Empty(t, ev.MemberID)
			assert.False(t, ev.FirstMember)
		}},
		{"exit-classic.http", "exit", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, ActionExit, ev.Action)
			assert.Equal(t, 2, ev.CurrentSize)
		}},
		{"start-classic.http", "start", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, ActionStart, ev.Action)
			assert.Equal(t, 1, ev.CurrentSize)
		}},
		{"end-classic-recording.http", "end", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, ActionEnd, ev.Action)
			assert.Equal(t, 0, ev.CurrentSize)
			assert.Equal(t, "https://recordings.vobiz.ai/conf-3f9a1b2c.mp3", ev.RecordingURL)
			assert.Equal(t, time.Date(2026, 5, 19, 10, 58, 47, 0, time.UTC), ev.Timestamp)
		}},
		{"enter-live.http", "enter", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, ActionEnter, ev.Action)
			assert.Equal(t, "ConferenceEnter", ev.Event)
			assert.Equal(t, "249", ev.MemberID)
			assert.True(t, ev.FirstMember)
			assert.False(t, ev.LastMember)
			assert.Equal(t, "inbound", ev.Direction)
			assert.Equal(t, "in-progress", ev.CallStatus)
			assert.Equal(t, -1, ev.CurrentSize, "live traffic has no ConferenceCurrentSize")
			assert.True(t, ev.Timestamp.IsZero())
			assert.Equal(t, "2026-08-31 20:08:21.073308", ev.Params.Get("SessionStart"))
			assert.Equal(t, "0.0045", ev.Params.Get("BillRate"))
			assert.Len(t, ev.Params, 17)
		}},
		{"exit-live.http", "exit", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, "ConferenceExit", ev.Event)
			assert.True(t, ev.LastMember)
			assert.Empty(t, ev.From)
			assert.Empty(t, ev.Direction)
			assert.Equal(t, -1, ev.CurrentSize)
		}},
		{"waitsound-live.http", "other", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, ActionWaitSound, ev.Action)
			assert.Equal(t, "ConferenceRemoteSounds", ev.Event)
			assert.Empty(t, ev.ConferenceUUID)
			assert.Empty(t, ev.MemberID)
		}},
		{"floor-plivo.http", "other", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, ActionFloor, ev.Action)
			assert.Equal(t, "true", ev.Params.Get("floorEvent"))
		}},
		{"enter-get.http", "enter", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, ActionEnter, ev.Action)
			assert.Equal(t, 3, ev.CurrentSize)
			assert.Equal(t, "918071387423", ev.From)
		}},
		{"enter-charset.http", "enter", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, time.Date(2026, 5, 19, 10, 32, 15, 0, ist).UTC(), ev.Timestamp.UTC(), "RFC 3339 keeps its own offset")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var rec recorder
			w := serve(rec.handler(nil), loadRequest(t, tt.file))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, "application/xml", w.Header().Get("Content-Type"))
			assert.Contains(t, w.Body.String(), "<Response></Response>")
			require.Equal(t, []string{tt.calls}, rec.calls)
			tt.check(t, rec.events[0])
		})
	}
}

func TestHandlerRefusesBadPayloads(t *testing.T) {
	tests := []struct {
		file   string
		status int
		is     error
		param  string // the parameter the body must name
		want   string // text the body must contain
	}{
		{"bad/size-abc.http", 400, ErrInvalidParam, "ConferenceCurrentSize", "non-negative integer"},
		{"bad/size-negative.http", 400, ErrInvalidParam, "ConferenceCurrentSize", "non-negative integer"},
		{"bad/timestamp.http", 400, ErrInvalidParam, "Timestamp", "2006-01-02 15:04:05"},
		{"bad/first-member-maybe.http", 400, ErrInvalidParam, "ConferenceFirstMember", "true or false"},
		{"bad/duplicate-action.http", 400, ErrDuplicateParam, "ConferenceAction", "more than once"},
		{"bad/percent-encoding.http", 400, ErrMalformedForm, "ConferenceName", "percent-encoding"},
		{"bad/missing-action.http", 400, ErrMissingAction, "ConferenceAction", "missing"},
		{"bad/empty-action.http", 400, ErrMissingAction, "ConferenceAction", "missing"},
		{"bad/nul-byte.http", 400, ErrInvalidParam, "ConferenceName", "control characters"},
		{"bad/json.http", 415, ErrUnsupportedMediaType, "", "application/x-www-form-urlencoded"},
		{"bad/multipart.http", 415, ErrUnsupportedMediaType, "", "application/x-www-form-urlencoded"},
		{"bad/no-content-type.http", 415, ErrUnsupportedMediaType, "", "Content-Type"},
		{"bad/put.http", 405, ErrMethodNotAllowed, "", "GET or POST"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var rec recorder
			var logs bytes.Buffer
			w := serve(rec.handler(&logs), loadRequest(t, tt.file))
			assert.Equal(t, tt.status, w.Code)
			assert.Empty(t, rec.calls, "nothing is dispatched")
			assert.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))
			assert.Contains(t, w.Body.String(), tt.param)
			assert.Contains(t, w.Body.String(), tt.want)
			assert.Equal(t, 1, strings.Count(logs.String(), `level=WARN msg="vobizhook: callback refused"`), "refusal logged once at Warn: %s", logs.String())
			if tt.status == 405 {
				assert.Equal(t, "GET, POST", w.Header().Get("Allow"))
			}

			_, err := ParseConferenceEvent(loadRequest(t, tt.file))
			require.ErrorIs(t, err, tt.is)
			if tt.param != "" && tt.is != ErrMalformedForm {
				var pe *ParamError
				ok := errors.As(err, &pe)
				require.True(t, ok, "errors.As *ParamError: %v", err)
				assert.Equal(t, tt.param, pe.Param)
			}
		})
	}
}

func TestHandlerStatuses(t *testing.T) {
	enter := "ConferenceAction=enter&ConferenceUUID=c1&CallUUID=a1"
	boom := errors.New("database is down: password=hunter2")
	tests := []struct {
		name     string
		h        *Handler
		req      func() *http.Request
		status   int
		body     string // substring of the response body
		notBody  string // must not appear in the body
		logWants string // substring of the log
	}{
		{
			name:   "zero Handler acknowledges",
			h:      &Handler{},
			req:    func() *http.Request { return formRequest(enter) },
			status: 200, body: "<Response>",
		},
		{
			name:   "known action whose func is nil",
			h:      &Handler{OnExit: func(context.Context, ConferenceEvent) error { panic("not called") }},
			req:    func() *http.Request { return formRequest(enter) },
			status: 200,
		},
		{
			name:   "unknown action with OnOther nil",
			h:      &Handler{OnEnter: func(context.Context, ConferenceEvent) error { panic("not called") }},
			req:    func() *http.Request { return formRequest("ConferenceAction=digits&ConferenceDigitsMatch=123") },
			status: 200,
		},
		{
			name: "func error is a generic 500",
			h: &Handler{OnEnter: func(context.Context, ConferenceEvent) error {
				return boom
			}},
			req:    func() *http.Request { return formRequest(enter) },
			status: 500, body: "internal error", notBody: "hunter2", logWants: "database is down",
		},
		{
			name: "func panic is a 500 with the stack logged",
			h: &Handler{OnEnter: func(context.Context, ConferenceEvent) error {
				panic(errors.New("assignment to entry in nil map"))
			}},
			req:    func() *http.Request { return formRequest(enter) },
			status: 500, body: "internal error", notBody: "nil map", logWants: "handler_test.go",
		},
		{
			name:   "body over the default limit",
			h:      &Handler{},
			req:    func() *http.Request { return formRequest(enter + "&pad=" + strings.Repeat("x", DefaultMaxBodyBytes)) },
			status: 413,
		},
		{
			name: "body over the default limit, no Content-Length",
			h:    &Handler{},
			req: func() *http.Request {
				r := formRequest("")
				r.Body = io.NopCloser(io.MultiReader(strings.NewReader(enter+"&pad="), strings.NewReader(strings.Repeat("x", DefaultMaxBodyBytes))))
				r.ContentLength = -1
				return r
			},
			status: 413,
		},
		{
			name:   "body over a configured limit",
			h:      &Handler{MaxBodyBytes: 100},
			req:    func() *http.Request { return formRequest(enter + "&pad=" + strings.Repeat("x", 100)) },
			status: 413, body: "too large",
		},
		{
			name:   "body under a configured limit",
			h:      &Handler{MaxBodyBytes: 1 << 20},
			req:    func() *http.Request { return formRequest(enter + "&pad=" + strings.Repeat("x", 100<<10)) },
			status: 200,
		},
		{
			name:   "HEAD is not allowed",
			h:      &Handler{},
			req:    func() *http.Request { return httptest.NewRequest(http.MethodHead, "/", nil) },
			status: 405,
		},
		{
			name:   "GET with a broken query",
			h:      &Handler{},
			req:    func() *http.Request { return httptest.NewRequest(http.MethodGet, "/?ConferenceAction=en%2", nil) },
			status: 400, body: "percent-encoding",
		},
		{
			name:   "semicolon is not a separator",
			h:      &Handler{},
			req:    func() *http.Request { return formRequest("ConferenceAction=enter;CallUUID=x") },
			status: 400, body: "';'",
		},
		{
			name:   "invalid UTF-8 in a named parameter",
			h:      &Handler{},
			req:    func() *http.Request { return formRequest("ConferenceAction=enter&ConferenceName=%ff%fe") },
			status: 400, body: "ConferenceName",
		},
		{
			name:   "size overflowing int",
			h:      &Handler{},
			req:    func() *http.Request { return formRequest(enter + "&ConferenceCurrentSize=99999999999999999999999") },
			status: 400, body: "ConferenceCurrentSize",
		},
		{
			name:   "duplicate unknown parameters are fine",
			h:      &Handler{},
			req:    func() *http.Request { return formRequest(enter + "&X=1&X=2") },
			status: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			tt.h.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			w := serve(tt.h, tt.req())
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			assert.Contains(t, w.Body.String(), tt.body)
			if tt.notBody != "" {
				assert.NotContains(t, w.Body.String(), tt.notBody)
			}
			assert.Contains(t, logs.String(), tt.logWants)
		})
	}
}

func TestHandlerReRaisesAbortHandler(t *testing.T) {
	h := &Handler{OnEnter: func(context.Context, ConferenceEvent) error { panic(http.ErrAbortHandler) }}
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { serve(h, formRequest("ConferenceAction=enter")) })
}

func TestHandlerLocation(t *testing.T) {
	ist, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		ist = time.FixedZone("IST", 5*3600+1800)
	}
	var got ConferenceEvent
	h := &Handler{Location: ist, OnEnter: func(_ context.Context, ev ConferenceEvent) error { got = ev; return nil }}
	require.Equal(t, 200, serve(h, loadRequest(t, "enter-classic.http")).Code)
	assert.Equal(t, time.Date(2026, 5, 19, 5, 2, 15, 0, time.UTC), got.Timestamp.UTC(), "10:32:15 IST")

	// The default stays UTC, and RFC 3339 keeps its offset whatever Location says.
	ev, err := ParseConferenceEvent(loadRequest(t, "enter-classic.http"))
	require.NoError(t, err)
	assert.Equal(t, time.UTC, ev.Timestamp.Location())
	require.Equal(t, 200, serve(h, loadRequest(t, "enter-charset.http")).Code)
	assert.Equal(t, time.Date(2026, 5, 19, 5, 2, 15, 0, time.UTC), got.Timestamp.UTC())
}

func TestParseConferenceEventFields(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, ev ConferenceEvent)
	}{
		{"booleans in any case", "ConferenceAction=exit&ConferenceFirstMember=TRUE&ConferenceLastMember=True", func(t *testing.T, ev ConferenceEvent) {
			assert.True(t, ev.FirstMember)
			assert.True(t, ev.LastMember)
		}},
		{"false and empty booleans", "ConferenceAction=exit&ConferenceFirstMember=False&ConferenceLastMember=", func(t *testing.T, ev ConferenceEvent) {
			assert.False(t, ev.FirstMember)
			assert.False(t, ev.LastMember)
		}},
		{"fractional seconds", "ConferenceAction=enter&Timestamp=2026-08-31+20%3A08%3A21.073308", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, time.Date(2026, 8, 31, 20, 8, 21, 73308000, time.UTC), ev.Timestamp)
		}},
		{"RFC 3339 in UTC", "ConferenceAction=enter&Timestamp=2026-08-31T20%3A08%3A21Z", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, time.Date(2026, 8, 31, 20, 8, 21, 0, time.UTC), ev.Timestamp)
		}},
		{"empty size counts as absent", "ConferenceAction=enter&ConferenceCurrentSize=", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, -1, ev.CurrentSize)
		}},
		{"zero size", "ConferenceAction=end&ConferenceCurrentSize=0", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, 0, ev.CurrentSize)
		}},
		{"plus and percent decoding", "ConferenceAction=enter&ConferenceName=Weekly+Stand%2Dup+%E0%A4%A8%E0%A4%AE", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, "Weekly Stand-up नम", ev.ConferenceName)
		}},
		{"unknown parameters kept raw", "ConferenceAction=enter&X-Odd=%00%ff&Y=1&Y=2", func(t *testing.T, ev ConferenceEvent) {
			assert.Equal(t, "\x00\xff", ev.Params.Get("X-Odd"))
			assert.Equal(t, []string{"1", "2"}, ev.Params["Y"])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseConferenceEvent(formRequest(tt.body))
			require.NoError(t, err)
			tt.check(t, ev)
		})
	}
}

func TestParseConferenceEventUsesParsedPostForm(t *testing.T) {
	r := formRequest("ConferenceAction=enter&CallUUID=abc")
	require.NoError(t, r.ParseForm())
	ev, err := ParseConferenceEvent(r)
	require.NoError(t, err)
	assert.Equal(t, ActionEnter, ev.Action)
	assert.Equal(t, "abc", ev.CallUUID)

	// The URL query's own parameters reach Params, but r.PostForm, the
	// caller's, is left as it was (it holds only the body's).
	r = formRequest("ConferenceAction=enter&CallUUID=abc")
	r.URL.RawQuery, r.RequestURI = "tid=42", "/?tid=42"
	require.NoError(t, r.ParseForm())
	ev, err = ParseConferenceEvent(r)
	require.NoError(t, err)
	assert.Equal(t, "42", ev.Params.Get("tid"))
	assert.NotContains(t, r.PostForm, "tid", "r.PostForm is not written to")

	// A PostForm built by hand may hold a key with no values: absent, not
	// a panic.
	for _, k := range []string{"ConferenceFirstMember", "ConferenceCurrentSize", "Timestamp", "CallUUID"} {
		r := formRequest("")
		r.PostForm = url.Values{"ConferenceAction": {"enter"}, k: {}}
		ev, err := ParseConferenceEvent(r)
		require.NoError(t, err, k)
		assert.Equal(t, ActionEnter, ev.Action, k)
		assert.False(t, ev.FirstMember, k)
		assert.Equal(t, -1, ev.CurrentSize, k)
		assert.True(t, ev.Timestamp.IsZero(), k)
	}
}

func TestParseConferenceEventErrors(t *testing.T) {
	_, err := ParseConferenceEvent(formRequest("ConferenceCurrentSize=abc&ConferenceAction=enter"))
	var pe *ParamError
	ok := errors.As(err, &pe)
	require.True(t, ok)
	assert.Equal(t, "ConferenceCurrentSize", pe.Param)
	assert.ErrorIs(t, err, ErrInvalidParam)
	assert.NotContains(t, err.Error(), "abc", "the received value is not echoed")
	assert.Equal(t, "vobizhook: parameter ConferenceCurrentSize: invalid value: want a non-negative integer", err.Error())

	_, err = ParseConferenceEvent(formRequest("CallUUID=x"))
	assert.ErrorIs(t, err, ErrMissingAction)
	assert.Equal(t, "vobizhook: parameter ConferenceAction: missing or empty", err.Error())
}

func TestParseFormMatchesStdlib(t *testing.T) {
	for _, s := range []string{
		"", "a=1", "a=1&b=2&a=3", "a", "a=", "=x", "&&a=1&&", "a+b=c+d", "a%20b=%41", "a=%zz", "a;b=1", "%=1",
		"ConferenceAction=enter&ConferenceName=Weekly%20Standup",
	} {
		want, wantErr := urlParseQuery(s)
		got, err := parseForm(s)
		if wantErr != nil {
			assert.Error(t, err, "%q", s)
			continue
		}
		require.NoError(t, err, "%q", s)
		assert.Equal(t, want, got, "%q", s)
	}
}

func TestParamIndexMatchesRows(t *testing.T) {
	for i, row := range params.rows {
		assert.Equal(t, i, params.index(row.name), row.name)
	}
	assert.Equal(t, -1, params.index("SessionStart"))
	assert.Equal(t, -1, params.index(strings.Repeat("x", 100)))
}

func TestFirstOffenderInWireOrder(t *testing.T) {
	for range 20 { // map iteration order varies; the answer must not
		_, err := ParseConferenceEvent(formRequest("Timestamp=1&Timestamp=2&ConferenceAction=a&ConferenceAction=b&CallUUID=%01"))
		var pe *ParamError
		ok := errors.As(err, &pe)
		require.True(t, ok)
		assert.Equal(t, "ConferenceAction", pe.Param)
	}
}

func TestFormTagsMatchNamedParams(t *testing.T) {
	var tags []string
	typ := reflect.TypeFor[ConferenceEvent]()
	for i := range typ.NumField() {
		if tag := typ.Field(i).Tag.Get("form"); tag != "-" {
			tags = append(tags, tag)
		}
	}
	assert.Equal(t, NamedParams(), tags)
}

func TestParseHardening(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		param  string
		reason string
	}{
		{"whitespace action", "ConferenceAction=+", "ConferenceAction", "a word such as enter or exit"},
		{"action with a slash", "ConferenceAction=enter%2Fexit", "ConferenceAction", "a word"},
		{"C1 control (NEL)", "ConferenceAction=enter&ConferenceName=a%C2%85b", "ConferenceName", "control characters"},
		{"bidi override", "ConferenceAction=enter&From=%E2%80%AE123", "From", "control characters"},
		{"line separator", "ConferenceAction=enter&CallUUID=a%E2%80%A8b", "CallUUID", "control characters"},
		{"huge CallUUID", "ConferenceAction=enter&CallUUID=" + strings.Repeat("a", 129), "CallUUID", "at most 128 bytes"},
		{"huge room name", "ConferenceAction=enter&ConferenceName=" + strings.Repeat("r", 513), "ConferenceName", "at most 512 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConferenceEvent(formRequest(tt.body))
			require.ErrorIs(t, err, ErrInvalidParam)
			var pe *ParamError
			ok := errors.As(err, &pe)
			require.True(t, ok)
			assert.Equal(t, tt.param, pe.Param)
			assert.Contains(t, err.Error(), tt.reason)
		})
	}
	// Real values at the edge of the caps still pass.
	ev, err := ParseConferenceEvent(formRequest("ConferenceAction=waitSound&CallUUID=" + strings.Repeat("a", 128) +
		"&ConferenceName=%E0%A4%A8%E0%A4%AE%E0%A4%B8%E0%A5%8D%E0%A4%A4%E0%A5%87+%F0%9F%91%8B"))
	require.NoError(t, err)
	assert.Equal(t, ActionWaitSound, ev.Action)
	assert.Equal(t, "नमस्ते 👋", ev.ConferenceName)
}

func TestGETQueryIsLimitedLikeABody(t *testing.T) {
	h := &Handler{MaxBodyBytes: 100, Logger: slog.New(slog.DiscardHandler)}
	r := httptest.NewRequest(http.MethodGet, "/?ConferenceAction=enter&pad="+strings.Repeat("x", 100), nil)
	w := serve(h, r)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Contains(t, w.Body.String(), "query string")
}

func TestParseFormAllocatesInProportionToParameters(t *testing.T) {
	measure := func(s string) uint64 { // the least of a few runs: other goroutines may allocate too
		least := uint64(math.MaxUint64)
		for range 5 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := parseForm(s)
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			least = min(least, after.TotalAlloc-before.TotalAlloc)
		}
		return least
	}
	// 60,000 separators and no parameter: no more than a small form costs.
	assert.Less(t, measure(strings.Repeat("&", 60000)), uint64(8<<10))
	// 10,000 distinct parameters cost memory for 10,000 parameters, no more.
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, "p%d=v&", i)
	}
	assert.Less(t, measure(b.String()), uint64(2<<20))
}

func TestParamErrorWithoutSentinel(t *testing.T) {
	assert.Equal(t, "vobizhook: parameter X: why", (&ParamError{Param: "X", Reason: "why"}).Error())
}

func TestHandlerAnswersWaitSound(t *testing.T) {
	hold := vobizxml.NewResponse(vobizxml.Play{URL: "https://cdn.example/hold.mp3", Loop: vobizxml.LoopForever})
	var other int
	h := &Handler{
		WaitSound: hold,
		OnOther:   func(context.Context, ConferenceEvent) error { other++; return nil },
		Logger:    slog.New(slog.DiscardHandler),
	}
	w := serve(h, loadRequest(t, "waitsound-live.http"))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/xml", w.Header().Get("Content-Type"))
	assert.Contains(t, w.Body.String(), "<Play loop=\"0\">https://cdn.example/hold.mp3</Play>")
	assert.Equal(t, 1, other, "OnOther still sees the fetch")

	// Other callbacks keep the empty answer.
	w = serve(h, loadRequest(t, "enter-live.http"))
	assert.Equal(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response></Response>\n", w.Body.String())

	bad := vobizxml.NewResponse(vobizxml.Play{URL: "not a url"})
	h.WaitSound = bad
	w = serve(h, loadRequest(t, "waitsound-live.http"))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.NotContains(t, w.Body.String(), "not a url")
}
