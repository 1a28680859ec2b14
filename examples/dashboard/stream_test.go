package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
)

// flakyLoads is a memory store whose Load fails while failing is set, as a
// Redis store's does during a blip.
type flakyLoads struct {
	*track.MemoryStore
	failing atomic.Bool
}

func (s *flakyLoads) Load(ctx context.Context, uuid string) (*track.Record, error) {
	if s.failing.Load() {
		return nil, errors.New("store unavailable")
	}
	return s.MemoryStore.Load(ctx, uuid)
}

// A live room is never announced as removed (conference: null, which the
// page takes for "delete the room") because reading its state failed
// once: the stream ends instead, and the browser reconnects to a fresh
// snapshot.
func TestStreamEndsRatherThanDropARoomOnAFailedRead(t *testing.T) {
	store := &flakyLoads{MemoryStore: track.NewMemoryStore()}
	tracker := &track.Tracker{Store: store}
	handler := &vobizhook.Handler{Tracker: tracker, Logger: slog.New(slog.DiscardHandler)}
	ts := httptest.NewServer(newServer(tracker, handler, "/vobiz/conference").Handler)
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	stream := bufio.NewReader(resp.Body)
	require.Equal(t, "snapshot", readEvent(t, stream).name)

	enter := url.Values{"ConferenceAction": {"enter"}, "ConferenceUUID": {"u1"}, "ConferenceName": {"standup"},
		"CallUUID": {"c1"}, "ConferenceMemberID": {"1"}, "From": {"918071387423"}, "ConferenceFirstMember": {"true"}}
	post(t, ts.URL+"/vobiz/conference", enter)
	require.Equal(t, track.ChangeStarted, readChange(t, stream).Change.Kind)
	require.NotNil(t, readChange(t, stream).Conference)

	store.failing.Store(true) // the commit path (Acquire) still works; only Load fails
	enter.Set("CallUUID", "c2")
	enter.Set("ConferenceMemberID", "2")
	post(t, ts.URL+"/vobiz/conference", enter)

	line, err := stream.ReadString('\n')
	for err == nil && !strings.HasPrefix(line, "event: ") {
		line, err = stream.ReadString('\n')
	}
	assert.ErrorIs(t, err, io.EOF, "the stream ends; it sent %q", line)

	store.failing.Store(false) // the reconnect gets the room in its snapshot
	resp2, err := http.Get(ts.URL + "/events")
	require.NoError(t, err)
	defer resp2.Body.Close()
	ev := readEvent(t, bufio.NewReader(resp2.Body))
	require.Equal(t, "snapshot", ev.name)
	assert.Contains(t, ev.data, `"u1"`)
}
