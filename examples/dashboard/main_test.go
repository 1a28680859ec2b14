package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
)

// The page loads nothing from elsewhere (no CDN, fonts or images), so it
// works offline; its Content-Security-Policy would block them anyway.
func TestPageIsSelfContained(t *testing.T) {
	tracker := &track.Tracker{}
	mux := newMux(tracker, &vobizhook.Handler{Tracker: tracker}, "/vobiz/conference", &eventStream{tracker: tracker, done: make(chan struct{})})
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Header().Get("Content-Security-Policy"), "default-src 'self'")
	page := w.Body.String()
	for _, u := range regexp.MustCompile(`(?i)\bhttps?://[^\s"'<>)]*`).FindAllString(page, -1) {
		assert.Equal(t, "http://www.w3.org/2000/svg", u, "the page names an outside address")
	}
	for _, s := range []string{"<link", "<img", "<iframe", " src=", "@import", "url(", "fetch(", "XMLHttpRequest"} {
		assert.NotContains(t, page, s)
	}
}

type sseEvent struct{ name, data string }

func readEvent(t *testing.T, r *bufio.Reader) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && ev.name != "":
			return ev
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func readChange(t *testing.T, r *bufio.Reader) changeEvent {
	t.Helper()
	ev := readEvent(t, r)
	require.Equal(t, "change", ev.name)
	var ch changeEvent
	require.NoError(t, json.Unmarshal([]byte(ev.data), &ch))
	return ch
}

func post(t *testing.T, u string, form url.Values) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestDashboard(t *testing.T) {
	tracker := &track.Tracker{}
	handler := &vobizhook.Handler{Tracker: tracker, Logger: slog.New(slog.DiscardHandler)}
	srv := newServer(tracker, handler, "/vobiz/conference")
	// Much shorter than the pause below: the stream must outlive them.
	srv.ReadTimeout, srv.WriteTimeout = 150*time.Millisecond, 150*time.Millisecond
	ts := httptest.NewUnstartedServer(srv.Handler)
	ts.Config = srv
	ts.Start()
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	stream := bufio.NewReader(resp.Body)
	first := readEvent(t, stream)
	assert.Equal(t, sseEvent{"snapshot", "[]"}, first)

	room := url.Values{"ConferenceUUID": {"u1"}, "ConferenceName": {"standup"}, "CallUUID": {"c1"}, "ConferenceMemberID": {"249"}}
	enter := url.Values{"ConferenceAction": {"enter"}, "From": {"918071387423"}, "ConferenceFirstMember": {"true"}}
	for k, v := range room {
		enter[k] = v
	}
	post(t, ts.URL+"/vobiz/conference", enter)
	post(t, ts.URL+"/vobiz/conference", enter) // a duplicate: no change
	assert.Equal(t, track.ChangeStarted, readChange(t, stream).Change.Kind)
	entered := readChange(t, stream)
	assert.Equal(t, track.ChangeEntered, entered.Change.Kind)
	require.NotNil(t, entered.Conference)
	require.Len(t, entered.Conference.Members(), 1)
	assert.Equal(t, "918071387423", entered.Conference.Members()[0].From)

	time.Sleep(400 * time.Millisecond) // past the server's read and write timeouts

	exit := url.Values{"ConferenceAction": {"exit"}, "ConferenceLastMember": {"true"}}
	for k, v := range room {
		exit[k] = v
	}
	post(t, ts.URL+"/vobiz/conference", exit)
	assert.Equal(t, track.ChangeExited, readChange(t, stream).Change.Kind, "the stream survived the timeouts")
	ended := readChange(t, stream)
	assert.Equal(t, track.ChangeEnded, ended.Change.Kind)
	require.NotNil(t, ended.Conference)
	assert.True(t, ended.Conference.Ended)
	assert.Equal(t, track.EndLastMember, ended.Conference.EndReason)

	page, err := http.Get(ts.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	assert.Contains(t, string(body), `new EventSource("/events")`)

	api, err := http.Get(ts.URL + "/api/conferences")
	require.NoError(t, err)
	var confs []track.Snapshot
	require.NoError(t, json.NewDecoder(api.Body).Decode(&confs))
	api.Body.Close()
	require.Len(t, confs, 1)
	assert.Equal(t, "standup", confs[0].Name)

	// Shutdown ends the stream instead of waiting for it.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	_, err = io.ReadAll(stream)
	assert.NoError(t, err, "the stream ends cleanly")
}

// stallingWriter blocks its second write (the first change after the
// snapshot) until gate is closed, like a slow client, and keeps each write
// (one server-sent event) apart.
type stallingWriter struct {
	header  http.Header
	gate    chan struct{} // the second write waits for it
	stalled chan struct{} // closed when the second write starts waiting
	wrote   chan struct{} // signalled after every write
	mu      sync.Mutex
	writes  int
	events  []string
}

func newStallingWriter() *stallingWriter {
	return &stallingWriter{header: http.Header{}, gate: make(chan struct{}), stalled: make(chan struct{}), wrote: make(chan struct{}, 1)}
}

func (w *stallingWriter) Header() http.Header { return w.header }
func (w *stallingWriter) WriteHeader(int)     {}
func (w *stallingWriter) Flush()              {}
func (w *stallingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	n := w.writes
	w.mu.Unlock()
	if n == 2 {
		close(w.stalled)
		<-w.gate
	}
	w.mu.Lock()
	w.events = append(w.events, string(p))
	w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

// waitFor waits, with a deadline far beyond any healthy run, until cond
// holds for the events written so far, and returns them.
func (w *stallingWriter) waitFor(t *testing.T, what string, cond func(events []sseEvent) bool) []sseEvent {
	t.Helper()
	deadline := time.After(time.Minute)
	var events []sseEvent
	for {
		w.mu.Lock()
		raw := w.events[len(events):len(w.events):len(w.events)]
		w.mu.Unlock()
		for _, e := range raw {
			events = append(events, readEvent(t, bufio.NewReader(strings.NewReader(e))))
		}
		if cond(events) {
			return events
		}
		select {
		case <-w.wrote:
		case <-deadline:
			t.Fatalf("waiting for %s: %d events written", what, len(events))
		}
	}
}

func TestEventStreamResyncsAfterDrops(t *testing.T) {
	const buf, members = 256, 600
	tracker := &track.Tracker{}
	s := &eventStream{tracker: tracker, heartbeat: time.Hour, writeWindow: time.Second, done: make(chan struct{})}
	w := newStallingWriter()
	finished := make(chan struct{})
	go func() {
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/events", nil))
		close(finished)
	}()
	defer func() { s.close(); <-finished }()
	apply := func(conf string, i int) {
		t.Helper()
		_, err := tracker.Apply(context.Background(), vobizhook.ConferenceEvent{
			Action: vobizhook.ActionEnter, ConferenceUUID: conf, CallUUID: fmt.Sprint("c", i), CurrentSize: -1,
		})
		require.NoError(t, err)
	}
	w.waitFor(t, "the first snapshot", func(evs []sseEvent) bool { return len(evs) == 1 })

	// The client stalls writing the first change; meanwhile far more changes
	// are made than its subscription buffers.
	apply("u", 0)
	select {
	case <-w.stalled:
	case <-time.After(time.Minute):
		t.Fatal("the stream never wrote the first change")
	}
	for i := 1; i < members; i++ {
		apply("u", i)
	}
	close(w.gate)
	// A change made once the client reads again: when it is out, the stream
	// has dealt with everything before it.
	apply("z", 0)
	events := w.waitFor(t, "the change after the drops", func(evs []sseEvent) bool {
		return len(evs) > 0 && strings.Contains(evs[len(evs)-1].data, `"conferenceUuid":"z","at"`) &&
			strings.Contains(evs[len(evs)-1].data, `"kind":"entered"`)
	})

	require.GreaterOrEqual(t, len(events), 3)
	assert.Equal(t, "snapshot", events[0].name)
	assert.Equal(t, "change", events[1].name, "the change the client stalled on")
	assert.Equal(t, "snapshot", events[2].name, "the loss is learned first, before any stale change")
	var resync []track.Snapshot
	require.NoError(t, json.Unmarshal([]byte(events[2].data), &resync))
	require.NotEmpty(t, resync)
	assert.Equal(t, "u", resync[0].UUID)
	assert.Equal(t, members, resync[0].Size(), "the fresh snapshot holds the current state")
	snapshots := 0
	for _, ev := range events {
		if ev.name == "snapshot" {
			snapshots++
		}
	}
	assert.Equal(t, 2, snapshots, "one overflow, one resync")
	assert.Less(t, len(events)-3, buf, "what follows the resync is at most a buffer of newer changes")
}

// logSink is a slog.Handler that keeps the records at Warn and above.
type logSink struct {
	mu      sync.Mutex
	records []string // "message status=N"
}

func (l *logSink) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelWarn }
func (l *logSink) WithAttrs([]slog.Attr) slog.Handler               { return l }
func (l *logSink) WithGroup(string) slog.Handler                    { return l }
func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "status" {
			line += " status=" + a.Value.String()
		}
		return true
	})
	l.mu.Lock()
	l.records = append(l.records, line)
	l.mu.Unlock()
	return nil
}

func (l *logSink) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.records)
}

// waitUntil polls cond with a deadline far beyond any healthy run.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
	}
}

// runDemo runs a simulator against handler (behind a test server) until the
// returned func stops it.
func runDemo(t *testing.T, handler http.Handler, callbackURL, token string, logs *logSink) (stop func()) {
	ts := httptest.NewServer(handler)
	d := &simulator{
		target: ts.URL + "/vobiz/conference", callbackURL: callbackURL, authToken: token,
		interval: time.Millisecond, logger: slog.New(logs), client: ts.Client(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.run(ctx); close(done) }()
	return func() { cancel(); <-done; ts.Close() }
}

func endedConferences(tr *track.Tracker) int {
	n := 0
	all, _ := tr.Conferences(context.Background())
	for _, c := range all {
		if c.Ended && c.EndReason == track.EndLastMember && len(c.Past()) >= 2 {
			n++
		}
	}
	return n
}

// With a token set, -demo signs its callbacks as Vobiz would, for the
// public callback URL the Handler checks against: they are accepted.
func TestDemoSignsCallbacks(t *testing.T) {
	const public, token = "https://dash.example/vobiz/conference", "demo-token"
	tracker := &track.Tracker{}
	handlerLogs := &logSink{}
	handler := &vobizhook.Handler{Tracker: tracker, Verifier: &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: public}, Logger: slog.New(handlerLogs)}
	demoLogs := &logSink{}
	stop := runDemo(t, newMux(tracker, handler, "/vobiz/conference", &eventStream{tracker: tracker, done: make(chan struct{})}), public, token, demoLogs)
	waitUntil(t, "two whole conferences", func() bool { return endedConferences(tracker) >= 2 })
	stop()
	assert.Empty(t, handlerLogs.lines(), "no callback refused")
	assert.Empty(t, demoLogs.lines())
}

// A callback the server refuses is logged with its status, not ignored.
func TestDemoReportsRefusals(t *testing.T) {
	tracker := &track.Tracker{}
	handler := &vobizhook.Handler{Tracker: tracker, Verifier: &vobizhook.Verifier{AuthTokens: []string{"the-real-token"}}, Logger: slog.New(slog.DiscardHandler)}
	logs := &logSink{}
	stop := runDemo(t, handler, "", "a-wrong-token", logs)
	waitUntil(t, "a logged refusal", func() bool { return len(logs.lines()) > 0 })
	stop()
	assert.Equal(t, "demo: callback refused status=403", logs.lines()[0])
	all, err := tracker.Conferences(context.Background())
	require.NoError(t, err)
	assert.Empty(t, all)
}

// A 503 (tracker full, or the same delivery still in flight) is retried, as
// Vobiz would; the conference still goes through whole.
func TestDemoRetriesUnavailable(t *testing.T) {
	tracker := &track.Tracker{}
	handler := &vobizhook.Handler{Tracker: tracker, Logger: slog.New(slog.DiscardHandler)}
	var mu sync.Mutex
	seen := map[string]bool{}
	var refused int
	flaky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		first := !seen[string(body)]
		seen[string(body)] = true
		if first {
			refused++
		}
		mu.Unlock()
		if first {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		handler.ServeHTTP(w, r)
	})
	logs := &logSink{}
	stop := runDemo(t, flaky, "", "", logs)
	waitUntil(t, "a whole conference", func() bool { return endedConferences(tracker) >= 1 })
	stop()
	assert.Empty(t, logs.lines(), "every callback got through on a retry")
	mu.Lock()
	defer mu.Unlock()
	assert.Positive(t, refused)
}
