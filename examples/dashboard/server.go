// The server: the callback route (a vobizhook.Handler feeding a
// track.Tracker), the page, its event stream and its JSON, with the
// timeouts each needs. main's run and the tests build it the same way.

package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
)

// newHandler returns the Handler of the callback route, feeding tracker.
// With a token it checks Vobiz's signatures, for callbackURL when set (the
// public URL behind a proxy), else for the URL the request reached.
func newHandler(tracker *track.Tracker, logger *slog.Logger, token, callbackURL string) *vobizhook.Handler {
	h := &vobizhook.Handler{Tracker: tracker, Logger: logger}
	if token != "" {
		h.Verifier = &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callbackURL}
	}
	return h
}

// newServer builds the server with timeouts suited to callbacks and pages.
// The event stream, which outlives them, manages its own deadlines, and is
// ended by Shutdown through RegisterOnShutdown.
func newServer(tracker *track.Tracker, handler *vobizhook.Handler, path string) *http.Server {
	streams := &eventStream{tracker: tracker, heartbeat: 15 * time.Second, writeWindow: 10 * time.Second, done: make(chan struct{})}
	srv := &http.Server{
		Handler:           newMux(tracker, handler, path, streams),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	srv.RegisterOnShutdown(streams.close)
	return srv
}

// newMux routes the callbacks (path), the page (/), its event stream
// (/events) and the JSON of every conference (/api/conferences).
func newMux(tracker *track.Tracker, handler *vobizhook.Handler, path string, streams *eventStream) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle(path, handler)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
		w.Write(indexHTML)
	})
	mux.HandleFunc("GET /api/conferences", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		all, err := tracker.Conferences(r.Context())
		if err != nil {
			http.Error(w, "tracker unavailable", http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(all)
	})
	mux.Handle("GET /events", streams)
	return mux
}

// sweep lets ended rooms leave the page even when callbacks stop coming.
func sweep(ctx context.Context, tracker *track.Tracker) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tracker.Sweep(ctx)
		}
	}
}
