package vobizhook_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/vobizhook/vobizhook"
)

// A whole conference flow with this package alone: the answer XML asks
// Vobiz for callbacks at the Handler's own URL, and the Handler receives
// them.
func ExampleHandler_Conference() {
	events := &vobizhook.Handler{CallbackURL: "https://app.example/conference-events?tenant=acme&region=eu"}

	room := events.Conference("standup") // callbackUrl and callbackMethod set
	room.Beep = vobizhook.Off            // explicitly false; Vobiz's default is true
	room.EndConferenceOnExit = vobizhook.On

	answer := vobizhook.NewResponse(
		vobizhook.Speak{Text: "Joining the stand-up."},
		room,
	)

	mux := http.NewServeMux()
	mux.Handle("/answer", answer)            // Vobiz's answer URL
	mux.Handle("/conference-events", events) // the callbacks

	b, err := answer.Bytes()
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(b)
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <Response>
	//     <Speak>Joining the stand-up.</Speak>
	//     <Conference beep="false" endConferenceOnExit="true" callbackUrl="https://app.example/conference-events?tenant=acme&amp;region=eu" callbackMethod="POST">standup</Conference>
	// </Response>
}

// The answer to a waitSound fetch: hold music until the room starts.
// A Response is an http.Handler serving itself as application/xml.
func ExampleResponse_ServeHTTP() {
	wait := vobizhook.NewResponse(
		vobizhook.Play{URL: "https://cdn.example/hold.mp3", Loop: vobizhook.LoopForever},
	)

	rec := httptest.NewRecorder()
	wait.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/wait", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body.String())
	// Output:
	// 200 application/xml
	// <?xml version="1.0" encoding="UTF-8"?>
	// <Response>
	//     <Play loop="0">https://cdn.example/hold.mp3</Play>
	// </Response>
}

// Validation names the element and attribute at fault.
func ExampleResponse_Validate() {
	resp := vobizhook.NewResponse(vobizhook.Conference{
		Room:            "standup",
		MaxParticipants: -1,
		CallbackURL:     "/conference-events", // not absolute
	})
	err := resp.Validate()
	fmt.Println(err)

	var ae *vobizhook.AttrError
	if errors.As(err, &ae) {
		fmt.Println("first:", ae.Element, ae.Attr)
	}
	fmt.Println(errors.Is(err, vobizhook.ErrInvalidAttr))
	// Output:
	// vobizhook: <Conference> attribute maxParticipants: invalid value: want a positive integer, or 0 to leave it unset
	// vobizhook: <Conference> attribute callbackUrl: invalid value: want an absolute http or https URL
	// first: Conference maxParticipants
	// true
}
