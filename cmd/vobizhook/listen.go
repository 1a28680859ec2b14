package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vobizhook/vobizhook"
)

// listenConfig is what listen serves.
type listenConfig struct {
	path        string
	authToken   string
	callbackURL string
}

// inspector is a vobizhook.Handler that prints what it receives, with
// counters for demo's summary.
type inspector struct {
	handler    *vobizhook.Handler
	mux        *http.ServeMux
	dispatched atomic.Int64
}

func newInspector(cfg listenConfig, p *printer) *inspector {
	in := &inspector{}
	print := func(_ context.Context, ev vobizhook.ConferenceEvent) error {
		in.dispatched.Add(1)
		p.event(ev)
		return nil
	}
	in.handler = &vobizhook.Handler{
		OnEnter: print,
		OnExit:  print,
		OnStart: print,
		OnEnd:   print,
		OnOther: print,
		Logger:  slog.New(&logSink{p: p}),
	}
	if cfg.authToken != "" {
		in.handler.Verifier = &vobizhook.Verifier{AuthTokens: []string{cfg.authToken}, CallbackURL: cfg.callbackURL}
	}
	in.mux = http.NewServeMux()
	in.mux.Handle(cfg.path, in.handler)
	if cfg.path != "/" {
		in.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			p.refused(http.StatusNotFound, "not the callback path "+cfg.path, r.Method, r.URL.Path, r.RemoteAddr)
			http.NotFound(w, r)
		})
	}
	return in
}

// newServer returns the http.Server for h, with timeouts: Vobiz wants an
// answer within 3 seconds, and a stalled client must not hold a connection.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
}

// serveUntilDone serves srv on ln until ctx is done, then shuts it down,
// giving in-flight requests a few seconds.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}

func runListen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("listen", "[flags]",
		"Runs a vobizhook.Handler and prints one line per callback (or a JSON object\n"+
			"with -json) and one line per refused request with the reason, on stdout.\n"+
			"Status messages go to stderr. Stop it with Ctrl-C.", stdout, stderr)
	addr := f.String("addr", "127.0.0.1:8080", "listen `address`")
	path := f.String("path", "/conference-events", "callback `path` to serve")
	token := f.authToken("Vobiz Auth `token`: require signed callbacks")
	callbackURL := f.String("callback-url", "", "public callback `URL` Vobiz signs, when behind a proxy or tunnel")
	jsonLines := f.Bool("json", false, "print JSON lines instead of text")
	f.check(func() error {
		if !strings.HasPrefix(*path, "/") {
			return fmt.Errorf("-path %q: want a path starting with /", *path)
		}
		if *callbackURL != "" {
			if _, err := vobizhook.BaseURL(*callbackURL); err != nil {
				return fmt.Errorf("-callback-url: %w", err)
			}
		}
		return nil
	})
	if code := f.parse(args, ""); code >= 0 {
		return code
	}
	cfg := listenConfig{path: *path, authToken: *token, callbackURL: *callbackURL}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "vobizhook listen: %v\n", err)
		return exitFailure
	}
	in := newInspector(cfg, newPrinter(stdout, *jsonLines))
	fmt.Fprintf(stderr, "vobizhook listen: serving http://%s%s (%s); Ctrl-C to stop\n", ln.Addr(), cfg.path, verificationState(cfg))
	if err := serveUntilDone(ctx, newServer(in.mux), ln); err != nil {
		fmt.Fprintf(stderr, "vobizhook listen: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stderr, "vobizhook listen: stopped after %d callbacks\n", in.dispatched.Load())
	return exitOK
}

// verificationState describes the signature check, without the token.
func verificationState(cfg listenConfig) string {
	switch {
	case cfg.authToken == "":
		return "signatures not checked: no auth token"
	case cfg.callbackURL == "":
		return "signatures required, for the URL each request was sent to"
	default:
		return "signatures required, for " + cfg.callbackURL
	}
}
