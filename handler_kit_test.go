package vobizhook_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// Handler tests that build their requests with the vobizhooktest kit. They
// live in the external test package because the kit imports vobizhook.

var enter = vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, ConferenceUUID: "c1", CallUUID: "a1", CurrentSize: -1}

func TestHandlerKeepsServingAfterPanic(t *testing.T) {
	var n atomic.Int32
	h := &vobizhook.Handler{
		OnEnter: func(context.Context, vobizhook.ConferenceEvent) error {
			if n.Add(1) == 1 {
				panic("first call explodes")
			}
			return nil
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	r := vobizhooktest.MustNewRequest(t, enter, vobizhooktest.WithURL(srv.URL))
	for i, want := range []int{500, 200} {
		resp, err := srv.Client().Do(vobizhooktest.MustClientRequest(t, r))
		require.NoError(t, err, "request %d", i)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, "request %d", i)
	}
}

func TestHandlerPassesRequestContext(t *testing.T) {
	type key struct{}
	var got any
	h := &vobizhook.Handler{OnExit: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		got = ctx.Value(key{})
		return nil
	}}
	r := vobizhooktest.MustNewRequest(t, vobizhook.ConferenceEvent{Action: vobizhook.ActionExit, CurrentSize: -1})
	r = r.WithContext(context.WithValue(r.Context(), key{}, "tenant-42"))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, 200, w.Code)
	assert.Equal(t, "tenant-42", got)
}

// A signed callback carries the token in plain text (auth-token); neither it
// nor the signatures reach the log.
func TestHandlerLogsHandledEventsAtDebug(t *testing.T) {
	const token = "SECRET-TOKEN"
	var logs bytes.Buffer
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: "https://app.example/conference-events"},
		OnEnter:  func(context.Context, vobizhook.ConferenceEvent) error { return nil },
		Logger:   slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	r := vobizhooktest.MustReadRequestFile(t, filepath.Join("testdata", "enter-live.http"))
	vobizhooktest.MustResign(t, r, h.Verifier.CallbackURL, token)
	r.Header.Set("auth-token", token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Contains(t, logs.String(), "level=DEBUG")
	assert.Contains(t, logs.String(), "call_uuid=c1f4a7e2-5b3d-4e8f-a9c0-7d2e6b1f3a45")
	assert.NotContains(t, logs.String(), token)
	assert.NotContains(t, logs.String(), r.Header.Get(vobizhook.HeaderSignatureV3))
	assert.NotContains(t, logs.String(), "level=WARN")
}

// Every action of both callback shapes reaches its func, in any delivery
// order, once.
func TestHandlerDispatchesGeneratedConferences(t *testing.T) {
	for _, style := range []vobizhooktest.Style{vobizhooktest.Live, vobizhooktest.Classic} {
		t.Run(string(style), func(t *testing.T) {
			calls := map[string]int{}
			fn := func(name string) func(context.Context, vobizhook.ConferenceEvent) error {
				return func(context.Context, vobizhook.ConferenceEvent) error { calls[name]++; return nil }
			}
			h := &vobizhook.Handler{
				OnEnter: fn("enter"), OnExit: fn("exit"), OnStart: fn("start"), OnEnd: fn("end"), OnOther: fn("other"),
				Logger: slog.New(slog.DiscardHandler),
			}
			sc := vobizhooktest.Scenario{Participants: 4, Style: style, Seed: 8, Shuffle: true}
			for _, r := range sc.MustRequests(t, vobizhooktest.WithMethod(http.MethodGet)) {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				require.Equal(t, 200, w.Code)
				body, _ := io.ReadAll(w.Body)
				assert.Contains(t, string(body), "<Response>")
			}
			want := map[string]int{"enter": 4, "exit": 4}
			if style == vobizhooktest.Classic {
				want["start"], want["end"] = 1, 1
			}
			assert.Equal(t, want, calls)
		})
	}
}
