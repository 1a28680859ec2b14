package vobizhook

import (
	"context"
	"log/slog"
	"net/http"
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
// Tracker) are fields whose nil value means the default; its zero value is
// usable: it accepts unsigned callbacks (and says so once in the log) and
// acknowledges every well-formed one. Set the fields before the first
// request and do not change them afterwards; use a Handler by pointer and
// do not copy it after its first request.
//
// Statuses follow what Vobiz expects of a callbackUrl (it retries every
// answer other than 2xx, up to three times):
//
//   - 200 when the callback was handled, or is of an action nobody handles;
//     the body is an empty XML <Response>.
//   - 200 without dispatch for a signed request whose nonce was handled
//     successfully within ReplayWindow: a retry or a replay.
//   - 500 when a func returned an error or panicked, so that Vobiz retries.
//   - 503 (with Retry-After: 1 for the first) when another delivery of the
//     same signed request is being handled right now, when the NonceStore
//     or the Tracker cannot serve, or when a func returns an error wrapping
//     [ErrUnavailable]: Vobiz retries.
//   - 403 when a Verifier is set and the signature is missing or wrong
//     (checked before the body is read); 401 when its basic-auth check
//     fails. The body names only the sentinel; the reason is logged.
//   - 405 (with Allow: GET, POST), 413, 415 or 400 for a request that is not
//     a well-formed callback; the plain-text body names the parameter at
//     fault and what was expected, never the value.
//   - 500 when the server is misconfigured (a Verifier without any token, an
//     invalid CallbackURL, a body consumed before the Handler), logged at
//     Error, so that Vobiz retries once it is fixed.
//
// Nothing is dispatched for a refused request. Refusals are logged once at
// Warn, failures at Error, handled events at Debug; header values, tokens
// and passwords never reach the log or a response. OnOutcome sees every
// answer.
type Handler struct {
	// OnEnter, OnExit, OnStart and OnEnd are called for the action of the
	// same name with the request's context (or, with a Tracker, for the
	// steps it derives). A nil func means the action is acknowledged and
	// dropped. A non-nil error is logged and answered with 500 so that Vobiz
	// retries: make the funcs idempotent.
	OnEnter, OnExit, OnStart, OnEnd func(ctx context.Context, ev ConferenceEvent) error

	// OnOther is called for any other ConferenceAction: waitSound, Plivo's
	// floor, digits and record, or one not invented yet.
	OnOther func(ctx context.Context, ev ConferenceEvent) error

	// OnLeave answers the request Vobiz makes to <Conference action="...">
	// when a member's call leaves the room, if that URL is this Handler's:
	// it carries ConferenceUUID, ConferenceMemberID, CallUUID and the call's
	// parameters but no ConferenceAction, and its answer XML continues the
	// call. The event has Action [ActionLeave]. Return the answer (a
	// vobizxml.Response is an http.Handler); nil, or a nil OnLeave, answers
	// an empty <Response>. An error is answered 500. It is called for every
	// copy of the request, replays included, since each needs its answer.
	OnLeave func(ctx context.Context, ev ConferenceEvent) (http.Handler, error)

	// Verifier checks every request's signature before its body is read;
	// nil accepts unsigned callbacks and logs once, at Warn, that
	// verification is off. A Verifier without any token refuses every
	// request (500), so one built from an unset environment variable never
	// fails open.
	Verifier *Verifier

	// NonceStore remembers the nonces of verified requests, so that a retry
	// or replay of a handled callback is not dispatched again; nil means an
	// in-memory store of DefaultMaxNonces entries, shared by the requests
	// of this Handler. Behind several replicas, use a shared store (package
	// redisstore has one).
	NonceStore NonceStore

	// ReplayWindow is how long a handled nonce is remembered; zero or
	// negative means DefaultReplayWindow.
	ReplayWindow time.Duration

	// NonceLease is how long the claim of a callback still running blocks
	// its other deliveries (answered 503); it bounds the claim of a
	// replica that died mid-callback. Zero or negative means
	// DefaultNonceLease.
	NonceLease time.Duration

	// Tracker, when set, receives every enter, exit, start and end with the
	// four lifecycle funcs above, and calls them for the steps it derives;
	// *track.Tracker makes OnStart and OnEnd fire exactly once per
	// conference. nil calls the funcs directly.
	Tracker Tracker

	// WaitSound answers the waitSound fetches (ConferenceAction=waitSound)
	// that reach this Handler, as they do when <Conference waitSound="...">
	// points at its URL: a vobizxml.Response of hold music is one. nil
	// answers an empty <Response>. OnOther sees the fetch first; every copy
	// of a fetch gets this answer, and a 5xx from it is answered as a
	// failure.
	WaitSound http.Handler

	// OnOutcome, when set, is called once per request, after the answer is
	// written, with how it was answered: for metrics (package otelvobizhook
	// has one) and audit logs. It runs on the request's goroutine, so keep
	// it fast; a panic in it is contained and logged.
	OnOutcome func(ctx context.Context, o Outcome)

	// Logger receives refusals (Warn), failures (Error) and handled events
	// (Debug). nil means slog.Default().
	Logger *slog.Logger

	// MaxBodyBytes limits the POST body (and a GET's query string); a
	// larger one is refused with 413 before it is parsed. Zero or negative
	// means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// Location is the time zone of Timestamp values that carry none (Vobiz
	// does not say which zone it uses; other Vobiz times are IST while
	// SessionStart is UTC). nil means UTC. RFC 3339 timestamps keep their
	// own offset.
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
			res.err, _ = v.(error)
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
			called, err = h.Tracker.Track(ctx, *ev, h.funcs())
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
		return h.answerWith(w, r, h.WaitSound, kind, "Handler.WaitSound")
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
	return h.answerWith(w, r, ans, OutcomeHandled, "the answer of OnLeave")
}

// answerWith serves ans (nil: the empty <Response>) as the answer, and
// reports a 5xx from it as a failure.
func (h *Handler) answerWith(w http.ResponseWriter, r *http.Request, ans http.Handler, kind OutcomeKind, what string) result {
	if ans == nil {
		ack(w)
		return result{kind: kind, status: http.StatusOK}
	}
	sw := &statusWriter{ResponseWriter: w}
	ans.ServeHTTP(sw, r)
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
