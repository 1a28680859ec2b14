package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

// listen prints from the Handler's Outcome only (its Logger is discarded):
// every kind of outcome gets its own line, the reason comes from
// Outcome.Err, and the status printed is the one answered.
func TestPrinterOutcomes(t *testing.T) {
	ev := enterEvent()
	from := func() *inbound { return &inbound{method: "POST", path: "/conference-events", remote: "192.0.2.1:1234"} }
	withSteps := func(steps ...vobizhook.Action) *inbound { in := from(); in.steps = steps; return in }
	forwarded := func(a appAnswer, repeat vobizhook.NonceState) *inbound {
		in := from()
		in.relay = &relay{answer: &a, repeat: repeat}
		return in
	}
	sigErr := fmt.Errorf("%w: header X-Vobiz-Signature-V3: no match", vobizhook.ErrInvalidSignature)
	tests := []struct {
		name    string
		o       vobizhook.Outcome
		in      *inbound
		steps   bool   // printed as demo prints them
		text    string // the line after its time stamp
		outcome string // the JSON line's kind and outcome
		status  int    // the JSON line's status
	}{
		{"handled", vobizhook.Outcome{Kind: vobizhook.OutcomeHandled, Status: 200, Event: &ev}, from(), false,
			`enter "Weekly Standup" member=249 call=call-1 from=918071387423 to=919624705678 direction=inbound status=in-progress first-member conference=conf-1`,
			"event handled", 200},
		{"handled, with the Tracker's steps", vobizhook.Outcome{Kind: vobizhook.OutcomeHandled, Status: 200, Event: &ev},
			withSteps(vobizhook.ActionStart, vobizhook.ActionEnter), true, `first-member conference=conf-1 -> OnStart, OnEnter`, "event handled", 200},
		{"acknowledged", vobizhook.Outcome{Kind: vobizhook.OutcomeAcknowledged, Status: 200, Event: &ev}, from(), true,
			`conference=conf-1 -> acknowledged, no func ran`, "event acknowledged", 200},
		{"duplicate", vobizhook.Outcome{Kind: vobizhook.OutcomeDuplicate, Status: 200, Event: &ev}, from(), false,
			`conference=conf-1 -> duplicate: nonce already handled, acknowledged without dispatch`, "event duplicate", 200},
		{"in progress", vobizhook.Outcome{Kind: vobizhook.OutcomeInProgress, Status: 503, Event: &ev}, from(), false,
			`conference=conf-1 -> 503: the same callback is being handled; Vobiz retries`, "event in-progress", 503},
		{"failed", vobizhook.Outcome{Kind: vobizhook.OutcomeFailed, Status: 500, Event: &ev, Err: fmt.Errorf("saving: %w", http.ErrHandlerTimeout)}, from(), false,
			`conference=conf-1 -> 500 FAILED: saving: http: Handler timeout`, "event failed", 500},
		{"unavailable", vobizhook.Outcome{Kind: vobizhook.OutcomeUnavailable, Status: 503, Event: &ev, Err: vobizhook.ErrUnavailable}, from(), false,
			`conference=conf-1 -> 503 UNAVAILABLE: ` + vobizhook.ErrUnavailable.Error(), "event unavailable", 503},
		{"refused before decoding", vobizhook.Outcome{Kind: vobizhook.OutcomeRefused, Status: 403, Err: sigErr}, from(), false,
			`REFUSED 403 POST /conference-events from 192.0.2.1:1234: vobizhook: invalid signature: header X-Vobiz-Signature-V3: no match`, "refused refused", 403},
		{"misconfigured", vobizhook.Outcome{Kind: vobizhook.OutcomeMisconfigured, Status: 500, Err: vobizhook.ErrNoAuthToken}, from(), false,
			`MISCONFIGURED 500 POST /conference-events from 192.0.2.1:1234: vobizhook: no auth token configured`, "refused misconfigured", 500},
		{"without an inbound", vobizhook.Outcome{Kind: vobizhook.OutcomeRefused, Status: 405, Err: vobizhook.ErrMethodNotAllowed}, nil, false,
			`REFUSED 405 request: ` + vobizhook.ErrMethodNotAllowed.Error(), "refused refused", 405},
		{"forwarded: the app's answer", vobizhook.Outcome{Kind: vobizhook.OutcomeHandled, Status: 200, Event: &ev},
			forwarded(appAnswer{status: 200, latency: 12340 * time.Microsecond}, vobizhook.NonceNew), false,
			`conference=conf-1 -> 200 OK in 12.34ms`, "event handled", 200},
		{"forwarded: the app's refusal, a repeat", vobizhook.Outcome{Kind: vobizhook.OutcomeFailed, Status: 500, Event: &ev},
			forwarded(appAnswer{status: 403, latency: time.Millisecond, body: []byte("vobizhook: invalid signature\nmore")}, vobizhook.NonceDone), false,
			`conference=conf-1 (repeat: the app accepted this callback before) -> 403 Forbidden in 1ms: "vobizhook: invalid signature"`, "event failed", 403},
		{"forwarded: no answer", vobizhook.Outcome{Kind: vobizhook.OutcomeFailed, Status: 500, Event: &ev},
			forwarded(appAnswer{status: 504, latency: time.Second, err: fmt.Errorf("%w: no answer within 1s", errAppTimeout)}, vobizhook.NonceNew), false,
			`conference=conf-1 -> 504 Gateway Timeout: the app did not answer in time: no answer within 1s`, "event failed", 504},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := time.Date(2026, 5, 19, 10, 30, 0, 0, time.UTC)
			var text, lines syncBuffer
			tp, jp := newPrinter(&text, false), newPrinter(&lines, true)
			for _, p := range []*printer{tp, jp} {
				p.now, p.steps = func() time.Time { return at }, tt.steps
				p.outcome(tt.o, tt.in)
			}
			require.True(t, strings.HasPrefix(text.String(), "10:30:00.000 "), text.String())
			assert.True(t, strings.HasSuffix(text.String(), tt.text+"\n"), "%s\nwant suffix %s", text.String(), tt.text)
			assert.Equal(t, 1, strings.Count(text.String(), "\n"), "one line")

			var l struct {
				Time                  time.Time
				Kind, Outcome, Reason string
				Status                int
				CallUUID              string `json:"call_uuid"`
				Steps                 []string
				Repeat                bool
				Forward               *jsonForward
			}
			require.NoError(t, json.Unmarshal([]byte(lines.String()), &l), lines.String())
			assert.Equal(t, tt.outcome, l.Kind+" "+l.Outcome)
			assert.Equal(t, tt.status, l.Status)
			assert.Equal(t, at, l.Time)
			if tt.o.Err != nil {
				assert.Equal(t, tt.o.Err.Error(), l.Reason)
			}
			if tt.o.Event != nil {
				assert.Equal(t, "call-1", l.CallUUID)
			}
			if tt.in != nil && tt.in.relay != nil {
				require.NotNil(t, l.Forward)
				assert.Equal(t, tt.status, l.Forward.Status)
				assert.Equal(t, tt.in.relay.repeat != vobizhook.NonceNew, l.Repeat)
			}
			if tt.steps && len(tt.in.steps) > 0 {
				assert.Equal(t, []string{"start", "enter"}, l.Steps)
			}
		})
	}
}

func TestTallyString(t *testing.T) {
	var tl tally
	assert.Equal(t, "0 requests", tl.String())
	for _, k := range []vobizhook.OutcomeKind{vobizhook.OutcomeRefused, vobizhook.OutcomeHandled, vobizhook.OutcomeRefused, vobizhook.OutcomeDuplicate} {
		tl.add(k, nil)
	}
	assert.Equal(t, "4 requests: handled 1, duplicate 1, refused 2", tl.String())
	tl.add(vobizhook.OutcomeFailed, &appAnswer{status: 502})
	tl.add(vobizhook.OutcomeHandled, &appAnswer{status: 200})
	assert.Equal(t, "6 requests: forwarded 2 (200: 1, 502: 1), handled 1, duplicate 1, refused 2", tl.String(),
		"a forwarded callback counts by the answer Vobiz got")
}
