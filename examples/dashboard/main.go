// Command dashboard is a live view of Vobiz conferences: it mounts a
// vobizhook.Handler with a vobizhook.Tracker at the callbackUrl route and
// serves a page that shows rooms and members as they change, fed by
// server-sent events.
//
//	go run ./examples/dashboard -addr 127.0.0.1:8080 -demo
//
// Point <Conference callbackUrl="https://your.host/vobiz/conference"> at it
// (through a TLS-terminating proxy), or run it with -demo to watch simulated
// rooms. Set VOBIZ_AUTH_TOKEN (and -callback-url behind a proxy) to have
// callbacks' signatures checked; -demo then signs its callbacks with that
// token for that URL, as Vobiz would, and logs any callback refused. Routes:
//
//	GET|POST /vobiz/conference  Vobiz callbacks (the Handler)
//	GET /                       the page
//	GET /events                 server-sent events: "snapshot", then "change"
//	GET /api/conferences        the current snapshot as JSON
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

//go:embed index.html
var indexHTML []byte

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	path := flag.String("path", "/vobiz/conference", "route of the callbackUrl")
	callbackURL := flag.String("callback-url", "", "public callbackUrl as configured on <Conference>, for signature checks behind a proxy")
	demo := flag.Bool("demo", false, "post simulated conference callbacks to this server")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, logger, *addr, *path, *callbackURL, *demo); err != nil {
		logger.Error("dashboard", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, logger *slog.Logger, addr, path, callbackURL string, demo bool) error {
	tracker := &track.Tracker{}
	handler := &vobizhook.Handler{
		Tracker: tracker,
		Logger:  logger,
	}
	token := os.Getenv("VOBIZ_AUTH_TOKEN")
	if token != "" {
		handler.Verifier = &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callbackURL}
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

// eventStream serves the tracker's changes as server-sent events: a
// "snapshot" event with every conference, then one "change" event per
// change with the conference's new state (null once removed). A subscriber
// that fell behind gets a fresh snapshot instead.
type eventStream struct {
	tracker     *track.Tracker
	heartbeat   time.Duration // comment line sent when idle, to keep proxies and deadlines happy
	writeWindow time.Duration // deadline for each write
	once        sync.Once
	done        chan struct{} // closed at shutdown
}

func (s *eventStream) close() { s.once.Do(func() { close(s.done) }) }

type changeEvent struct {
	Change     track.Change    `json:"change"`
	Conference *track.Snapshot `json:"conference"`
}

func (s *eventStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The server's WriteTimeout would cut the stream: each write extends
	// the deadline. (Its ReadTimeout does not matter here: net/http lifts
	// the read deadline once the request has been read.)
	rc := http.NewResponseController(w)
	changes, cancel := s.tracker.Subscribe(256)
	defer cancel()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	write := func(event string, v any) error {
		if err := rc.SetWriteDeadline(time.Now().Add(s.writeWindow)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		if event != "" {
			data, err := json.Marshal(v)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data); err != nil {
				return err
			}
		} else if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
			return err
		}
		return rc.Flush()
	}

	snapshot := func() error {
		all, err := s.tracker.Conferences(r.Context())
		if err != nil {
			return err
		}
		return write("snapshot", all)
	}
	if snapshot() != nil {
		return
	}
	tick := time.NewTicker(s.heartbeat)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-tick.C:
			err = write("", nil)
		case ch, ok := <-changes:
			if !ok {
				return
			}
			if ch.Dropped > 0 {
				err = snapshot()
				break
			}
			ev := changeEvent{Change: ch}
			if c, ok, cerr := s.tracker.Conference(r.Context(), ch.ConferenceUUID); cerr == nil && ok {
				ev.Conference = &c
			}
			err = write("change", ev)
		}
		if err != nil {
			return
		}
	}
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

// simulator drives the dashboard with simulated rooms: conferences generated by
// the test kit (live style: enter and exit only, as Vobiz sends today),
// signed as Vobiz would sign them when a token is set, and posted to the
// server one callback per interval.
type simulator struct {
	target      string // where to post: this server's callback route
	callbackURL string // the URL the Handler checks signatures against; empty means target
	authToken   string // the Handler's token; empty sends unsigned callbacks
	interval    time.Duration
	logger      *slog.Logger
	client      *http.Client
}

// run posts callbacks until ctx ends. Each of a few rooms holds one
// conference at a time; when a conference's callbacks are all sent, the
// room starts a new one (a new ConferenceUUID).
func (d *simulator) run(ctx context.Context) {
	rooms := []string{"standup", "sales", "support"}
	pending := make([][]*http.Request, len(rooms))
	tick := time.NewTicker(d.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		i := rand.IntN(len(rooms))
		if len(pending[i]) == 0 {
			reqs, err := d.conference(rooms[i])
			if err != nil {
				d.logger.Error("demo: generating a conference", "error", err)
				return
			}
			pending[i] = reqs
		}
		r := pending[i][0]
		pending[i] = pending[i][1:]
		d.send(ctx, r)
	}
}

// conference returns the callbacks of a new conference in room, in order.
func (d *simulator) conference(room string) ([]*http.Request, error) {
	signFor := d.callbackURL
	if signFor == "" {
		signFor = d.target
	}
	sc := vobizhooktest.Scenario{Room: room, Participants: 2 + rand.IntN(5), Seed: rand.Int64()}
	return sc.Requests(vobizhooktest.WithURL(signFor), vobizhooktest.WithAuthToken(d.authToken))
}

// send posts r to the target and logs any answer but 2xx. A 503 (the
// tracker is full, or the same delivery is still being handled) is retried
// a few times with backoff, as Vobiz would.
func (d *simulator) send(ctx context.Context, r *http.Request) {
	target, err := url.Parse(d.target)
	if err != nil {
		d.logger.Error("demo: target URL", "error", err)
		return
	}
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		req, err := vobizhooktest.ClientRequest(r)
		if err != nil {
			d.logger.Error("demo: building the request", "error", err)
			return
		}
		req = req.WithContext(ctx)
		req.URL, req.Host = target, target.Host // signed for callbackURL, sent here
		resp, err := d.client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				d.logger.Warn("demo: posting callback", "error", err)
			}
			return
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		switch {
		case resp.StatusCode/100 == 2:
			return
		case resp.StatusCode == http.StatusServiceUnavailable && attempt < 4:
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff *= 2
			continue
		}
		d.logger.Warn("demo: callback refused", "status", resp.StatusCode, "attempts", attempt,
			"answer", strings.TrimSpace(string(body)))
		return
	}
}
