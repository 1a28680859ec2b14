package vobizxml

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// Toggle is a boolean attribute that can also be left unset. The zero value,
// [Unset], omits the attribute so that Vobiz's default applies; [On] and
// [Off] write "true" and "false". This is how "explicitly false" is said for
// an attribute whose default is true:
//
//	vobizxml.Conference{Room: "standup", Beep: vobizxml.Off}
//
// Every boolean attribute is a Toggle, not only the default-true ones, so
// you never need to remember which default is which, and so that a value you
// mean can be written even where Vobiz's and Plivo's documented defaults
// disagree (stayAlone, relayDTMF). Use [ToggleOf] to convert a bool.
type Toggle uint8

// The three states of a [Toggle].
const (
	Unset Toggle = iota // attribute omitted: Vobiz's default applies
	On                  // attribute written as "true"
	Off                 // attribute written as "false"
)

// ToggleOf returns [On] for true and [Off] for false: for a Toggle computed
// from a bool, e.g. Muted: vobizxml.ToggleOf(isListener).
func ToggleOf(b bool) Toggle {
	if b {
		return On
	}
	return Off
}

// String returns "true", "false", "unset", or "Toggle(n)" for an invalid value.
func (t Toggle) String() string {
	switch t {
	case Unset:
		return "unset"
	case On:
		return "true"
	case Off:
		return "false"
	}
	return "Toggle(" + strconv.Itoa(int(t)) + ")"
}

// MarshalXMLAttr writes "true" or "false", and nothing for [Unset].
func (t Toggle) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	switch t {
	case Unset:
		return xml.Attr{}, nil
	case On, Off:
		return xml.Attr{Name: name, Value: t.String()}, nil
	}
	return xml.Attr{}, fmt.Errorf("vobizxml: attribute %s: %w: %s is not Unset, On or Off", name.Local, ErrInvalidAttr, t)
}

// UnmarshalXMLAttr reads "true" or "false" (in any letter case).
func (t *Toggle) UnmarshalXMLAttr(attr xml.Attr) error {
	switch strings.ToLower(attr.Value) {
	case "true":
		*t = On
	case "false":
		*t = Off
	default:
		return fmt.Errorf("vobizxml: attribute %s: %w: want true or false", attr.Name.Local, ErrInvalidAttr)
	}
	return nil
}

// LoopCount is the loop attribute of [Speak] and [Play]: how many times to
// say or play. The zero value omits the attribute (Vobiz plays once);
// [LoopForever] repeats until something else moves the call on (it is
// written as loop="0", Vobiz's "continuous loop"). Other negative values
// are invalid.
type LoopCount int

// LoopForever repeats a [Speak] or [Play] indefinitely, e.g. hold music in a
// waitSound answer.
const LoopForever LoopCount = -1

// MarshalXMLAttr writes the count, "0" for [LoopForever], nothing for 0.
func (n LoopCount) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	switch {
	case n == 0:
		return xml.Attr{}, nil
	case n == LoopForever:
		return xml.Attr{Name: name, Value: "0"}, nil
	case n > 0:
		return xml.Attr{Name: name, Value: strconv.Itoa(int(n))}, nil
	}
	return xml.Attr{}, fmt.Errorf("vobizxml: attribute %s: %w: %s", name.Local, ErrInvalidAttr, reasonLoop)
}

// UnmarshalXMLAttr reads a count; "0" becomes [LoopForever].
func (n *LoopCount) UnmarshalXMLAttr(attr xml.Attr) error {
	v, err := strconv.Atoi(attr.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("vobizxml: attribute %s: %w: want an integer >= 0", attr.Name.Local, ErrInvalidAttr)
	}
	if v == 0 {
		*n = LoopForever
	} else {
		*n = LoopCount(v)
	}
	return nil
}

// DigitPatterns is the digitsMatch attribute of [Conference]: the DTMF
// sequences that, pressed by a member, are reported to callbackUrl
// (ConferenceAction=digits, Plivo's ConferenceDigitsMatch). Each pattern is
// made of 0-9, '*' and '#'; they are written comma-separated:
//
//	DigitsMatch: []string{"#0", "99", "000"} // digitsMatch="#0,99,000"
type DigitPatterns []string

// MarshalXMLAttr writes the patterns comma-separated, nothing when empty.
func (p DigitPatterns) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	if len(p) == 0 {
		return xml.Attr{}, nil
	}
	return xml.Attr{Name: name, Value: strings.Join(p, ",")}, nil
}

// UnmarshalXMLAttr splits a comma-separated list.
func (p *DigitPatterns) UnmarshalXMLAttr(attr xml.Attr) error {
	if attr.Value == "" {
		*p = nil
		return nil
	}
	*p = strings.Split(attr.Value, ",")
	return nil
}
