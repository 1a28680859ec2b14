// Package vobizhook receives Vobiz conference callbacks in a Go HTTP server.
//
// Vobiz calls the callbackUrl set on a <Conference> element when a
// participant enters or leaves the room (and, per older documentation, when
// the conference starts and ends). Mount a [Handler] at that route: it checks
// the request, decodes the form-encoded callback into a typed
// [ConferenceEvent] and calls the func registered for its action.
//
//	mux.Handle("/conference-events", &vobizhook.Handler{
//		AuthToken:   os.Getenv("VOBIZ_AUTH_TOKEN"),
//		CallbackURL: "https://app.example/conference-events", // as on <Conference callbackUrl=...>
//		OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
//			log.Printf("%s joined %s", ev.CallUUID, ev.ConferenceName)
//			return nil
//		},
//	})
//
// Mount it for GET and POST alike: callbackMethod may be either.
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
// # Verification and replays
//
// With AuthToken set, the Handler refuses (403) every request without a valid
// Vobiz signature (X-Vobiz-Signature-V3 or -V2, and the parent-account MA
// variants), checked against CallbackURL before the body is read. Each
// verified nonce is claimed in a [NonceStore] before dispatch, so a retry or a
// replay of a handled callback is acknowledged without being dispatched
// again. [Verifier] does the same outside the Handler; [SignRequest] and
// [Signer] sign requests for tests and tools.
//
// # Answering the call
//
// Callbacks only arrive for a call answered with a <Conference
// callbackUrl=...> element. [Response] and [Conference] render that answer
// (validated, escaped); [Handler.Conference] points one at the Handler's own
// CallbackURL.
//
// # Tracking rooms
//
// A [Tracker] set on Handler.Tracker keeps each conference's live roster,
// derives start and end from enter and exit (today's Vobiz sends no start or
// end), and makes OnStart and OnEnd fire exactly once per conference and
// OnEnter and OnExit once per member change, whatever the delivery order and
// however many duplicates arrive.
//
// # Testing
//
// Package vobizhooktest builds the requests Vobiz sends (signed, from a
// ConferenceEvent, a recorded payload or a generated conference scenario), in
// the spirit of net/http/httptest; the vobizhook command (cmd/vobizhook)
// listens, replays and simulates from the shell.
//
// # Without the Handler
//
// [ParseConferenceEvent] decodes a request inside a handler of your own (for
// another router or framework). Its errors wrap the package's sentinels
// ([ErrMissingAction], [ErrInvalidParam], ...) and, for a bad parameter, are a
// *[ParamError] naming it.
package vobizhook
