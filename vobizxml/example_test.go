package vobizxml_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"

	"github.com/vobizhook/vobizhook/vobizxml"
)

// The answer that asks Vobiz for conference callbacks: a greeting, then
// the room, whose callbackUrl is where a vobizhook.Handler is mounted.
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

// A PIN before the room: the answer URL gathers four digits, and the
// Gather's action URL (a handler of yours) checks them and answers with
// the room or a goodbye. Without input, the verbs after the Gather run.
func ExampleGather() {
	answer := vobizxml.NewResponse(
		vobizxml.Gather{
			Action:           "https://app.example/pin",
			InputType:        vobizxml.GatherDTMF,
			NumDigits:        4,
			ExecutionTimeout: 10,
			Prompts: []vobizxml.Verb{
				vobizxml.Speak{Text: "Welcome. Enter your four-digit PIN."},
			},
		},
		vobizxml.Speak{Text: "We did not get a PIN. Goodbye."},
		vobizxml.Hangup{},
	)

	// The action URL: Vobiz posts the keys as Digits.
	pin := func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("Digits") != "1234" {
			vobizxml.NewResponse(vobizxml.Speak{Text: "Wrong PIN. Goodbye."}, vobizxml.Hangup{}).ServeHTTP(w, r)
			return
		}
		vobizxml.NewResponse(vobizxml.Conference{
			Room:        "standup",
			CallbackURL: "https://app.example/conference-events",
		}).ServeHTTP(w, r)
	}

	b, _ := answer.Bytes()
	os.Stdout.Write(b)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/pin", strings.NewReader(url.Values{"Digits": {"1234"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	pin(rec, req)
	fmt.Print(rec.Body.String())
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <Response>
	//     <Gather action="https://app.example/pin" inputType="dtmf" executionTimeout="10" numDigits="4">
	//         <Speak>Welcome. Enter your four-digit PIN.</Speak>
	//     </Gather>
	//     <Speak>We did not get a PIN. Goodbye.</Speak>
	//     <Hangup></Hangup>
	// </Response>
	// <?xml version="1.0" encoding="UTF-8"?>
	// <Response>
	//     <Conference callbackUrl="https://app.example/conference-events">standup</Conference>
	// </Response>
}

// A supervisor dialled in, rung on their phone and their SIP client at
// once; the first to answer is connected, and the bridged call recorded.
func ExampleDial() {
	answer := vobizxml.NewResponse(
		vobizxml.Speak{Text: "Connecting you to a supervisor."},
		vobizxml.Dial{
			CallerID: "+918071387423",
			Timeout:  20,
			Children: []vobizxml.Verb{
				vobizxml.Number{PhoneNumber: "+919876543210"},
				vobizxml.User{URI: "sip:supervisor@acme.example"},
				vobizxml.Record{Action: "https://app.example/recordings", StartOnDialAnswer: vobizxml.On},
			},
		},
		vobizxml.Speak{Text: "Nobody answered. Goodbye."},
	)
	b, err := answer.Bytes()
	if err != nil {
		fmt.Println(err)
		return
	}
	os.Stdout.Write(b)

	// A Dial needs someone to call.
	fmt.Println(vobizxml.Dial{}.Validate())
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <Response>
	//     <Speak>Connecting you to a supervisor.</Speak>
	//     <Dial timeout="20" callerId="+918071387423">
	//         <Number>+919876543210</Number>
	//         <User>sip:supervisor@acme.example</User>
	//         <Record action="https://app.example/recordings" startOnDialAnswer="true"></Record>
	//     </Dial>
	//     <Speak>Nobody answered. Goodbye.</Speak>
	// </Response>
	// vobizxml: <Dial>: invalid XML value: want at least one Number or User to call
}

// Whisper is a verb of your own, say one Vobiz added last week: a
// MarshalXML that writes one element makes it a Verb, and a Validate
// method has it validated with the rest of the answer.
type Whisper struct{ Text string }

func (w Whisper) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(w.Text, xml.StartElement{Name: xml.Name{Local: "Whisper"}})
}

func (w Whisper) Validate() error {
	if w.Text == "" {
		return errors.New("whisper: want some text")
	}
	return nil
}

// A custom verb goes in a Response like any other.
func ExampleVerb() {
	answer := vobizxml.NewResponse(
		Whisper{Text: "Your manager is listening."},
		vobizxml.Conference{Room: "standup"},
	)
	b, _ := answer.Bytes()
	os.Stdout.Write(b)

	err := vobizxml.NewResponse(Whisper{}).Validate()
	fmt.Println(err)
	fmt.Println(errors.Is(err, vobizxml.ErrInvalidAttr))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <Response>
	//     <Whisper>Your manager is listening.</Whisper>
	//     <Conference>standup</Conference>
	// </Response>
	// vobizxml: <Whisper>: invalid XML value: whisper: want some text
	// true
}

// Warnings reports what Vobiz accepts but never runs; the answer is still
// valid and served.
func ExampleResponse_Warnings() {
	answer := vobizxml.NewResponse(
		vobizxml.Speak{Text: "Goodbye."},
		vobizxml.Hangup{},
		vobizxml.Speak{Text: "Thanks for calling."},
	)
	fmt.Println(answer.Validate())
	for _, w := range answer.Warnings() {
		fmt.Println(w)
	}
	// Output:
	// <nil>
	// vobizxml: <Speak>: has no effect: verb 2 is never reached: <Hangup> ends the call (verb 1)
}
