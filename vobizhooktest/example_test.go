package vobizhooktest_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// Build the signed callback Vobiz would send when a participant joins, and
// serve it to a Handler that verifies signatures.
func ExampleNewRequest() {
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{"test-token"}, CallbackURL: "https://app.example/conference-events"},
		OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			fmt.Printf("%s joined %s as member %s (first: %t)\n", ev.From, ev.ConferenceName, ev.MemberID, ev.FirstMember)
			return nil
		},
	}
	r, err := vobizhooktest.NewRequest(vobizhook.ConferenceEvent{
		Action:         vobizhook.ActionEnter,
		Event:          "ConferenceEnter",
		ConferenceName: "WeeklyStandup",
		MemberID:       "249",
		FirstMember:    true,
		CallUUID:       "c1f4a7e2-5b3d-4e8f-a9c0-7d2e6b1f3a45",
		From:           "918071387423",
		CurrentSize:    -1, // live callbacks carry no ConferenceCurrentSize
	},
		vobizhooktest.WithURL("https://app.example/conference-events"),
		vobizhooktest.WithAuthToken("test-token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// 918071387423 joined WeeklyStandup as member 249 (first: true)
	// 200
}

// The form body of a callback, with Vobiz's parameter names and formats.
func ExampleEncodeEvent() {
	fmt.Println(vobizhooktest.EncodeEvent(vobizhook.ConferenceEvent{
		Action:         vobizhook.ActionExit,
		Event:          "ConferenceExit",
		ConferenceName: "WeeklyStandup",
		MemberID:       "249",
		CallUUID:       "c1f4a7e2",
		CurrentSize:    -1,
	}))
	// Output:
	// ConferenceAction=exit&Event=ConferenceExit&ConferenceName=WeeklyStandup&ConferenceMemberID=249&ConferenceLastMember=false&CallUUID=c1f4a7e2
}

// Replay a recorded payload, re-signed for the URL your Handler verifies.
func ExampleResign() {
	r, err := vobizhooktest.ReadRequestFile(filepath.Join("..", "testdata", "exit-live.http"))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := vobizhooktest.Resign(r, "https://app.example/conference-events", "test-token"); err != nil {
		fmt.Println(err)
		return
	}
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{"test-token"}, CallbackURL: "https://app.example/conference-events"},
		OnExit: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			fmt.Printf("member %s left; room empty: %t\n", ev.MemberID, ev.LastMember)
			return nil
		},
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// member 249 left; room empty: true
	// 200
}

// A whole conference, delivered in a shuffled order with retries: the
// Handler dispatches each event once, whatever the order.
func ExampleScenario() {
	sc := vobizhooktest.Scenario{Room: "WeeklyStandup", Participants: 3, Seed: 1, Shuffle: true, Duplicates: 0.5}
	reqs, err := sc.Requests(
		vobizhooktest.WithURL("https://app.example/conference-events"),
		vobizhooktest.WithAuthToken("test-token"))
	if err != nil {
		fmt.Println(err)
		return
	}
	dispatched, distinct := 0, map[string]bool{} // by action, CallUUID and member ID
	count := func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		dispatched++
		distinct[string(ev.Action)+" "+ev.CallUUID+"/"+ev.MemberID] = true
		return nil
	}
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{"test-token"}, CallbackURL: "https://app.example/conference-events"},
		OnEnter:  count,
		OnExit:   count,
	}
	for _, r := range reqs {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	fmt.Printf("%d deliveries, %d dispatched, %d distinct events\n", len(reqs), dispatched, len(distinct))
	// Output:
	// 10 deliveries, 6 dispatched, 6 distinct events
}
