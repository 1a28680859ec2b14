package vobizhook_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// panickyTracker is a Tracker of the user's own with a bug.
type panickyTracker struct{}

func (panickyTracker) Track(context.Context, vobizhook.ConferenceEvent, vobizhook.Funcs) (bool, error) {
	panic("tracker bug")
}

// panickyStore is a NonceStore of the user's own with a bug: it panics
// with value.
type panickyStore struct {
	failingStore
	value any
}

func (s panickyStore) Claim(context.Context, string, uint64, time.Duration) (vobizhook.NonceState, error) {
	panic(s.value)
}

// A panic in any code of the user's that the Handler calls, not only in
// the lifecycle funcs, is answered 500 (so Vobiz retries), logged with its
// stack, and reported as a *PanicError; it never reaches net/http, which
// would drop the connection without an answer.
func TestPanicsOutsideTheFuncsAreContained(t *testing.T) {
	leave := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/conference-events", strings.NewReader("ConferenceUUID=c&ConferenceName=n&ConferenceMemberID=1&CallUUID=a&CallStatus=completed"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	fetch := vobizhook.ConferenceEvent{Action: vobizhook.ActionWaitSound, Event: "ConferenceRemoteSounds", CurrentSize: -1}
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("answer bug") })
	cases := []struct {
		name string
		h    *vobizhook.Handler
		r    *http.Request
	}{
		{"WaitSound", &vobizhook.Handler{WaitSound: boom}, vobizhooktest.MustNewRequest(t, fetch)},
		{"the answer of OnLeave", &vobizhook.Handler{OnLeave: func(context.Context, vobizhook.ConferenceEvent) (http.Handler, error) { return boom, nil }}, leave()},
		{"Tracker.Track", &vobizhook.Handler{Tracker: panickyTracker{}}, vobizhooktest.MustNewRequest(t, liveEnter)},
		{"Verifier.Lookup", &vobizhook.Handler{Verifier: &vobizhook.Verifier{Lookup: func(*http.Request) (vobizhook.Account, error) { panic("lookup bug") }}},
			vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithAuthToken("t"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			var got vobizhook.Outcome
			tc.h.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			tc.h.OnOutcome = func(_ context.Context, o vobizhook.Outcome) { got = o }
			var w *httptest.ResponseRecorder
			require.NotPanics(t, func() { w = serve(tc.h, tc.r) })
			assert.Equal(t, http.StatusInternalServerError, w.Code)
			assert.Equal(t, "vobizhook: internal error handling the callback\n", w.Body.String())
			assert.Equal(t, vobizhook.OutcomeFailed, got.Kind)
			assert.Equal(t, http.StatusInternalServerError, got.Status)
			var pe *vobizhook.PanicError
			require.ErrorAs(t, got.Err, &pe)
			assert.Contains(t, logs.String(), "level=ERROR")
			assert.Contains(t, logs.String(), "stack=")
			assert.Contains(t, logs.String(), "bug")
		})
	}
}

// http.ErrAbortHandler from an answer handler or a Tracker still aborts
// the response, as from a func.
func TestAbortHandlerPassesThroughEverything(t *testing.T) {
	abort := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	h := &vobizhook.Handler{WaitSound: abort, Logger: slog.New(slog.DiscardHandler)}
	fetch := vobizhook.ConferenceEvent{Action: vobizhook.ActionWaitSound, Event: "ConferenceRemoteSounds", CurrentSize: -1}
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { serve(h, vobizhooktest.MustNewRequest(t, fetch)) })
}

// An answer handler that panics after writing part of its answer cannot
// be answered 500 any more: the response is aborted, so that Vobiz sees a
// failure rather than a truncated answer, and the nonce is released for
// its retry.
func TestAnswerPanicAfterWritingAborts(t *testing.T) {
	const token = "panics-token"
	var logs bytes.Buffer
	halfway := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("<Response><Pla"))
		panic("answer bug")
	})
	h := &vobizhook.Handler{
		Verifier:  &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: vobizhooktest.DefaultURL},
		WaitSound: halfway,
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
	}
	fetch := vobizhook.ConferenceEvent{Action: vobizhook.ActionWaitSound, Event: "ConferenceRemoteSounds", CurrentSize: -1}
	r := vobizhooktest.MustNewRequest(t, fetch, vobizhooktest.WithAuthToken(token))
	again := func() *http.Request { c := r.Clone(r.Context()); c.Body, _ = r.GetBody(); return c }
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { serve(h, again()) })
	assert.Contains(t, logs.String(), "panicked after answering")
	assert.Contains(t, logs.String(), "stack=")

	h.WaitSound = nil // fixed: the retry is served, not taken for a replay of a success
	var served bool
	h.OnOther = func(context.Context, vobizhook.ConferenceEvent) error { served = true; return nil }
	assert.Equal(t, http.StatusOK, serve(h, again()).Code)
	assert.True(t, served, "the nonce was released")
}

// A panic the Handler does not contain (a NonceStore of the user's own)
// goes on to net/http, and OnOutcome still learns of it as a *PanicError,
// whatever the value (a string, an error, a runtime error).
func TestOutcomeOfAnUncontainedPanic(t *testing.T) {
	var runtimeErr error
	func() {
		defer func() { runtimeErr, _ = recover().(error) }()
		var none []int
		_ = none[len(t.Name())] // index out of range: a runtime.Error
	}()
	require.Error(t, runtimeErr)
	for _, value := range []any{"store bug", errors.New("store bug"), runtimeErr} {
		var got vobizhook.Outcome
		h := &vobizhook.Handler{
			Verifier:   &vobizhook.Verifier{AuthTokens: []string{"t"}, CallbackURL: vobizhooktest.DefaultURL},
			NonceStore: panickyStore{value: value},
			OnOutcome:  func(_ context.Context, o vobizhook.Outcome) { got = o },
			Logger:     slog.New(slog.DiscardHandler),
		}
		assert.PanicsWithValue(t, value, func() { serve(h, vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithAuthToken("t"))) })
		assert.Equal(t, vobizhook.OutcomeFailed, got.Kind)
		var pe *vobizhook.PanicError
		require.True(t, errors.As(got.Err, &pe), "%T: Err = %v", value, got.Err)
		assert.Equal(t, value, pe.Value)
	}
}
