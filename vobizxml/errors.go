package vobizxml

import (
	"errors"
	"strings"
)

// ErrInvalidAttr is the sentinel wrapped by every *[AttrError] that
// validation reports: an answer XML element has an attribute, text or
// children Vobiz would reject or misread. Test for it with errors.Is.
var ErrInvalidAttr = errors.New("invalid XML value")

// ErrNoEffect is the sentinel of the warnings of [Response.Warnings]: part
// of a valid answer that Vobiz accepts but that has no effect (a verb after
// <Hangup> is never reached). It is never wrapped by a validation error, so
// errors.Is(err, ErrInvalidAttr) stays a test for "Vobiz would reject this".
var ErrNoEffect = errors.New("has no effect")

// AttrError reports one problem with an answer XML element: an attribute,
// the element's text, or its structure (its children, its place in its
// parent). Validation ([Response.Validate], [Conference.Validate], ...) and
// rendering ([Response.Bytes], [Response.WriteTo], [Response.ServeHTTP],
// xml.Marshal) return it, joined with errors.Join when there are several;
// errors.As(err, &ae) finds the first. [Response.Warnings] returns it too,
// with Err [ErrNoEffect].
//
// Like vobizhook.ParamError, the message names the element, the attribute and what
// was expected, never the value itself: a URL may carry a secret token.
type AttrError struct {
	// Element is the element at fault: "Conference", "Gather", "Number", ...,
	// "Response", or the name of a custom verb.
	Element string
	// Attr is the wire name of the attribute at fault, e.g. "callbackUrl";
	// "" for the element's text (the room name, the Play URL, ...) or, with
	// Structure set, for the element as a whole.
	Attr string
	// Structure is set when the problem is the element as a whole rather
	// than an attribute or its text: a child it cannot hold (a <Wait> in a
	// <Gather>), a missing or nil child (a <Dial> without a <Number>), its
	// place in the answer, or the error a custom verb's Validate returned.
	Structure bool
	// Reason says what was expected, e.g. "want an absolute http or https
	// URL"; it is empty when Err says it all (a custom verb's error).
	Reason string
	// Err is ErrInvalidAttr for a validation error, ErrNoEffect for a
	// warning, or, for a custom verb whose Validate or MarshalXML failed,
	// an error that wraps both ErrInvalidAttr and the custom verb's own
	// error (so errors.Is and errors.As find either).
	Err error
}

// Error returns "vobizxml: <Element> attribute <Attr>: invalid XML value: <Reason>"
// ("... <Element> text: ..." for the element's text, "<Element>: ..." for
// a structure problem; "has no effect" instead of "invalid XML value" for a
// warning).
func (e *AttrError) Error() string {
	var b strings.Builder
	b.WriteString("vobizxml: <")
	b.WriteString(e.Element)
	b.WriteString(">")
	switch {
	case e.Attr != "":
		b.WriteString(" attribute ")
		b.WriteString(e.Attr)
		b.WriteString(": ")
	case e.Structure || e.Element == "Response":
		b.WriteString(": ")
	default:
		b.WriteString(" text: ")
	}
	err := e.Err
	if err == nil {
		err = ErrInvalidAttr
	}
	b.WriteString(err.Error())
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	return b.String()
}

// Unwrap returns Err, for errors.Is and errors.As.
func (e *AttrError) Unwrap() error { return e.Err }
