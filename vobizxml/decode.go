package vobizxml

// Decoding: xml.Unmarshal reads answers back (in tests, or from a proxy),
// so it parses untrusted input. Known elements decode into their types
// wherever they appear (a misplaced one is then reported by Validate, not
// by the decoder); unknown ones into RawVerb. Containers decode their
// children through decodeChildren with a depth, so that a deeply nested
// document is refused rather than recursed into. Nothing is validated
// while decoding; attributes this package does not model are dropped from
// the elements it knows.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
)

// maxDepth bounds the nesting of decoded containers; Vobiz's deepest is
// three (Response, Dial, Number).
const maxDepth = 16

// decodeVerb reads the element started by start into its type.
func decodeVerb(d *xml.Decoder, start *xml.StartElement, depth int) (Verb, error) {
	switch start.Name.Local {
	case "Conference":
		return decodeLeaf[Conference](d, start)
	case "Speak":
		return decodeLeaf[Speak](d, start)
	case "Play":
		return decodeLeaf[Play](d, start)
	case "Wait":
		return decodeLeaf[Wait](d, start)
	case "Hangup":
		return decodeLeaf[Hangup](d, start)
	case "Redirect":
		return decodeLeaf[Redirect](d, start)
	case "DTMF":
		return decodeLeaf[DTMF](d, start)
	case "Record":
		return decodeLeaf[Record](d, start)
	case "Stream":
		return decodeLeaf[Stream](d, start)
	case "Number":
		return decodeLeaf[Number](d, start)
	case "User":
		return decodeLeaf[User](d, start)
	case "Gather":
		var g Gather
		err := g.decode(d, start, depth)
		return g, err
	case "Dial":
		var v Dial
		err := v.decode(d, start, depth)
		return v, err
	case "PreAnswer":
		var p PreAnswer
		err := p.decode(d, start, depth)
		return p, err
	}
	return decodeRaw(d, start)
}

// decodeLeaf reads an element without children with its struct tags (the
// leaf types have no UnmarshalXML method).
func decodeLeaf[T Verb](d *xml.Decoder, start *xml.StartElement) (Verb, error) {
	var v T
	err := d.DecodeElement(&v, start)
	return v, err
}

// decodeChildren reads the children of parent, whose start element was
// just read, up to and including its end element. Text other than white
// space is an error (it would otherwise be lost, like the number of an old
// <Dial>+14155551234</Dial>).
func decodeChildren(d *xml.Decoder, parent string, depth int) ([]Verb, error) {
	if depth >= maxDepth {
		return nil, fmt.Errorf("vobizxml: <%s> is nested more than %d elements deep", parent, maxDepth)
	}
	var kids []Verb
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return kids, io.ErrUnexpectedEOF
		}
		if err != nil {
			return kids, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return kids, nil
		case xml.StartElement:
			v, err := decodeVerb(d, &t, depth+1)
			if err != nil {
				return kids, err
			}
			kids = append(kids, v)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return kids, fmt.Errorf("vobizxml: text is not allowed in <%s>", parent)
			}
		}
	}
}

// tokens is an xml.TokenReader over a fixed list of tokens.
type tokens []xml.Token

func (t *tokens) Token() (xml.Token, error) {
	if len(*t) == 0 {
		return nil, io.EOF
	}
	tok := (*t)[0]
	*t = (*t)[1:]
	return tok, nil
}

// decodeAttrs reads the attributes of start into v, a struct with
// attribute tags, without consuming anything of the document.
func decodeAttrs(start *xml.StartElement, v any) error {
	toks := tokens{*start, start.End()}
	return xml.NewTokenDecoder(&toks).Decode(v)
}
