// Package vobizxml writes Vobiz's answer XML: the <Response> an answer URL
// returns to drive a call, above all the <Conference callbackUrl="...">
// that makes Vobiz send the conference callbacks a vobizhook.Handler
// receives.
//
// Everything is rendered with encoding/xml, so a '&' in a URL, a '<' or
// quotes in a room name and non-ASCII text are escaped correctly, and
// everything is validated first: a [Response] that Vobiz would reject or
// misread is never written, and the error, an *[AttrError], names the
// element and the attribute, never the value (a URL may carry a token).
//
//	answer := vobizxml.NewResponse(
//		vobizxml.Speak{Text: "Joining the stand-up."},
//		vobizxml.Conference{Room: "standup", CallbackURL: "https://app.example/conference-events"},
//	)
//	mux.Handle("/answer", answer) // a Response is an http.Handler
//
// Attributes left at their zero value are omitted, so Vobiz's default
// applies; booleans are [Toggle]s, so "explicitly false" can be said.
//
// The package imports nothing else of this module: use it alone to answer
// calls, or with vobizhook to receive the callbacks too.
package vobizxml
