package vobizhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

var (
	xmlContentType   = []string{"application/xml"}
	plainContentType = []string{"text/plain; charset=utf-8"}
	nosniff          = []string{"nosniff"}
)

// errAnswerFailed is the Outcome.Err of a request whose answer handler
// (WaitSound, OnLeave's) wrote a 5xx.
var errAnswerFailed = errors.New("vobizhook: the answer handler failed")

// refuse answers a request that is not a valid, authentic callback.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) result {
	status := statusFor(err)
	if pe := (*PanicError)(nil); errors.As(err, &pe) { // in Verifier.Lookup
		h.logger().LogAttrs(r.Context(), slog.LevelError, "vobizhook: verification panicked; answering 500 so Vobiz retries",
			slog.String("reason", err.Error()),
			slog.String("stack", string(pe.Stack)),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path))
		writePlain(w, status, "vobizhook: internal error handling the callback")
		return result{kind: OutcomeFailed, status: status, err: err}
	}
	kind := OutcomeRefused
	switch status {
	case http.StatusInternalServerError:
		kind = OutcomeMisconfigured
		h.logger().LogAttrs(r.Context(), slog.LevelError, "vobizhook: server misconfigured; answering 500 so Vobiz retries once it is fixed",
			slog.String("reason", err.Error()),
			slog.String("fix", fixFor(err)),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path))
	case http.StatusServiceUnavailable:
		kind = OutcomeUnavailable
		h.logger().LogAttrs(r.Context(), slog.LevelError, "vobizhook: callback refused; answering 503 so Vobiz retries",
			slog.String("reason", err.Error()),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path))
	default:
		h.logger().LogAttrs(r.Context(), slog.LevelWarn, "vobizhook: callback refused",
			slog.Int("status", status),
			slog.String("reason", err.Error()),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("remote_addr", r.RemoteAddr))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="vobiz callbacks"`)
	}
	writePlain(w, status, publicReason(err))
	return result{kind: kind, status: status, err: err}
}

// fail answers a callback whose func (or tracker) failed.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, ev *ConferenceEvent, err error) result {
	ctx := r.Context()
	attrs := []slog.Attr{
		slog.String("action", string(ev.Action)),
		slog.String("conference_uuid", ev.ConferenceUUID),
		slog.String("call_uuid", ev.CallUUID),
		slog.Any("error", err),
	}
	var pe *PanicError
	if errors.As(err, &pe) {
		attrs = append(attrs, slog.String("stack", string(pe.Stack)))
	}
	if errors.Is(err, ErrUnavailable) {
		h.logger().LogAttrs(ctx, slog.LevelWarn, "vobizhook: unavailable; answering 503 so Vobiz retries", attrs...)
		writePlain(w, http.StatusServiceUnavailable, "vobizhook: busy, retry later")
		return result{kind: OutcomeUnavailable, status: http.StatusServiceUnavailable, err: err}
	}
	h.logger().LogAttrs(ctx, slog.LevelError, "vobizhook: callback failed; answering 500 so Vobiz retries", attrs...)
	writePlain(w, http.StatusInternalServerError, "vobizhook: internal error handling the callback")
	return result{kind: OutcomeFailed, status: http.StatusInternalServerError, err: err}
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
	case errors.Is(err, ErrMissingSignature), errors.Is(err, ErrInvalidSignature), errors.Is(err, ErrUnknownAccount):
		return http.StatusForbidden
	case errors.Is(err, ErrBadCredentials):
		return http.StatusUnauthorized
	case errors.Is(err, ErrBodyConsumed), errors.Is(err, ErrNoAuthToken), errors.Is(err, ErrInvalidCallbackURL), isPanic(err):
		return http.StatusInternalServerError
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}

func isPanic(err error) bool {
	var pe *PanicError
	return errors.As(err, &pe)
}

// fixFor says what to do about a misconfiguration.
func fixFor(err error) string {
	switch {
	case errors.Is(err, ErrBodyConsumed):
		return "something before the Handler read the request body without restoring it: mount the Handler before body-reading middleware, restore r.Body, or parse it into r.PostForm with r.ParseForm"
	case errors.Is(err, ErrNoAuthToken):
		return "give the Verifier the account's Auth Token (AuthTokens), or a Lookup"
	case errors.Is(err, ErrInvalidCallbackURL):
		return "set Verifier.CallbackURL to the absolute http(s) URL configured on <Conference callbackUrl>"
	}
	return ""
}

// publicReason is the body of a refusal. A refusal for authentication gets
// the bare sentinel: its detail (the header at fault, the URL tried, the
// proxy hint) would tell an unauthenticated caller about the configuration,
// so it goes to the log only. A misconfiguration says only that. Other
// refusals name the parameter at fault.
func publicReason(err error) string {
	for _, s := range [...]error{ErrMissingSignature, ErrInvalidSignature, ErrUnknownAccount, ErrBadCredentials} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	switch statusFor(err) {
	case http.StatusInternalServerError:
		return "vobizhook: server misconfigured"
	case http.StatusServiceUnavailable:
		return "vobizhook: unavailable, retry later"
	}
	return err.Error()
}

func (h *Handler) debug(ctx context.Context, msg string, ev *ConferenceEvent) {
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
