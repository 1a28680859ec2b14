package vobizhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// sigState is the Handler's verification setup, built from its fields on the
// first request.
type sigState struct {
	once      sync.Once
	verifier  *Verifier // nil: verification is off
	required  bool      // RequireSignatures without a token: refuse everything
	store     NonceStore
	window    time.Duration
	warnedOff atomic.Bool // the "verification is off" warning was logged
}

func (h *Handler) sigSetup() *sigState {
	st := &h.sig
	st.once.Do(func() {
		tokens := tokenList(h.AuthToken, h.AuthTokens)
		parents := tokenList(h.ParentAuthToken, h.ParentAuthTokens)
		if len(tokens)+len(parents) == 0 {
			st.required = h.RequireSignatures
			return
		}
		st.verifier = &Verifier{
			AuthTokens:            tokens,
			ParentAuthTokens:      parents,
			CallbackURL:           h.CallbackURL,
			TrustForwardedHeaders: h.TrustForwardedHeaders,
		}
		st.store = h.NonceStore
		if st.store == nil {
			st.store = NewMemoryNonceStore(0)
		}
		st.window = h.ReplayWindow
		if st.window <= 0 {
			st.window = DefaultReplayWindow
		}
	})
	return st
}

// tokenList returns the non-empty tokens among first and more.
func tokenList(first string, more []string) []string {
	var out []string
	if first != "" {
		out = append(out, first)
	}
	for _, t := range more {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// verify checks the request's signature before anything reads the body. It
// returns the nonces to claim and true when the request may proceed;
// otherwise it has answered the request.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) (Nonces, bool) {
	st := h.sigSetup()
	if st.verifier == nil {
		if st.required {
			h.logger().LogAttrs(r.Context(), slog.LevelError,
				"vobizhook: RequireSignatures is set but no AuthToken, AuthTokens, ParentAuthToken or ParentAuthTokens; answering 500")
			writePlain(w, http.StatusInternalServerError, "vobizhook: server misconfigured")
			return Nonces{}, false
		}
		if !st.warnedOff.Load() && st.warnedOff.CompareAndSwap(false, true) {
			h.logger().LogAttrs(r.Context(), slog.LevelWarn,
				"vobizhook: signature verification is off (no AuthToken): unsigned callbacks are accepted")
		}
		return Nonces{}, true
	}
	nonces, err := st.verifier.Verify(r)
	switch {
	case err == nil:
		return nonces, true
	case errors.Is(err, ErrInvalidCallbackURL) || errors.Is(err, ErrNoAuthToken):
		h.logger().LogAttrs(r.Context(), slog.LevelError,
			"vobizhook: signature verification is misconfigured; answering 500",
			slog.Any("error", err))
		writePlain(w, http.StatusInternalServerError, "vobizhook: server misconfigured")
	default:
		h.refuse(w, r, err)
	}
	return Nonces{}, false
}

// dispatchOnce claims the nonces of a verified request and dispatches it
// only if they were free. A request already handled is acknowledged; one
// being handled right now is answered 503, so that Vobiz retries and learns
// the outcome of the first delivery. When the callback succeeds the nonces
// are completed, remembered for the replay window; when it fails (error,
// panic, or http.ErrAbortHandler), they are released so that Vobiz's retry
// is dispatched.
func (h *Handler) dispatchOnce(w http.ResponseWriter, r *http.Request, ev ConferenceEvent, nonces Nonces) {
	st := &h.sig
	ctx := r.Context()
	state, err := nonces.Claim(ctx, st.store, DefaultNonceLease)
	if err != nil {
		h.logger().LogAttrs(ctx, slog.LevelError,
			"vobizhook: nonce store failed; answering 503 so Vobiz retries",
			slog.String("action", string(ev.Action)),
			slog.String("call_uuid", ev.CallUUID),
			slog.Any("error", err))
		writePlain(w, http.StatusServiceUnavailable, "vobizhook: replay check unavailable, retry later")
		return
	}
	switch state {
	case NonceNew:
	case NonceDone:
		h.debug(ctx, "vobizhook: nonce already handled (a retry or a replay); acknowledged, not dispatched", ev)
		ack(w)
		return
	default:
		h.logger().LogAttrs(ctx, slog.LevelInfo,
			"vobizhook: the same callback is in progress; answering 503 so Vobiz retries",
			slog.String("action", string(ev.Action)),
			slog.String("call_uuid", ev.CallUUID))
		w.Header().Set("Retry-After", "1")
		writePlain(w, http.StatusServiceUnavailable, "vobizhook: in progress, retry later")
		return
	}
	handled := false
	defer func() {
		// Also runs when a callback aborts with http.ErrAbortHandler.
		bg := context.WithoutCancel(ctx)
		if handled {
			if err := nonces.Complete(bg, st.store, st.window); err != nil {
				h.logger().LogAttrs(ctx, slog.LevelError,
					"vobizhook: recording a handled nonce failed; a replay after the lease may be dispatched again",
					slog.String("call_uuid", ev.CallUUID),
					slog.Any("error", err))
			}
			return
		}
		if err := nonces.Release(bg, st.store); err != nil {
			h.logger().LogAttrs(ctx, slog.LevelError,
				"vobizhook: releasing the nonce of a failed callback failed; retries are answered 503 until the lease ends",
				slog.String("call_uuid", ev.CallUUID),
				slog.Any("error", err))
		}
	}()
	handled = h.dispatch(w, r, ev)
}

// publicReason is the body of a refusal. A signature refusal gets the bare
// sentinel: its detail (the header at fault, the URL tried, the proxy hint)
// would tell an unauthenticated caller about the configuration, so it goes
// to the Warn log only. Other refusals name the parameter at fault.
func publicReason(err error) string {
	switch {
	case errors.Is(err, ErrMissingSignature):
		return ErrMissingSignature.Error()
	case errors.Is(err, ErrInvalidSignature):
		return ErrInvalidSignature.Error()
	}
	return err.Error()
}
