package track

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

func TestTrackerRecordedSequences(t *testing.T) {
	tests := []struct {
		name      string
		calls     []string
		others    int
		endReason EndReason
		startedBy vobizhook.Action
		provider  bool // provider start and end seen
		peak      int
		check     func(t *testing.T, c Snapshot, rec *lifecycleRecorder)
	}{
		{
			name:  "live-three",
			calls: []string{"start", "enter 249", "enter 250", "enter 251", "exit 250", "exit 249", "exit 251", "end"},
			// the waitSound fetch is passed on untracked
			others: 1, endReason: EndLastMember, startedBy: vobizhook.ActionEnter, peak: 3,
			check: func(t *testing.T, c Snapshot, rec *lifecycleRecorder) {
				assert.Equal(t, "standup", c.Name)
				m, ok := c.Lookup("a1b2c3d4-0001-4000-8000-000000000001", "249")
				require.True(t, ok)
				assert.Equal(t, "918071387423", m.From, "From comes from the enter; exits carry none")
				assert.Equal(t, "918045678901", m.To)
				// The derived start is a copy of the first enter.
				start := rec.events[vobizhook.ActionStart][0]
				assert.Equal(t, vobizhook.ActionStart, start.Action)
				assert.Equal(t, "enter", start.Params.Get("ConferenceAction"))
				assert.Equal(t, "249", start.MemberID)
				assert.Equal(t, c.StartedAt, start.Timestamp)
				end := rec.events[vobizhook.ActionEnd][0]
				assert.Equal(t, "exit", end.Params.Get("ConferenceAction"))
				assert.Equal(t, "251", end.MemberID)
				assert.Equal(t, c.EndedAt, end.Timestamp)
			},
		},
		{
			name:      "classic-two",
			calls:     []string{"start", "enter", "enter", "exit", "exit", "end"},
			endReason: EndProvider, startedBy: vobizhook.ActionStart, provider: true, peak: 2,
			check: func(t *testing.T, c Snapshot, rec *lifecycleRecorder) {
				assert.Equal(t, utc("2026-05-19 10:32:15"), c.StartedAt)
				assert.Equal(t, utc("2026-05-19 10:45:01"), c.EndedAt)
				assert.Equal(t, "https://media.vobiz.ai/recordings/c1a55c00.mp3", c.RecordingURL)
				m, ok := c.Lookup("b0000000-0001-4000-8000-000000000001", "")
				require.True(t, ok)
				assert.Equal(t, utc("2026-05-19 10:32:15"), m.JoinedAt)
				assert.Equal(t, utc("2026-05-19 10:41:30"), m.LeftAt)
				assert.Equal(t, 9*time.Minute+15*time.Second, m.Stay)
				// The provider's own start and end are passed as received.
				assert.Equal(t, "start", rec.events[vobizhook.ActionStart][0].Params.Get("ConferenceAction"))
				assert.Equal(t, c.RecordingURL, rec.events[vobizhook.ActionEnd][0].RecordingURL)
			},
		},
		{
			name:      "minimal-two",
			calls:     []string{"start", "enter 10", "enter 11", "exit 10", "exit 11", "end"},
			endReason: EndEmptyRoster, startedBy: vobizhook.ActionEnter, peak: 2,
		},
		{
			name:      "live-rejoin",
			calls:     []string{"start", "enter 300", "enter 301", "exit 300", "enter 302", "exit 301", "exit 302", "end"},
			endReason: EndLastMember, startedBy: vobizhook.ActionEnter, peak: 2,
			check: func(t *testing.T, c Snapshot, rec *lifecycleRecorder) {
				require.Len(t, c.Past(), 3, "a re-entry is a new member")
				_, ok := c.Lookup("e0000000-0001-4000-8000-000000000001", "300")
				assert.True(t, ok)
				_, ok = c.Lookup("e0000000-0001-4000-8000-000000000001", "302")
				assert.True(t, ok)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newTestClock()
			tr := &Tracker{Now: func() time.Time { clock.Advance(time.Second); return clock.Now() }}
			rec := newRecorder()
			h := rec.handler(tr)
			lines := loadSequence(t, tc.name)
			for _, line := range lines {
				require.Equal(t, http.StatusOK, deliver(h, line))
			}
			// Deliver everything again: duplicates change and call nothing.
			before := onlyConference(t, tr)
			for _, line := range lines {
				require.Equal(t, http.StatusOK, deliver(h, line))
			}
			assert.Equal(t, before, onlyConference(t, tr))

			var tracked []string
			for _, c := range rec.calls {
				if c != "other" {
					tracked = append(tracked, c)
				}
			}
			assert.Equal(t, tc.calls, tracked, "calls, in order")
			assert.Equal(t, tc.others*2, rec.count["other"], "untracked actions go to OnOther on every delivery")
			c := onlyConference(t, tr)
			assert.True(t, c.Ended)
			assert.Equal(t, tc.endReason, c.EndReason)
			assert.Equal(t, tc.startedBy, c.StartedBy)
			assert.Equal(t, tc.provider, c.ProviderStart)
			assert.Equal(t, tc.provider, c.ProviderEnd)
			assert.Equal(t, tc.peak, c.Peak)
			assert.Empty(t, c.Members())
			for _, m := range c.Past() {
				assert.True(t, m.EnterSeen && m.ExitSeen, "member %s/%s complete", m.CallUUID, m.MemberID)
				assert.Positive(t, m.Stay)
			}
			assert.Empty(t, live(t, tr))
			if tc.check != nil {
				tc.check(t, c, rec)
			}
		})
	}
}

// sequenceFacts describes what the final state of a sequence must be,
// whatever the delivery order.
type sequenceFacts struct {
	enters, exits int
	from          map[[2]string]string // member -> From of its enter
}

func factsOf(t testing.TB, lines []string) sequenceFacts {
	f := sequenceFacts{from: map[[2]string]string{}}
	for _, l := range lines {
		ev := parseLine(t, l)
		switch ev.Action {
		case vobizhook.ActionEnter:
			f.enters++
			f.from[[2]string{ev.CallUUID, ev.MemberID}] = ev.From
		case vobizhook.ActionExit:
			f.exits++
		}
	}
	return f
}

var permutationCases = []struct {
	name    string
	reasons []EndReason
	exact   func(t *testing.T, c Snapshot) // order-independent facts
}{
	{name: "live-three", reasons: []EndReason{EndLastMember}},
	{name: "live-rejoin", reasons: []EndReason{EndLastMember}},
	{name: "minimal-two", reasons: []EndReason{EndEmptyRoster}},
	{
		name: "classic-two",
		// last-member only when the size-0 exit comes before the provider's start
		reasons: []EndReason{EndProvider, EndLastMember},
		exact: func(t *testing.T, c Snapshot) {
			assert.Equal(t, utc("2026-05-19 10:32:15"), c.StartedAt)
			assert.Equal(t, utc("2026-05-19 10:45:01"), c.EndedAt)
			assert.True(t, c.ProviderStart)
			assert.True(t, c.ProviderEnd)
			assert.Equal(t, 2, c.Peak)
			assert.Equal(t, "https://media.vobiz.ai/recordings/c1a55c00.mp3", c.RecordingURL)
			m, _ := c.Lookup("b0000000-0002-4000-8000-000000000002", "")
			assert.Equal(t, utc("2026-05-19 10:33:02"), m.JoinedAt)
			assert.Equal(t, utc("2026-05-19 10:45:00"), m.LeftAt)
		},
	},
}

func checkFinal(t *testing.T, tr *Tracker, rec *lifecycleRecorder, facts sequenceFacts, reasons []EndReason, exact func(*testing.T, Snapshot)) bool {
	t.Helper()
	ok := assert.Equal(t, 1, rec.count[vobizhook.ActionStart], "OnStart exactly once") &&
		assert.Equal(t, 1, rec.count[vobizhook.ActionEnd], "OnEnd exactly once") &&
		assert.Equal(t, facts.enters, rec.count[vobizhook.ActionEnter], "OnEnter once per member") &&
		assert.Equal(t, facts.exits, rec.count[vobizhook.ActionExit], "OnExit once per member")
	c := onlyConference(t, tr)
	ok = ok && assert.Equal(t, vobizhook.ActionStart, rec.byConf[c.UUID][0], "OnStart before anything else") &&
		assert.True(t, c.Ended) && assert.Contains(t, reasons, c.EndReason) &&
		assert.Empty(t, c.Members()) && assert.Len(t, c.Past(), len(facts.from))
	for _, m := range c.Past() {
		ok = ok && assert.True(t, m.EnterSeen && m.ExitSeen) &&
			assert.Equal(t, facts.from[[2]string{m.CallUUID, m.MemberID}], m.From) &&
			assert.False(t, m.LeftAt.Before(m.JoinedAt))
	}
	if exact != nil && ok {
		exact(t, c)
	}
	return ok
}

// permutations calls fn with every ordering of 0..n-1 (Heap's algorithm).
func permutations(n int, fn func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	c := make([]int, n)
	fn(p)
	for i := 0; i < n; {
		if c[i] < i {
			if i%2 == 0 {
				p[0], p[i] = p[i], p[0]
			} else {
				p[c[i]], p[i] = p[i], p[c[i]]
			}
			fn(p)
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
}

func TestTrackerEveryPermutation(t *testing.T) {
	for _, tc := range permutationCases {
		t.Run(tc.name, func(t *testing.T) {
			lines := trackedLines(t, loadSequence(t, tc.name))
			facts := factsOf(t, lines)
			n := 0
			permutations(len(lines), func(order []int) {
				n++
				tr := &Tracker{}
				rec := newRecorder()
				h := rec.handler(tr)
				for _, i := range order {
					require.Equal(t, http.StatusOK, deliver(h, lines[i]))
				}
				if !checkFinal(t, tr, rec, facts, tc.reasons, tc.exact) {
					t.Fatalf("order %v", order)
				}
			})
			t.Logf("%d orders", n)
		})
	}
}

// TestTrackerShuffledWithDuplicatesAndRetries delivers each event one to
// three times in random order; every func fails a quarter of the time, and
// a failed delivery is retried later, as Vobiz does.
func TestTrackerShuffledWithDuplicatesAndRetries(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 2026))
	for _, tc := range permutationCases {
		t.Run(tc.name, func(t *testing.T) {
			lines := trackedLines(t, loadSequence(t, tc.name))
			facts := factsOf(t, lines)
			for run := range 2000 {
				var queue []string
				for _, l := range lines {
					for range 1 + rng.IntN(3) {
						queue = append(queue, l)
					}
				}
				rng.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
				tr := &Tracker{}
				rec := newRecorder()
				rec.fail = func(a vobizhook.Action, ev vobizhook.ConferenceEvent) error {
					switch rng.IntN(8) {
					case 0:
						return errors.New("database unavailable")
					case 1:
						panic("bug in user code")
					}
					return nil
				}
				h := rec.handler(tr)
				for deliveries := 0; len(queue) > 0; deliveries++ {
					require.Less(t, deliveries, 1000, "run %d does not converge", run)
					line := queue[0]
					queue = queue[1:]
					if code := deliver(h, line); code != http.StatusOK {
						require.Equal(t, http.StatusInternalServerError, code)
						at := rng.IntN(len(queue) + 1)
						queue = append(queue[:at], append([]string{line}, queue[at:]...)...)
					}
				}
				if !checkFinal(t, tr, rec, facts, tc.reasons, tc.exact) {
					t.Fatalf("run %d", run)
				}
			}
		})
	}
}
