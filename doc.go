// Package vobizhook receives Vobiz conference callbacks in a Go HTTP server.
//
// Vobiz calls the callbackUrl set on a <Conference> element when a
// participant enters or leaves the room (and, per older documentation, when
// the conference starts and ends). Mount a [Handler] at that route: it checks
// the request, decodes the form-encoded callback into a typed
// [ConferenceEvent] and calls the func registered for its action.
//
//	mux.Handle("POST /conference-events", &vobizhook.Handler{
//		OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
//			log.Printf("%s joined %s", ev.CallUUID, ev.ConferenceName)
//			return nil
//		},
//	})
//
// # What Vobiz sends
//
// Two revisions of the Vobiz documentation disagree. The older one (the
// "classic" shape) sends ConferenceAction enter, exit, start and end with
// ConferenceCurrentSize, Timestamp and, on end, RecordingUrl. Live traffic
// today sends only enter and exit, adds Event, ConferenceMemberID,
// ConferenceFirstMember and ConferenceLastMember, and omits size and
// timestamp; exits carry no phone numbers. [ConferenceEvent] models the union
// and keeps every received parameter in Params. Other actions reaching the
// same URL (waitSound fetches, Plivo's floor, digits and record) go to
// Handler.OnOther and are acknowledged when it is nil.
//
// # Delivery
//
// Vobiz expects a 200 within 3 seconds, retries other answers up to three
// times, and does not order deliveries. So a func that returns an error makes
// the Handler answer 500 (Vobiz retries), the same event can arrive more than
// once, and an exit can arrive before its enter: correlate members on
// CallUUID + ConferenceMemberID, and make the funcs idempotent.
//
// # Without the Handler
//
// [ParseConferenceEvent] decodes a request inside a handler of your own (for
// another router or framework). Its errors wrap the package's sentinels
// ([ErrMissingAction], [ErrInvalidParam], ...) and, for a bad parameter, are a
// *[ParamError] naming it.
package vobizhook
