// The page's live feed: server-sent events from a track.Tracker's
// subscription, with a full snapshot first and again whenever the
// subscriber fell behind, heartbeats while idle, and per-write deadlines so
// the stream outlives the server's WriteTimeout.

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/vobizhook/vobizhook/track"
)

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
			c, ok, cerr := s.tracker.Conference(r.Context(), ch.ConferenceUUID)
			if cerr != nil {
				// The store failed (Redis, say): a change without the room
				// would read as "removed" on the page. End the stream: the
				// browser reconnects and gets a fresh snapshot.
				return
			}
			if ok {
				ev.Conference = &c
			}
			err = write("change", ev)
		}
		if err != nil {
			return
		}
	}
}
