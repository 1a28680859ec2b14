// Command dashboard is a live view of Vobiz conferences: it mounts a
// vobizhook.Handler with a vobizhook.Tracker at the callbackUrl route and
// serves a page that shows rooms and members as they change, fed by
// server-sent events. It is its own module (its browser test needs chromedp,
// which the library never pulls in); from the repository's root:
//
//	cd examples/dashboard && go run . -addr 127.0.0.1:8080 -demo
//
// Point <Conference callbackUrl="https://your.host/vobiz/conference"> at it
// (through a TLS-terminating proxy), or run it with -demo to watch simulated
// rooms. Set VOBIZ_AUTH_TOKEN (and -callback-url behind a proxy) to have
// callbacks' signatures checked; -demo then signs its callbacks with that
// token for that URL, as Vobiz would, and logs any callback refused. With
// -redis redis://host:6379/0, the conferences and the replay protection live
// in Redis (package redisstore): run several dashboards on one Redis, feed
// any of them, and every page shows the same rooms live. Routes:
//
//	GET|POST /vobiz/conference  Vobiz callbacks (the Handler)
//	GET /                       the page
//	GET /events                 server-sent events: "snapshot", then "change"
//	GET /api/conferences        the current snapshot as JSON
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vobizhook/vobizhook/track"
)

//go:embed index.html
var indexHTML []byte

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	path := flag.String("path", "/vobiz/conference", "route of the callbackUrl")
	callbackURL := flag.String("callback-url", "", "public callbackUrl as configured on <Conference>, for signature checks behind a proxy")
	demo := flag.Bool("demo", false, "post simulated conference callbacks to this server")
	redisURL := flag.String("redis", "", "Redis `URL` (redis://[user:pass@]host:port/db) to share the state with other dashboards; empty keeps it in memory")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, logger, *addr, *path, *callbackURL, *redisURL, *demo); err != nil {
		logger.Error("dashboard", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, logger *slog.Logger, addr, path, callbackURL, redisURL string, demo bool) error {
	tracker := &track.Tracker{}
	token := os.Getenv("VOBIZ_AUTH_TOKEN")
	handler := newHandler(tracker, logger, token, callbackURL)
	if redisURL != "" {
		s, closeRedis, err := openRedis(ctx, redisURL, logger)
		if err != nil {
			return err
		}
		defer closeRedis()
		tracker.Store, handler.NonceStore = s.Conferences(), s.Nonces()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := newServer(tracker, handler, path)
	logger.Info("dashboard listening", "url", "http://"+ln.Addr().String()+"/", "callback_path", path)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if demo {
		d := &simulator{
			target:      "http://" + ln.Addr().String() + path,
			callbackURL: callbackURL,
			authToken:   token,
			interval:    700 * time.Millisecond,
			logger:      logger,
			client:      &http.Client{Timeout: 3 * time.Second},
		}
		go d.run(ctx)
	}
	go sweep(ctx, tracker)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
