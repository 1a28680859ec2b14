package vobizhook

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// OutcomeKind says how a [Handler] answered one request; see [Outcome].
type OutcomeKind string

// The outcomes of a request. Each has one status, or a few of one class.
const (
	// OutcomeHandled: a func ran and succeeded (200).
	OutcomeHandled OutcomeKind = "handled"
	// OutcomeAcknowledged: accepted without any func running (200): no func
	// is set for the action, or the Tracker derived no step with a func
	// (a duplicate of an enter already applied, say).
	OutcomeAcknowledged OutcomeKind = "acknowledged"
	// OutcomeDuplicate: a signed request whose nonce was already handled
	// successfully, a retry or a replay (200, nothing dispatched).
	OutcomeDuplicate OutcomeKind = "duplicate"
	// OutcomeInProgress: a signed request whose nonce is being handled
	// right now by another delivery (503 with Retry-After, nothing
	// dispatched).
	OutcomeInProgress OutcomeKind = "in-progress"
	// OutcomeRefused: not a valid, authentic callback (400, 401, 403, 405,
	// 413 or 415; nothing dispatched).
	OutcomeRefused OutcomeKind = "refused"
	// OutcomeFailed: a func returned an error or panicked, or an answer
	// handler (WaitSound, OnLeave's) failed (500, so Vobiz retries).
	OutcomeFailed OutcomeKind = "failed"
	// OutcomeUnavailable: a dependency could not serve (the NonceStore, the
	// Tracker or its store, an account lookup; 503, so Vobiz retries).
	OutcomeUnavailable OutcomeKind = "unavailable"
	// OutcomeMisconfigured: the server is set up wrongly (a Verifier
	// without a token, an invalid CallbackURL, a body consumed by a
	// middleware; 500, so Vobiz retries once it is fixed).
	OutcomeMisconfigured OutcomeKind = "misconfigured"
)

// Outcome describes how a [Handler] answered one request, for metrics and
// audit logs: a status-recording middleware sees 200 for handled,
// duplicate and acknowledged alike, and 503 for three different causes;
// Kind tells them apart. Handler.OnOutcome receives one per request.
type Outcome struct {
	Kind     OutcomeKind      // what happened
	Status   int              // the HTTP status answered
	Action   Action           // the callback's action; "" when refused before decoding
	Event    *ConferenceEvent // the decoded callback; nil when refused before decoding
	Duration time.Duration    // from the start of ServeHTTP to the answer
	Err      error            // why, for refusals and failures; it wraps the package's sentinels
}

// result is what serve found; ServeHTTP turns it into an Outcome only when
// someone listens, so that the common path allocates nothing for it.
type result struct {
	kind    OutcomeKind
	status  int
	err     error
	ev      ConferenceEvent
	decoded bool
}

// report hands o to OnOutcome, containing a panic in it.
func (h *Handler) report(ctx context.Context, o Outcome) {
	defer func() {
		if v := recover(); v != nil {
			h.logger().LogAttrs(ctx, slog.LevelError, "vobizhook: OnOutcome panicked; the answer was already written",
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		}
	}()
	h.OnOutcome(ctx, o)
}

// statusWriter records the status an answer handler writes.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the original writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
