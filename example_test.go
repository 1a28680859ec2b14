package vobizhook_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// Mount a Handler at the route of the callbackUrl set on <Conference>.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("/conference-events", &vobizhook.Handler{
		OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			fmt.Printf("%s joined %s (%d in the room)\n", ev.From, ev.ConferenceName, ev.CurrentSize)
			return nil
		},
		OnExit: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			fmt.Printf("%s left %s\n", ev.CallUUID, ev.ConferenceName)
			return nil
		},
	})

	// What Vobiz posts when a participant joins, built with the test kit.
	r, err := vobizhooktest.NewRequest(vobizhook.ConferenceEvent{
		Action:         vobizhook.ActionEnter,
		ConferenceName: "WeeklyStandup",
		CallUUID:       "9a0e0208-d01a-4572-9a04-fe583a05ac53",
		From:           "918071387423",
		To:             "919624705678",
		CurrentSize:    3,
	}, vobizhooktest.WithURL("https://app.example/conference-events"))
	if err != nil {
		panic(err)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// 918071387423 joined WeeklyStandup (3 in the room)
	// 200
}

// Decode a callback inside a handler of your own, for instance one written
// for another router.
func ExampleParseConferenceEvent() {
	handle := func(w http.ResponseWriter, r *http.Request) {
		ev, err := vobizhook.ParseConferenceEvent(r)
		var pe *vobizhook.ParamError
		if errors.As(err, &pe) {
			http.Error(w, "bad "+pe.Param, http.StatusBadRequest)
			fmt.Println("refused:", err)
			return
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Printf("%s: member %s of %s, first=%t\n", ev.Action, ev.MemberID, ev.ConferenceName, ev.FirstMember)
	}

	for _, query := range []string{
		"ConferenceAction=enter&Event=ConferenceEnter&ConferenceName=WeeklyStandup&ConferenceMemberID=249&ConferenceFirstMember=true",
		"ConferenceAction=exit&ConferenceCurrentSize=many",
	} {
		handle(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/conference-events?"+query, nil))
	}
	// Output:
	// enter: member 249 of WeeklyStandup, first=true
	// refused: vobizhook: parameter ConferenceCurrentSize: invalid value: want a non-negative integer
}
