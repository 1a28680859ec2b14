package main

// listen's output comes from the Handler's OnOutcome, never from its log:
// one line per request, the callback as decoded (or, for a request refused
// before it was decoded, its method, path and sender) and how it was
// answered, from Outcome.Kind, Status and Err. Err never holds a secret (the
// Handler's errors name the parameter or header at fault, not its value).
// What the Outcome does not carry (the sender, the funcs that ran, the
// app's answer with -forward-to) is kept per request in an inbound, in the
// request's context.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vobizhook/vobizhook"
)

// printer writes listen's output: one line per request, human-readable or as
// JSON lines. It is safe for concurrent use.
type printer struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	steps bool // show the funcs each callback ran (a Tracker derives them)
	now   func() time.Time
}

func newPrinter(w io.Writer, jsonLines bool) *printer {
	return &printer{w: w, json: jsonLines, now: time.Now}
}

// jsonLine is one -json line: kind "event" for a decoded callback, whatever
// became of it, and "refused" for a request refused before it was decoded.
type jsonLine struct {
	Time       time.Time    `json:"time"`
	Kind       string       `json:"kind"`    // "event" or "refused"
	Outcome    string       `json:"outcome"` // the Handler's Outcome.Kind; "refused" for a wrong path
	Status     int          `json:"status"`  // the status answered
	Reason     string       `json:"reason,omitempty"`
	Method     string       `json:"method,omitempty"`
	Path       string       `json:"path,omitempty"`
	RemoteAddr string       `json:"remote_addr,omitempty"`
	Steps      []string     `json:"steps,omitempty"`  // the funcs that ran, when tracking
	Repeat     bool         `json:"repeat,omitempty"` // -forward-to: a copy of a callback the app already accepted
	Forward    *jsonForward `json:"forward,omitempty"`
	*jsonEvent
}

// jsonEvent is the callback of an "event" line.
type jsonEvent struct {
	Action         string     `json:"action"`
	Event          string     `json:"event,omitempty"`
	ConferenceUUID string     `json:"conference_uuid,omitempty"`
	ConferenceName string     `json:"conference_name,omitempty"`
	MemberID       string     `json:"member_id,omitempty"`
	CallUUID       string     `json:"call_uuid,omitempty"`
	From           string     `json:"from,omitempty"`
	To             string     `json:"to,omitempty"`
	Direction      string     `json:"direction,omitempty"`
	CallStatus     string     `json:"call_status,omitempty"`
	CurrentSize    *int       `json:"current_size,omitempty"`
	FirstMember    bool       `json:"first_member,omitempty"`
	LastMember     bool       `json:"last_member,omitempty"`
	Timestamp      *time.Time `json:"timestamp,omitempty"`
	RecordingURL   string     `json:"recording_url,omitempty"`
	Params         url.Values `json:"params,omitempty"`
}

// jsonForward is what the app answered a forwarded callback.
type jsonForward struct {
	Status    int     `json:"status"` // the app's, or 502/504 when it gave none
	LatencyMS float64 `json:"latency_ms"`
	Reason    string  `json:"reason,omitempty"` // first line of a non-2xx answer
	Error     string  `json:"error,omitempty"`  // why the app gave no answer
}

func (p *printer) write(v any, human string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		b, err := json.Marshal(v)
		if err != nil { // cannot happen with these types; keep the line anyway
			b = []byte(strconv.Quote(err.Error()))
		}
		p.w.Write(append(b, '\n'))
		return
	}
	io.WriteString(p.w, human+"\n")
}

// outcome prints how the Handler answered one request; in may be nil.
func (p *printer) outcome(o vobizhook.Outcome, in *inbound) {
	if in == nil {
		in = &inbound{}
	}
	now := p.now()
	status := in.answered(o)
	if p.json {
		l := jsonLine{
			Time: now, Kind: "refused", Outcome: string(o.Kind), Status: status, Reason: errText(o.Err),
			Method: in.method, Path: in.path, RemoteAddr: in.remote,
		}
		if o.Event != nil {
			l.Kind, l.jsonEvent = "event", newJSONEvent(*o.Event)
		}
		if p.steps {
			for _, s := range in.steps {
				l.Steps = append(l.Steps, string(s))
			}
		}
		if r := in.relay; r != nil && r.answer != nil {
			l.Repeat = r.repeat != vobizhook.NonceNew
			l.Forward = r.answer.json()
		}
		p.write(l, "")
		return
	}
	stamp := now.Format("15:04:05.000")
	if o.Event == nil {
		req := "request" // no inbound: cannot happen for the inspector's requests
		if in.method != "" {
			req = fmt.Sprintf("%s %s from %s", in.method, quoteIfNeeded(in.path), in.remote)
		}
		p.write(nil, fmt.Sprintf("%s %s %d %s: %s", stamp, strings.ToUpper(string(o.Kind)), status, req, errText(o.Err)))
		return
	}
	p.write(nil, stamp+" "+eventText(*o.Event)+p.verdict(o, in))
}

// verdict is the end of a callback's line: how it was answered.
func (p *printer) verdict(o vobizhook.Outcome, in *inbound) string {
	if r := in.relay; r != nil && r.answer != nil {
		s := ""
		switch r.repeat {
		case vobizhook.NonceDone:
			s = " (repeat: the app accepted this callback before)"
		case vobizhook.NonceInProgress:
			s = " (repeat: its first copy is being forwarded)"
		}
		return s + " -> " + r.answer.String()
	}
	switch o.Kind {
	case vobizhook.OutcomeHandled:
		if !p.steps {
			return ""
		}
		names := make([]string, len(in.steps))
		for i, s := range in.steps {
			names[i] = funcName(s)
		}
		return " -> " + strings.Join(names, ", ")
	case vobizhook.OutcomeAcknowledged:
		return " -> acknowledged, no func ran"
	case vobizhook.OutcomeDuplicate:
		return " -> duplicate: nonce already handled, acknowledged without dispatch"
	case vobizhook.OutcomeInProgress:
		return " -> 503: the same callback is being handled; Vobiz retries"
	}
	return fmt.Sprintf(" -> %d %s: %s", o.Status, strings.ToUpper(string(o.Kind)), errText(o.Err))
}

// notFound prints a request for a path other than the callback path, which
// the router answers 404 without the Handler.
func (p *printer) notFound(in *inbound, callbackPath string) {
	p.rejected(in, http.StatusNotFound, "not the callback path "+callbackPath)
}

// rejected prints a request answered before the Handler saw it.
func (p *printer) rejected(in *inbound, status int, reason string) {
	o := vobizhook.Outcome{Kind: vobizhook.OutcomeRefused, Status: status, Err: plainError(reason)}
	p.outcome(o, in)
}

// plainError is an error that is only its text.
type plainError string

func (e plainError) Error() string { return string(e) }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// funcName names the Handler func of a step: OnEnter for enter.
func funcName(a vobizhook.Action) string {
	switch a {
	case vobizhook.ActionEnter:
		return "OnEnter"
	case vobizhook.ActionExit:
		return "OnExit"
	case vobizhook.ActionStart:
		return "OnStart"
	case vobizhook.ActionEnd:
		return "OnEnd"
	case vobizhook.ActionLeave:
		return "OnLeave"
	}
	return "OnOther"
}

func newJSONEvent(ev vobizhook.ConferenceEvent) *jsonEvent {
	j := &jsonEvent{
		Action: string(ev.Action), Event: ev.Event,
		ConferenceUUID: ev.ConferenceUUID, ConferenceName: ev.ConferenceName,
		MemberID: ev.MemberID, CallUUID: ev.CallUUID, From: ev.From, To: ev.To,
		Direction: ev.Direction, CallStatus: ev.CallStatus,
		FirstMember: ev.FirstMember, LastMember: ev.LastMember,
		RecordingURL: ev.RecordingURL, Params: ev.Params,
	}
	if ev.CurrentSize >= 0 {
		size := ev.CurrentSize
		j.CurrentSize = &size
	}
	if !ev.Timestamp.IsZero() {
		ts := ev.Timestamp
		j.Timestamp = &ts
	}
	return j
}

// eventText is a callback on one line: its action, room and fields.
func eventText(ev vobizhook.ConferenceEvent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %s", ev.Action, quoteIfNeeded(ev.ConferenceName))
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, " %s=%s", name, quoteIfNeeded(value))
		}
	}
	field("member", ev.MemberID)
	field("call", ev.CallUUID)
	field("from", ev.From)
	field("to", ev.To)
	field("direction", ev.Direction)
	field("status", ev.CallStatus)
	if ev.CurrentSize >= 0 {
		field("size", strconv.Itoa(ev.CurrentSize))
	}
	if !ev.Timestamp.IsZero() {
		field("at", ev.Timestamp.Format(time.RFC3339))
	}
	field("recording", ev.RecordingURL)
	if ev.FirstMember {
		b.WriteString(" first-member")
	}
	if ev.LastMember {
		b.WriteString(" room-empty")
	}
	field("conference", ev.ConferenceUUID)
	return b.String()
}

// quoteIfNeeded quotes a value that is empty or holds spaces, quotes or
// non-printable characters, so that a line stays one line.
func quoteIfNeeded(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if r <= ' ' || r == '"' || r == '=' || r == 0x7f || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
