package vobizxml

// Design: the verb set is open. A Verb is anything that writes itself as
// XML (xml.Marshaler); this package's elements also implement the
// unexported element interface, through which a Response validates them
// once and encodes them without validating again. Any other Verb is a
// custom verb: validation calls its Validate method when it has one and
// marshals it once to check that it writes exactly one well-formed element,
// then rendering calls its MarshalXML through the encoder.
//
// Nesting rules live in childRule values, one per container (Response,
// Gather, PreAnswer, Dial). A child this package knows is checked against
// the rule; a custom verb or a RawVerb may go anywhere (it is the user's
// claim that Vobiz takes it there). A known element in the wrong place is
// reported and not validated further, which also stops a cycle of pointers
// (a Gather among its own prompts) from recursing.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode"
)

// Verb is one element of a [Response], or a child of a [Gather], [Dial] or
// [PreAnswer]: this package's [Speak], [Play], [Wait], [Hangup], [Record],
// [Stream], [Dial], [Number], [User], [Conference], [Redirect], [Gather],
// [PreAnswer], [DTMF] and [RawVerb] (values or non-nil pointers), or a type
// of your own.
//
// The set is open so that a verb Vobiz adds before this package knows it
// can be sent without a fork: give your type a MarshalXML method that
// writes exactly one element (its name is yours; only Response is
// reserved), and, to have it validated with the rest of the answer, a
// Validate() error method. A Response reports your Validate error wrapped
// in an *[AttrError] (errors.Is finds both ErrInvalidAttr and your error),
// and refuses a verb whose MarshalXML fails or writes anything but one
// element. See [RawVerb] for an element you describe with data instead.
//
// Nesting rules apply to this package's elements (a <Number> only in a
// <Dial>, a <Wait> not in a <Gather>); a custom verb is accepted in any
// position.
type Verb interface {
	xml.Marshaler
}

// element is implemented by this package's elements.
type element interface {
	Verb
	// tag is the element name, e.g. "Gather".
	tag() string
	// validate appends an *AttrError for each problem.
	validate(errs []error) []error
	// encode writes the element without validating it again.
	encode(e *xml.Encoder) error
}

// start returns the start element of an element named name.
func start(name string) xml.StartElement { return xml.StartElement{Name: xml.Name{Local: name}} }

// marshalVerb validates v and writes it: the MarshalXML of every element.
func marshalVerb(e *xml.Encoder, v element) error {
	if err := joined(v.validate(nil)); err != nil {
		return err
	}
	return v.encode(e)
}

// encodeVerbs writes validated verbs in order.
func encodeVerbs(e *xml.Encoder, verbs []Verb) error {
	for _, v := range verbs {
		var err error
		if el, ok := v.(element); ok {
			err = el.encode(e)
		} else {
			err = e.Encode(v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// verbList is a container's children as a field of the struct encoding it:
// its MarshalXML writes the children in place, without a wrapper element.
type verbList []Verb

func (l verbList) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return encodeVerbs(e, l) }

// isNilVerb reports whether v is nil or a nil pointer (map, slice, func...).
func isNilVerb(v Verb) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// childRule is the nesting rule of one container element.
type childRule struct {
	parent  string          // "Gather"
	noun    string          // what a child is called in messages: "prompt"
	allowed map[string]bool // element names it takes
	want    string          // "want Speak or Play"
}

func newRule(parent, noun, want string, allowed ...string) childRule {
	m := make(map[string]bool, len(allowed))
	for _, a := range allowed {
		m[a] = true
	}
	return childRule{parent: parent, noun: noun, allowed: m, want: want}
}

var (
	responseRule = newRule("Response", "verb",
		"want a verb (Number and User go inside Dial)",
		"Speak", "Play", "Wait", "Hangup", "Record", "Stream", "Dial", "Conference", "Redirect", "Gather", "PreAnswer", "DTMF")
	gatherRule    = newRule("Gather", "prompt", "want Speak or Play", "Speak", "Play")
	preAnswerRule = newRule("PreAnswer", "verb", "want Speak, Play or Wait", "Speak", "Play", "Wait")
	dialRule      = newRule("Dial", "child", "want Number, User or Record", "Number", "User", "Record")
)

// validate appends the problems of every child: its place, then its own.
func (cr childRule) validate(errs []error, kids []Verb) []error {
	for i, v := range kids {
		switch el, ok := v.(element); {
		case isNilVerb(v):
			errs = append(errs, cr.fail(i, "is nil"))
		case !ok:
			errs = validateCustom(errs, cr, i, v)
		case isRaw(v) || cr.allowed[el.tag()]:
			errs = el.validate(errs)
		default:
			errs = append(errs, cr.fail(i, "is a <"+el.tag()+">: "+cr.want))
		}
	}
	return errs
}

func (cr childRule) fail(i int, what string) error {
	return &AttrError{Element: cr.parent, Structure: true, Reason: cr.noun + " " + strconv.Itoa(i) + " " + what, Err: ErrInvalidAttr}
}

// count returns how many of kids are elements named one of names.
func count(kids []Verb, names ...string) int {
	n := 0
	for _, v := range kids {
		if el, ok := v.(element); ok && !isNilVerb(v) {
			for _, name := range names {
				if el.tag() == name {
					n++
				}
			}
		}
	}
	return n
}

// validateCustom checks a verb of the user's own: its Validate method, then
// that it marshals to exactly one element.
func validateCustom(errs []error, cr childRule, i int, v Verb) []error {
	switch v.(type) {
	case Response, *Response:
		// Caught before marshalling: a Response's MarshalXML validates it,
		// and one that contains itself would recurse without end.
		return append(errs, cr.fail(i, "(Response) writes a <Response>, which cannot be nested"))
	}
	name, problem, mErr := inspectCustom(v)
	elem := name
	if elem == "" {
		elem = fmt.Sprintf("%T", v)
	}
	if val, ok := v.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			if !errors.Is(err, ErrInvalidAttr) {
				err = &AttrError{Element: elem, Structure: true, Err: fmt.Errorf("%w: %w", ErrInvalidAttr, err)}
			}
			return append(errs, err)
		}
	}
	switch {
	case mErr != nil:
		return append(errs, &AttrError{Element: cr.parent, Structure: true,
			Err: fmt.Errorf("%w: %s %d (%s): MarshalXML failed: %w", ErrInvalidAttr, cr.noun, i, elem, mErr)})
	case problem != "":
		return append(errs, cr.fail(i, "("+elem+") "+problem))
	}
	return errs
}

// inspectCustom marshals v and returns the name of the one element it
// writes, or what is wrong with its output.
func inspectCustom(v Verb) (name, problem string, err error) {
	b, err := xml.Marshal(v)
	if err != nil {
		return "", "", err
	}
	name, problem = checkFragment(b, true)
	if problem == "" && name == "Response" {
		return name, "writes a <Response>, which cannot be nested", nil
	}
	return name, problem, nil
}

// checkFragment checks XML content: well-formed, no processing
// instructions or directives, no namespaces (Vobiz's XML uses none, and an
// undeclared prefix is not namespace-well-formed), no attribute given twice
// on one element (encoding/xml's decoder lets both through; an XML parser
// such as Vobiz's rejects them), and, with one set, exactly one element
// with nothing around it, whose name it returns. The reason is "" when it
// is fine.
func checkFragment(b []byte, one bool) (name, reason string) {
	d := xml.NewDecoder(bytes.NewReader(b))
	depth, elements := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", "is not well-formed XML"
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != "" || depth == 0 && !validName(t.Name.Local) {
				return "", "writes an element with a namespace or an invalid name"
			}
			if r := checkAttrs(t.Attr); r != "" {
				return "", r
			}
			if depth == 0 {
				elements++
				name = t.Name.Local
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.ProcInst, xml.Directive:
			return "", "writes a processing instruction or a directive"
		case xml.CharData:
			if one && depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return "", "writes text outside its element"
			}
		}
	}
	if one && elements != 1 {
		return "", "writes " + strconv.Itoa(elements) + " elements: want exactly one"
	}
	return name, ""
}

// checkAttrs reports an attribute with a namespace, a namespace
// declaration, or an attribute given twice, or "" when there is none.
func checkAttrs(attrs []xml.Attr) string {
	var seen map[string]bool // only for elements with many attributes
	if len(attrs) > 16 {
		seen = make(map[string]bool, len(attrs))
	}
	for i, a := range attrs {
		if a.Name.Space != "" || a.Name.Local == "xmlns" {
			return "writes a namespaced attribute or a namespace declaration"
		}
		twice := seen[a.Name.Local]
		if seen != nil {
			seen[a.Name.Local] = true
		} else {
			for _, b := range attrs[:i] {
				twice = twice || b.Name.Local == a.Name.Local
			}
		}
		if twice {
			return "writes the attribute " + strconv.Quote(a.Name.Local) + " twice on one element"
		}
	}
	return ""
}

// validName reports whether s is an XML name without a colon (an NCName,
// restricted to what encoding/xml and Vobiz's element names need).
func validName(s string) bool {
	if s == "" || strings.HasPrefix(strings.ToLower(s), "xml") {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r > 0x7f && unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || r >= '0' && r <= '9'):
		default:
			return false
		}
	}
	return true
}
