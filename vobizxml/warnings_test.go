package vobizxml

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWarnings: what Vobiz accepts but never runs or ignores is a warning
// (ErrNoEffect), not a validation error: the answer still renders.
func TestWarnings(t *testing.T) {
	const act = "https://app.example/next"
	bye := Speak{Text: "Goodbye."}
	num := Number{PhoneNumber: "+15550100"}
	type warning struct{ element, attr, reason string }
	cases := []struct {
		name string
		resp Response
		want []warning
	}{
		{"none", NewResponse(Speak{Text: "hi"}, Conference{Room: "r"}, Hangup{}), nil},
		{"empty", Response{}, nil},
		{"after hangup", NewResponse(Hangup{}, bye, Hangup{}),
			[]warning{{"Speak", "", "verbs 1 to 2 are never reached: <Hangup> ends the call (verb 0)"}}},
		{"after a pointer hangup", NewResponse(&Hangup{}, &Speak{Text: "x"}),
			[]warning{{"Speak", "", "verb 1 is never reached: <Hangup> ends the call (verb 0)"}}},
		{"after a scheduled hangup", NewResponse(Hangup{Schedule: 60}, Speak{Text: "Ends in a minute.", Loop: LoopForever}), nil},
		{"scheduled hangup last", NewResponse(Speak{Text: "hi"}, Hangup{Schedule: 30}),
			[]warning{{"Hangup", "schedule", "nothing follows <Hangup>, so the call ends at once"}}},
		{"after redirect", NewResponse(Redirect{URL: act}, Conference{Room: "r"}),
			[]warning{{"Conference", "", "verb 1 is never reached: <Redirect> hands the call to its URL (verb 0)"}}},
		{"after dial with action", NewResponse(Dial{Action: act, Children: []Verb{num}}, bye),
			[]warning{{"Speak", "", "<Dial> with an action continues with the action's answer"}}},
		{"after dial with action, redirect off", NewResponse(Dial{Action: act, Redirect: Off, Children: []Verb{num}}, bye), nil},
		{"after dial without action", NewResponse(Dial{Children: []Verb{num}}, bye), nil},
		{"after record with redirect", NewResponse(Record{Action: act, Redirect: On}, bye),
			[]warning{{"Speak", "", "<Record> with redirect On continues"}}},
		{"after record", NewResponse(Record{Action: act}, bye), nil},
		{"after gather", NewResponse(Gather{Action: act}, bye, Hangup{}), nil},
		{"after endless play", NewResponse(Play{URL: "https://cdn.example/hold.mp3", Loop: LoopForever}, bye),
			[]warning{{"Speak", "", "<Play> with LoopForever never ends"}}},
		{"after endless speak", NewResponse(Speak{Text: "hold", Loop: LoopForever}, pause{1}),
			[]warning{{"Pause", "", "<Speak> with LoopForever never ends"}}},
		{"endless play last", NewResponse(Play{URL: "https://cdn.example/hold.mp3", Loop: LoopForever}), nil},
		{"preanswer second", NewResponse(Speak{Text: "hi"}, PreAnswer{Verbs: []Verb{Wait{}}}),
			[]warning{{"PreAnswer", "", "verb 1: Vobiz's docs want <PreAnswer> first"}}},
		{"preanswer empty", NewResponse(PreAnswer{}, Conference{Room: "r"}),
			[]warning{{"PreAnswer", "", "it has no Speak, Play or Wait"}}},
		{"stream last", NewResponse(Speak{Text: "hi"}, Stream{URL: "wss://a.example/s"}),
			[]warning{{"Stream", "", "nothing follows it and keepCallAlive is not On"}}},
		{"stream last, kept alive", NewResponse(Stream{URL: "wss://a.example/s", Bidirectional: On, KeepCallAlive: On}), nil},
		{"stream before conference", NewResponse(Stream{URL: "wss://a.example/s"}, Conference{Room: "r"}), nil},
		{"record startOnDialAnswer outside dial", NewResponse(Record{Action: act, StartOnDialAnswer: On}, Conference{Room: "r"}),
			[]warning{{"Record", "startOnDialAnswer", "only a <Record> inside a <Dial>"}}},
		{"record startOnDialAnswer in dial", NewResponse(Dial{Children: []Verb{num, Record{Action: act, StartOnDialAnswer: On}}}), nil},
		{"silence wait, default minSilence", NewResponse(Wait{Silence: On}, Speak{Text: "hi"}),
			[]warning{{"Wait", "silence", "the default minSilence of 2000 ms is not shorter than the wait"}}},
		{"silence wait of 2 s, default minSilence", NewResponse(&Wait{Length: 2, Silence: On}, Speak{Text: "hi"}),
			[]warning{{"Wait", "silence", "not shorter than the wait"}}},
		{"silence wait of 3 s, default minSilence", NewResponse(Wait{Length: 3, Silence: On}, Speak{Text: "hi"}), nil},
		{"silence wait, minSilence set", NewResponse(Wait{Silence: On, MinSilence: 500}, Speak{Text: "hi"}), nil},
		{"several", NewResponse(Speak{Text: "hi"}, PreAnswer{}, Hangup{}, bye), []warning{
			{"PreAnswer", "", "want <PreAnswer> first"},
			{"PreAnswer", "", "it has no Speak"},
			{"Speak", "", "verb 3 is never reached"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws := tc.resp.Warnings()
			require.Len(t, ws, len(tc.want), "%v", ws)
			for i, w := range ws {
				assert.Equal(t, tc.want[i].element, w.Element)
				assert.Equal(t, tc.want[i].attr, w.Attr)
				assert.Equal(t, w.Attr == "", w.Structure)
				assert.Contains(t, w.Error(), tc.want[i].reason)
				assert.Contains(t, w.Error(), ": has no effect: ")
				assert.ErrorIs(t, w, ErrNoEffect)
				assert.NotErrorIs(t, w, ErrInvalidAttr, "a warning is not a validation error")
			}
			// A warning never stops the answer.
			require.NoError(t, tc.resp.Validate())
			_, err := tc.resp.Bytes()
			require.NoError(t, err)
		})
	}
}
