package track_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
)

// Today's Vobiz sends only enter and exit, out of order and sometimes twice.
// With a Tracker wired in, the Handler still calls OnStart and OnEnd exactly
// once, and OnEnter and OnExit once per member.
func ExampleTracker() {
	clock := time.Date(2026, 8, 31, 20, 8, 0, 0, time.UTC)
	tracker := &track.Tracker{
		// A clock for a reproducible example; leave Now nil in production.
		Now: func() time.Time { clock = clock.Add(time.Minute); return clock },
	}
	h := &vobizhook.Handler{
		Tracker: tracker,
		OnStart: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			fmt.Printf("start %s (derived from %s)\n", ev.ConferenceName, ev.Params.Get("ConferenceAction"))
			return nil
		},
		OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			fmt.Println("enter", ev.MemberID, ev.From)
			return nil
		},
		OnExit: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			fmt.Println("exit", ev.MemberID)
			return nil
		},
		OnEnd: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			c, _ := track.FromContext(ctx)
			fmt.Printf("end %s after %s, peak %d\n", c.Name, c.EndedAt.Sub(c.StartedAt), c.Peak)
			for _, m := range c.Past() {
				fmt.Printf("  %s (%s) stayed %s\n", m.MemberID, m.From, m.Stay)
			}
			return nil
		},
	}

	const room = "ConferenceUUID=5d2c1f0e&ConferenceName=standup"
	for _, body := range []string{
		"ConferenceAction=enter&" + room + "&CallUUID=c1&ConferenceMemberID=249&From=918071387423&ConferenceFirstMember=true",
		"ConferenceAction=enter&" + room + "&CallUUID=c2&ConferenceMemberID=250&From=919812345678&ConferenceFirstMember=false",
		"ConferenceAction=enter&" + room + "&CallUUID=c2&ConferenceMemberID=250&From=919812345678&ConferenceFirstMember=false", // duplicate
		"ConferenceAction=exit&" + room + "&CallUUID=c2&ConferenceMemberID=250&ConferenceLastMember=false",
		"ConferenceAction=exit&" + room + "&CallUUID=c1&ConferenceMemberID=249&ConferenceLastMember=true",
		"ConferenceAction=exit&" + room + "&CallUUID=c1&ConferenceMemberID=249&ConferenceLastMember=true", // retry
	} {
		r := httptest.NewRequest(http.MethodPost, "/vobiz/conference", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}

	c, _, _ := tracker.Conference(context.Background(), "5d2c1f0e")
	fmt.Println("ended:", c.Ended, c.EndReason, "present:", c.Size())
	// Output:
	// start standup (derived from enter)
	// enter 249 918071387423
	// enter 250 919812345678
	// exit 250
	// exit 249
	// end standup after 4m0s, peak 2
	//   250 (919812345678) stayed 2m0s
	//   249 (918071387423) stayed 4m0s
	// ended: true last-member present: 0
}

// A dashboard subscribes first, then reads the snapshot, then applies the
// changes as they come; Dropped tells it when to read the snapshot again.
func ExampleTracker_Subscribe() {
	tracker := &track.Tracker{}
	changes, cancel := tracker.Subscribe(64)
	defer cancel()
	ctx := context.Background()
	live, err := tracker.Live(ctx)
	if err != nil {
		panic(err) // a shared store can fail; the memory store does not
	}
	fmt.Println("live rooms:", len(live))

	for _, ev := range []vobizhook.ConferenceEvent{
		{Action: vobizhook.ActionEnter, ConferenceUUID: "u1", ConferenceName: "standup", CallUUID: "c1", MemberID: "249", From: "918071387423"},
		{Action: vobizhook.ActionExit, ConferenceUUID: "u1", ConferenceName: "standup", CallUUID: "c1", MemberID: "249", LastMember: true},
	} {
		if _, err := tracker.Apply(ctx, ev); err != nil {
			fmt.Println(err)
		}
	}
	for range 4 {
		ch := <-changes
		if ch.Dropped > 0 {
			fmt.Println("fell behind: re-read tracker.Conferences()")
		}
		fmt.Println(ch.Seq, ch.Kind, ch.ConferenceName, ch.Size)
	}
	// Output:
	// live rooms: 0
	// 1 started standup 0
	// 2 entered standup 1
	// 3 exited standup 0
	// 4 ended standup 0
}
