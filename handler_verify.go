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
// only if they were not claimed already. If the callback fails, the claim is
// released so that Vobiz's retry is dispatched.
func (h *Handler) dispatchOnce(w http.ResponseWriter, r *http.Request, ev ConferenceEvent, nonces Nonces) {
	st := &h.sig
	ctx := r.Context()
	claimed, err := nonces.Claim(ctx, st.store, st.window)
	if err != nil {
		h.logger().LogAttrs(ctx, slog.LevelError,
			"vobizhook: nonce store failed; answering 503 so Vobiz retries",
			slog.String("action", string(ev.Action)),
			slog.String("call_uuid", ev.CallUUID),
			slog.Any("error", err))
		writePlain(w, http.StatusServiceUnavailable, "vobizhook: replay check unavailable, retry later")
		return
	}
	if !claimed {
		h.debug(ctx, "vobizhook: nonce already handled (a retry or a replay); acknowledged, not dispatched", ev)
		ack(w)
		return
	}
	handled := false
	defer func() {
		// Also runs when a callback aborts with http.ErrAbortHandler.
		if handled {
			return
		}
		if err := nonces.Release(context.WithoutCancel(ctx), st.store); err != nil {
			h.logger().LogAttrs(ctx, slog.LevelError,
				"vobizhook: releasing the nonce of a failed callback failed; a retry may be acknowledged without dispatch",
				slog.String("call_uuid", ev.CallUUID),
				slog.Any("error", err))
		}
	}()
	handled = h.dispatch(w, r, ev)
}
