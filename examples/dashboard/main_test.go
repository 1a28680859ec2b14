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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vobizhook/vobizhook"
)

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
	tracker := &vobizhook.Tracker{}
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
	assert.Equal(t, vobizhook.ChangeStarted, readChange(t, stream).Change.Kind)
	entered := readChange(t, stream)
	assert.Equal(t, vobizhook.ChangeEntered, entered.Change.Kind)
	require.NotNil(t, entered.Conference)
	require.Len(t, entered.Conference.Members, 1)
	assert.Equal(t, "918071387423", entered.Conference.Members[0].From)

	time.Sleep(400 * time.Millisecond) // past the server's read and write timeouts

	exit := url.Values{"ConferenceAction": {"exit"}, "ConferenceLastMember": {"true"}}
	for k, v := range room {
		exit[k] = v
	}
	post(t, ts.URL+"/vobiz/conference", exit)
	assert.Equal(t, vobizhook.ChangeExited, readChange(t, stream).Change.Kind, "the stream survived the timeouts")
	ended := readChange(t, stream)
	assert.Equal(t, vobizhook.ChangeEnded, ended.Change.Kind)
	require.NotNil(t, ended.Conference)
	assert.True(t, ended.Conference.Ended)
	assert.Equal(t, vobizhook.EndLastMember, ended.Conference.EndReason)

	page, err := http.Get(ts.URL + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	assert.Contains(t, string(body), `new EventSource("/events")`)

	api, err := http.Get(ts.URL + "/api/conferences")
	require.NoError(t, err)
	var confs []vobizhook.ConferenceSnapshot
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
// snapshot) until released, like a slow client.
type stallingWriter struct {
	header http.Header
	gate   chan struct{}
	mu     sync.Mutex
	buf    strings.Builder
	writes int
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
		<-w.gate
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *stallingWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestEventStreamResyncsAfterDrops(t *testing.T) {
	tracker := &vobizhook.Tracker{}
	s := &eventStream{tracker: tracker, heartbeat: time.Hour, writeWindow: time.Second, done: make(chan struct{})}
	w := &stallingWriter{header: http.Header{}, gate: make(chan struct{})}
	finished := make(chan struct{})
	go func() {
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/events", nil))
		close(finished)
	}()
	require.Eventually(t, func() bool { return strings.HasPrefix(w.String(), "event: snapshot\n") }, 2*time.Second, time.Millisecond)

	// Far more changes than the subscription buffers while the client stalls.
	for i := range 600 {
		_, err := tracker.Apply(context.Background(), vobizhook.ConferenceEvent{
			Action: vobizhook.ActionEnter, ConferenceUUID: "u", CallUUID: fmt.Sprint("c", i),
		})
		require.NoError(t, err)
	}
	close(w.gate)
	require.Eventually(t, func() bool { return strings.Count(w.String(), "event: snapshot\n") == 2 }, 2*time.Second, time.Millisecond,
		"a client that fell behind is sent a fresh snapshot")
	var last []vobizhook.ConferenceSnapshot
	out := w.String()
	data := out[strings.LastIndex(out, "event: snapshot\ndata: ")+len("event: snapshot\ndata: "):]
	require.NoError(t, json.Unmarshal([]byte(data[:strings.Index(data, "\n")]), &last))
	require.Len(t, last, 1)
	assert.Equal(t, 600, last[0].Size(), "the snapshot holds the current state")
	s.close()
	<-finished
}
