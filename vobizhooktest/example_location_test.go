package vobizhooktest_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// Vobiz timestamps carry no zone. A Handler that reads them in India's time
// gets back the instant that was sent when the request is built with the
// same Location.
func ExampleWithLocation() {
	ist := time.FixedZone("IST", 5*3600+1800) // or time.LoadLocation("Asia/Kolkata")
	h := &vobizhook.Handler{
		Location: ist,
		OnStart: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			fmt.Println("started at", ev.Timestamp.UTC())
			return nil
		},
	}
	r, err := vobizhooktest.NewRequest(vobizhook.ConferenceEvent{
		Action:         vobizhook.ActionStart,
		ConferenceName: "WeeklyStandup",
		CallUUID:       "c1f4a7e2",
		CurrentSize:    1,
		Timestamp:      time.Date(2026, 5, 19, 10, 32, 15, 0, time.UTC),
	}, vobizhooktest.WithLocation(ist))
	if err != nil {
		fmt.Println(err)
		return
	}
	h.ServeHTTP(httptest.NewRecorder(), r)
	fmt.Println(vobizhooktest.EncodeEventIn(vobizhook.ConferenceEvent{Action: vobizhook.ActionStart, Timestamp: time.Date(2026, 5, 19, 10, 32, 15, 0, time.UTC)}, ist))
	// Output:
	// started at 2026-05-19 10:32:15 +0000 UTC
	// ConferenceAction=start&Timestamp=2026-05-19+16%3A02%3A15
}
