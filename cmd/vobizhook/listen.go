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
	"slices"
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
	forward     *forwarder     // -forward-to; nil forwards nothing
	tracker     *track.Tracker // demo's; nil calls the funcs directly
}

// inspector is listen's server: a vobizhook.Handler whose OnOutcome prints
// every request it answers, behind a router that prints the requests for
// other paths, with the counts for the summaries. With a forwarder, the
// Handler's funcs relay each callback to the app.
type inspector struct {
	handler *vobizhook.Handler
	mux     *http.ServeMux
	p       *printer
	fwd     *forwarder
	tally   tally
}

// inbound is what the inspector knows of one request beyond its Outcome:
// where it came from, the funcs it ran and, with -forward-to, what the app
// answered. It travels in the request's context; the funcs and OnOutcome of
// a request run on its goroutine, one after the other.
type inbound struct {
	method, path, remote string
	steps                []vobizhook.Action // the funcs that ran, in order
	relay                *relay             // -forward-to
}

type inboundKey struct{}

// inboundFrom returns the inbound of the request whose context is ctx, or
// nil.
func inboundFrom(ctx context.Context) *inbound {
	in, _ := ctx.Value(inboundKey{}).(*inbound)
	return in
}

// answered is the status the request was answered with: the app's when it
// was forwarded, else the Handler's.
func (in *inbound) answered(o vobizhook.Outcome) int {
	if in.relay != nil && in.relay.answer != nil {
		return in.relay.answer.status
	}
	return o.Status
}

func newInspector(cfg listenConfig, p *printer) *inspector {
	in := &inspector{p: p, fwd: cfg.forward}
	p.steps = cfg.tracker != nil
	fn := in.record
	if in.fwd != nil {
		fn = in.forwardCallback
	}
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
	if in.fwd != nil {
		// The app deduplicates; see forward.go.
		in.handler.NonceStore = relayNonces{seen: vobizhook.NewMemoryNonceStore(0)}
	}
	// The path is compared as it is, not registered as a ServeMux
	// pattern: -path /{tenant}/events is that literal path, not a
	// wildcard, and braces or spaces cannot make the mux panic.
	in.mux = http.NewServeMux()
	in.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == cfg.path {
			in.serveCallback(w, r)
			return
		}
		in.tally.add(vobizhook.OutcomeRefused, nil)
		p.notFound(newInbound(r), cfg.path)
		http.NotFound(w, r)
	})
	return in
}

func newInbound(r *http.Request) *inbound {
	return &inbound{method: r.Method, path: r.URL.Path, remote: r.RemoteAddr}
}

// serveCallback serves the callback path: the Handler, with the request's
// inbound in its context.
func (in *inspector) serveCallback(w http.ResponseWriter, r *http.Request) {
	ib := newInbound(r)
	r = r.WithContext(context.WithValue(r.Context(), inboundKey{}, ib))
	if in.fwd != nil {
		in.fwd.serve(w, r, ib, in)
		return
	}
	in.handler.ServeHTTP(w, r)
}

// record is the func of every action without -forward-to: it notes the step.
func (in *inspector) record(ctx context.Context, ev vobizhook.ConferenceEvent) error {
	if ib := inboundFrom(ctx); ib != nil {
		ib.steps = append(ib.steps, ev.Action)
	}
	in.tally.step(ev.Action)
	return nil
}

func (in *inspector) onOutcome(ctx context.Context, o vobizhook.Outcome) {
	ib := inboundFrom(ctx)
	var answer *appAnswer
	if ib != nil && ib.relay != nil {
		answer = ib.relay.answer
	}
	in.tally.add(o.Kind, answer)
	in.p.outcome(o, ib)
}

// tally counts what the inspector answered, for the summaries.
type tally struct {
	mu        sync.Mutex
	requests  int
	outcomes  map[vobizhook.OutcomeKind]int
	steps     map[vobizhook.Action]int
	forwarded map[int]int // answers Vobiz got for forwarded callbacks, by status
}

func (t *tally) add(k vobizhook.OutcomeKind, forwarded *appAnswer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	if t.outcomes == nil {
		t.outcomes = map[vobizhook.OutcomeKind]int{}
	}
	if forwarded != nil {
		if t.forwarded == nil {
			t.forwarded = map[int]int{}
		}
		t.forwarded[forwarded.status]++
		return
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

// String sums up: "6 requests: handled 1, duplicate 1, refused 4", with
// -forward-to "3 requests: forwarded 3 (200: 2, 502: 1)".
func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	if n := sumValues(t.forwarded); n > 0 {
		var by []string
		for _, status := range slices.Sorted(maps.Keys(t.forwarded)) {
			by = append(by, fmt.Sprintf("%d: %d", status, t.forwarded[status]))
		}
		parts = append(parts, fmt.Sprintf("forwarded %d (%s)", n, strings.Join(by, ", ")))
	}
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

func sumValues[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
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
			"request with the reason. With -forward-to, each verified callback is also\n"+
			"forwarded to your app, re-signed for its URL with the same token, and Vobiz\n"+
			"gets the app's answer (502 if it is unreachable, 504 if it is too slow); the\n"+
			"line shows the app's status and latency. Every delivery is forwarded, Vobiz's\n"+
			"retries and duplicates included, each copy with Vobiz's nonce, so that the\n"+
			"app's own Handler deduplicates them as it will in production.\n"+
			"Status messages go to stderr. Stop it with Ctrl-C.", stdout, stderr)
	addr := f.String("addr", "127.0.0.1:8080", "listen `address`")
	path := f.String("path", "/conference-events", "callback `path` to serve")
	token := f.authToken("Vobiz Auth `token`: require signed callbacks (and sign the forwarded ones)")
	callbackURL := f.String("callback-url", "", "public callback `URL` Vobiz signs, when behind a proxy or tunnel")
	jsonLines := f.Bool("json", false, "print JSON lines instead of text")
	forwardTo := f.String("forward-to", "", "forward each verified callback to the app at this `URL` and answer with its answer")
	forwardTimeout := f.Duration("forward-timeout", defaultForwardTimeout, "how long to wait for the app's answer before answering 504;\nkeep it under Vobiz's 3s")
	f.check(func() error {
		if !strings.HasPrefix(*path, "/") || strings.ContainsFunc(*path, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return fmt.Errorf("-path %q: want a path starting with /, without spaces or control characters", *path)
		}
		if *callbackURL != "" {
			if _, err := vobizhook.BaseURL(*callbackURL); err != nil {
				return fmt.Errorf("-callback-url: %w", err)
			}
		}
		if *forwardTo != "" {
			if _, err := vobizhook.BaseURL(*forwardTo); err != nil {
				return fmt.Errorf("-forward-to: %w", err)
			}
		}
		if *forwardTimeout <= 0 || *forwardTimeout > maxForwardTimeout {
			return fmt.Errorf("-forward-timeout %s: want more than 0 and at most %s", *forwardTimeout, maxForwardTimeout)
		}
		return nil
	})
	if code := f.parse(args, ""); code >= 0 {
		return code
	}
	cfg := listenConfig{path: *path, authToken: *token, callbackURL: *callbackURL}
	if *forwardTo != "" {
		cfg.forward = newForwarder(*forwardTo, *token, *forwardTimeout)
		defer cfg.forward.client.CloseIdleConnections()
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "vobizhook listen: %v\n", err)
		return exitFailure
	}
	in := newInspector(cfg, newPrinter(stdout, *jsonLines))
	fmt.Fprintf(stderr, "vobizhook listen: serving http://%s%s (%s); Ctrl-C to stop\n", ln.Addr(), cfg.path, verificationState(cfg))
	if cfg.forward != nil {
		fmt.Fprintf(stderr, "vobizhook listen: %s\n", cfg.forward.describe())
	}
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
