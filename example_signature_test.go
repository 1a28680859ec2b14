package vobizhook_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/vobizhook/vobizhook"
)

// newCallback builds the request a server behind a TLS-terminating proxy
// receives: its own private URL, not the public one Vobiz signed.
func newCallback() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://10.0.0.5:8080/conference-events",
		strings.NewReader("ConferenceAction=enter&ConferenceName=sales&ConferenceMemberID=249&CallUUID=c1"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// A Handler with a Verifier accepts only callbacks signed for
// that URL, and dispatches each signed callback once: a retry or a replay of
// a handled one is acknowledged without calling OnEnter again.
func ExampleSigner() {
	const token = "your-vobiz-auth-token"
	const public = "https://app.example/conference-events" // the callbackUrl on <Conference>

	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: public},
		Logger:   slog.New(slog.DiscardHandler),
		OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			fmt.Println("entered:", ev.ConferenceName, ev.MemberID)
			return nil
		},
	}
	signer := vobizhook.Signer{AuthToken: token, CallbackURL: public, Nonce: "05429567804466091622"}
	serve := func(label string, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Println(label, rec.Code)
	}

	r := newCallback()
	if err := signer.Sign(r); err != nil {
		panic(err)
	}
	serve("signed:", r)

	r = newCallback()
	signer.Sign(r) // the same nonce again
	serve("replayed:", r)

	r = newCallback()
	vobizhook.SignRequest(r, public, "a guessed token")
	serve("forged:", r)

	serve("unsigned:", newCallback())
	// Output:
	// entered: sales 249
	// signed: 200
	// replayed: 200
	// forged: 403
	// unsigned: 403
}

// Verify callbacks in a handler of your own with a Verifier and a
// NonceStore, as Handler does: claim the nonces before acting, complete the
// claim when the callback succeeded, release it when it failed.
func ExampleVerifier() {
	v := &vobizhook.Verifier{
		AuthTokens:  []string{"new-token", "old-token"}, // rotation: both accepted
		CallbackURL: "https://app.example/conference-events",
	}
	store := vobizhook.NewMemoryNonceStore(0)
	handle := func(ev vobizhook.ConferenceEvent) error {
		fmt.Println("handling", ev.Action, "of member", ev.MemberID)
		return nil
	}
	signer := vobizhook.Signer{AuthToken: "old-token", CallbackURL: "https://app.example/conference-events", Nonce: "05429567804466091622"}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /conference-events", func(w http.ResponseWriter, r *http.Request) {
		nonces, err := v.Verify(r) // before reading the body
		if errors.Is(err, vobizhook.ErrMissingSignature) || errors.Is(err, vobizhook.ErrInvalidSignature) {
			// Log err (it names the header at fault and the URL tried),
			// but do not tell the caller.
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		} else if err != nil {
			http.Error(w, "misconfigured", http.StatusInternalServerError)
			return
		}
		ev, err := vobizhook.ParseConferenceEvent(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		claim, err := nonces.Claim(r.Context(), store, time.Minute)
		switch {
		case err != nil:
			http.Error(w, "retry later", http.StatusServiceUnavailable)
			return
		case claim.State == vobizhook.NonceDone: // a retry or a replay
			return // 200
		case claim.State == vobizhook.NonceInProgress: // the same callback, still running
			w.Header().Set("Retry-After", "1")
			http.Error(w, "in progress, retry later", http.StatusServiceUnavailable)
			return
		}
		if err := handle(ev); err != nil {
			claim.Release(r.Context()) // so that Vobiz's retry is handled
			http.Error(w, "failed", http.StatusInternalServerError)
			return
		}
		claim.Complete(r.Context(), 24*time.Hour)
	})

	for range 2 { // the same signed request twice
		r := newCallback()
		signer.Sign(r)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		fmt.Println(rec.Code)
	}
	// Output:
	// handling enter of member 249
	// 200
	// 200
}
