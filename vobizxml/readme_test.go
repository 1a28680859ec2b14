package vobizxml_test

import (
	"context"
	"net/http"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizxml"
)

// The README's snippet of "Answering the call", compiled (examples/basic
// runs the same flow, and its test plays a whole call through it).

func readmeAnswer(token string, onEnter func(context.Context, vobizhook.ConferenceEvent) error, pinOK func(string) bool) *http.ServeMux {
	events := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: "https://app.example/conference-events"},
		OnEnter:  onEnter,
		// The <Conference action> request when a member leaves: its answer continues the call.
		OnLeave: func(ctx context.Context, ev vobizhook.ConferenceEvent) (http.Handler, error) {
			return vobizxml.NewResponse(vobizxml.Speak{Text: "Goodbye."}, vobizxml.Hangup{}), nil
		},
	}

	mux := http.NewServeMux()
	mux.Handle("/answer", vobizxml.NewResponse( // a Response is an http.Handler
		vobizxml.Gather{
			Action:    "https://app.example/pin",
			InputType: vobizxml.GatherDTMF,
			NumDigits: 4,
			Prompts:   []vobizxml.Verb{vobizxml.Speak{Text: "Welcome. Enter your PIN."}},
		},
		vobizxml.Speak{Text: "No PIN received. Goodbye."}, // no input: Vobiz goes on here
		vobizxml.Hangup{},
	))
	mux.HandleFunc("POST /pin", func(w http.ResponseWriter, r *http.Request) { // the Gather's action
		if !pinOK(r.PostFormValue("Digits")) {
			vobizxml.NewResponse(vobizxml.Speak{Text: "Wrong PIN. Goodbye."}, vobizxml.Hangup{}).ServeHTTP(w, r)
			return
		}
		vobizxml.NewResponse(
			vobizxml.Record{Action: "https://app.example/recordings", RecordSession: vobizxml.On},
			vobizxml.Conference{
				Room:           "standup",
				CallbackURL:    "https://app.example/conference-events", // the Handler
				CallbackMethod: http.MethodPost,
				Action:         "https://app.example/conference-events", // answered by OnLeave
				Beep:           vobizxml.Off,                            // explicitly false (Vobiz's default is true)
			},
		).ServeHTTP(w, r)
	})
	mux.Handle("/conference-events", events)
	return mux
}

// The snippet is compiled, not run.
var _ = readmeAnswer
