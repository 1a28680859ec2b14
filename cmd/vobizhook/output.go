package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vobizhook/vobizhook"
)

// printer writes listen's output: one line per callback, per refused
// request and per notable log record, human-readable or as JSON lines. It is
// safe for concurrent use.
type printer struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
	now  func() time.Time
}

func newPrinter(w io.Writer, jsonLines bool) *printer {
	return &printer{w: w, json: jsonLines, now: time.Now}
}

// jsonEvent is the -json line of a callback.
type jsonEvent struct {
	Time           time.Time  `json:"time"`
	Kind           string     `json:"kind"` // "event"
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

// jsonRefusal is the -json line of a refused request.
type jsonRefusal struct {
	Time       time.Time `json:"time"`
	Kind       string    `json:"kind"` // "refused"
	Status     int       `json:"status"`
	Reason     string    `json:"reason"`
	Method     string    `json:"method,omitempty"`
	Path       string    `json:"path,omitempty"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
}

// jsonNote is the -json line of another log record of the Handler.
type jsonNote struct {
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"` // "note"
	Level    string    `json:"level"`
	Message  string    `json:"message"`
	Action   string    `json:"action,omitempty"`
	CallUUID string    `json:"call_uuid,omitempty"`
	Error    string    `json:"error,omitempty"`
}

func (p *printer) line(v any, human string) {
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

func (p *printer) clock() time.Time { return p.now() }

// event prints a callback the Handler dispatched.
func (p *printer) event(ev vobizhook.ConferenceEvent) {
	now := p.clock()
	if p.json {
		j := jsonEvent{
			Time: now, Kind: "event", Action: string(ev.Action), Event: ev.Event,
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
		p.line(j, "")
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-5s %s", now.Format("15:04:05.000"), ev.Action, quoteIfNeeded(ev.ConferenceName))
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
	p.line(nil, b.String())
}

// refused prints a request the Handler (or the router) refused.
func (p *printer) refused(status int, reason, method, path, remote string) {
	now := p.clock()
	if p.json {
		p.line(jsonRefusal{Time: now, Kind: "refused", Status: status, Reason: reason, Method: method, Path: path, RemoteAddr: remote}, "")
		return
	}
	p.line(nil, fmt.Sprintf("%s REFUSED %d %s %s from %s: %s", now.Format("15:04:05.000"), status, method, quoteIfNeeded(path), remote, reason))
}

// note prints another log record of the Handler.
func (p *printer) note(level slog.Level, msg, action, callUUID, errText string) {
	now := p.clock()
	if p.json {
		p.line(jsonNote{Time: now, Kind: "note", Level: level.String(), Message: msg, Action: action, CallUUID: callUUID, Error: errText}, "")
		return
	}
	label := "note"
	if level >= slog.LevelWarn {
		label = strings.ToLower(level.String())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", now.Format("15:04:05.000"), label, msg)
	if action != "" {
		fmt.Fprintf(&b, " action=%s", quoteIfNeeded(action))
	}
	if callUUID != "" {
		fmt.Fprintf(&b, " call=%s", quoteIfNeeded(callUUID))
	}
	if errText != "" {
		fmt.Fprintf(&b, " error=%s", strconv.Quote(errText))
	}
	p.line(nil, b.String())
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

// logSink is the slog.Handler given to the vobizhook.Handler: it turns the
// Handler's refusals (Warn "callback refused") into refusal lines and its
// other records into notes. The Handler never logs header values, so
// nothing secret reaches it.
type logSink struct {
	p     *printer
	attrs []slog.Attr
}

// Log messages of vobizhook.Handler that logSink treats specially.
const (
	msgRefused = "vobizhook: callback refused"
	msgHandled = "vobizhook: callback handled" // already printed as an event
)

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }

func (s *logSink) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message == msgHandled {
		return nil
	}
	a := map[string]slog.Value{}
	for _, at := range s.attrs {
		a[at.Key] = at.Value
	}
	rec.Attrs(func(at slog.Attr) bool {
		a[at.Key] = at.Value
		return true
	})
	str := func(k string) string {
		if v, ok := a[k]; ok {
			return v.Resolve().String()
		}
		return ""
	}
	if rec.Message == msgRefused {
		status, _ := strconv.Atoi(str("status"))
		s.p.refused(status, str("reason"), str("method"), str("path"), str("remote_addr"))
		return nil
	}
	if rec.Level < slog.LevelInfo && str("action") == "" {
		return nil
	}
	s.p.note(rec.Level, rec.Message, str("action"), str("call_uuid"), str("error"))
	return nil
}

func (s *logSink) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logSink{p: s.p, attrs: append(s.attrs[:len(s.attrs):len(s.attrs)], attrs...)}
}

func (s *logSink) WithGroup(string) slog.Handler { return s }
