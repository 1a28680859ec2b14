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

// failingStore is a NonceStore that cannot answer.
type failingStore struct{}

var errStoreDown = errors.New("store down")

func (failingStore) Claim(context.Context, string, uint64, time.Duration) (vobizhook.NonceState, error) {
	return vobizhook.NonceNew, errStoreDown
}
func (failingStore) Complete(context.Context, string, uint64, time.Duration) error {
	return errStoreDown
}
func (failingStore) Release(context.Context, string, uint64) error { return errStoreDown }

// Every request gets one Outcome, after its answer, telling apart what a
// status alone does not: 200 handled, acknowledged or duplicate; 503 in
// progress or unavailable.
func TestOutcomeKinds(t *testing.T) {
	const token = "outcome-token"
	signed := func(ev vobizhook.ConferenceEvent, opts ...vobizhooktest.Option) *http.Request {
		return vobizhooktest.MustNewRequest(t, ev, append([]vobizhooktest.Option{vobizhooktest.WithAuthToken(token)}, opts...)...)
	}
	replayed := signed(liveEnter, vobizhooktest.WithNonce("11111111111111111111"))
	other := liveEnter
	other.Action = "digits"
	tests := []struct {
		name    string
		setup   func(h *vobizhook.Handler)
		reqs    []*http.Request // the last one's outcome is checked
		kind    vobizhook.OutcomeKind
		status  int
		decoded bool
		err     error
	}{
		{name: "handled", reqs: []*http.Request{signed(liveEnter)}, kind: vobizhook.OutcomeHandled, status: 200, decoded: true},
		{name: "acknowledged: no func", reqs: []*http.Request{signed(other)}, kind: vobizhook.OutcomeAcknowledged, status: 200, decoded: true},
		{name: "duplicate", reqs: []*http.Request{replayed, replayed}, kind: vobizhook.OutcomeDuplicate, status: 200, decoded: true},
		{name: "refused: signature", reqs: []*http.Request{vobizhooktest.MustNewRequest(t, liveEnter)},
			kind: vobizhook.OutcomeRefused, status: 403, err: vobizhook.ErrMissingSignature},
		{name: "refused: parameter", reqs: []*http.Request{signed(vobizhook.ConferenceEvent{CurrentSize: -1})},
			kind: vobizhook.OutcomeRefused, status: 400, err: vobizhook.ErrMissingAction},
		{name: "failed", setup: func(h *vobizhook.Handler) {
			h.OnEnter = func(context.Context, vobizhook.ConferenceEvent) error { return errors.New("db") }
		}, reqs: []*http.Request{signed(liveEnter)}, kind: vobizhook.OutcomeFailed, status: 500, decoded: true},
		{name: "unavailable: store", setup: func(h *vobizhook.Handler) { h.NonceStore = failingStore{} },
			reqs: []*http.Request{signed(liveEnter)}, kind: vobizhook.OutcomeUnavailable, status: 503, decoded: true, err: errStoreDown},
		{name: "unavailable: store, the sentinel", setup: func(h *vobizhook.Handler) { h.NonceStore = failingStore{} },
			reqs: []*http.Request{signed(liveEnter)}, kind: vobizhook.OutcomeUnavailable, status: 503, decoded: true, err: vobizhook.ErrUnavailable},
		{name: "unavailable: a func says so", setup: func(h *vobizhook.Handler) {
			h.OnEnter = func(context.Context, vobizhook.ConferenceEvent) error { return vobizhook.ErrUnavailable }
		}, reqs: []*http.Request{signed(liveEnter)}, kind: vobizhook.OutcomeUnavailable, status: 503, decoded: true, err: vobizhook.ErrUnavailable},
		{name: "misconfigured", setup: func(h *vobizhook.Handler) { h.Verifier = &vobizhook.Verifier{} },
			reqs: []*http.Request{signed(liveEnter)}, kind: vobizhook.OutcomeMisconfigured, status: 500, err: vobizhook.ErrNoAuthToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []vobizhook.Outcome
			h := &vobizhook.Handler{
				Verifier:  &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: vobizhooktest.DefaultURL},
				OnEnter:   func(context.Context, vobizhook.ConferenceEvent) error { return nil },
				OnOutcome: func(_ context.Context, o vobizhook.Outcome) { got = append(got, o) },
				Logger:    slog.New(slog.DiscardHandler),
			}
			if tc.setup != nil {
				tc.setup(h)
			}
			var w *httptest.ResponseRecorder
			for _, r := range tc.reqs {
				req := r.Clone(r.Context())
				req.Body, _ = r.GetBody()
				w = serve(h, req)
			}
			require.Len(t, got, len(tc.reqs), "one outcome per request")
			o := got[len(got)-1]
			assert.Equal(t, tc.kind, o.Kind)
			assert.Equal(t, tc.status, o.Status)
			assert.Equal(t, w.Code, o.Status, "the status answered")
			assert.Positive(t, o.Duration)
			if tc.decoded {
				require.NotNil(t, o.Event)
				assert.Equal(t, o.Event.Action, o.Action)
			} else {
				assert.Nil(t, o.Event)
				assert.Empty(t, o.Action)
			}
			if tc.err != nil {
				assert.ErrorIs(t, o.Err, tc.err)
			}
		})
	}
}

// In progress: a copy arriving while the first delivery runs.
func TestOutcomeInProgress(t *testing.T) {
	const token = "outcome-token"
	release, entered := make(chan struct{}), make(chan struct{})
	outcomes := make(chan vobizhook.Outcome, 2)
	h := &vobizhook.Handler{
		Verifier:  &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: vobizhooktest.DefaultURL},
		OnEnter:   func(context.Context, vobizhook.ConferenceEvent) error { close(entered); <-release; return nil },
		OnOutcome: func(_ context.Context, o vobizhook.Outcome) { outcomes <- o },
		Logger:    slog.New(slog.DiscardHandler),
	}
	r := vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithAuthToken(token))
	copyOf := func() *http.Request { c := r.Clone(r.Context()); c.Body, _ = r.GetBody(); return c }
	go serve(h, copyOf())
	<-entered
	serve(h, copyOf())
	o := <-outcomes
	assert.Equal(t, vobizhook.OutcomeInProgress, o.Kind)
	assert.Equal(t, http.StatusServiceUnavailable, o.Status)
	close(release)
	assert.Equal(t, vobizhook.OutcomeHandled, (<-outcomes).Kind)
}

// A panic in OnOutcome is contained and logged: the answer was written,
// and the server goes on.
func TestOutcomePanicIsContained(t *testing.T) {
	var logs bytes.Buffer
	h := &vobizhook.Handler{
		OnOutcome: func(context.Context, vobizhook.Outcome) { panic("metrics exporter bug") },
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
	}
	var w *httptest.ResponseRecorder
	require.NotPanics(t, func() { w = serve(h, vobizhooktest.MustNewRequest(t, liveEnter)) })
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, logs.String(), "OnOutcome panicked")
	assert.True(t, strings.Contains(logs.String(), "metrics exporter bug"))
}
