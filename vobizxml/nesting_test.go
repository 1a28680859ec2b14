package vobizxml

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pause is a custom verb, as a user would write one for an element Vobiz
// adds before this package: <Pause length="n">.
type pause struct{ Seconds int }

var errPause = errors.New("pause: want a positive length")

func (p pause) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(struct {
		Length int `xml:"length,attr"`
	}{p.Seconds}, xml.StartElement{Name: xml.Name{Local: "Pause"}})
}

func (p pause) Validate() error {
	if p.Seconds <= 0 {
		return errPause
	}
	return nil
}

// marshalFunc is a custom verb whose MarshalXML is given, without Validate.
type marshalFunc func(e *xml.Encoder) error

func (f marshalFunc) MarshalXML(e *xml.Encoder, _ xml.StartElement) error { return f(e) }

// TestNesting: which children each element takes, and the structure
// problems Validate reports (Structure set, the parent named).
func TestNesting(t *testing.T) {
	const act = "https://a.example/g"
	num := Number{PhoneNumber: "+15550100"}
	cyclic := &Gather{Action: act}
	cyclic.Prompts = []Verb{cyclic}
	var nilNumber *Number
	itself := &Response{}
	itself.Verbs = []Verb{itself}
	cases := []struct {
		name    string
		resp    Response
		element string
		reason  string
	}{
		{"number in response", NewResponse(num), "Response", "verb 0 is a <Number>: want a verb (Number and User go inside Dial)"},
		{"user in response", NewResponse(Speak{Text: "hi"}, User{URI: "sip:a@b"}), "Response", "verb 1 is a <User>"},
		{"wait in gather", NewResponse(Gather{Action: act, Prompts: []Verb{Speak{Text: "hi"}, Wait{}}}), "Gather", "prompt 1 is a <Wait>: want Speak or Play"},
		{"gather in gather", NewResponse(Gather{Action: act, Prompts: []Verb{Gather{Action: act}}}), "Gather", "prompt 0 is a <Gather>"},
		{"gather among its own prompts", NewResponse(cyclic), "Gather", "prompt 0 is a <Gather>"},
		{"dial in preanswer", NewResponse(PreAnswer{Verbs: []Verb{Dial{Children: []Verb{num}}}}), "PreAnswer", "verb 0 is a <Dial>: want Speak, Play or Wait"},
		{"preanswer in preanswer", NewResponse(PreAnswer{Verbs: []Verb{PreAnswer{}}}), "PreAnswer", "verb 0 is a <PreAnswer>"},
		{"hangup in dial", NewResponse(Dial{Children: []Verb{num, Hangup{}}}), "Dial", "child 1 is a <Hangup>: want Number, User or Record"},
		{"conference in dial", NewResponse(Dial{Children: []Verb{num, Conference{Room: "r"}}}), "Dial", "child 1 is a <Conference>"},
		{"dial without children", NewResponse(Dial{}), "Dial", "want at least one Number or User to call"},
		{"dial with only a record", NewResponse(Dial{Children: []Verb{Record{Action: act}}}), "Dial", "want at least one Number or User"},
		{"dial with a nil number", NewResponse(Dial{Children: []Verb{num, nilNumber}}), "Dial", "child 1 is nil"},
		{"nil prompt", NewResponse(Gather{Action: act, Prompts: []Verb{nil}}), "Gather", "prompt 0 is nil"},
		{"nil verb", NewResponse(Speak{Text: "hi"}, nil), "Response", "verb 1 is nil"},
		{"nil custom verb", NewResponse((*pause)(nil)), "Response", "verb 0 is nil"},
		{"response in response", NewResponse(Response{}), "Response", "verb 0 (Response) writes a <Response>, which cannot be nested"},
		{"raw response", NewResponse(RawVerb{Name: "Response"}), "Response", "a <Response> cannot be nested"},
		{"response containing itself", *itself, "Response", "verb 0 (Response) writes a <Response>, which cannot be nested"},
		{"raw without a name", NewResponse(RawVerb{}), "RawVerb", "want an element name"},
		{"raw with a namespace", NewResponse(RawVerb{Name: "v:Pause"}), "RawVerb", "want an element name"},
		{"raw attribute named xmlns", NewResponse(RawVerb{Name: "Pause", Attrs: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: "urn:x"}}}), "Pause", "attribute 0: want a name"},
		{"raw attribute twice", NewResponse(RawVerb{Name: "Pause", Attrs: []xml.Attr{{Name: xml.Name{Local: "a"}}, {Name: xml.Name{Local: "a"}}}}), "Pause", "attribute 1: want a name"},
		{"raw attribute with a space", NewResponse(RawVerb{Name: "Pause", Attrs: []xml.Attr{{Name: xml.Name{Space: "urn:x", Local: "a"}}}}), "Pause", "attribute 0"},
		{"custom verb invalid", NewResponse(pause{}), "Pause", errPause.Error()},
		{"custom verb writing nothing", NewResponse(marshalFunc(func(*xml.Encoder) error { return nil })), "Response",
			"verb 0 (vobizxml.marshalFunc) writes 0 elements: want exactly one"},
		{"custom verb writing two", NewResponse(marshalFunc(func(e *xml.Encoder) error {
			if err := e.EncodeElement("", start("A")); err != nil {
				return err
			}
			return e.EncodeElement("", start("B"))
		})), "Response", "writes 2 elements"},
		{"custom verb writing text", NewResponse(marshalFunc(func(e *xml.Encoder) error {
			return e.EncodeToken(xml.CharData("loose"))
		})), "Response", "writes text outside its element"},
		{"custom verb writing a directive", NewResponse(marshalFunc(func(e *xml.Encoder) error {
			return e.EncodeToken(xml.Directive("DOCTYPE x"))
		})), "Response", "writes a processing instruction or a directive"},
		{"custom verb writing an attribute twice", NewResponse(marshalFunc(func(e *xml.Encoder) error {
			s := start("Pause")
			s.Attr = []xml.Attr{{Name: xml.Name{Local: "length"}, Value: "1"}, {Name: xml.Name{Local: "length"}, Value: "2"}}
			if err := e.EncodeToken(s); err != nil {
				return err
			}
			return e.EncodeToken(s.End())
		})), "Response", `writes the attribute "length" twice on one element`},
		{"custom verb failing", NewResponse(marshalFunc(func(*xml.Encoder) error { return errors.New("boom") })), "Response",
			"<Response>: invalid XML value: verb 0 (vobizxml.marshalFunc): MarshalXML failed: boom"},
		{"custom verb in a gather, invalid", NewResponse(Gather{Action: act, Prompts: []Verb{pause{}}}), "Pause", errPause.Error()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.resp.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidAttr)
			var found bool
			for _, e := range unjoin(err) {
				var ae *AttrError
				require.ErrorAs(t, e, &ae)
				if ae.Element == tc.element && ae.Structure && strings.Contains(e.Error(), tc.reason) {
					found = true
					assert.Empty(t, ae.Attr)
					assert.Contains(t, e.Error(), "vobizxml: <"+tc.element+">: ")
				}
			}
			assert.True(t, found, "want a structure error on <%s> saying %q; got:\n%v", tc.element, tc.reason, err)
			_, err = tc.resp.Bytes()
			assert.ErrorIs(t, err, ErrInvalidAttr, "never rendered")
		})
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestCustomVerb: a verb of the user's own renders in place, indented like
// the rest, and its Validate error is reported in an *AttrError that
// errors.Is finds as both ErrInvalidAttr and the user's own error.
func TestCustomVerb(t *testing.T) {
	resp := NewResponse(Speak{Text: "One moment."}, pause{Seconds: 2}, &pause{Seconds: 1}, Hangup{})
	b, err := resp.Bytes()
	require.NoError(t, err)
	assert.Equal(t, `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Speak>One moment.</Speak>
    <Pause length="2"></Pause>
    <Pause length="1"></Pause>
    <Hangup></Hangup>
</Response>
`, string(b))

	// It reads back as a RawVerb, which renders the same.
	var back Response
	require.NoError(t, xml.Unmarshal(b, &back))
	assert.Equal(t, RawVerb{Name: "Pause", Attrs: []xml.Attr{{Name: xml.Name{Local: "length"}, Value: "2"}}}, back.Verbs[1])
	again, err := back.Bytes()
	require.NoError(t, err)
	assert.Equal(t, string(b), string(again))

	err = NewResponse(pause{Seconds: -1}).Validate()
	assert.ErrorIs(t, err, ErrInvalidAttr)
	assert.ErrorIs(t, err, errPause)
	var ae *AttrError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "Pause", ae.Element)
	assert.True(t, ae.Structure)
	assert.Equal(t, "vobizxml: <Pause>: invalid XML value: pause: want a positive length", err.Error())

	// So does a MarshalXML error.
	boom := errors.New("boom")
	err = NewResponse(marshalFunc(func(*xml.Encoder) error { return boom })).Validate()
	assert.ErrorIs(t, err, ErrInvalidAttr)
	assert.ErrorIs(t, err, boom)

	// An *AttrError of its own passes through as it is.
	own := &AttrError{Element: "Pause", Attr: "length", Reason: "want 1 to 10", Err: ErrInvalidAttr}
	err = NewResponse(validateFunc{pause{1}, own}).Validate()
	assert.Same(t, own, err)
}

// validateFunc is a custom verb whose Validate returns err.
type validateFunc struct {
	pause
	err error
}

func (v validateFunc) Validate() error { return v.err }

// TestRawVerb: a RawVerb writes its name, attributes (escaped) and inner
// XML (verbatim, after checking it), in any position.
func TestRawVerb(t *testing.T) {
	raw := RawVerb{Name: "Say", Attrs: []xml.Attr{{Name: xml.Name{Local: "voice"}, Value: `a "b" & <c>`}}, Inner: `Hi <b>there</b> &amp; <![CDATA[<x>]]>`}
	b, err := xml.Marshal(Gather{Action: "https://a.example/g", Prompts: []Verb{raw}})
	require.NoError(t, err)
	assert.Equal(t, `<Gather action="https://a.example/g"><Say voice="a &#34;b&#34; &amp; &lt;c&gt;">Hi <b>there</b> &amp; <![CDATA[<x>]]></Say></Gather>`, string(b))

	var back Gather
	require.NoError(t, xml.Unmarshal(b, &back))
	assert.Equal(t, raw, back.Prompts[0])

	// The escape hatch: a known name, not validated as that element.
	b, err = xml.Marshal(RawVerb{Name: "Dial", Attrs: []xml.Attr{{Name: xml.Name{Local: "newAttribute"}, Value: "1"}}, Inner: "<Number>1</Number>"})
	require.NoError(t, err)
	assert.Equal(t, `<Dial newAttribute="1"><Number>1</Number></Dial>`, string(b))
}
