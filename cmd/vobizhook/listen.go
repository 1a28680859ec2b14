package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
)

// listenConfig is what listen serves.
type listenConfig struct {
	path        string
	authToken   string
	callbackURL string
	tracker     *track.Tracker // demo's; nil calls the funcs directly
}

// inspector is listen's server: a vobizhook.Handler whose OnOutcome prints
// every request it answers, behind a router that prints the requests for
// other paths, with the counts for the summaries.
type inspector struct {
	handler *vobizhook.Handler
	mux     *http.ServeMux
	p       *printer
	tally   tally
}

// inbound is what the inspector knows of one request beyond its Outcome:
// where it came from and the funcs it ran. It travels in the request's context; the funcs and OnOutcome of
// a request run on its goroutine, one after the other.
type inbound struct {
	method, path, remote string
	steps                []vobizhook.Action // the funcs that ran, in order
}

type inboundKey struct{}

// inboundFrom returns the inbound of the request whose context is ctx, or
// nil.
func inboundFrom(ctx context.Context) *inbound {
	in, _ := ctx.Value(inboundKey{}).(*inbound)
	return in
}

func newInspector(cfg listenConfig, p *printer) *inspector {
	in := &inspector{p: p}
	p.steps = cfg.tracker != nil
	fn := in.record
	in.handler = &vobizhook.Handler{
		OnEnter: fn, OnExit: fn, OnStart: fn, OnEnd: fn, OnOther: fn,
		OnLeave: func(ctx context.Context, ev vobizhook.ConferenceEvent) (http.Handler, error) {
			return nil, fn(ctx, ev)
		},
		OnOutcome: in.onOutcome,
		// Everything worth saying arrives through OnOutcome.
		Logger: slog.New(slog.DiscardHandler),
	}
	if cfg.tracker != nil {
		in.handler.Tracker = cfg.tracker
	}
	if cfg.authToken != "" {
		in.handler.Verifier = &vobizhook.Verifier{AuthTokens: []string{cfg.authToken}, CallbackURL: cfg.callbackURL}
	}
	in.mux = http.NewServeMux()
	in.mux.HandleFunc(cfg.path, in.serveCallback)
	if cfg.path != "/" {
		in.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			in.tally.add(vobizhook.OutcomeRefused)
			p.notFound(newInbound(r), cfg.path)
			http.NotFound(w, r)
		})
	}
	return in
}

func newInbound(r *http.Request) *inbound {
	return &inbound{method: r.Method, path: r.URL.Path, remote: r.RemoteAddr}
}

// serveCallback serves the callback path: the Handler, with the request's
// inbound in its context.
func (in *inspector) serveCallback(w http.ResponseWriter, r *http.Request) {
	ib := newInbound(r)
	in.handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), inboundKey{}, ib)))
}

// record is the func of every action: it notes the step.
func (in *inspector) record(ctx context.Context, ev vobizhook.ConferenceEvent) error {
	if ib := inboundFrom(ctx); ib != nil {
		ib.steps = append(ib.steps, ev.Action)
	}
	in.tally.step(ev.Action)
	return nil
}

func (in *inspector) onOutcome(ctx context.Context, o vobizhook.Outcome) {
	in.tally.add(o.Kind)
	in.p.outcome(o, inboundFrom(ctx))
}

// tally counts what the inspector answered, for the summaries.
type tally struct {
	mu       sync.Mutex
	requests int
	outcomes map[vobizhook.OutcomeKind]int
	steps    map[vobizhook.Action]int
}

func (t *tally) add(k vobizhook.OutcomeKind) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	if t.outcomes == nil {
		t.outcomes = map[vobizhook.OutcomeKind]int{}
	}
	t.outcomes[k]++
}

func (t *tally) step(a vobizhook.Action) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.steps == nil {
		t.steps = map[vobizhook.Action]int{}
	}
	t.steps[a]++
}

// counts returns a copy of the outcome and step counts.
func (t *tally) counts() (map[vobizhook.OutcomeKind]int, map[vobizhook.Action]int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.outcomes), maps.Clone(t.steps)
}

// outcomeOrder is the order of the kinds in a summary.
var outcomeOrder = []vobizhook.OutcomeKind{
	vobizhook.OutcomeHandled, vobizhook.OutcomeAcknowledged, vobizhook.OutcomeDuplicate,
	vobizhook.OutcomeInProgress, vobizhook.OutcomeRefused, vobizhook.OutcomeFailed,
	vobizhook.OutcomeUnavailable, vobizhook.OutcomeMisconfigured,
}

// String sums up: "6 requests: handled 1, duplicate 1, refused 4".
func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	for _, k := range outcomeOrder {
		if n := t.outcomes[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	s := plural(t.requests, "request")
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
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
		"Runs a vobizhook.Handler and prints one line per request on stdout (a JSON\n"+
			"object with -json): each callback and how it was answered, each refused\n"+
			"request with the reason.\n"+
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
	fmt.Fprintf(stderr, "vobizhook listen: stopped after %s\n", &in.tally)
	return exitOK
}

// verificationState describes the signature check, without the token or
// a password.
func verificationState(cfg listenConfig) string {
	switch {
	case cfg.authToken == "":
		return "signatures not checked: no auth token"
	case cfg.callbackURL == "":
		return "signatures required, for the URL each request was sent to"
	}
	// Without its user info (a password, with callback authentication)
	// and its query; validated by the flag's check.
	base, err := vobizhook.BaseURL(cfg.callbackURL)
	if err != nil {
		base = "-callback-url"
	}
	return "signatures required, for " + base
}
