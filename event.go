package vobizhook

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"time"
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

	// ActionLeave is not a ConferenceAction Vobiz sends: it is the action
	// of the request Vobiz makes to <Conference action="..."> when a
	// member's call leaves the room, which carries no ConferenceAction (see
	// [Handler].OnLeave). A request is recognised as one when it carries
	// ConferenceUUID, ConferenceMemberID, CallUUID and CallStatus and
	// nothing of a conference callback: no parameter named like
	// ConferenceAction (even empty, in another letter case, or with junk
	// around the name) and no Event such as ConferenceEnter. Anything else
	// without a ConferenceAction is a malformed callback (400 naming
	// ConferenceAction).
	ActionLeave Action = "leave"
)

// ConferenceEvent is one decoded conference callback. Fields are filled
// from the parameters in their form tags (max is the longest accepted, in
// bytes); one absent is zero, but CurrentSize, -1 (live Vobiz sends none,
// and 0 is a real size). Exits carry no From, To, Direction or CallStatus;
// only older payloads carry CurrentSize, Timestamp and RecordingURL.
// Correlate members on CallUUID + MemberID, never on phone numbers.
type ConferenceEvent struct {
	Action         Action `form:"ConferenceAction" max:"32"`      // what happened: enter, exit, start, end, or another action
	Event          string `form:"Event" max:"64"`                 // e.g. "ConferenceEnter" (newer payloads)
	ConferenceUUID string `form:"ConferenceUUID" max:"128"`       // the conference session
	ConferenceName string `form:"ConferenceName" max:"512"`       // the room name from <Conference>
	MemberID       string `form:"ConferenceMemberID" max:"64"`    // e.g. "249" (newer payloads)
	CallUUID       string `form:"CallUUID" max:"128"`             // the call leg
	From           string `form:"From" max:"64"`                  // without a leading '+', e.g. "918071387423"
	To             string `form:"To" max:"64"`                    // the other end of the call leg, also without '+'
	Direction      string `form:"Direction" max:"32"`             // "inbound" or "outbound" (enter only)
	CallStatus     string `form:"CallStatus" max:"32"`            // e.g. "in-progress" (enter only)
	RecordingURL   string `form:"RecordingUrl" max:"2048"`        // sent on end when the room is recorded
	CurrentSize    int    `form:"ConferenceCurrentSize" max:"16"` // ConferenceCurrentSize, or -1 when absent
	FirstMember    bool   `form:"ConferenceFirstMember" max:"8"`  // on enter
	// LastMember is ConferenceLastMember (on exit). It means the room was
	// empty at that instant, not that this member was the last to leave.
	LastMember bool `form:"ConferenceLastMember" max:"8"`
	// Timestamp is when the event occurred; zero when absent. See
	// [Handler.Location] for how a time without a zone is read.
	Timestamp time.Time `form:"Timestamp" max:"64"`

	// Params holds every parameter received, named above or not; for a
	// POST, also those of the callback URL's own query (?tid=42) that the
	// body lacks, but never a named one: Params.Get("tid") reads an ID of
	// your own whatever the callbackMethod. Treat it as read-only.
	Params url.Values `form:"-"`
}

// IdempotencyKey returns a key that is the same for every delivery of one
// event, whatever its nonce: store events exactly once with a unique index
// on it. It is "v1:" and the first 32 hex digits of a SHA-256 over, each
// followed by a zero byte, the action and ConferenceUUID, and, but for
// start and end (one per conference), CallUUID, MemberID and Timestamp (its
// wall clock as sent, "2006-01-02 15:04:05" with any fractional seconds, so
// that Handler.Location does not change it; or empty). The formula will not
// change within version 1. Live Vobiz gives each stay its own MemberID; on
// older payloads without it, two stays of one call share keys unless their
// Timestamps differ. For actions other than enter, exit, start and end
// (Plivo's digits and floor), two events of one member without Timestamps
// share a key: it tells deliveries of one event apart from other events
// only for the four.
func (ev ConferenceEvent) IdempotencyKey() string {
	h := sha256.New()
	add := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	add(string(ev.Action))
	add(ev.ConferenceUUID)
	if ev.Action != ActionStart && ev.Action != ActionEnd {
		add(ev.CallUUID)
		add(ev.MemberID)
		ts := ev.Timestamp
		if raw := ev.Params.Get("Timestamp"); raw != "" {
			// As sent: a zoneless value read in a Location may have been
			// moved (a wall clock in a daylight-saving gap does not exist).
			if t, err := parseTimestamp(raw, time.UTC); err == nil {
				ts = t
			}
		}
		if ts.IsZero() {
			add("")
		} else {
			add(ts.Format("2006-01-02 15:04:05.999999999"))
		}
	}
	var sum [sha256.Size]byte
	return "v1:" + hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// NamedParams returns the wire names of the parameters ConferenceEvent's
// fields are decoded from, in field order: every other parameter is only in
// Params. Use it to tell Vobiz's parameters apart from your own.
func NamedParams() []string {
	out := make([]string, len(params.rows))
	for i, p := range params.rows {
		out[i] = p.name
	}
	return out
}

// ParseConferenceEvent decodes the callback carried by r (POST form body or
// GET query) without verifying any signature.
//
// Use it inside a handler of your own (another router, a framework) when
// [Handler] does not fit, after checking the signature with a [Verifier]:
// this function verifies nothing. Handler calls the same code. It reads at
// most [DefaultMaxBodyBytes] of body and reads times without a zone as UTC.
// If the body was already parsed into r.PostForm (by a framework), that is
// used instead.
//
// Errors wrap one of the package's sentinels: [ErrMethodNotAllowed],
// [ErrUnsupportedMediaType], [ErrBodyTooLarge], [ErrMalformedForm],
// [ErrBodyConsumed], or, as a *[ParamError] naming the parameter,
// [ErrMissingAction], [ErrDuplicateParam] and [ErrInvalidParam].
func ParseConferenceEvent(r *http.Request) (ConferenceEvent, error) {
	return parseRequest(r, DefaultMaxBodyBytes, time.UTC)
}

func parseRequest(r *http.Request, limit int64, loc *time.Location) (ConferenceEvent, error) {
	values, checked, err := readForm(r, limit)
	if err != nil {
		return ConferenceEvent{}, err
	}
	ev, err := decodeEvent(values, checked, loc)
	if err != nil {
		return ConferenceEvent{}, err
	}
	if r.Method == http.MethodPost && r.URL != nil && r.URL.RawQuery != "" {
		mergeQuery(&ev, r.URL.RawQuery, checked)
	}
	return ev, nil
}

// mergeQuery adds to ev.Params the parameters of a POST's URL query that
// the body does not carry, except the named ones. A malformed query is
// ignored: it is the application's own, not Vobiz's. Unless owned, Params
// is the request's own r.PostForm, which is copied before it is added to.
func mergeQuery(ev *ConferenceEvent, rawQuery string, owned bool) {
	q, err := parseForm(rawQuery)
	if err != nil {
		return
	}
	for name, vs := range q {
		if params.index(name) >= 0 {
			continue
		}
		if _, ok := ev.Params[name]; ok {
			continue
		}
		if ev.Params == nil {
			ev.Params, owned = url.Values{}, true
		}
		if !owned {
			ev.Params, owned = maps.Clone(ev.Params), true
		}
		ev.Params[name] = vs
	}
}
