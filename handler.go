package vobizhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Handler receives Vobiz conference callbacks: mount it at the route of the
// callbackUrl set on <Conference>, for GET and POST: callbackMethod may be
// either, and a route restricted to one method (mux.Handle("POST /path",
// h), a router's Post) silently loses the other; mount it without a method
// (mux.Handle("/path", h)). It verifies each request, decodes it into a [ConferenceEvent] and
// calls the func for its action.
//
// Handler is a plain struct whose func fields are the hooks, in the manner
// of httputil.ReverseProxy, and whose pluggable parts (Verifier, NonceStore,
// Tracker) are fields whose nil value means the default. Its zero value
// accepts unsigned callbacks (and says so once in the log). Set the fields
// before the first request; do not copy a Handler after it.
//
// It answers as Vobiz expects of a callbackUrl, which it retries unless
// answered 2xx: 200 for a callback handled, of an action nobody handles, or
// already handled (a signed retry or replay, not dispatched again); 500
// when a func, a Tracker, a Verifier's Lookup or an answer handler failed
// or panicked, or the server is misconfigured; 503 when the same signed
// callback is being handled right now (with Retry-After; a waitSound fetch
// or a <Conference action> request gets its answer instead), or a store or
// the Tracker cannot serve; 403 for a missing or wrong
// signature, 401 for bad basic-auth credentials; 400, 405, 413 or 415 for
// a request that is not a well-formed callback. Nothing is dispatched for
// a refused request, and no answer or log line holds a header value, a
// token or a password. The README's table gives every case; OnOutcome sees
// every answer.
type Handler struct {
	// OnEnter, OnExit, OnStart and OnEnd are called for the action of the
	// same name (with a Tracker, for the steps it derives), with the
	// request's context. nil acknowledges the action. An error is logged
	// and answered 500, so that Vobiz retries: make the funcs idempotent.
	OnEnter, OnExit, OnStart, OnEnd func(ctx context.Context, ev ConferenceEvent) error

	// OnOther is called for any other ConferenceAction: waitSound, Plivo's
	// floor, digits and record, or one not invented yet.
	OnOther func(ctx context.Context, ev ConferenceEvent) error

	// OnLeave answers the request of <Conference action="..."> (see
	// [ActionLeave]), when that URL is this Handler's: the answer XML it
	// returns (a vobizxml.Response is an http.Handler) continues the call;
	// nil answers an empty <Response>. Every copy of the request calls it,
	// even while an earlier copy's call still runs (the call waits on the
	// answer): make it safe to run twice at once.
	OnLeave func(ctx context.Context, ev ConferenceEvent) (http.Handler, error)

	// Verifier checks each request's signature before its body is read.
	// nil accepts unsigned callbacks, and logs once, at Warn, that it does.
	Verifier *Verifier

	// NonceStore remembers the nonces of verified requests; nil means an
	// in-memory store of DefaultMaxNonces. Replicas share one (redisstore).
	NonceStore NonceStore

	// ReplayWindow is how long a handled nonce is remembered, and
	// NonceLease how long the claim of a callback still running blocks its
	// copies (and outlives a replica that died mid-callback). Zero means
	// DefaultReplayWindow and DefaultNonceLease.
	ReplayWindow, NonceLease time.Duration

	// Tracker, when set, receives every enter, exit, start and end with the
	// four lifecycle funcs, and calls them for the steps it derives:
	// *track.Tracker fires OnStart and OnEnd exactly once per conference.
	Tracker Tracker

	// WaitSound answers the waitSound fetches that reach this Handler
	// (<Conference waitSound> pointing at its URL), every copy of them,
	// even one arriving while OnOther still runs for the first (the caller
	// waits on the music; so Vobiz does not retry the fetch if that OnOther
	// then fails); a vobizxml.Response of hold music is one. nil answers an
	// empty <Response>.
	WaitSound http.Handler

	// OnOutcome, when set, is called once per request, after the answer
	// is written, with how it was answered: for metrics (otelvobizhook)
	// and audit logs. A panic in it is contained and logged.
	OnOutcome func(ctx context.Context, o Outcome)

	// Logger receives refusals (Warn), failures (Error) and handled events
	// (Debug). nil means slog.Default().
	Logger *slog.Logger

	// MaxBodyBytes limits the body (or a GET's query string): larger is
	// refused 413 before parsing. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// Location is the zone of Timestamp values that carry none (Vobiz does
	// not say; its other times are IST, SessionStart UTC). nil means UTC.
	Location *time.Location

	once      sync.Once
	nonces    NonceStore  // NonceStore, or the default made on first use
	warnedOff atomic.Bool // the "verification is off" warning was logged
}

// ackBody answers every accepted callback. Vobiz ignores the body of a
// callbackUrl response, and an empty <Response> is valid XML for the
// waitSound fetch and the action request that can reach the same URL.
var ackBody = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Response></Response>\n")

// ServeHTTP verifies and decodes the callback, dispatches it and answers
// Vobiz; see [Handler] for the statuses.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var res result
	if h.OnOutcome == nil {
		h.serve(w, r, &res)
		return
	}
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			// A func aborted the response (http.ErrAbortHandler): no
			// answer was written, and net/http handles the panic.
			res.kind, res.status = OutcomeFailed, 0
			if v == http.ErrAbortHandler {
				res.err = http.ErrAbortHandler
			} else {
				res.err = &PanicError{Value: v, Stack: debug.Stack()}
			}
			h.outcome(r.Context(), res, start)
			panic(v)
		}
		h.outcome(r.Context(), res, start)
	}()
	h.serve(w, r, &res)
}

// outcome reports res to OnOutcome.
func (h *Handler) outcome(ctx context.Context, res result, start time.Time) {
	o := Outcome{Kind: res.kind, Status: res.status, Err: res.err, Duration: time.Since(start)}
	if res.decoded {
		ev := res.ev
		o.Event, o.Action = &ev, ev.Action
	}
	h.report(ctx, o)
}

// serve answers r, filling res as it learns: the decoded event as soon as
// it has one, then how it answered.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, res *result) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		*res = h.refuse(w, r, ErrMethodNotAllowed)
		return
	}
	nonces, refused, ok := h.verify(w, r)
	if !ok {
		*res = refused
		return
	}
	var err error
	if res.ev, err = parseRequest(r, h.maxBodyBytes(), h.Location); err != nil {
		*res = h.refuse(w, r, err)
		return
	}
	res.decoded = true
	var out result
	if !nonces.IsZero() {
		out = h.dispatchOnce(w, r, &res.ev, nonces)
	} else {
		out = h.dispatch(w, r, &res.ev)
	}
	res.kind, res.status, res.err = out.kind, out.status, out.err
}

// dispatch calls the func for ev's action and answers.
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, ev *ConferenceEvent) result {
	ctx := r.Context()
	var called bool
	var err error
	switch ev.Action {
	case ActionEnter, ActionExit, ActionStart, ActionEnd:
		if h.Tracker != nil {
			called, err = h.track(ctx, ev)
		} else if fn := h.funcs().For(ev.Action); fn != nil {
			called, err = true, Call(ctx, fn, *ev)
		}
	case ActionLeave:
		return h.answerLeave(w, r, ev)
	default:
		if h.OnOther != nil {
			called, err = true, Call(ctx, h.OnOther, *ev)
		}
	}
	if err != nil {
		return h.fail(w, r, ev, err)
	}
	if called {
		h.debug(ctx, "vobizhook: callback handled", ev)
	} else {
		h.debug(ctx, "vobizhook: callback acknowledged, no func for its action", ev)
	}
	kind := OutcomeAcknowledged
	if called {
		kind = OutcomeHandled
	}
	if ev.Action == ActionWaitSound {
		return h.answerWith(w, r, ev, h.WaitSound, kind, "Handler.WaitSound")
	}
	ack(w)
	return result{kind: kind, status: http.StatusOK}
}

// answerLeave answers the <Conference action> request with OnLeave's
// answer.
func (h *Handler) answerLeave(w http.ResponseWriter, r *http.Request, ev *ConferenceEvent) result {
	if h.OnLeave == nil {
		h.debug(r.Context(), "vobizhook: conference action request acknowledged, no OnLeave", ev)
		ack(w)
		return result{kind: OutcomeAcknowledged, status: http.StatusOK}
	}
	var ans http.Handler
	err := Call(r.Context(), func(ctx context.Context, ev ConferenceEvent) (err error) {
		ans, err = h.OnLeave(ctx, ev)
		return err
	}, *ev)
	if err != nil {
		return h.fail(w, r, ev, err)
	}
	h.debug(r.Context(), "vobizhook: callback handled", ev)
	return h.answerWith(w, r, ev, ans, OutcomeHandled, "the answer of OnLeave")
}

// answerWith serves ans (nil: the empty <Response>) as the answer to ev,
// and reports a 5xx from it, or a panic, as a failure.
func (h *Handler) answerWith(w http.ResponseWriter, r *http.Request, ev *ConferenceEvent, ans http.Handler, kind OutcomeKind, what string) result {
	if ans == nil {
		ack(w)
		return result{kind: kind, status: http.StatusOK}
	}
	sw := &statusWriter{ResponseWriter: w}
	if err := serveAnswer(ans, sw, r); err != nil {
		if sw.status == 0 {
			return h.fail(w, r, ev, fmt.Errorf("%s: %w", what, err))
		}
		// Part of an answer is out: abort the response, so that Vobiz
		// sees a failure and not a truncated answer, and the nonce is
		// released for its retry.
		attrs := []slog.Attr{slog.Int("status", sw.status), slog.Any("error", err)}
		if pe := (*PanicError)(nil); errors.As(err, &pe) {
			attrs = append(attrs, slog.String("stack", string(pe.Stack)))
		}
		h.logger().LogAttrs(r.Context(), slog.LevelError, "vobizhook: "+what+" panicked after answering; aborting the response", attrs...)
		panic(http.ErrAbortHandler)
	}
	if sw.status == 0 {
		sw.WriteHeader(http.StatusOK)
	}
	if sw.status >= 500 {
		h.logger().LogAttrs(r.Context(), slog.LevelError, "vobizhook: "+what+" answered a server error; the request counts as failed",
			slog.Int("status", sw.status))
		return result{kind: OutcomeFailed, status: sw.status, err: errAnswerFailed}
	}
	return result{kind: kind, status: sw.status}
}

// serveAnswer serves ans, turning a panic into a *PanicError (re-raising
// http.ErrAbortHandler).
func serveAnswer(ans http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
		}
	}()
	ans.ServeHTTP(w, r)
	return nil
}

// track passes ev to the Tracker, turning a panic into a *PanicError as
// [Call] does for a func.
func (h *Handler) track(ctx context.Context, ev *ConferenceEvent) (called bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			called, err = false, panicError(v)
		}
	}()
	return h.Tracker.Track(ctx, *ev, h.funcs())
}

// funcs returns the lifecycle funcs, as passed to a Tracker.
func (h *Handler) funcs() Funcs {
	return Funcs{OnEnter: h.OnEnter, OnExit: h.OnExit, OnStart: h.OnStart, OnEnd: h.OnEnd}
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) maxBodyBytes() int64 {
	if h.MaxBodyBytes > 0 {
		return h.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}
