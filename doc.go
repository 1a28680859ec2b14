// Package vobizhook receives Vobiz conference callbacks in a Go HTTP server.
//
// Vobiz calls the callbackUrl set on a <Conference> element when a
// participant enters or leaves the room (and, per older documentation, when
// the conference starts and ends). Mount a [Handler] at that route, for GET
// and POST: it verifies the request, decodes it into a [ConferenceEvent]
// and calls the func registered for its action.
//
//	mux.Handle("/conference-events", &vobizhook.Handler{
//		Verifier: &vobizhook.Verifier{
//			AuthTokens:  []string{os.Getenv("VOBIZ_AUTH_TOKEN")}, // unset: every callback refused, loudly
//			CallbackURL: "https://app.example/conference-events",  // as on <Conference callbackUrl=...>
//		},
//		OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
//			log.Printf("%s joined %s", ev.CallUUID, ev.ConferenceName)
//			return nil // an error answers 500, and Vobiz retries
//		},
//	})
//
// Vobiz retries every answer other than 2xx and neither orders nor
// deduplicates deliveries: make the funcs idempotent, and correlate members
// on CallUUID + MemberID. The Handler claims each verified nonce in a
// [NonceStore] before dispatching, so a retry or replay of a handled
// callback is acknowledged without being dispatched again.
//
// The rest of the module, each in a package of its own:
//   - vobizxml writes the answer XML, the <Conference callbackUrl> first;
//   - track derives start and end from enter and exit and makes the
//     lifecycle funcs fire exactly once (set its Tracker on
//     Handler.Tracker);
//   - vobizhooktest builds the requests Vobiz sends, for tests;
//   - redisstore (a module of its own) shares nonces and conferences
//     between replicas; otelvobizhook (also) records Handler.OnOutcome as
//     OpenTelemetry metrics and spans.
//
// Without the Handler, [Verifier] checks a request's signature and
// [ParseConferenceEvent] decodes it (verifying nothing), in a handler of
// your own. Errors wrap the package's sentinels ([ErrMissingAction],
// [ErrInvalidSignature], ...) and, for a bad parameter, are a *[ParamError]
// naming it.
package vobizhook
