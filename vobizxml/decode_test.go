package vobizxml

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnmarshalErrors(t *testing.T) {
	cases := map[string]string{
		"bad toggle":            `<Response><Conference beep="yes">r</Conference></Response>`,
		"bad loop":              `<Response><Play loop="-2">https://a.example/x.mp3</Play></Response>`,
		"bad int":               `<Response><Conference maxParticipants="many">r</Conference></Response>`,
		"truncated":             `<Response><Conference>r</Conference>`,
		"truncated in a gather": `<Response><Gather action="https://a.example/g"><Speak>hi</Speak>`,
		"old dial shorthand":    `<Response><Dial>+14155551234</Dial></Response>`,
		"text in response":      `<Response>hello<Hangup/></Response>`,
		"text in gather":        `<Response><Gather action="https://a.example/g">press 1</Gather></Response>`,
		"bad end timeout":       `<Response><Gather digitEndTimeout="soon"></Gather></Response>`,
		"zero end timeout":      `<Response><Gather speechEndTimeout="0"></Gather></Response>`,
		"bad dial attribute":    `<Response><Dial redirect="maybe"><Number>1</Number></Dial></Response>`,
		"header without =":      `<Response><Stream extraHeaders="a=1,b">wss://a.example/s</Stream></Response>`,
		"header twice":          `<Response><Dial sipHeaders="a=1,a=2"><Number>1</Number></Dial></Response>`,
		"namespaced attribute":  `<Response><Pause xmlns:v="urn:v" v:length="2"/></Response>`,
		"default namespace":     `<Response><Pause xmlns="urn:v"/></Response>`,
		"too deep":              `<Response>` + strings.Repeat(`<PreAnswer>`, 20) + strings.Repeat(`</PreAnswer>`, 20) + `</Response>`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			var r Response
			assert.Error(t, xml.Unmarshal([]byte(doc), &r))
		})
	}
}

// TestUnmarshalReadsEverything: what the decoder keeps of hand-written XML
// in Vobiz's docs' style: known elements at any depth into their types
// (misplaced ones included, for Validate to report), unknown ones into
// RawVerb, unknown attributes of known elements dropped.
func TestUnmarshalReadsEverything(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <!-- a comment is skipped -->
    <Gather action="https://app.example/pin" timeout="10" inputType="dtmf" numDigits="4" digitEndTimeout="AUTO">
        <Speak>Enter your PIN.</Speak>
        <Wait length="1"/>
        <Beep tone="high">short</Beep>
    </Gather>
    <Number>+15550100</Number>
    <AudioStream track="both"><Url>wss://a.example/s</Url></AudioStream>
    <Dial><User sipHeaders="a=1,b=2">sip:a@b</User></Dial>
</Response>`
	var r Response
	require.NoError(t, xml.Unmarshal([]byte(doc), &r))
	assert.Equal(t, NewResponse(
		Gather{Action: "https://app.example/pin", InputType: GatherDTMF, NumDigits: 4, DigitEndTimeout: EndTimeoutAuto,
			Prompts: []Verb{
				Speak{Text: "Enter your PIN."},
				Wait{Length: 1},
				RawVerb{Name: "Beep", Attrs: []xml.Attr{{Name: xml.Name{Local: "tone"}, Value: "high"}}, Inner: "short"},
			}},
		Number{PhoneNumber: "+15550100"},
		RawVerb{Name: "AudioStream", Attrs: []xml.Attr{{Name: xml.Name{Local: "track"}, Value: "both"}}, Inner: "<Url>wss://a.example/s</Url>"},
		Dial{Children: []Verb{User{URI: "sip:a@b", SIPHeaders: Headers{"a": "1", "b": "2"}}}},
	), r)

	// Decoding does not validate; Validate then names the misplaced ones.
	err := r.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "<Gather>: invalid XML value: prompt 1 is a <Wait>")
	assert.Contains(t, err.Error(), "<Response>: invalid XML value: verb 1 is a <Number>")
	assert.NotContains(t, err.Error(), "Beep", "an unknown element goes anywhere")
}

// TestUnmarshalContainersAlone: the containers decode on their own too.
func TestUnmarshalContainersAlone(t *testing.T) {
	for _, v := range []Verb{fullGather(), fullDial(), PreAnswer{Verbs: []Verb{Wait{Length: 2}, Speak{Text: "hi"}}}} {
		b, err := xml.Marshal(v)
		require.NoError(t, err)
		var back Verb
		switch v.(type) {
		case Gather:
			var g Gather
			require.NoError(t, xml.Unmarshal(b, &g))
			back = g
		case Dial:
			var d Dial
			require.NoError(t, xml.Unmarshal(b, &d))
			back = d
		case PreAnswer:
			var p PreAnswer
			require.NoError(t, xml.Unmarshal(b, &p))
			back = p
		}
		assert.Equal(t, v, back)
	}
}

// FuzzResponseRoundTrip parses arbitrary documents, as UnmarshalXML does
// with an answer read back: nothing panics, and an answer that decodes and
// validates renders to XML that decodes to the same Response and renders
// to the same bytes again.
func FuzzResponseRoundTrip(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "xml", "*.xml"))
	require.NoError(f, err)
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`<Response><Gather action="https://a.example/g"><Gather action="https://a.example/g"/></Gather></Response>`))
	f.Add([]byte(`<Response><X a="&#x1;"><![CDATA[<y>]]>&amp;</X></Response>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var r Response
		if xml.Unmarshal(doc, &r) != nil {
			return
		}
		first, err := r.Bytes()
		if err != nil {
			var ae *AttrError
			require.True(t, errors.As(err, &ae), "a render error is an *AttrError: %v", err)
			require.ErrorIs(t, err, ErrInvalidAttr)
			return
		}
		var back Response
		require.NoError(t, xml.Unmarshal(first, &back), "%s", first)
		require.Equal(t, r, back)
		again, err := back.Bytes()
		require.NoError(t, err)
		require.Equal(t, string(first), string(again))
	})
}
