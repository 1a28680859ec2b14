package vobizxml

import (
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
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

// DigitPatterns is the digitsMatch attribute of [Conference] (and
// digitsMatch and digitsMatchBLeg of [Dial]): the DTMF sequences that,
// pressed by a member, are reported to callbackUrl
// (ConferenceAction=digits, Plivo's ConferenceDigitsMatch; DialAction=digits
// for a Dial). Each pattern is made of 0-9, '*' and '#'; they are written
// comma-separated:
//
//	DigitsMatch: []string{"#0", "99", "000"} // digitsMatch="#0,99,000"
type DigitPatterns []string

// MarshalXMLAttr writes the patterns comma-separated, nothing when empty.
func (p DigitPatterns) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return commaAttr(name, p), nil
}

// UnmarshalXMLAttr splits a comma-separated list.
func (p *DigitPatterns) UnmarshalXMLAttr(attr xml.Attr) error {
	*p = splitComma(attr.Value)
	return nil
}

// EndTimeout is the digitEndTimeout and speechEndTimeout attribute of
// [Gather]: how many seconds of quiet after the last key press (or word)
// end the input. The zero value omits the attribute (Vobiz's default,
// "auto"); 2 to 10 are seconds; [EndTimeoutAuto] writes "auto" explicitly.
type EndTimeout int

// EndTimeoutAuto lets Vobiz choose when the input has ended (written as
// "auto", Vobiz's default).
const EndTimeoutAuto EndTimeout = -1

// MarshalXMLAttr writes the seconds, "auto" for [EndTimeoutAuto], nothing
// for 0.
func (t EndTimeout) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	switch {
	case t == 0:
		return xml.Attr{}, nil
	case t == EndTimeoutAuto:
		return xml.Attr{Name: name, Value: "auto"}, nil
	case t > 0:
		return xml.Attr{Name: name, Value: strconv.Itoa(int(t))}, nil
	}
	return xml.Attr{}, fmt.Errorf("vobizxml: attribute %s: %w: %s", name.Local, ErrInvalidAttr, reasonEndTimeout)
}

// UnmarshalXMLAttr reads "auto" (in any letter case) or a count of seconds.
func (t *EndTimeout) UnmarshalXMLAttr(attr xml.Attr) error {
	if strings.EqualFold(attr.Value, "auto") {
		*t = EndTimeoutAuto
		return nil
	}
	v, err := strconv.Atoi(attr.Value)
	if err != nil || v <= 0 {
		return fmt.Errorf("vobizxml: attribute %s: %w: want auto or a count of seconds", attr.Name.Local, ErrInvalidAttr)
	}
	*t = EndTimeout(v)
	return nil
}

// Headers is a list of name=value pairs sent on with a call or a stream:
// the sipHeaders attribute of [Dial] and [User] (SIP headers on the dialled
// leg) and the extraHeaders attribute of [Stream] (headers of the WebSocket
// request). Vobiz accepts only letters and digits in names and values. They
// are written comma-separated in name order, so the output is stable:
//
//	SIPHeaders: vobizxml.Headers{"tenant": "acme", "ticket": "42"} // sipHeaders="tenant=acme,ticket=42"
type Headers map[string]string

// MarshalXMLAttr writes name=value pairs sorted by name, nothing when empty.
func (h Headers) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	if len(h) == 0 {
		return xml.Attr{}, nil
	}
	return xml.Attr{Name: name, Value: h.join()}, nil
}

// join returns the attribute value: "a=1,b=2", sorted by name.
func (h Headers) join() string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(h)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(h[k])
	}
	return b.String()
}

// UnmarshalXMLAttr reads comma-separated name=value pairs; a pair without
// '=' or a name given twice is an error.
func (h *Headers) UnmarshalXMLAttr(attr xml.Attr) error {
	if attr.Value == "" {
		*h = nil
		return nil
	}
	m := Headers{}
	for pair := range strings.SplitSeq(attr.Value, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if _, dup := m[k]; !ok || dup {
			return fmt.Errorf("vobizxml: attribute %s: %w: want comma-separated name=value pairs, each name once", attr.Name.Local, ErrInvalidAttr)
		}
		m[k] = v
	}
	*h = m
	return nil
}

// Phrases is the hints attribute of [Gather]: words and phrases the speech
// recogniser should expect, written comma-separated. Vobiz accepts up to
// 500 phrases of up to 100 characters, 10,000 characters in all:
//
//	Hints: vobizxml.Phrases{"sales", "support", "billing"} // hints="sales,support,billing"
type Phrases []string

// MarshalXMLAttr writes the phrases comma-separated, nothing when empty.
func (p Phrases) MarshalXMLAttr(name xml.Name) (xml.Attr, error) { return commaAttr(name, p), nil }

// UnmarshalXMLAttr splits a comma-separated list.
func (p *Phrases) UnmarshalXMLAttr(attr xml.Attr) error {
	*p = splitComma(attr.Value)
	return nil
}

// commaAttr writes list comma-separated, nothing when empty.
func commaAttr(name xml.Name, list []string) xml.Attr {
	if len(list) == 0 {
		return xml.Attr{}
	}
	return xml.Attr{Name: name, Value: strings.Join(list, ",")}
}

// splitComma splits a comma-separated value; "" is an empty list.
func splitComma(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}
