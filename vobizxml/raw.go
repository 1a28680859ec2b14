package vobizxml

// Design: RawVerb is the generic element. Decoding gives one for every
// element this package does not know, so that an answer with a custom verb
// parses and renders back the same; building one sends an element without
// writing a type for it. Its content is kept as raw XML and written back
// verbatim (the only way to be faithful to mixed content), so validation
// checks that the content is a well-formed fragment before anything is
// rendered: a RawVerb cannot close the <Response> early or inject a
// directive.

import (
	"encoding/xml"
	"fmt"
)

// RawVerb is an element this package does not model, described as data:
// its name, attributes and raw inner XML. [Response.UnmarshalXML] decodes
// every unknown element into one (a verb Vobiz added, or a custom verb of
// yours), and renders it back as it was read:
//
//	vobizxml.RawVerb{Name: "Pause", Attrs: []xml.Attr{{Name: xml.Name{Local: "length"}, Value: "2"}}}
//	// <Pause length="2"></Pause>
//
// It goes in any position (nesting rules apply only to the elements this
// package knows). Validation checks the form, not the meaning: Name and
// attribute names are XML names without a namespace (and Name is not
// "Response"), attribute values are XML text, and Inner is well-formed XML
// content without processing instructions or directives. It may even
// carry a known element's name, as an escape hatch for an attribute Vobiz
// adds before this package does; such an element is then not validated.
type RawVerb struct {
	// Name is the element name, e.g. "Pause".
	Name string
	// Attrs are the attributes in order; only Name.Local and Value are
	// used (Name.Space must be empty).
	Attrs []xml.Attr
	// Inner is the element's content as XML, written verbatim: text must
	// be escaped ("a &amp; b") and elements complete.
	Inner string
}

// rawXML is how a RawVerb is encoded and decoded by encoding/xml.
type rawXML struct {
	Attrs []xml.Attr `xml:",any,attr"`
	Inner string     `xml:",innerxml"`
}

func (r RawVerb) tag() string { return r.Name }

func (r RawVerb) encode(e *xml.Encoder) error {
	return e.EncodeElement(rawXML{r.Attrs, r.Inner}, start(r.Name))
}

// MarshalXML validates r and writes it.
func (r RawVerb) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return marshalVerb(e, r) }

// Validate reports every problem with r, like [Conference.Validate].
func (r RawVerb) Validate() error { return joined(r.validate(nil)) }

func (r RawVerb) validate(errs []error) []error {
	name := r.Name
	if !validName(name) {
		name = "RawVerb"
	}
	ck := checker{element: name, errs: errs}
	switch {
	case name != r.Name:
		ck.failStructure("want an element name: letters, digits, '-', '_' and '.', no namespace")
	case r.Name == "Response":
		ck.failStructure("a <Response> cannot be nested")
	}
	seen := make(map[string]bool, len(r.Attrs))
	for i, a := range r.Attrs {
		attr := a.Name.Local
		if a.Name.Space != "" || !validName(attr) || seen[attr] {
			ck.failStructure(fmt.Sprintf("attribute %d: want a name of letters, digits, '-', '_' and '.', no namespace, each once", i))
			continue
		}
		seen[attr] = true
		if !textRunes(a.Value, true) {
			ck.fail(attr, "want XML text (no control characters other than tab and newline)")
		}
	}
	if _, reason := checkFragment([]byte(r.Inner), false); reason != "" {
		ck.fail("", "content "+reason)
	}
	return ck.errs
}

func isRaw(v Verb) bool {
	switch v.(type) {
	case RawVerb, *RawVerb:
		return true
	}
	return false
}

// decodeRaw reads an unknown element into a RawVerb.
func decodeRaw(d *xml.Decoder, start *xml.StartElement) (Verb, error) {
	var x rawXML
	if err := d.DecodeElement(&x, start); err != nil {
		return nil, err
	}
	for _, a := range x.Attrs {
		if a.Name.Space != "" || a.Name.Local == "xmlns" {
			return nil, fmt.Errorf("vobizxml: <%s>: namespaced attributes are not supported", start.Name.Local)
		}
	}
	return RawVerb{Name: start.Name.Local, Attrs: x.Attrs, Inner: x.Inner}, nil
}
