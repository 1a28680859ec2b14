package track_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
)

// The README's snippets of "Tracking live conferences", compiled.

type sessionStore interface {
	Open(ctx context.Context, uuid, name string, at time.Time) error
	Close(ctx context.Context, c track.Snapshot) error
}

func readmeTracker(sessions sessionStore) {
	closeSession := func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		c, _ := track.FromContext(ctx) // the final roster, with stays
		return sessions.Close(ctx, c)
	}
	tracker := &track.Tracker{OnIdleEnd: closeSession} // the sweep ends a conference whose last exit was lost
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{os.Getenv("VOBIZ_AUTH_TOKEN")}}, // keep the tracker behind verification
		Tracker:  tracker,
		OnStart: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			return sessions.Open(ctx, ev.ConferenceUUID, ev.ConferenceName, ev.Timestamp)
		},
		OnEnd: closeSession,
	}
	http.Handle("/vobiz/conference", h)
	go func() { // end idle conferences and drop expired ones even when callbacks stop
		for range time.Tick(time.Minute) {
			tracker.Sweep(context.Background())
		}
	}()
}

func readmeReads(ctx context.Context, tracker *track.Tracker, uuid string) error {
	live, err := tracker.Live(ctx) // an error only from a shared store (Redis down)
	if err != nil {
		return err
	}
	for _, c := range live {
		fmt.Println(c.Name, c.Size(), "present, peak", c.Peak)
	}
	c, ok, err := tracker.Conference(ctx, uuid) // live, or ended within Retention
	if ok {
		fmt.Println(c.Members()) // built on call; Size and Lookup cost O(1)
	}

	changes, cancel := tracker.Subscribe(256) // for dashboards; never blocks the tracker
	defer cancel()
	for ch := range changes {
		if ch.Dropped > 0 { /* fell behind: re-read tracker.Conferences(ctx) */
		}
	}
	return err
}

// The snippets are compiled, not run.
var _ = []any{readmeTracker, readmeReads}
