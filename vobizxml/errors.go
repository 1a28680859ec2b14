package vobizxml

import (
	"errors"
	"strings"
)

// ErrInvalidAttr is the sentinel wrapped by every *[AttrError]: an answer
// XML element has an attribute (or text) Vobiz would reject or misread.
// Test for it with errors.Is.
var ErrInvalidAttr = errors.New("invalid XML value")

// AttrError reports one invalid attribute, or invalid element text, of an
// answer XML element. Validation ([Response.Validate], [Conference.Validate],
// ...) and rendering ([Response.Bytes], [Response.WriteTo],
// [Response.ServeHTTP], xml.Marshal) return it, joined with errors.Join when
// there are several; errors.As(err, &ae) finds the first.
//
// Like vobizhook.ParamError, the message names the element, the attribute and what
// was expected, never the value itself: a URL may carry a secret token.
type AttrError struct {
	Element string // "Conference", "Speak", "Play", "Wait", "Hangup" or "Response"
	Attr    string // wire name, e.g. "callbackUrl"; "" for the element's text (the room name, the Play URL...)
	Reason  string // what was expected, e.g. "want an absolute http or https URL"
	Err     error  // always ErrInvalidAttr
}

// Error returns "vobizxml: <Element> attribute <Attr>: invalid value: <Reason>"
// ("... <Element> text: ..." for the element's text, "<Response>: ..." for a
// nil verb).
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
	case e.Element == "Response":
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

// Unwrap returns the sentinel, for errors.Is.
func (e *AttrError) Unwrap() error { return e.Err }
