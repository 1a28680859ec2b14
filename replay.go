package vobizhook

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// verify checks the request's signature before anything reads the body. It
// returns the nonces to claim and true when the request may proceed;
// otherwise it has answered the request, as res says.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) (Nonces, result, bool) {
	if h.Verifier == nil {
		if !h.warnedOff.Load() && h.warnedOff.CompareAndSwap(false, true) {
			h.logger().LogAttrs(r.Context(), slog.LevelWarn,
				"vobizhook: signature verification is off (no Verifier): unsigned callbacks are accepted")
		}
		return Nonces{}, result{}, true
	}
	nonces, err := h.Verifier.Verify(r)
	if err != nil {
		return Nonces{}, h.refuse(w, r, err), false
	}
	return nonces, result{}, true
}

// nonceStore returns NonceStore, or the Handler's own in-memory store.
func (h *Handler) nonceStore() NonceStore {
	h.once.Do(func() {
		h.nonces = h.NonceStore
		if h.nonces == nil {
			h.nonces = NewMemoryNonceStore(0)
		}
	})
	return h.nonces
}

func (h *Handler) replayWindow() time.Duration {
	if h.ReplayWindow > 0 {
		return h.ReplayWindow
	}
	return DefaultReplayWindow
}

// dispatchOnce claims the nonces of a verified request and dispatches it
// only if they were free. A request already handled is acknowledged; one
// being handled right now is answered 503, so that Vobiz retries and learns
// the outcome of the first delivery (a waitSound fetch or a <Conference
// action> request gets its answer in both cases, see answerDuplicate). When the callback succeeds the claim is
// completed, remembered for the replay window; when it fails (error, panic,
// a 5xx answer, or http.ErrAbortHandler), it is released so that Vobiz's
// retry is dispatched.
func (h *Handler) dispatchOnce(w http.ResponseWriter, r *http.Request, ev *ConferenceEvent, nonces Nonces) (res result) {
	ctx := r.Context()
	store := h.nonceStore()
	claim, err := nonces.Claim(ctx, store, h.NonceLease)
	if err != nil {
		h.logger().LogAttrs(ctx, slog.LevelError,
			"vobizhook: nonce store failed; answering 503 so Vobiz retries",
			slog.String("action", string(ev.Action)),
			slog.String("call_uuid", ev.CallUUID),
			slog.Any("error", err))
		writePlain(w, http.StatusServiceUnavailable, "vobizhook: replay check unavailable, retry later")
		return result{kind: OutcomeUnavailable, status: http.StatusServiceUnavailable, err: err}
	}
	switch {
	case claim.State == NonceNew:
	case claim.State == NonceDone, ev.Action == ActionWaitSound, ev.Action == ActionLeave:
		// A copy of a fetch that expects XML gets its answer even while
		// the first is still being handled: a 503 there would leave the
		// call without hold music or without the rest of its flow.
		return h.answerDuplicate(w, r, ev)
	default:
		h.logger().LogAttrs(ctx, slog.LevelInfo,
			"vobizhook: the same callback is in progress; answering 503 so Vobiz retries",
			slog.String("action", string(ev.Action)),
			slog.String("call_uuid", ev.CallUUID))
		w.Header().Set("Retry-After", "1")
		writePlain(w, http.StatusServiceUnavailable, "vobizhook: in progress, retry later")
		return result{kind: OutcomeInProgress, status: http.StatusServiceUnavailable, err: errInProgress}
	}
	res.status = http.StatusInternalServerError // until dispatch returns: a panic releases
	defer func() {
		// Also runs when a func aborts with http.ErrAbortHandler. The
		// in-memory store ignores the context, so it gets ctx as it is
		// rather than a copy made on the heap.
		bg := ctx
		if !claim.local() {
			bg = context.WithoutCancel(ctx)
		}
		if res.status < 500 {
			if err := claim.Complete(bg, h.replayWindow()); err != nil {
				h.logger().LogAttrs(ctx, slog.LevelError,
					"vobizhook: recording a handled nonce failed; a replay after the lease may be dispatched again",
					slog.String("call_uuid", ev.CallUUID),
					slog.Any("error", err))
			}
			return
		}
		if err := claim.Release(bg); err != nil {
			h.logger().LogAttrs(ctx, slog.LevelError,
				"vobizhook: releasing the nonce of a failed callback failed; retries are answered 503 until the lease ends",
				slog.String("call_uuid", ev.CallUUID),
				slog.Any("error", err))
		}
	}()
	return h.dispatch(w, r, ev)
}

// answerDuplicate answers a copy of a request already handled or being
// handled: with the
// same answer for a fetch that expects XML (waitSound, the <Conference
// action> request), with the empty <Response> otherwise. Nothing is
// dispatched, except OnLeave, which computes its answer.
func (h *Handler) answerDuplicate(w http.ResponseWriter, r *http.Request, ev *ConferenceEvent) result {
	h.debug(r.Context(), "vobizhook: nonce already handled (a retry or a replay); acknowledged, not dispatched", ev)
	switch ev.Action {
	case ActionWaitSound:
		res := h.answerWith(w, r, ev, h.WaitSound, OutcomeDuplicate, "Handler.WaitSound")
		return res
	case ActionLeave:
		res := h.answerLeave(w, r, ev)
		if res.kind == OutcomeHandled || res.kind == OutcomeAcknowledged {
			res.kind = OutcomeDuplicate
		}
		return res
	}
	ack(w)
	return result{kind: OutcomeDuplicate, status: http.StatusOK}
}
