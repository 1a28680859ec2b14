package vobizxml_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/vobizhook/vobizhook/vobizxml"
)

// The answer that asks Vobiz for conference callbacks: a greeting, then
// the room, whose callbackUrl is where a vobizxml.Handler is mounted.
func ExampleConference() {
	room := vobizxml.Conference{
		Room:           "standup",
		CallbackURL:    "https://app.example/conference-events?tenant=acme&region=eu",
		CallbackMethod: http.MethodPost,
	}
	room.Beep = vobizxml.Off // explicitly false; Vobiz's default is true
	room.EndConferenceOnExit = vobizxml.On

	answer := vobizxml.NewResponse(
		vobizxml.Speak{Text: "Joining the stand-up."},
		room,
	)
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
	wait := vobizxml.NewResponse(
		vobizxml.Play{URL: "https://cdn.example/hold.mp3", Loop: vobizxml.LoopForever},
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
	resp := vobizxml.NewResponse(vobizxml.Conference{
		Room:            "standup",
		MaxParticipants: -1,
		CallbackURL:     "/conference-events", // not absolute
	})
	err := resp.Validate()
	fmt.Println(err)

	var ae *vobizxml.AttrError
	if errors.As(err, &ae) {
		fmt.Println("first:", ae.Element, ae.Attr)
	}
	fmt.Println(errors.Is(err, vobizxml.ErrInvalidAttr))
	// Output:
	// vobizxml: <Conference> attribute maxParticipants: invalid XML value: want a positive integer, or 0 to leave it unset
	// vobizxml: <Conference> attribute callbackUrl: invalid XML value: want an absolute http or https URL
	// first: Conference maxParticipants
	// true
}
