package vobizhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// Handler receives Vobiz conference callbacks: mount it at the route of the
// callbackUrl set on <Conference>. It decodes each request into a
// [ConferenceEvent] and calls the func for its action.
//
// Handler is a plain struct whose func fields are the hooks, in the manner of
// httputil.ReverseProxy; its zero value is usable (it acknowledges every
// well-formed callback). Do not change its fields once it is serving.
//
// Responses follow what Vobiz expects of a callbackUrl:
//
//   - 200 when the event was handled or is of an action nobody handles, so
//     Vobiz does not retry; the body is an empty XML <Response>, which is
//     also a harmless answer to a waitSound fetch.
//   - 500 when the func returned an error or panicked, so Vobiz retries (up
//     to three times). Make the funcs idempotent: a retry, or a duplicate
//     delivery, brings the same event again.
//   - 503 when the Tracker is full ([ErrTrackerFull]), so Vobiz retries.
//   - 405 (with Allow: GET, POST), 413, 415 or 400 for a request that is not a
//     well-formed callback; nothing is dispatched. The plain-text body names
//     the parameter at fault and what was expected.
//   - 403 when a token is set (AuthToken, AuthTokens, ParentAuthToken or
//     ParentAuthTokens) and the request has no valid Vobiz signature; it is
//     checked before the body is read, and nothing is dispatched.
//   - 200 without dispatch for a signed request whose nonce was already
//     handled within ReplayWindow: a retry or a replay.
//   - 503 when the NonceStore fails, and 500 when CallbackURL is invalid,
//     so that Vobiz retries once the fault is fixed.
//
// Every refused request is logged once at Warn, handled events at Debug.
// Header values are never logged.
type Handler struct {
	// OnEnter, OnExit, OnStart and OnEnd are called for the action of the
	// same name, with the request's context. A nil func means the action is
	// acknowledged and dropped. A non-nil error is logged and answered with
	// 500 so that Vobiz retries.
	OnEnter, OnExit, OnStart, OnEnd func(ctx context.Context, ev ConferenceEvent) error

	// OnOther is called for any other ConferenceAction: waitSound, Plivo's
	// floor, digits and record, or one not invented yet.
	OnOther func(ctx context.Context, ev ConferenceEvent) error

	// Logger receives refusals (Warn), callback failures (Error) and
	// handled events (Debug). nil means slog.Default().
	Logger *slog.Logger

	// MaxBodyBytes limits the POST body; a larger one is refused with 413
	// before it is parsed. Zero or negative means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// Location is the time zone of Timestamp values that carry none (Vobiz
	// does not say which zone it uses; other Vobiz times are IST while
	// SessionStart is UTC). nil means UTC. RFC 3339 timestamps keep their
	// own offset.
	Location *time.Location

	// AuthToken is the Vobiz account Auth Token. When set, every request
	// must carry a valid Vobiz signature (X-Vobiz-Signature-V3 or -V2),
	// checked before the body is read; anything else is answered 403. When
	// no token is set at all, unsigned requests are accepted and the Handler
	// logs once, at Warn, that verification is off.
	AuthToken string

	// CallbackURL is the public callbackUrl exactly as configured on
	// <Conference>; used for signing. Set it whenever the server sits behind
	// a proxy or load balancer: the URL Vobiz signed is the public one.
	CallbackURL string

	// AuthTokens are more accepted account Auth Tokens, tried after
	// AuthToken: list the old one here while rotating. Setting any token
	// turns verification on, as AuthToken does.
	AuthTokens []string

	// ParentAuthToken and ParentAuthTokens are the parent (main) account's
	// Auth Token(s), which verify the MA-V3 and MA-V2 signatures Vobiz adds to
	// a sub-account's callbacks. Either one alone also turns verification on.
	ParentAuthToken  string
	ParentAuthTokens []string

	// TrustForwardedHeaders, when CallbackURL is empty, rebuilds the signed
	// URL with the scheme from X-Forwarded-Proto and the host from
	// X-Forwarded-Host. Set it only behind a proxy that sets both.
	TrustForwardedHeaders bool

	// ReplayWindow is how long a handled nonce is remembered; zero or
	// negative means DefaultReplayWindow.
	ReplayWindow time.Duration

	// NonceStore remembers handled nonces; nil means an in-memory store of
	// DefaultMaxNonces entries, created on first use and shared by the
	// requests of this Handler. Use a shared store behind several replicas.
	NonceStore NonceStore

	// Tracker, when set, receives every enter, exit, start and end, and the
	// funcs are called for the steps it derives: OnStart and OnEnd exactly
	// once per conference, also on Vobiz traffic without start and end, and
	// OnEnter and OnExit never for duplicates. Each step is committed once
	// its func returned nil. See [Tracker].
	Tracker *Tracker

	sig sigState // built from the fields above on the first request
}

// ackBody answers every accepted callback. Vobiz ignores the body of a
// callbackUrl response, and an empty <Response> is valid XML for the
// waitSound fetch that can reach the same URL.
var ackBody = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Response></Response>\n")

var (
	xmlContentType   = []string{"application/xml"}
	plainContentType = []string{"text/plain; charset=utf-8"}
	nosniff          = []string{"nosniff"}
)

// ServeHTTP decodes the callback, dispatches it and answers Vobiz; see
// [Handler] for the statuses.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		h.refuse(w, r, ErrMethodNotAllowed)
		return
	}
	nonces, ok := h.verify(w, r)
	if !ok {
		return
	}
	ev, err := parseRequest(r, h.maxBodyBytes(), h.Location)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	if !nonces.IsZero() {
		h.dispatchOnce(w, r, ev, nonces)
		return
	}
	h.dispatch(w, r, ev)
}

// dispatch calls the func for ev's action and answers; it reports false when
// the func failed (and 500 was answered).
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, ev ConferenceEvent) bool {
	ctx := r.Context()
	fn := h.funcFor(ev.Action)
	if h.Tracker != nil {
		fn = h.Tracker.handlerFunc(h, ev, fn)
	}
	if fn == nil {
		h.debug(ctx, "vobizhook: callback acknowledged, no func for its action", ev)
		ack(w)
		return true
	}
	if err := call(ctx, fn, ev); err != nil {
		attrs := []slog.Attr{
			slog.String("action", string(ev.Action)),
			slog.String("conference_uuid", ev.ConferenceUUID),
			slog.String("call_uuid", ev.CallUUID),
			slog.Any("error", err),
		}
		if pe, ok := errors.AsType[*PanicError](err); ok {
			attrs = append(attrs, slog.String("stack", string(pe.Stack)))
		}
		if errors.Is(err, ErrTrackerFull) {
			h.logger().LogAttrs(ctx, slog.LevelWarn, "vobizhook: tracker full; answering 503 so Vobiz retries", attrs...)
			writePlain(w, http.StatusServiceUnavailable, "vobizhook: busy, retry later")
			return false
		}
		h.logger().LogAttrs(ctx, slog.LevelError, "vobizhook: callback failed; answering 500 so Vobiz retries", attrs...)
		writePlain(w, http.StatusInternalServerError, "vobizhook: internal error handling the callback")
		return false
	}
	h.debug(ctx, "vobizhook: callback handled", ev)
	ack(w)
	return true
}

// funcFor returns the func registered for action, or nil.
func (h *Handler) funcFor(action Action) func(context.Context, ConferenceEvent) error {
	switch action {
	case ActionEnter:
		return h.OnEnter
	case ActionExit:
		return h.OnExit
	case ActionStart:
		return h.OnStart
	case ActionEnd:
		return h.OnEnd
	default:
		return h.OnOther
	}
}

// PanicError is the error a callback's panic becomes: the Handler logs it
// with the stack and answers 500. Use errors.As to tell a panic from a
// returned error in your own logging handler.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic
}

// Error describes the panic value; the stack is kept out of the message.
func (e *PanicError) Error() string { return fmt.Sprintf("vobizhook: callback panicked: %v", e.Value) }

// call runs fn, turning a panic into a *PanicError. http.ErrAbortHandler is
// re-raised: it is the standard way to abort a response on purpose.
func call(ctx context.Context, fn func(context.Context, ConferenceEvent) error, ev ConferenceEvent) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return fn(ctx, ev)
}

func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := statusFor(err)
	h.logger().LogAttrs(r.Context(), slog.LevelWarn, "vobizhook: callback refused",
		slog.Int("status", status),
		slog.String("reason", err.Error()),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("remote_addr", r.RemoteAddr))
	writePlain(w, status, err.Error())
}

// statusFor maps an error from parsing or verification to its HTTP status.
func statusFor(err error) int {
	switch {
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrUnsupportedMediaType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrMissingSignature), errors.Is(err, ErrInvalidSignature):
		return http.StatusForbidden
	default:
		return http.StatusBadRequest
	}
}

func (h *Handler) debug(ctx context.Context, msg string, ev ConferenceEvent) {
	l := h.logger()
	if !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	l.LogAttrs(ctx, slog.LevelDebug, msg,
		slog.String("action", string(ev.Action)),
		slog.String("conference_uuid", ev.ConferenceUUID),
		slog.String("conference_name", ev.ConferenceName),
		slog.String("call_uuid", ev.CallUUID),
		slog.String("member_id", ev.MemberID))
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

func ack(w http.ResponseWriter) {
	w.Header()["Content-Type"] = xmlContentType
	w.WriteHeader(http.StatusOK)
	w.Write(ackBody)
}

func writePlain(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h["Content-Type"] = plainContentType
	h["X-Content-Type-Options"] = nosniff
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}
