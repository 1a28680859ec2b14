package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook/redisstore/redistest"
	"github.com/vobizhook/vobizhook/track"
)

// Two dashboards on one Redis (the -redis flag), fed through either, show
// the same rooms, live: the changes one commits reach the other's page.
func TestTwoDashboardsOnOneRedis(t *testing.T) {
	srv := redistest.Start(t)
	logger := slog.New(slog.DiscardHandler)
	dashboard := func() *httptest.Server {
		s, closeRedis, err := openRedis(context.Background(), "redis://"+srv.Addr()+"/0", logger)
		require.NoError(t, err)
		t.Cleanup(func() { closeRedis() })
		tracker := &track.Tracker{Store: s.Conferences()}
		handler := newHandler(tracker, logger, "", "")
		handler.NonceStore = s.Nonces()
		ts := httptest.NewServer(newServer(tracker, handler, "/vobiz/conference").Handler)
		t.Cleanup(ts.Close)
		return ts
	}
	a, b := dashboard(), dashboard()

	resp, err := http.Get(b.URL + "/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	stream := bufio.NewReader(resp.Body)
	require.Equal(t, "snapshot", readEvent(t, stream).name)

	enter := url.Values{"ConferenceAction": {"enter"}, "ConferenceUUID": {"shared-1"}, "ConferenceName": {"standup"},
		"CallUUID": {"c1"}, "ConferenceMemberID": {"249"}, "From": {"918071387423"}}
	post(t, a.URL+"/vobiz/conference", enter) // fed through A...
	assert.Equal(t, track.ChangeStarted, readChange(t, stream).Change.Kind, "...seen live on B's page")
	entered := readChange(t, stream)
	require.Equal(t, track.ChangeEntered, entered.Change.Kind)
	require.NotNil(t, entered.Conference)
	assert.Equal(t, 1, entered.Conference.Size())

	enter.Set("CallUUID", "c2")
	enter.Set("ConferenceMemberID", "250")
	post(t, b.URL+"/vobiz/conference", enter) // and through B
	for _, ts := range []*httptest.Server{a, b} {
		require.Eventually(t, func() bool {
			api, err := http.Get(ts.URL + "/api/conferences")
			if err != nil {
				return false
			}
			defer api.Body.Close()
			var confs []track.Snapshot
			return json.NewDecoder(api.Body).Decode(&confs) == nil && len(confs) == 1 && confs[0].Size() == 2
		}, 5*time.Second, 20*time.Millisecond, "both dashboards show the room with both members")
	}
}

func TestOpenRedisKeepsThePasswordOut(t *testing.T) {
	_, _, err := openRedis(context.Background(), "redis://user:hunter2@127.0.0.1:1/0", slog.New(slog.DiscardHandler))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
	_, _, err = openRedis(context.Background(), "http://user:hunter2@x", slog.New(slog.DiscardHandler))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
}
