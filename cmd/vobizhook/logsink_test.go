package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// recordingHandler is a slog.Handler that keeps every record.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// The CLI finds refusals and handled callbacks by the Handler's log
// messages (msgRefused, msgHandled) and reads the refusal's attributes by
// name. If the Handler's wording changes, listen would silently print
// refusals as notes and handled callbacks twice: this test says so first.
func TestHandlerLogMessagesTheCLIDependsOn(t *testing.T) {
	rec := &recordingHandler{}
	h := &vobizhook.Handler{Verifier: &vobizhook.Verifier{AuthTokens: []string{testToken}}, Logger: slog.New(rec),
		OnEnter: func(context.Context, vobizhook.ConferenceEvent) error { return nil }}
	signed := vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithAuthToken(testToken))
	h.ServeHTTP(httptest.NewRecorder(), signed)
	unsigned := vobizhooktest.MustNewRequest(t, enterEvent())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, unsigned)
	require.Equal(t, http.StatusForbidden, w.Code)

	byMessage := map[string]slog.Record{}
	for _, r := range rec.records {
		byMessage[r.Message] = r
	}
	handled, ok := byMessage[msgHandled]
	require.True(t, ok, "vobizhook.Handler no longer logs %q for a handled callback: update msgHandled in output.go (records: %v)", msgHandled, messages(rec.records))
	assert.Equal(t, slog.LevelDebug, handled.Level)
	refused, ok := byMessage[msgRefused]
	require.True(t, ok, "vobizhook.Handler no longer logs %q for a refused request: update msgRefused in output.go (records: %v)", msgRefused, messages(rec.records))
	attrs := map[string]string{}
	refused.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
	for _, key := range []string{"status", "reason", "method", "path", "remote_addr"} {
		assert.NotEmpty(t, attrs[key], "the refusal record lost attribute %q, which logSink reads", key)
	}
	assert.Equal(t, "403", attrs["status"])

	// And logSink turns them into the lines listen prints.
	var out syncBuffer
	p := newPrinter(&out, false)
	sink := &logSink{p: p}
	require.NoError(t, sink.Handle(context.Background(), handled))
	assert.Empty(t, out.String(), "a handled callback is printed as an event, not again as a note")
	require.NoError(t, sink.Handle(context.Background(), refused))
	assert.Regexp(t, `REFUSED 403 POST /conference-events from 192\.0\.2\.1:1234: vobizhook: missing signature`, out.String())
}

func messages(rs []slog.Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Message)
	}
	return out
}
