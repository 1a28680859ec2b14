package vobizhook

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/form/v4"
)

// Action is the value of a callback's ConferenceAction parameter.
type Action string

// The actions Vobiz documents for callbackUrl. Today's Vobiz sends only
// ActionEnter and ActionExit; older documentation also promises ActionStart
// and ActionEnd, so a receiver should be ready for all four.
const (
	ActionEnter Action = "enter" // a participant joined the room
	ActionExit  Action = "exit"  // a participant left the room
	ActionStart Action = "start" // the conference started (older documentation)
	ActionEnd   Action = "end"   // the conference ended (older documentation)
)

// Other actions that can reach the same URL. [Handler] passes them to its
// OnOther func, or acknowledges them when OnOther is nil.
const (
	// ActionWaitSound is Vobiz fetching the waitSound XML from this URL
	// (Event=ConferenceRemoteSounds, empty ConferenceUUID and member ID).
	ActionWaitSound Action = "waitSound"
	// ActionFloor, ActionDigits and ActionRecord are sent by Plivo, whose API
	// Vobiz follows; Vobiz does not document them.
	ActionFloor  Action = "floor"
	ActionDigits Action = "digits"
	ActionRecord Action = "record"
)

// ConferenceEvent is one decoded conference callback.
//
// Fields are filled from the parameters named in their comments. A parameter
// the callback did not carry leaves its field at the zero value, except
// CurrentSize, which is -1 then: live Vobiz traffic does not send
// ConferenceCurrentSize, and 0 is a real size.
//
// Which fields are present depends on the action and on the Vobiz revision:
// exits carry no From, To, Direction or CallStatus; only older payloads carry
// CurrentSize, Timestamp and RecordingURL. Params always holds everything that
// was received, for the parameters not modelled here (SessionStart,
// ALegUUID, BillRate, ...).
//
// Correlate members on CallUUID + MemberID, never on phone numbers: Vobiz
// does not order or deduplicate deliveries.
type ConferenceEvent struct {
	Action         Action `form:"ConferenceAction"`   // what happened: enter, exit, start, end, or another action
	Event          string `form:"Event"`              // e.g. "ConferenceEnter" (newer payloads)
	ConferenceUUID string `form:"ConferenceUUID"`     // the conference session
	ConferenceName string `form:"ConferenceName"`     // the room name from <Conference>
	MemberID       string `form:"ConferenceMemberID"` // e.g. "249" (newer payloads)
	CallUUID       string `form:"CallUUID"`           // the call leg
	From           string `form:"From"`               // without a leading '+', e.g. "918071387423"
	To             string `form:"To"`                 // the other end of the call leg, also without '+'
	Direction      string `form:"Direction"`          // "inbound" or "outbound" (enter only)
	CallStatus     string `form:"CallStatus"`         // e.g. "in-progress" (enter only)

	// CurrentSize is ConferenceCurrentSize, or -1 when the callback did not
	// include it.
	CurrentSize int `form:"ConferenceCurrentSize"`
	// FirstMember is ConferenceFirstMember (on enter).
	FirstMember bool `form:"ConferenceFirstMember"`
	// LastMember is ConferenceLastMember (on exit). It means the room was
	// empty at that instant, not that this member was the last to leave.
	LastMember bool `form:"ConferenceLastMember"`
	// Timestamp is when the event occurred; zero when absent. See
	// [Handler.Location] for how a time without a zone is read.
	Timestamp time.Time `form:"Timestamp"`
	// RecordingURL is RecordingUrl, sent on end when the room is recorded.
	RecordingURL string `form:"RecordingUrl"`

	// Params holds every parameter exactly as received, named above or not.
	// Treat it as read-only: it shares memory with the parsed request.
	Params url.Values `form:"-"`
}

// namedParams are the wire names of the fields above, in field order: each
// may appear at most once, must be clean text, and is at most namedMaxLen[i]
// bytes long (Vobiz's UUIDs are 36 bytes; the caps only stop a hostile
// request from making every downstream copy and log line huge).
var namedParams = [...]string{
	"ConferenceAction", "Event", "ConferenceUUID", "ConferenceName",
	"ConferenceMemberID", "CallUUID", "From", "To", "Direction", "CallStatus",
	"ConferenceCurrentSize", "ConferenceFirstMember", "ConferenceLastMember",
	"Timestamp", "RecordingUrl",
}

var namedMaxLen = [len(namedParams)]int{
	32, 64, 128, 512,
	64, 128, 64, 64, 32, 32,
	16, 8, 8,
	64, 2048,
}

// ParseConferenceEvent decodes the callback carried by r (POST form body or GET query) without
// verifying any signature.
//
// Use it inside a handler of your own (another router, a framework) when
// [Handler] does not fit; Handler calls the same code. It reads at most
// [DefaultMaxBodyBytes] of body and reads times without a zone as UTC. If the
// body was already parsed into r.PostForm, that is used instead.
//
// Errors wrap one of the package's sentinels: [ErrMethodNotAllowed],
// [ErrUnsupportedMediaType], [ErrBodyTooLarge], [ErrMalformedForm], or, as a
// *[ParamError] naming the parameter, [ErrMissingAction], [ErrDuplicateParam]
// and [ErrInvalidParam].
func ParseConferenceEvent(r *http.Request) (ConferenceEvent, error) {
	return parseRequest(r, DefaultMaxBodyBytes, time.UTC)
}

func parseRequest(r *http.Request, limit int64, loc *time.Location) (ConferenceEvent, error) {
	values, err := readForm(r, limit)
	if err != nil {
		return ConferenceEvent{}, err
	}
	return decodeEvent(values, loc)
}

func decodeEvent(values url.Values, loc *time.Location) (ConferenceEvent, error) {
	if err := checkNamedParams(values); err != nil {
		return ConferenceEvent{}, err
	}
	ev := ConferenceEvent{CurrentSize: -1}
	if err := decoder.Decode(&ev, values); err != nil {
		return ConferenceEvent{}, paramErrorFrom(err)
	}
	switch {
	case ev.Action == "":
		return ConferenceEvent{}, &ParamError{Param: "ConferenceAction", Err: ErrMissingAction}
	case !validAction(ev.Action):
		return ConferenceEvent{}, &ParamError{Param: "ConferenceAction", Reason: "want a word such as enter or exit", Err: ErrInvalidParam}
	}
	if loc != nil && loc != time.UTC && !ev.Timestamp.IsZero() && zoneless(values["Timestamp"][0]) {
		ev.Timestamp = sameClock(ev.Timestamp, loc)
	}
	ev.Params = values
	return ev, nil
}

// validAction accepts the shape of every action Vobiz and Plivo send
// (enter, waitSound, ...): letters, digits, '_' and '-'.
func validAction(a Action) bool {
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// checkNamedParams enforces what the decoder cannot: each named parameter
// appears at most once (parameter pollution) and holds clean text of bounded
// length. It walks the received parameters rather than looking every name
// up, which is cheaper for real payloads; of several offenders, it reports
// the one that comes first in namedParams, so the error does not depend on
// map order.
func checkNamedParams(values url.Values) error {
	var bad *ParamError
	badAt := len(namedParams)
	for name, vs := range values {
		i := namedIndex(name)
		if i < 0 || i >= badAt {
			continue
		}
		switch {
		case len(vs) > 1:
			bad, badAt = &ParamError{Param: name, Reason: "want exactly one", Err: ErrDuplicateParam}, i
		case len(vs) == 1 && len(vs[0]) > namedMaxLen[i]:
			bad, badAt = &ParamError{Param: name, Reason: "want at most " + strconv.Itoa(namedMaxLen[i]) + " bytes", Err: ErrInvalidParam}, i
		case len(vs) == 1 && !cleanText(vs[0]):
			bad, badAt = &ParamError{Param: name, Reason: "want UTF-8 text without control characters", Err: ErrInvalidParam}, i
		}
	}
	if bad != nil {
		return bad
	}
	return nil
}

// namedIndex returns the position of name in namedParams, or -1.
func namedIndex(name string) int {
	switch name {
	case "ConferenceAction":
		return 0
	case "Event":
		return 1
	case "ConferenceUUID":
		return 2
	case "ConferenceName":
		return 3
	case "ConferenceMemberID":
		return 4
	case "CallUUID":
		return 5
	case "From":
		return 6
	case "To":
		return 7
	case "Direction":
		return 8
	case "CallStatus":
		return 9
	case "ConferenceCurrentSize":
		return 10
	case "ConferenceFirstMember":
		return 11
	case "ConferenceLastMember":
		return 12
	case "Timestamp":
		return 13
	case "RecordingUrl":
		return 14
	}
	return -1
}

// cleanText reports whether s is valid UTF-8 free of control characters
// (C0, DEL, C1), line and paragraph separators and bidirectional overrides:
// nothing Vobiz sends needs them, and they break or spoof log lines.
func cleanText(s string) bool {
	for i := 0; i < len(s); i++ {
		// One unsigned comparison catches c < 0x20 (which wraps around) and
		// c >= 0x7f (DEL and every non-ASCII byte).
		if s[i]-0x20 >= 0x7f-0x20 {
			return cleanTextSlow(s[i:])
		}
	}
	return true
}

func cleanTextSlow(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r),
			r == '\u2028' || r == '\u2029', // line and paragraph separators
			'\u202a' <= r && r <= '\u202e', // bidi embeddings and overrides
			'\u2066' <= r && r <= '\u2069': // bidi isolates
			return false
		}
	}
	return true
}

// paramErrorFrom turns the decoder's error map into one *ParamError, choosing
// the first parameter in wire order so the result is deterministic.
func paramErrorFrom(err error) error {
	errs, ok := err.(form.DecodeErrors)
	if !ok {
		return &ParamError{Param: "(form)", Reason: err.Error(), Err: ErrInvalidParam}
	}
	for _, name := range namedParams {
		if e, ok := errs[name]; ok {
			return &ParamError{Param: name, Reason: e.Error(), Err: ErrInvalidParam}
		}
	}
	for name, e := range errs {
		return &ParamError{Param: name, Reason: e.Error(), Err: ErrInvalidParam}
	}
	return err
}

// decoder is the one shared, pre-configured form decoder (a *form.Decoder is
// safe for concurrent use). It reads zoneless timestamps as UTC;
// decodeEvent moves them to the Handler's Location afterwards, so one decoder
// serves every Location.
var decoder = func() *form.Decoder {
	d := form.NewDecoder()
	d.SetMode(form.ModeExplicit)
	d.RegisterCustomTypeFunc(decodeBool, false)
	d.RegisterCustomTypeFunc(decodeSize, 0)
	d.RegisterCustomTypeFunc(decodeTimestamp, time.Time{})
	return d
}()

type reasonError string

func (e reasonError) Error() string { return string(e) }

// decodeBool accepts true and false in any case; an empty value is false,
// like an absent one.
func decodeBool(vs []string) (any, error) {
	switch v := vs[0]; {
	case v == "" || strings.EqualFold(v, "false"):
		return false, nil
	case strings.EqualFold(v, "true"):
		return true, nil
	}
	return nil, reasonError("want true or false")
}

// decodeSize reads ConferenceCurrentSize; an empty value counts as absent.
func decodeSize(vs []string) (any, error) {
	if vs[0] == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil || n < 0 {
		return nil, reasonError("want a non-negative integer")
	}
	return n, nil
}

// timestampLayout is Vobiz's "2026-05-19 10:32:15"; when parsing, Go also
// accepts fractional seconds after it, as in "2026-08-31 20:08:21.073308".
const timestampLayout = time.DateTime

// decodeTimestamp reads a Timestamp for the decoder, zoneless ones as UTC.
func decodeTimestamp(vs []string) (any, error) { return parseTimestamp(vs[0], time.UTC) }

// parseTimestamp reads Vobiz's zoneless layout in loc, or RFC 3339 with its
// own offset. An empty value is the zero time, like an absent one.
func parseTimestamp(v string, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, ok := parseDateTime(v, loc); ok {
		return t, nil
	}
	if t, err := time.ParseInLocation(timestampLayout, v, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, reasonError(`want "2006-01-02 15:04:05[.fraction]" or RFC 3339`)
}

// zoneless reports whether a timestamp that parsed is in Vobiz's layout
// (a space at index 10) rather than RFC 3339 (a 'T' there).
func zoneless(v string) bool { return len(v) > 10 && v[10] == ' ' }

// sameClock returns the instant whose wall clock in loc reads as t's does.
func sameClock(t time.Time, loc *time.Location) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), loc)
}

// parseDateTime is a fast path for the exact shape Vobiz sends,
// "2006-01-02 15:04:05" with an optional "." and 1 to 9 digits. It accepts a
// subset of what time.ParseInLocation(timestampLayout, ...) accepts, with the
// same result (FuzzParseDateTime checks this); anything else reports false
// and takes the general path.
func parseDateTime(v string, loc *time.Location) (time.Time, bool) {
	if len(v) < 19 || v[4] != '-' || v[7] != '-' || v[10] != ' ' || v[13] != ':' || v[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(v[0:4])
	month, ok2 := digits(v[5:7])
	day, ok3 := digits(v[8:10])
	hour, ok4 := digits(v[11:13])
	minute, ok5 := digits(v[14:16])
	sec, ok6 := digits(v[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if frac := v[19:]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := digits(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			n *= 10
		}
		nsec = n
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), true
}

// digits parses a short run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int(c)
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 31 - int((m-1)%7%2)
}
