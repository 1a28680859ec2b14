// Package vobizxml writes Vobiz's answer XML: the <Response> an answer URL
// returns to drive a call, from the greeting and the PIN prompt to the
// <Conference callbackUrl="..."> that makes Vobiz send the conference
// callbacks a vobizhook.Handler receives.
//
// It has a type for each of the twelve verbs of Vobiz's XML reference, with
// a field for every attribute: [Speak], [Play], [Wait], [Hangup], [Record],
// [Stream], [Dial] (with its [Number] and [User] targets), [Conference],
// [Redirect], [Gather] (with Speak and Play prompts), [PreAnswer] and
// [DTMF]. Vobiz has no GetDigits or GetInput: input is collected with
// Gather. Where Vobiz's sources disagree, the type follows Vobiz's own docs
// and apps and its doc comment says so.
//
//	answer := vobizxml.NewResponse(
//		vobizxml.Gather{
//			Action:    "https://app.example/pin",
//			InputType: vobizxml.GatherDTMF,
//			NumDigits: 4,
//			Prompts:   []vobizxml.Verb{vobizxml.Speak{Text: "Enter your PIN."}},
//		},
//		vobizxml.Speak{Text: "No PIN received. Goodbye."},
//		vobizxml.Hangup{},
//	)
//	mux.Handle("/answer", answer) // a Response is an http.Handler
//
// Everything is rendered with encoding/xml, so a '&' in a URL, a '<' or
// quotes in a room name and non-ASCII text are escaped correctly, and
// everything is validated first: a [Response] that Vobiz would reject or
// misread is never written, and the error, an *[AttrError], names the
// element and the attribute, never the value (a URL may carry a token).
// Validation covers every attribute, the nesting rules (Number and User
// only in a Dial, Speak and Play only in a Gather, Speak, Play and Wait
// only in a PreAnswer, verbs only in a Response) and what Vobiz requires
// (a Gather's and a Record's action, a Dial's target). What Vobiz accepts
// but never runs, such as a verb after a Hangup, is reported by
// [Response.Warnings] instead.
//
// Attributes left at their zero value are omitted, so Vobiz's default
// applies; booleans are [Toggle]s, so "explicitly false" can be said;
// durations and counts are ints whose unit the field's doc gives;
// enumerated values are typed constants ([Voice], [InputType],
// [AudioTrack], ...).
//
// The set of verbs is open: any type with a MarshalXML method is a [Verb],
// validated through its Validate method when it has one, so a verb Vobiz
// adds before this package knows it can be sent without a fork; and
// [RawVerb] describes one as data. xml.Unmarshal reads an answer back into
// these types, unknown elements into RawVerbs.
//
// Each URL attribute's doc says what Vobiz sends there. Two of those
// requests are this module's to receive: the conference callbacks of
// Conference.CallbackURL (mount a vobizhook.Handler) and the request of
// Conference.Action when a member leaves (the Handler's OnLeave). The
// others (a Gather's or Dial's action, a Record's callbacks, a Stream's
// status) are your own handlers' to serve, usually with a Response.
//
// The package imports nothing else of this module: use it alone to answer
// calls, or with vobizhook to receive the callbacks too.
package vobizxml
