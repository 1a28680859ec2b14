package vobizhooktest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vobizhook/vobizhook"
)

// Style is the shape of the callbacks a [Scenario] generates.
type Style string

const (
	// Live is what Vobiz sends today: only enter and exit, with Event,
	// ConferenceMemberID, ConferenceFirstMember (enter) and
	// ConferenceLastMember (exit); enters carry the phone numbers,
	// Direction, CallStatus and the call-level extras (ALegUUID,
	// ALegRequestUUID, RequestUUID, ParentAuthID, BillRate, SessionStart) in
	// Params; exits carry none of those. It is the default.
	Live Style = "live"

	// Classic is the older documentation's shape: start, enter, exit and end,
	// each with From, To, ConferenceCurrentSize and Timestamp; end also
	// carries RecordingUrl, as for a room with record="true".
	Classic Style = "classic"
)

// ParseStyle returns the Style named s ("live" or "classic").
func ParseStyle(s string) (Style, error) {
	switch st := Style(strings.ToLower(strings.TrimSpace(s))); st {
	case Live, Classic:
		return st, nil
	}
	return "", fmt.Errorf("%w: style %q: want live or classic", ErrInvalidScenario, s)
}

// Defaults of a [Scenario]'s zero fields, and its bound.
const (
	// DefaultRoom is the conference name of a Scenario without Room.
	DefaultRoom = "TestRoom"
	// DefaultParticipants is the size of a Scenario without Participants.
	DefaultParticipants = 3
	// MaxParticipants bounds Scenario.Participants. Vobiz rooms hold 200
	// participants by default.
	MaxParticipants = 10000
)

// defaultStart is when a Scenario with a zero Start begins.
var defaultStart = time.Date(2026, 5, 19, 10, 30, 0, 0, time.UTC)

// ErrInvalidScenario is wrapped by the errors of a [Scenario] whose fields
// are out of range.
var ErrInvalidScenario = errors.New("vobizhooktest: invalid scenario")

// Scenario describes one conference: a named room that Participants join
// one after the other and then leave in a random order, and how its
// callbacks are delivered. The same Scenario (Seed included) always gives
// the same events and deliveries; only the signature nonces of
// [Scenario.Requests] are fresh each time.
//
// The zero value is a usable live conference of [DefaultParticipants] in
// [DefaultRoom].
type Scenario struct {
	// Room is the conference name (the text of <Conference>); default
	// DefaultRoom.
	Room string

	// Participants is how many calls join, 1 to MaxParticipants; zero means
	// DefaultParticipants. Each gets its own CallUUID, member ID and From
	// number.
	Participants int

	// Style is Live (the default when empty) or Classic.
	Style Style

	// Seed seeds the generator: UUIDs, numbers, member IDs, times, exit
	// order, shuffling and duplicates.
	Seed int64

	// Shuffle delivers the callbacks in a random order. Vobiz dispatches
	// callbacks asynchronously and gives no ordering guarantee, so any
	// permutation can happen: an exit before its enter, the room's last exit
	// first. Shuffle draws a uniform permutation of the whole conference,
	// the strictest test of a receiver.
	Shuffle bool

	// Duplicates is the probability, 0 to 1, that a delivery is sent a
	// second time, as a provider retry after a lost or late answer. The
	// duplicate follows its original within the next three original deliveries
	// (other duplicates may come between).
	Duplicates float64

	// Start is when the first participant joins; zero means
	// 2026-05-19 10:30:00 UTC.
	Start time.Time
}

// Delivery is one callback as it reaches the server.
type Delivery struct {
	// Event is the callback's content.
	Event vobizhook.ConferenceEvent
	// Index is the event's position in [Scenario.Events]: deliveries with
	// the same Index carry the same callback.
	Index int
	// Duplicate is true for a second delivery of an event (a retry).
	Duplicate bool
}

func (s Scenario) normalized() (Scenario, error) {
	if s.Room == "" {
		s.Room = DefaultRoom
	}
	if s.Participants == 0 {
		s.Participants = DefaultParticipants
	}
	if s.Participants < 0 || s.Participants > MaxParticipants {
		return s, fmt.Errorf("%w: Participants %d: want 1 to %d", ErrInvalidScenario, s.Participants, MaxParticipants)
	}
	if s.Style == "" {
		s.Style = Live
	}
	if s.Style != Live && s.Style != Classic {
		return s, fmt.Errorf("%w: Style %q: want %q or %q", ErrInvalidScenario, s.Style, Live, Classic)
	}
	if !(s.Duplicates >= 0 && s.Duplicates <= 1) { // also catches NaN
		return s, fmt.Errorf("%w: Duplicates %v: want a probability from 0 to 1", ErrInvalidScenario, s.Duplicates)
	}
	if s.Start.IsZero() {
		s.Start = defaultStart
	}
	return s, nil
}

// Two independent streams per seed, so that Shuffle and Duplicates do not
// change the events themselves.
const (
	streamEvents     = 0x766f62697a657674 // "vobizevt"
	streamDeliveries = 0x766f62697a646c76 // "vobizdlv"
)

// participant is one call of the conference.
type participant struct {
	callUUID, requestUUID string
	number                string
	memberID              string
	outbound              bool
	enter, exit           time.Time
}

// Events returns the conference's callbacks in the order they happened,
// before shuffling and duplication:
//
//   - Live: an enter per participant (ConferenceFirstMember true for the
//     first), then an exit per participant (ConferenceLastMember true for the
//     one that left the room empty).
//   - Classic: start (with the first participant's call, size 1), the
//     enters with the growing ConferenceCurrentSize, the exits with the
//     shrinking one, then end (size 0, RecordingUrl). Each carries its size
//     in Params too, as a parsed classic event does, so that [EncodeEvent]
//     sends the final sizes of 0.
//
// The error wraps [ErrInvalidScenario].
func (s Scenario) Events() ([]vobizhook.ConferenceEvent, error) {
	s, err := s.normalized()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(s.Seed), streamEvents))
	confUUID := newUUID(rng)
	did := newNumber(rng, nil)
	parentAuthID := "MA" + randomString(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 18)
	firstMember := 100 + rng.IntN(900)

	people := make([]participant, s.Participants)
	numbers := map[string]bool{did: true}
	at := s.Start.Add(time.Duration(rng.IntN(1e6)) * time.Microsecond)
	for i := range people {
		if i > 0 {
			at = at.Add(time.Duration(5+rng.IntN(25))*time.Second + time.Duration(rng.IntN(1e6))*time.Microsecond)
		}
		p := &people[i]
		p.callUUID = newUUID(rng)
		p.requestUUID = newUUID(rng)
		p.number = newNumber(rng, numbers)
		p.memberID = strconv.Itoa(firstMember + i)
		p.outbound = rng.IntN(5) == 0
		p.enter = at
	}
	lastEnter := at
	for i := range people {
		people[i].exit = lastEnter.Add(time.Duration(30+rng.IntN(900))*time.Second + time.Duration(rng.IntN(1e6))*time.Microsecond)
	}
	exitOrder := make([]int, len(people))
	for i := range exitOrder {
		exitOrder[i] = i
	}
	slices.SortStableFunc(exitOrder, func(a, b int) int { return people[a].exit.Compare(people[b].exit) })

	base := vobizhook.ConferenceEvent{ConferenceUUID: confUUID, ConferenceName: s.Room, CurrentSize: -1}
	events := make([]vobizhook.ConferenceEvent, 0, 2*len(people)+2)
	if s.Style == Classic {
		classic := func(action vobizhook.Action, p *participant, size int, at time.Time) vobizhook.ConferenceEvent {
			ev := base
			ev.Action = action
			ev.CallUUID = p.callUUID
			ev.From, ev.To = p.numbers(did)
			ev.CurrentSize = size
			// Carried explicitly, so that EncodeEvent sends the final 0.
			ev.Params = url.Values{"ConferenceCurrentSize": {strconv.Itoa(size)}}
			ev.Timestamp = at.Truncate(time.Second)
			return ev
		}
		events = append(events, classic(vobizhook.ActionStart, &people[0], 1, people[0].enter))
		for i := range people {
			events = append(events, classic(vobizhook.ActionEnter, &people[i], i+1, people[i].enter))
		}
		for n, i := range exitOrder {
			events = append(events, classic(vobizhook.ActionExit, &people[i], len(people)-n-1, people[i].exit))
		}
		last := &people[exitOrder[len(exitOrder)-1]]
		end := classic(vobizhook.ActionEnd, last, 0, last.exit)
		end.RecordingURL = "https://media.vobiz.ai/recordings/" + confUUID + ".mp3"
		return append(events, end), nil
	}

	for i := range people {
		p := &people[i]
		ev := base
		ev.Action, ev.Event = vobizhook.ActionEnter, "ConferenceEnter"
		ev.MemberID = p.memberID
		ev.FirstMember = i == 0
		ev.CallUUID = p.callUUID
		ev.From, ev.To = p.numbers(did)
		ev.Direction = "inbound"
		if p.outbound {
			ev.Direction = "outbound"
		}
		ev.CallStatus = "in-progress"
		ev.Params = url.Values{
			"ALegUUID":        {p.callUUID},
			"ALegRequestUUID": {p.requestUUID},
			"RequestUUID":     {p.requestUUID},
			"ParentAuthID":    {parentAuthID},
			"BillRate":        {"0.0045"},
			"SessionStart":    {formatSessionStart(p.enter)},
		}
		events = append(events, ev)
	}
	for n, i := range exitOrder {
		p := &people[i]
		ev := base
		ev.Action, ev.Event = vobizhook.ActionExit, "ConferenceExit"
		ev.MemberID = p.memberID
		ev.LastMember = n == len(exitOrder)-1
		ev.CallUUID = p.callUUID
		events = append(events, ev)
	}
	return events, nil
}

// numbers returns From and To of the participant's call: the caller and the
// conference's number for an inbound call, the other way round for a call
// the application dialled out.
func (p *participant) numbers(did string) (from, to string) {
	if p.outbound {
		return did, p.number
	}
	return p.number, did
}

// Deliveries returns the callbacks in the order the server receives them:
// [Scenario.Events], shuffled when Shuffle is set, with duplicates inserted
// when Duplicates > 0. The error wraps [ErrInvalidScenario].
func (s Scenario) Deliveries() ([]Delivery, error) {
	events, err := s.Events()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(s.Seed), streamDeliveries))
	order := make([]int, len(events))
	for i := range order {
		order[i] = i
	}
	if s.Shuffle {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	type pending struct {
		d     Delivery
		after int // how many more originals go first
	}
	var queue []pending
	out := make([]Delivery, 0, len(events)+int(float64(len(events))*s.Duplicates)+1)
	for _, i := range order {
		d := Delivery{Event: events[i], Index: i}
		out = append(out, d)
		if s.Duplicates > 0 && rng.Float64() < s.Duplicates {
			d.Duplicate = true
			queue = append(queue, pending{d: d, after: rng.IntN(3)})
		}
		kept := queue[:0]
		for _, p := range queue {
			if p.after == 0 {
				out = append(out, p.d)
				continue
			}
			p.after--
			kept = append(kept, p)
		}
		queue = kept
	}
	for _, p := range queue {
		out = append(out, p.d)
	}
	return out, nil
}

// Requests returns one request per delivery, built by [NewRequest] with
// opts. A duplicate is a copy of its original's request, signature headers
// and nonce included, as a provider's retry of the same request would be; a
// Handler that remembers nonces acknowledges it without dispatching it
// again once the original was handled. (Served concurrently, a duplicate
// can reach the Handler while its original is still being handled; send it
// again on a non-200 answer, as Vobiz and `vobizhook simulate` do.) The
// error wraps [ErrInvalidScenario] or is NewRequest's.
func (s Scenario) Requests(opts ...Option) ([]*http.Request, error) {
	deliveries, err := s.Deliveries()
	if err != nil {
		return nil, err
	}
	o := newOptions(opts)
	built := make(map[int]*http.Request, len(deliveries))
	out := make([]*http.Request, 0, len(deliveries))
	for _, d := range deliveries {
		if orig, ok := built[d.Index]; ok && d.Duplicate {
			out = append(out, duplicate(orig))
			continue
		}
		r, err := newRequest(d.Event, o)
		if err != nil {
			return nil, err
		}
		built[d.Index] = r
		out = append(out, r)
	}
	return out, nil
}

// duplicate returns a copy of r with its own body.
func duplicate(r *http.Request) *http.Request {
	c := r.Clone(r.Context())
	if r.GetBody != nil {
		if body, err := r.GetBody(); err == nil {
			c.Body = body
		}
	}
	return c
}

// newUUID returns a random (version 4) UUID drawn from rng.
func newUUID(rng *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newNumber returns an Indian mobile number as Vobiz writes it (country code,
// no '+'), different from those in seen, which it then records.
func newNumber(rng *rand.Rand, seen map[string]bool) string {
	for {
		n := "91" + strconv.Itoa(6+rng.IntN(4)) + randomString(rng, "0123456789", 9)
		if !seen[n] {
			if seen != nil {
				seen[n] = true
			}
			return n
		}
	}
}

func randomString(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// formatSessionStart writes a time as Vobiz's SessionStart: UTC with
// microseconds.
func formatSessionStart(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000000")
}
