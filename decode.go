package vobizhook

import (
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/form/v4"
)

// decodeEvent checks values against the parameter table, unless readForm
// did as it parsed them (checked), and decodes them into a ConferenceEvent
// with the shared form decoder.
func decodeEvent(values url.Values, checked bool, loc *time.Location) (ConferenceEvent, error) {
	if !checked {
		if err := params.check(values); err != nil {
			return ConferenceEvent{}, err
		}
	}
	// The decoder takes the event by pointer, through an interface: a
	// pooled one spares an allocation per request.
	target := events.Get().(*ConferenceEvent)
	*target = ConferenceEvent{CurrentSize: -1}
	err := decoder.Decode(target, values)
	ev := *target
	*target = ConferenceEvent{}
	events.Put(target)
	if err != nil {
		return ConferenceEvent{}, paramErrorFrom(err)
	}
	switch {
	case ev.Action == "" && isLeave(values):
		ev.Action = ActionLeave
	case ev.Action == "":
		return ConferenceEvent{}, &ParamError{Param: "ConferenceAction", Err: ErrMissingAction}
	case !validAction(ev.Action):
		return ConferenceEvent{}, errActionNotWord
	}
	if loc != nil && loc != time.UTC && !ev.Timestamp.IsZero() && zoneless(values["Timestamp"][0]) {
		ev.Timestamp = sameClock(ev.Timestamp, loc)
	}
	ev.Params = values
	return ev, nil
}

// isLeave reports whether values are the <Conference action> request:
// nothing that looks like a conference callback (no parameter named like
// ConferenceAction in any letter case or with junk around it, no Event of a
// callback), and the conference, member, call and call status it always
// carries.
func isLeave(values url.Values) bool {
	for name := range values {
		if len(name) >= len("ConferenceAction") && strings.Contains(strings.ToLower(name), "conferenceaction") {
			return false
		}
	}
	if strings.HasPrefix(values.Get("Event"), "Conference") {
		return false
	}
	for _, name := range [...]string{"ConferenceUUID", "ConferenceMemberID", "CallUUID", "CallStatus"} {
		if v := values[name]; len(v) != 1 || v[0] == "" {
			return false
		}
	}
	return true
}

// paramErrorFrom turns the decoder's error map into one *ParamError, choosing
// the first parameter in table order so the result is deterministic.
func paramErrorFrom(err error) error {
	errs, ok := err.(form.DecodeErrors)
	if !ok {
		return &ParamError{Param: "(form)", Reason: err.Error(), Err: ErrInvalidParam}
	}
	for _, row := range params.rows {
		if e, ok := errs[row.name]; ok {
			return &ParamError{Param: row.name, Reason: e.Error(), Err: ErrInvalidParam}
		}
	}
	for name, e := range errs {
		return &ParamError{Param: name, Reason: e.Error(), Err: ErrInvalidParam}
	}
	return err
}

var events = sync.Pool{New: func() any { return new(ConferenceEvent) }}

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
	switch v := first(vs); {
	case v == "" || strings.EqualFold(v, "false"):
		return false, nil
	case strings.EqualFold(v, "true"):
		return true, nil
	}
	return nil, reasonError("want true or false")
}

// decodeSize reads ConferenceCurrentSize; an empty value counts as absent.
func decodeSize(vs []string) (any, error) {
	v := first(vs)
	if v == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return nil, reasonError("want a non-negative integer")
	}
	return n, nil
}

// timestampLayout is Vobiz's "2026-05-19 10:32:15"; when parsing, Go also
// accepts fractional seconds after it, as in "2026-08-31 20:08:21.073308".
const timestampLayout = time.DateTime

// decodeTimestamp reads a Timestamp for the decoder, zoneless ones as UTC.
func decodeTimestamp(vs []string) (any, error) { return parseTimestamp(first(vs), time.UTC) }

// first returns the first of vs, or "" when there is none: an r.PostForm
// built by hand may hold a key with no values, which reads as absent.
func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

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
