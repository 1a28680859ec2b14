package track

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

// --- helpers ---------------------------------------------------------------

// testClock is a settable clock for Tracker.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// loadSequence reads testdata/sequences/<name>.txt: one form-encoded
// callback body per line, '#' comments and blank lines skipped.
func loadSequence(t testing.TB, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sequences", name+".txt"))
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines = append(lines, line)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, lines)
	return lines
}

// trackedLines drops the lines the tracker does not key (waitSound).
func trackedLines(t testing.TB, lines []string) []string {
	var out []string
	for _, l := range lines {
		if err := checkTrackable(ptr(parseLine(t, l))); err == nil {
			out = append(out, l)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func parseLine(t testing.TB, line string) vobizhook.ConferenceEvent {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/vobiz/conference", strings.NewReader(line))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ev, err := vobizhook.ParseConferenceEvent(r)
	require.NoError(t, err)
	return ev
}

// conferences, live, conference and sweep are the Tracker's reads, failing
// the test on a store error (the memory store has none).
func conferences(t testing.TB, tr *Tracker) []Snapshot {
	t.Helper()
	all, err := tr.Conferences(context.Background())
	require.NoError(t, err)
	return all
}

func live(t testing.TB, tr *Tracker) []Snapshot {
	t.Helper()
	all, err := tr.Live(context.Background())
	require.NoError(t, err)
	return all
}

func conference(t testing.TB, tr *Tracker, uuid string) (Snapshot, bool) {
	t.Helper()
	c, ok, err := tr.Conference(context.Background(), uuid)
	require.NoError(t, err)
	return c, ok
}

func sweep(t testing.TB, tr *Tracker) {
	t.Helper()
	require.NoError(t, tr.Sweep(context.Background()))
}

// memStore returns the tracker's memory store, for tests of its internals.
func memStore(tr *Tracker) *MemoryStore { return tr.store().(*MemoryStore) }

// lifecycleRecorder is the user's side of a vobizhook.Handler: it records successful calls and
// can inject failures.
type lifecycleRecorder struct {
	mu       sync.Mutex
	calls    []string                      // "start", "enter 249", ... in call order
	count    map[vobizhook.Action]int      // successful calls by action
	byConf   map[string][]vobizhook.Action // successful calls per conference, in order
	events   map[vobizhook.Action][]vobizhook.ConferenceEvent
	inFlight map[string]bool // conference -> a func is running
	overlap  atomic.Bool     // two funcs of one conference ran at once
	fail     func(a vobizhook.Action, ev vobizhook.ConferenceEvent) error
}

func newRecorder() *lifecycleRecorder {
	return &lifecycleRecorder{
		count:    map[vobizhook.Action]int{},
		byConf:   map[string][]vobizhook.Action{},
		events:   map[vobizhook.Action][]vobizhook.ConferenceEvent{},
		inFlight: map[string]bool{},
	}
}

func (r *lifecycleRecorder) fn(a vobizhook.Action) func(context.Context, vobizhook.ConferenceEvent) error {
	return func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		r.mu.Lock()
		if r.inFlight[ev.ConferenceUUID] {
			r.overlap.Store(true)
		}
		r.inFlight[ev.ConferenceUUID] = true
		fail := r.fail
		r.mu.Unlock()
		defer func() {
			r.mu.Lock()
			r.inFlight[ev.ConferenceUUID] = false
			r.mu.Unlock()
		}()
		if fail != nil {
			if err := fail(a, ev); err != nil {
				return err
			}
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		name := string(a)
		if (a == vobizhook.ActionEnter || a == vobizhook.ActionExit) && ev.MemberID != "" {
			name += " " + ev.MemberID
		}
		r.calls = append(r.calls, name)
		r.count[a]++
		r.byConf[ev.ConferenceUUID] = append(r.byConf[ev.ConferenceUUID], a)
		r.events[a] = append(r.events[a], ev)
		return nil
	}
}

// handler returns the Handler of the user's side, and makes its OnEnd the
// tracker's OnIdleEnd too, as the README says to.
func (r *lifecycleRecorder) handler(tr *Tracker) *vobizhook.Handler {
	tr.OnIdleEnd = r.fn(vobizhook.ActionEnd)
	return &vobizhook.Handler{
		OnStart: r.fn(vobizhook.ActionStart), OnEnter: r.fn(vobizhook.ActionEnter),
		OnExit: r.fn(vobizhook.ActionExit), OnEnd: r.fn(vobizhook.ActionEnd),
		OnOther: r.fn("other"),
		Tracker: tr,
		Logger:  slog.New(slog.DiscardHandler),
	}
}

func deliver(h http.Handler, body string) int {
	r := httptest.NewRequest(http.MethodPost, "/vobiz/conference", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func onlyConference(t testing.TB, tr *Tracker) Snapshot {
	t.Helper()
	all := conferences(t, tr)
	require.Len(t, all, 1)
	return all[0]
}

func utc(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return t
}

// --- recorded sequences, in order -----------------------------------------

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

// --- property tests: every order, shuffles with duplicates and failures ----

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

// --- failure semantics -------------------------------------------------------

func TestTrackerFuncFailureIsRetried(t *testing.T) {
	live := loadSequence(t, "live-three")
	enterA, exitB, exitA, exitLast := live[0], live[4], live[5], live[6]
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		before    []string         // delivered first, must succeed
		failing   vobizhook.Action // this func fails once
		panics    bool
		line      string
		wantAfter []vobizhook.Action // successful calls after the retry, in order
		visible   bool               // conference readable after the failed delivery
	}{
		{name: "OnStart fails", failing: vobizhook.ActionStart, line: enterA, wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter}},
		{name: "OnEnter fails after OnStart succeeded", failing: vobizhook.ActionEnter, line: enterA, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter}},
		{name: "OnEnter panics", failing: vobizhook.ActionEnter, panics: true, line: enterA, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter}},
		{name: "OnExit fails", before: []string{enterA}, failing: vobizhook.ActionExit, line: exitA, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter, vobizhook.ActionExit}},
		{name: "OnEnd fails after OnExit succeeded", before: live[:3], failing: vobizhook.ActionEnd, line: exitLast, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter, vobizhook.ActionEnter, vobizhook.ActionEnter, vobizhook.ActionExit, vobizhook.ActionEnd}},
		{name: "OnEnd fails on the exit that both starts and ends", failing: vobizhook.ActionEnd, line: exitLast, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionExit, vobizhook.ActionEnd}},
		{name: "OnExit of a tombstone fails", failing: vobizhook.ActionExit, line: exitB, visible: true,
			wantAfter: []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionExit}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &Tracker{}
			rec := newRecorder()
			h := rec.handler(tr)
			for _, l := range tc.before {
				require.Equal(t, http.StatusOK, deliver(h, l))
			}
			var failed atomic.Bool
			rec.fail = func(a vobizhook.Action, ev vobizhook.ConferenceEvent) error {
				if a == tc.failing && failed.CompareAndSwap(false, true) {
					if tc.panics {
						panic(errBoom)
					}
					return errBoom
				}
				return nil
			}
			require.Equal(t, http.StatusInternalServerError, deliver(h, tc.line))
			require.True(t, failed.Load())
			uuid := parseLine(t, tc.line).ConferenceUUID
			_, visible := conference(t, tr, uuid)
			assert.Equal(t, tc.visible, visible, "a conference is visible once its start is committed")

			require.Equal(t, http.StatusOK, deliver(h, tc.line), "the retry")
			require.Equal(t, http.StatusOK, deliver(h, tc.line), "a duplicate after success")
			assert.Equal(t, tc.wantAfter, rec.byConf[uuid])
		})
	}
}

func TestTrackerFromContext(t *testing.T) {
	live := loadSequence(t, "live-three")
	tr := &Tracker{}
	var seen []Snapshot
	var stash context.Context
	keep := func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		c, ok := FromContext(ctx)
		require.True(t, ok)
		seen = append(seen, c)
		stash = ctx
		return nil
	}
	h := &vobizhook.Handler{Tracker: tr, OnStart: keep, OnEnter: keep, OnExit: keep, OnEnd: keep}
	for _, l := range trackedLines(t, live) {
		require.Equal(t, http.StatusOK, deliver(h, l))
	}
	require.Len(t, seen, 8)
	assert.False(t, seen[0].Ended)
	assert.Empty(t, seen[0].Members(), "OnStart: nobody committed yet")
	assert.Len(t, seen[1].Members(), 1, "OnEnter: the member is present")
	assert.Equal(t, "249", seen[1].Members()[0].MemberID)
	assert.Len(t, seen[3].Members(), 3)
	assert.Len(t, seen[4].Members(), 2, "OnExit: the member has left")
	last := seen[7]
	assert.True(t, last.Ended, "OnEnd: ended")
	assert.Len(t, last.Past(), 3)
	assert.Equal(t, onlyConference(t, tr), last, "the preview is what gets committed")

	_, ok := FromContext(stash)
	assert.False(t, ok, "not after the func returned")
	_, ok = FromContext(context.Background())
	assert.False(t, ok)
}

// --- order tolerance ----------------------------------------------------------

func TestTrackerOrderTolerance(t *testing.T) {
	live := loadSequence(t, "live-three")
	enterA, enterB, enterC, exitB, exitA, exitC := live[0], live[1], live[2], live[4], live[5], live[6]
	ctx := context.Background()
	kinds := func(chs []Change) []ChangeKind {
		var out []ChangeKind
		for _, c := range chs {
			out = append(out, c.Kind)
		}
		return out
	}
	apply := func(t *testing.T, tr *Tracker, line string) []ChangeKind {
		chs, err := tr.Apply(ctx, parseLine(t, line))
		require.NoError(t, err)
		return kinds(chs)
	}

	t.Run("exit before enter leaves a tombstone", func(t *testing.T) {
		tr := &Tracker{}
		assert.Equal(t, []ChangeKind{ChangeStarted, ChangeExited}, apply(t, tr, exitA))
		assert.Equal(t, []ChangeKind{ChangeEntered}, apply(t, tr, enterA), "the late enter is applied once")
		assert.Nil(t, apply(t, tr, enterA))
		c := onlyConference(t, tr)
		assert.Empty(t, c.Members(), "not resurrected")
		require.Len(t, c.Past(), 1)
		m := c.Past()[0]
		assert.Equal(t, "918071387423", m.From, "filled in from the late enter")
		assert.True(t, m.EnterSeen && m.ExitSeen)
		assert.False(t, m.JoinedAt.After(m.LeftAt), "join time clamped to the leave time")
		assert.False(t, c.Ended, "ConferenceLastMember=false: the room is not empty")
	})

	t.Run("exit after the end closes the stay", func(t *testing.T) {
		clock := newTestClock()
		tr := &Tracker{Now: clock.Now}
		apply(t, tr, enterA)
		clock.Advance(time.Minute)
		apply(t, tr, enterB)
		clock.Advance(time.Minute)
		// C's exit says the room is empty while A and B look present: their
		// exits are late.
		assert.Equal(t, []ChangeKind{ChangeExited, ChangeEnded}, apply(t, tr, exitC))
		c := onlyConference(t, tr)
		assert.True(t, c.Ended)
		assert.Empty(t, c.Members(), "an ended conference has nobody present")
		a, _ := c.Lookup("a1b2c3d4-0001-4000-8000-000000000001", "249")
		assert.False(t, a.ExitSeen)
		assert.Equal(t, c.EndedAt, a.LeftAt, "provisionally closed at the end")

		clock.Advance(time.Minute)
		assert.Equal(t, []ChangeKind{ChangeExited}, apply(t, tr, exitA), "no second end")
		a, _ = onlyConference(t, tr).Lookup("a1b2c3d4-0001-4000-8000-000000000001", "249")
		assert.True(t, a.ExitSeen)
		assert.Equal(t, clock.Now(), a.LeftAt, "its real exit time wins")
		assert.Equal(t, 3*time.Minute, a.Stay)
	})

	t.Run("enter after the end is recorded, not restarted", func(t *testing.T) {
		tr := &Tracker{}
		apply(t, tr, enterA)
		apply(t, tr, exitC)
		assert.Equal(t, []ChangeKind{ChangeEntered}, apply(t, tr, enterC))
		assert.Equal(t, []ChangeKind{ChangeEntered}, apply(t, tr, enterB))
		c := onlyConference(t, tr)
		assert.True(t, c.Ended)
		assert.Empty(t, c.Members())
		assert.Len(t, c.Past(), 3)
		assert.Equal(t, []ChangeKind{ChangeExited}, apply(t, tr, exitB))
		assert.Nil(t, apply(t, tr, exitB))
	})

	t.Run("roster fallback waits for the enters of early exits", func(t *testing.T) {
		minimal := loadSequence(t, "minimal-two")
		enter10, enter11, exit10, exit11 := minimal[0], minimal[1], minimal[2], minimal[3]
		tr := &Tracker{}
		assert.Equal(t, []ChangeKind{ChangeStarted, ChangeExited}, apply(t, tr, exit10))
		assert.Equal(t, []ChangeKind{ChangeExited}, apply(t, tr, exit11))
		assert.Equal(t, []ChangeKind{ChangeEntered}, apply(t, tr, enter11), "10's enter is still awaited")
		assert.False(t, onlyConference(t, tr).Ended)
		assert.Equal(t, []ChangeKind{ChangeEntered, ChangeEnded}, apply(t, tr, enter10))
		assert.Equal(t, EndEmptyRoster, onlyConference(t, tr).EndReason)
	})

	t.Run("provider start after a derived start, end after a derived end", func(t *testing.T) {
		classic := loadSequence(t, "classic-two")
		tr := &Tracker{}
		assert.Equal(t, []ChangeKind{ChangeStarted, ChangeExited, ChangeEnded}, apply(t, tr, classic[4]), "size-0 exit first")
		assert.Equal(t, []ChangeKind{ChangeUpdated}, apply(t, tr, classic[0]))
		assert.Equal(t, []ChangeKind{ChangeUpdated}, apply(t, tr, classic[5]))
		assert.Nil(t, apply(t, tr, classic[5]))
		c := onlyConference(t, tr)
		assert.Equal(t, EndLastMember, c.EndReason)
		assert.True(t, c.ProviderStart && c.ProviderEnd)
		assert.Equal(t, utc("2026-05-19 10:32:15"), c.StartedAt, "moved earlier by the provider's start")
		assert.Equal(t, utc("2026-05-19 10:45:01"), c.EndedAt, "the provider's end time wins")
		assert.NotEmpty(t, c.RecordingURL)
	})

	t.Run("after the provider's start only its end ends the room", func(t *testing.T) {
		classic := loadSequence(t, "classic-two")
		tr := &Tracker{}
		for _, l := range classic[:5] {
			apply(t, tr, l)
		}
		c := onlyConference(t, tr)
		assert.False(t, c.Ended, "the size-0 exit waits for the provider's end")
		assert.Equal(t, []ChangeKind{ChangeEnded}, apply(t, tr, classic[5]))
	})
}

func TestTrackerUntrackable(t *testing.T) {
	tr := &Tracker{}
	for _, body := range []string{
		"ConferenceAction=waitSound&Event=ConferenceRemoteSounds",
		"ConferenceAction=enter&CallUUID=x&ConferenceMemberID=1",
		"ConferenceAction=enter&ConferenceUUID=u",
		"ConferenceAction=floor&ConferenceUUID=u&floorEvent=true",
	} {
		_, err := tr.Apply(context.Background(), parseLine(t, body))
		assert.ErrorIs(t, err, ErrUntrackable, body)
		assert.NotContains(t, err.Error(), "floor", "the received value is not repeated")
	}
	assert.Empty(t, conferences(t, tr))

	// Through a vobizhook.Handler, untrackable events reach the funcs as without a tracker.
	rec := newRecorder()
	h := rec.handler(tr)
	assert.Equal(t, http.StatusOK, deliver(h, "ConferenceAction=enter&CallUUID=x&ConferenceMemberID=1"))
	assert.Equal(t, 1, rec.count[vobizhook.ActionEnter])
	assert.Equal(t, 0, rec.count[vobizhook.ActionStart])
}

// Apply copies no field longer than a vobizhook.Handler would accept: the tracker's
// memory is bounded in bytes, not only in records.
func TestTrackerApplyBoundsFieldLengths(t *testing.T) {
	base := vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, ConferenceUUID: "u", CallUUID: "c", MemberID: "1", CurrentSize: -1}
	for _, tc := range []struct {
		param string
		max   int
		set   func(*vobizhook.ConferenceEvent, string)
	}{
		{"ConferenceUUID", 128, func(ev *vobizhook.ConferenceEvent, v string) { ev.ConferenceUUID = v }},
		{"ConferenceName", 512, func(ev *vobizhook.ConferenceEvent, v string) { ev.ConferenceName = v }},
		{"ConferenceMemberID", 64, func(ev *vobizhook.ConferenceEvent, v string) { ev.MemberID = v }},
		{"CallUUID", 128, func(ev *vobizhook.ConferenceEvent, v string) { ev.CallUUID = v }},
		{"From", 64, func(ev *vobizhook.ConferenceEvent, v string) { ev.From = v }},
		{"To", 64, func(ev *vobizhook.ConferenceEvent, v string) { ev.To = v }},
		{"RecordingUrl", 2048, func(ev *vobizhook.ConferenceEvent, v string) { ev.RecordingURL = v }},
	} {
		t.Run(tc.param, func(t *testing.T) {
			tr := &Tracker{}
			ev := base
			tc.set(&ev, strings.Repeat("x", tc.max))
			_, err := tr.Apply(context.Background(), ev)
			require.NoError(t, err, "at the limit")

			ev = base
			ev.ConferenceUUID = "other"
			tc.set(&ev, strings.Repeat("x", tc.max+1))
			changes, err := tr.Apply(context.Background(), ev)
			require.ErrorIs(t, err, ErrUntrackable)
			require.ErrorIs(t, err, vobizhook.ErrInvalidParam)
			var pe *vobizhook.ParamError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.param, pe.Param)
			assert.Contains(t, err.Error(), fmt.Sprintf("at most %d bytes", tc.max))
			assert.NotContains(t, err.Error(), "xxx", "the value is not repeated")
			assert.Empty(t, changes)
			assert.Len(t, conferences(t, tr), 1, "nothing tracked for it")
		})
	}
}

// ctxRecorder is a slog.Handler that keeps, for each record, the value of
// ctxProbe in the context it was logged with.
type ctxRecorder struct {
	mu   sync.Mutex
	seen map[string]any // message -> ctx.Value(ctxProbe{})
}

type ctxProbe struct{}

func (r *ctxRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *ctxRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *ctxRecorder) WithGroup(string) slog.Handler            { return r }
func (r *ctxRecorder) Handle(ctx context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[rec.Message] = ctx.Value(ctxProbe{})
	return nil
}

// The warning about an event the tracker cannot key is logged with the
// request's context, like the vobizhook.Handler's own records.
func TestTrackerUntrackableLogsWithRequestContext(t *testing.T) {
	for _, withFunc := range []bool{true, false} {
		t.Run(fmt.Sprint("func=", withFunc), func(t *testing.T) {
			logs := &ctxRecorder{seen: map[string]any{}}
			var called int
			h := &vobizhook.Handler{Tracker: &Tracker{Logger: slog.New(logs)}, Logger: slog.New(slog.DiscardHandler)}
			if withFunc {
				h.OnEnter = func(context.Context, vobizhook.ConferenceEvent) error { called++; return nil }
			}
			r := httptest.NewRequest(http.MethodPost, "/vobiz/conference", strings.NewReader("ConferenceAction=enter&ConferenceUUID=u"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r = r.WithContext(context.WithValue(r.Context(), ctxProbe{}, "request-42"))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, http.StatusOK, w.Code)
			logs.mu.Lock()
			defer logs.mu.Unlock()
			v, ok := logs.seen["track: event not tracked, dispatched as is"]
			require.True(t, ok, "the warning is logged")
			assert.Equal(t, "request-42", v, "with the request's context")
			assert.Equal(t, map[bool]int{true: 1, false: 0}[withFunc], called)
		})
	}
}

func TestTrackerHandlerWithoutFuncsStillTracks(t *testing.T) {
	tr := &Tracker{}
	h := &vobizhook.Handler{Tracker: tr}
	for _, l := range loadSequence(t, "live-three")[:3] {
		require.Equal(t, http.StatusOK, deliver(h, l))
	}
	c := onlyConference(t, tr)
	assert.Equal(t, 3, c.Size())
}

func TestTrackerWaitHonoursContext(t *testing.T) {
	live := loadSequence(t, "live-three")
	tr := &Tracker{}
	entered, release := make(chan struct{}), make(chan struct{})
	h := &vobizhook.Handler{Tracker: tr, OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		close(entered)
		<-release
		return nil
	}}
	done := make(chan int)
	go func() { done <- deliver(h, live[0]) }()
	<-entered
	// Reads do not wait for the running func (this one would block until
	// release otherwise); the steps of an event are committed together
	// once its funcs returned, so the conference is not visible yet.
	uuid := parseLine(t, live[0]).ConferenceUUID
	_, ok := conference(t, tr, uuid)
	assert.False(t, ok, "committed when the funcs of its first event returned")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tr.Apply(ctx, parseLine(t, live[1]))
	assert.ErrorIs(t, err, context.Canceled)
	close(release)
	assert.Equal(t, http.StatusOK, <-done)
	_, ok = conference(t, tr, uuid)
	assert.True(t, ok)
	_, err = tr.Apply(context.Background(), parseLine(t, live[1]))
	assert.NoError(t, err)
}

// --- bounded memory -----------------------------------------------------------

// liveEvent builds a live-style callback body.
func liveEvent(action vobizhook.Action, conf string, member int, last bool) string {
	v := fmt.Sprintf("ConferenceAction=%s&ConferenceUUID=%s&ConferenceName=room-%s&CallUUID=call-%s-%d&ConferenceMemberID=%d",
		action, conf, conf, conf, member, member)
	if action == vobizhook.ActionEnter {
		return v + fmt.Sprintf("&From=9180000%05d&To=918045678901&ConferenceFirstMember=%t", member, member == 0)
	}
	return v + fmt.Sprintf("&ConferenceLastMember=%t", last)
}

func TestTrackerRetention(t *testing.T) {
	clock := newTestClock()
	tr := &Tracker{Now: clock.Now, Retention: 10 * time.Minute}
	changes, cancel := tr.Subscribe(16)
	defer cancel()
	ctx := context.Background()
	_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r1", 1, false)))
	require.NoError(t, err)
	_, err = tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionExit, "r1", 1, true)))
	require.NoError(t, err)
	for range 3 { // started, entered, exited... and ended
		<-changes
	}
	<-changes

	clock.Advance(9 * time.Minute)
	sweep(t, tr)
	_, ok := conference(t, tr, "r1")
	assert.True(t, ok, "kept within Retention")

	clock.Advance(2 * time.Minute)
	// Apply sweeps by itself (at most once a second).
	_, err = tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r2", 1, false)))
	require.NoError(t, err)
	_, ok = conference(t, tr, "r1")
	assert.False(t, ok, "dropped after Retention")
	removed := <-changes
	assert.Equal(t, ChangeRemoved, removed.Kind)
	assert.Equal(t, "r1", removed.ConferenceUUID)
}

func TestTrackerMaxIdle(t *testing.T) {
	clock := newTestClock()
	tr := &Tracker{Now: clock.Now, MaxIdle: time.Hour}
	ctx := context.Background()
	_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r1", 1, false)))
	require.NoError(t, err)
	clock.Advance(59 * time.Minute)
	sweep(t, tr)
	require.Len(t, live(t, tr), 1)
	clock.Advance(2 * time.Minute)
	sweep(t, tr)
	assert.Empty(t, live(t, tr))
	c := onlyConference(t, tr)
	assert.True(t, c.Ended)
	assert.Equal(t, EndIdle, c.EndReason)
	assert.Empty(t, c.Members())
	require.Len(t, c.Past(), 1)
	assert.False(t, c.Past()[0].ExitSeen)
}

// When a conference's last exit is lost, the idle sweep ends it, and the
// vobizhook.Handler's OnEnd still fires exactly once: from the sweep, with the final
// roster in its context, retried by the next sweep if it fails.
func TestTrackerIdleEndCallsOnEnd(t *testing.T) {
	clock := newTestClock()
	tr := &Tracker{Now: clock.Now, MaxIdle: time.Hour}
	rec := newRecorder()
	h := rec.handler(tr)
	var endSnap Snapshot
	fails := 1
	onEnd := h.OnEnd
	h.OnEnd = func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		if fails > 0 {
			fails--
			return errors.New("database down")
		}
		endSnap, _ = FromContext(ctx)
		return onEnd(ctx, ev)
	}
	tr.OnIdleEnd = h.OnEnd
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r1", 1, false)))
	clock.Advance(time.Minute)
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r1", 2, false)))
	clock.Advance(time.Minute)
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionExit, "r1", 1, false)))
	lastEvent := clock.Now()
	// Member 2's exit, with ConferenceLastMember=true, is lost.

	clock.Advance(59 * time.Minute)
	sweep(t, tr)
	assert.Zero(t, rec.count[vobizhook.ActionEnd], "not idle yet")
	clock.Advance(2 * time.Minute)
	sweep(t, tr) // OnEnd fails: still live
	assert.Zero(t, rec.count[vobizhook.ActionEnd])
	c, _ := conference(t, tr, "r1")
	assert.False(t, c.Ended, "a failed OnEnd commits nothing")
	clock.Advance(time.Second)
	sweep(t, tr) // retried
	require.Equal(t, 1, rec.count[vobizhook.ActionEnd])
	ev := rec.events[vobizhook.ActionEnd][0]
	assert.Equal(t, vobizhook.ActionEnd, ev.Action)
	assert.Equal(t, "r1", ev.ConferenceUUID)
	assert.Equal(t, "room-r1", ev.ConferenceName)
	assert.Equal(t, lastEvent, ev.Timestamp, "the end is put at the last event")
	assert.Empty(t, ev.Params.Get("ConferenceAction"), "no callback triggered it")
	assert.True(t, endSnap.Ended)
	assert.Equal(t, EndIdle, endSnap.EndReason)
	require.Len(t, endSnap.Past(), 2)

	c, _ = conference(t, tr, "r1")
	assert.True(t, c.Ended)
	assert.Equal(t, EndIdle, c.EndReason)
	clock.Advance(2 * time.Hour) // past Retention too
	sweep(t, tr)
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionExit, "r1", 2, true)), "the lost exit, very late")
	assert.Equal(t, 1, rec.count[vobizhook.ActionEnd], "exactly one end")
	assert.Equal(t, []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter, vobizhook.ActionEnter, vobizhook.ActionExit, vobizhook.ActionEnd}, rec.byConf["r1"])
}

// The sweep an Apply triggers by itself calls an idle conference's OnEnd
// too, on its own goroutine: the request that triggered it does not wait.
func TestTrackerIdleEndFromApplySweep(t *testing.T) {
	clock := newTestClock()
	tr := &Tracker{Now: clock.Now, MaxIdle: time.Hour}
	rec := newRecorder()
	h := rec.handler(tr)
	release := make(chan struct{})
	onEnd := h.OnEnd
	h.OnEnd = func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		if ev.ConferenceUUID == "idle" {
			<-release
		}
		return onEnd(ctx, ev)
	}
	tr.OnIdleEnd = h.OnEnd
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "idle", 1, false)))
	clock.Advance(2 * time.Hour)
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "other", 1, false)), "not held up by idle's OnEnd")
	close(release)
	require.Eventually(t, func() bool {
		c, _ := conference(t, tr, "idle")
		return c.Ended
	}, time.Minute, time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter, vobizhook.ActionEnd}, rec.byConf["idle"])
}

// A late or retried event for a conference that ended and was dropped,
// after Retention or by eviction, does not start it again: no func fires a
// second time, and it takes no slot.
func TestTrackerDroppedConferencesStayEnded(t *testing.T) {
	session := []string{
		liveEvent(vobizhook.ActionEnter, "r1", 1, false),
		liveEvent(vobizhook.ActionEnter, "r1", 2, false),
		liveEvent(vobizhook.ActionExit, "r1", 1, false),
		liveEvent(vobizhook.ActionExit, "r1", 2, true),
	}
	for _, tc := range []struct {
		name string
		drop func(t *testing.T, tr *Tracker, clock *testClock, h *vobizhook.Handler)
	}{
		{"after Retention", func(t *testing.T, tr *Tracker, clock *testClock, h *vobizhook.Handler) {
			clock.Advance(tr.Retention + time.Second)
			sweep(t, tr)
		}},
		{"evicted at MaxConferences", func(t *testing.T, tr *Tracker, clock *testClock, h *vobizhook.Handler) {
			require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r2", 1, false)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newTestClock()
			tr := &Tracker{Now: clock.Now, Retention: 10 * time.Minute, MaxConferences: 1}
			rec := newRecorder()
			h := rec.handler(tr)
			for _, body := range session {
				require.Equal(t, http.StatusOK, deliver(h, body))
			}
			want := []vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter, vobizhook.ActionEnter, vobizhook.ActionExit, vobizhook.ActionExit, vobizhook.ActionEnd}
			require.Equal(t, want, rec.byConf["r1"])
			tc.drop(t, tr, clock, h)
			_, ok := conference(t, tr, "r1")
			require.False(t, ok, "dropped")

			sub, cancel := tr.Subscribe(16)
			defer cancel()
			for _, body := range session { // every event again, as late retries
				assert.Equal(t, http.StatusOK, deliver(h, body), "acknowledged, so Vobiz stops retrying")
				changes, err := tr.Apply(context.Background(), parseLine(t, body))
				assert.NoError(t, err)
				assert.Empty(t, changes)
			}
			assert.Equal(t, want, rec.byConf["r1"], "no func fires again")
			_, ok = conference(t, tr, "r1")
			assert.False(t, ok, "not tracked again")
			assert.Zero(t, len(sub), "no change")
			if tc.name == "evicted at MaxConferences" {
				c, ok := conference(t, tr, "r2")
				assert.True(t, ok && !c.Ended, "the live conference keeps its slot")
			}
		})
	}
}

// The memory of dropped conferences is bounded: at most 2 x MaxConferences
// hashes, and the newest MaxConferences are always remembered.
func TestTrackerDroppedMemoryIsBounded(t *testing.T) {
	const limit = 3
	tr := &Tracker{MaxConferences: limit}
	ctx := context.Background()
	for i := range 20 {
		conf := fmt.Sprint("r", i)
		_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, conf, 1, false)))
		require.NoError(t, err)
		_, err = tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionExit, conf, 1, true)))
		require.NoError(t, err)
		ms := memStore(tr)
		ms.mu.RLock()
		n := ms.forgotten.Len()
		ms.mu.RUnlock()
		require.LessOrEqual(t, n, 2*limit)
	}
	// r17, r18 and r19 are tracked; r14 to r16 were the last dropped.
	for i := 14; i < 17; i++ {
		changes, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, fmt.Sprint("r", i), 9, false)))
		require.NoError(t, err)
		assert.Empty(t, changes, "r%d is remembered", i)
	}
	// r0 was forgotten long ago: it would start a new record (evicting r17).
	changes, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r0", 9, false)))
	require.NoError(t, err)
	assert.NotEmpty(t, changes)
}

func TestTrackerMaxConferences(t *testing.T) {
	tr := &Tracker{MaxConferences: 2}
	rec := newRecorder()
	h := rec.handler(tr)
	changes, cancel := tr.Subscribe(64)
	defer cancel()
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r1", 1, false)))
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r2", 1, false)))

	// Full and nothing ended: refused, so Vobiz retries; nothing is called.
	assert.Equal(t, http.StatusServiceUnavailable, deliver(h, liveEvent(vobizhook.ActionEnter, "r3", 1, false)))
	_, err := tr.Apply(context.Background(), parseLine(t, liveEvent(vobizhook.ActionEnter, "r3", 1, false)))
	assert.ErrorIs(t, err, ErrTrackerFull)
	assert.Equal(t, 2, rec.count[vobizhook.ActionStart])

	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionExit, "r1", 1, true)))
	require.Equal(t, http.StatusOK, deliver(h, liveEvent(vobizhook.ActionEnter, "r3", 1, false)), "the ended r1 makes room")
	_, ok := conference(t, tr, "r1")
	assert.False(t, ok)
	var uuids []string
	for _, c := range conferences(t, tr) {
		uuids = append(uuids, c.UUID)
	}
	assert.ElementsMatch(t, []string{"r2", "r3"}, uuids)
	var removed []string
	for len(changes) > 0 {
		if c := <-changes; c.Kind == ChangeRemoved {
			removed = append(removed, c.ConferenceUUID)
		}
	}
	assert.Equal(t, []string{"r1"}, removed)
}

// At MaxConferences, the conference that ended first goes first, whatever
// the order the conferences started in; one whose event is being applied
// is passed over for the next.
func TestTrackerEvictionOrder(t *testing.T) {
	tr := &Tracker{MaxConferences: 4}
	ctx := context.Background()
	apply := func(body string) {
		t.Helper()
		_, err := tr.Apply(ctx, parseLine(t, body))
		require.NoError(t, err)
	}
	tracked := func() []string {
		var uuids []string
		for _, c := range conferences(t, tr) {
			uuids = append(uuids, c.UUID)
		}
		slices.Sort(uuids)
		return uuids
	}
	for _, r := range []string{"r1", "r2", "r3", "r4"} {
		apply(liveEvent(vobizhook.ActionEnter, r, 1, false))
	}
	for _, r := range []string{"r3", "r1", "r4"} { // r2 stays live
		apply(liveEvent(vobizhook.ActionExit, r, 1, true))
	}
	apply(liveEvent(vobizhook.ActionEnter, "r5", 1, false))
	assert.Equal(t, []string{"r1", "r2", "r4", "r5"}, tracked(), "r3 ended first")

	// r1 is busy (an event of it is being applied): r4 goes instead.
	ms := memStore(tr)
	ms.mu.RLock()
	r1 := ms.confs["r1"]
	ms.mu.RUnlock()
	require.True(t, tryTurn(r1))
	apply(liveEvent(vobizhook.ActionEnter, "r6", 1, false))
	<-r1.turn
	assert.Equal(t, []string{"r1", "r2", "r5", "r6"}, tracked(), "the busy r1 is passed over")
	apply(liveEvent(vobizhook.ActionEnter, "r7", 1, false))
	assert.Equal(t, []string{"r2", "r5", "r6", "r7"}, tracked())

	// Nothing ended: refused.
	_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r8", 1, false)))
	assert.ErrorIs(t, err, ErrTrackerFull)
	ms.endedMu.Lock()
	assert.Empty(t, ms.ended, "the eviction queue holds no removed conference")
	ms.endedMu.Unlock()
}

// Reading every conference does not hold up commits: while a reader is in
// the middle of the list (held here, on conference a, as if its caller
// were slow), events of another conference are still applied.
func TestTrackerReadsDoNotBlockCommits(t *testing.T) {
	tr := &Tracker{}
	ctx := context.Background()
	for _, r := range []string{"a", "b"} {
		_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, r, 1, false)))
		require.NoError(t, err)
	}
	reading, hold := make(chan struct{}), make(chan struct{})
	read := make(chan int)
	go func() {
		n := 0
		memStore(tr).Range(ctx, func(rec *Record) bool {
			if rec.UUID() == "a" {
				close(reading)
				<-hold
			}
			n++
			return true
		})
		read <- n
	}()
	<-reading

	applied := make(chan error)
	go func() {
		_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "b", 2, false)))
		applied <- err
	}()
	select {
	case err := <-applied:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("a commit waited for a reader")
	}
	close(hold)
	assert.Equal(t, 2, <-read)
	c, _ := conference(t, tr, "b")
	assert.Equal(t, 2, c.Size())
}

func TestTrackerMaxMembers(t *testing.T) {
	tr := &Tracker{MaxMembers: 3}
	ctx := context.Background()
	apply := func(body string) error {
		_, err := tr.Apply(ctx, parseLine(t, body))
		return err
	}
	for m := range 3 {
		require.NoError(t, apply(liveEvent(vobizhook.ActionEnter, "r", m, false)))
	}
	assert.ErrorIs(t, apply(liveEvent(vobizhook.ActionEnter, "r", 3, false)), ErrTrackerFull, "3 present: no room")
	assert.ErrorIs(t, apply(liveEvent(vobizhook.ActionExit, "r", 9, false)), ErrTrackerFull, "no room for a tombstone either")
	require.NoError(t, apply(liveEvent(vobizhook.ActionExit, "r", 0, false)))
	require.NoError(t, apply(liveEvent(vobizhook.ActionEnter, "r", 3, false)))
	c := onlyConference(t, tr)
	assert.Equal(t, 3, c.Size())
	assert.Empty(t, c.Past(), "the oldest past member made room")
	assert.Equal(t, 1, c.PastDropped)
	// Tombstones are bounded the same way.
	require.NoError(t, apply(liveEvent(vobizhook.ActionExit, "r", 1, false)))
	for m := 10; m < 20; m++ {
		require.NoError(t, apply(liveEvent(vobizhook.ActionExit, "r", m, false)))
	}
	c = onlyConference(t, tr)
	assert.LessOrEqual(t, len(c.Members())+len(c.Past()), 3)
}

// --- subscriptions --------------------------------------------------------------

func TestTrackerSubscribe(t *testing.T) {
	tr := &Tracker{}
	ctx := context.Background()
	ch, cancel := tr.Subscribe(2)
	for m := range 5 { // start + 5 enters = 6 changes
		_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r", m, false)))
		require.NoError(t, err)
	}
	var got []Change
	for len(ch) > 0 {
		got = append(got, <-ch)
	}
	require.Len(t, got, 2, "the buffer keeps the newest")
	var dropped uint64
	for _, c := range got {
		dropped += c.Dropped
	}
	assert.Equal(t, uint64(4), dropped, "drops are counted")
	assert.Equal(t, uint64(6), got[1].Seq)
	assert.Less(t, got[0].Seq, got[1].Seq)
	assert.Equal(t, ChangeEntered, got[1].Kind)
	require.NotNil(t, got[1].Member)
	assert.Equal(t, "4", got[1].Member.MemberID)
	assert.Equal(t, 5, got[1].Size)

	// A subscriber that keeps up loses nothing.
	ch2, cancel2 := tr.Subscribe(8)
	_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionExit, "r", 0, false)))
	require.NoError(t, err)
	c := <-ch2
	assert.Equal(t, ChangeExited, c.Kind)
	assert.Zero(t, c.Dropped)

	cancel()
	cancel()          // idempotent
	for len(ch) > 0 { // what was buffered can still be read
		<-ch
	}
	_, open := <-ch
	assert.False(t, open, "cancel closes the channel")
	_, err = tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionExit, "r", 1, false)))
	require.NoError(t, err, "sending after a cancel is safe")
	cancel2()
}

// A subscriber that fell behind learns it from the first change it
// receives, not after working through a buffer of stale changes: the
// overflow discards what was buffered and the marker goes first.
func TestTrackerSubscribeReportsLossFirst(t *testing.T) {
	const changes = 40 // start + 39 enters
	for _, buf := range []int{1, 2, 4, 16, 39} {
		t.Run(fmt.Sprint("buf=", buf), func(t *testing.T) {
			tr := &Tracker{}
			ch, cancel := tr.Subscribe(buf)
			defer cancel()
			for m := range changes - 1 {
				_, err := tr.Apply(context.Background(), parseLine(t, liveEvent(vobizhook.ActionEnter, "r", m, false)))
				require.NoError(t, err)
			}
			var got []Change
			for len(ch) > 0 {
				got = append(got, <-ch)
			}
			require.NotEmpty(t, got)
			assert.NotZero(t, got[0].Dropped, "the loss is reported by the first change received")
			total := uint64(len(got))
			for i, c := range got {
				total += c.Dropped
				if i > 0 {
					assert.Zero(t, c.Dropped, "only the first change carries the loss")
					assert.Equal(t, got[i-1].Seq+1, c.Seq, "after the marker, nothing is missing")
				}
			}
			assert.Equal(t, uint64(changes), total, "every change is delivered or counted")
			assert.Equal(t, uint64(changes), got[len(got)-1].Seq, "the newest change is kept")
		})
	}
}

// Snapshots and changes are values: what one reader does to its copy is
// seen by no other reader.
func TestTrackerReadersDoNotShare(t *testing.T) {
	tr := &Tracker{}
	ctx := context.Background()
	sub1, cancel1 := tr.Subscribe(16)
	defer cancel1()
	sub2, cancel2 := tr.Subscribe(16)
	defer cancel2()
	for m := range 3 {
		_, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionEnter, "r", m, false)))
		require.NoError(t, err)
	}
	applied, err := tr.Apply(ctx, parseLine(t, liveEvent(vobizhook.ActionExit, "r", 0, false)))
	require.NoError(t, err)
	want, ok := conference(t, tr, "r")
	require.True(t, ok)
	wantMembers, wantPast := want.Members(), want.Past() // private copies to compare with

	for name, read := range map[string]func() Snapshot{
		"Conference":  func() Snapshot { c, _ := conference(t, tr, "r"); return c },
		"Conferences": func() Snapshot { return conferences(t, tr)[0] },
		"Live":        func() Snapshot { return live(t, tr)[0] },
	} {
		t.Run(name, func(t *testing.T) {
			mine := read()
			members, past := mine.Members(), mine.Past()
			require.Len(t, members, 2)
			require.Len(t, past, 1)
			members[0].From = "changed by a reader"
			slices.Reverse(members)
			past[0].CallUUID = "changed"
			_ = append(members, Member{CallUUID: "appended"})
			again := read()
			assert.Equal(t, want, again, "another reader sees the tracker's state")
			assert.Equal(t, wantMembers, again.Members())
			assert.Equal(t, wantPast, again.Past())
			assert.Equal(t, wantMembers, mine.Members(), "and so does the same reader, asking again")
			assert.Equal(t, "call-r-0", wantPast[0].CallUUID)
		})
	}

	var got1, got2 []Change
	for len(sub1) > 0 {
		got1 = append(got1, <-sub1)
	}
	for len(sub2) > 0 {
		got2 = append(got2, <-sub2)
	}
	require.Len(t, got1, 5)
	require.Len(t, got2, 5)
	exit1, exit2 := got1[4], got2[4]
	require.NotNil(t, exit1.Member)
	require.NotNil(t, exit2.Member)
	require.NotNil(t, applied[0].Member)
	from := wantPast[0].From
	require.NotEmpty(t, from)
	exit1.Member.From = "changed by subscriber 1"
	assert.Equal(t, from, exit2.Member.From, "subscriber 2's member is its own")
	assert.Equal(t, from, applied[0].Member.From, "Apply's result is its own")
}

// --- concurrency ------------------------------------------------------------------

func TestTrackerParallel(t *testing.T) {
	const confs, members = 48, 6
	var bodies []string
	for c := range confs {
		conf := fmt.Sprintf("conf-%02d", c)
		for m := range members {
			bodies = append(bodies, liveEvent(vobizhook.ActionEnter, conf, m, false), liveEvent(vobizhook.ActionExit, conf, m, m == members-1))
		}
	}
	queue := append(append([]string(nil), bodies...), bodies...) // every event twice
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })

	tr := &Tracker{}
	rec := newRecorder()
	h := rec.handler(tr)
	sub, cancel := tr.Subscribe(16)
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for range sub {
		}
	})
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, c := range conferences(t, tr) {
				if !c.Ended {
					assert.Empty(t, c.EndReason)
				}
			}
			live(t, tr)
			conference(t, tr, "conf-00")
		}
	})

	var next atomic.Int64
	var workers sync.WaitGroup
	for range 16 {
		workers.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(queue) {
					return
				}
				assert.Equal(t, http.StatusOK, deliver(h, queue[i]))
			}
		})
	}
	workers.Wait()
	close(stop)
	cancel()
	readers.Wait()

	assert.False(t, rec.overlap.Load(), "funcs of one conference never run at once")
	all := conferences(t, tr)
	require.Len(t, all, confs)
	for _, c := range all {
		calls := rec.byConf[c.UUID]
		count := map[vobizhook.Action]int{}
		for _, a := range calls {
			count[a]++
		}
		assert.Equal(t, map[vobizhook.Action]int{vobizhook.ActionStart: 1, vobizhook.ActionEnter: members, vobizhook.ActionExit: members, vobizhook.ActionEnd: 1}, count, c.UUID)
		assert.Equal(t, vobizhook.ActionStart, calls[0])
		assert.True(t, c.Ended)
		assert.Len(t, c.Past(), members)
	}
}

// Seq orders the changes of each conference as they were committed, also
// with parallel appliers: replaying a conference's changes in Seq order
// gives consistent sizes.
func TestTrackerSeqOrdersEachConference(t *testing.T) {
	const confs, members = 16, 8
	var queue []string
	for c := range confs {
		conf := fmt.Sprintf("conf-%02d", c)
		for m := range members {
			queue = append(queue, liveEvent(vobizhook.ActionEnter, conf, m, false), liveEvent(vobizhook.ActionExit, conf, m, m == members-1))
		}
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
	tr := &Tracker{}
	sub, cancel := tr.Subscribe(len(queue) * 3) // room for every change: none dropped
	var next atomic.Int64
	var workers sync.WaitGroup
	for range 8 {
		workers.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(queue); i = int(next.Add(1)) - 1 {
				_, err := tr.Apply(context.Background(), parseLine(t, queue[i]))
				assert.NoError(t, err)
			}
		})
	}
	workers.Wait()
	cancel()
	byConf := map[string][]Change{}
	var last uint64
	for ch := range sub {
		require.Zero(t, ch.Dropped)
		require.Greater(t, ch.Seq, last, "delivered in Seq order")
		last = ch.Seq
		byConf[ch.ConferenceUUID] = append(byConf[ch.ConferenceUUID], ch)
	}
	require.Len(t, byConf, confs)
	for uuid, changes := range byConf {
		require.Equal(t, ChangeStarted, changes[0].Kind, uuid)
		size, ended := 0, false
		for _, ch := range changes[1:] {
			switch ch.Kind {
			case ChangeEntered:
				if !ended {
					assert.Contains(t, []int{size, size + 1}, ch.Size, "%s seq %d", uuid, ch.Seq)
				}
			case ChangeExited:
				assert.Contains(t, []int{size, size - 1}, ch.Size, "%s seq %d", uuid, ch.Seq)
			case ChangeEnded:
				assert.False(t, ended, uuid)
				ended = true
			}
			if ended {
				assert.Zero(t, ch.Size, "%s seq %d: nobody is present after the end", uuid, ch.Seq)
			}
			size = ch.Size
		}
		assert.True(t, ended, uuid)
	}
}

// --- benchmarks ------------------------------------------------------------------

// BenchmarkTrackerApply measures events applied per second on one core:
// rooms of ten members entering then leaving, live-style payloads, no
// subscribers, no funcs.
func BenchmarkTrackerApply(b *testing.B) {
	const rooms, members = 1000, 10
	var events []vobizhook.ConferenceEvent
	var room []int // events[i] is of room room[i]
	for r := range rooms {
		conf := fmt.Sprintf("bench-%04d", r)
		for m := range members {
			events = append(events, parseLine(b, liveEvent(vobizhook.ActionEnter, conf, m, false)))
			room = append(room, r)
		}
		for m := range members {
			events = append(events, parseLine(b, liveEvent(vobizhook.ActionExit, conf, m, m == members-1)))
			room = append(room, r)
		}
	}
	// Each pass over the events is a new session of every room: a new
	// ConferenceUUID, since an ended conference's is remembered.
	passes := b.N/len(events) + 1
	uuids := make([]string, passes*rooms)
	for i := range uuids {
		uuids[i] = fmt.Sprintf("bench-%04d-%06d", i%rooms, i/rooms)
	}
	// The clock advances 1 ms per event: a room's session is dropped 1 s
	// after it ended.
	var now atomic.Int64
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	tr := &Tracker{Retention: time.Second, Now: func() time.Time { return base.Add(time.Duration(now.Add(1)) * time.Millisecond) }}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		j := i % len(events)
		ev := events[j]
		ev.ConferenceUUID = uuids[i/len(events)*rooms+room[j]]
		changes, err := tr.Apply(ctx, ev)
		if err != nil {
			b.Fatal(err)
		}
		if len(changes) == 0 {
			b.Fatal("no change: the event was not applied")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkTrackerMemoryPerMember reports the heap held per present member:
// 50 rooms of 200 members, from parsed request bodies that are then dropped.
func BenchmarkTrackerMemoryPerMember(b *testing.B) {
	const rooms, members = 50, 200
	var perMember float64
	for range b.N {
		tr := &Tracker{}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		ctx := context.Background()
		for r := range rooms {
			conf := fmt.Sprintf("mem-%02d-5d2c1f0e-7a41-4c7e-9d7e", r)
			for m := range members {
				if _, err := tr.Apply(ctx, parseLine(b, liveEvent(vobizhook.ActionEnter, conf, m, false))); err != nil {
					b.Fatal(err)
				}
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perMember = float64(after.HeapAlloc-before.HeapAlloc) / (rooms * members)
		if n := len(live(b, tr)); n != rooms {
			b.Fatalf("%d rooms", n)
		}
		runtime.KeepAlive(tr)
	}
	b.ReportMetric(perMember, "bytes/member")
}

// BenchmarkTrackerSnapshot measures the read side: Conference on a room of
// 200 present members whose snapshot is cached, and Conferences over 1000
// rooms of 10.
func BenchmarkTrackerSnapshot(b *testing.B) {
	ctx := context.Background()
	b.Run("Conference/200members", func(b *testing.B) {
		tr := &Tracker{}
		for m := range 200 {
			if _, err := tr.Apply(ctx, parseLine(b, liveEvent(vobizhook.ActionEnter, "snap", m, false))); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			if c, ok := conference(b, tr, "snap"); !ok || c.Size() != 200 {
				b.Fatal("missing")
			}
		}
	})
	b.Run("Conferences/1000rooms", func(b *testing.B) {
		tr := &Tracker{}
		for r := range 1000 {
			for m := range 10 {
				if _, err := tr.Apply(ctx, parseLine(b, liveEvent(vobizhook.ActionEnter, fmt.Sprintf("room-%04d", r), m, false))); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			if n := len(conferences(b, tr)); n != 1000 {
				b.Fatal(n)
			}
		}
	})
}

// BenchmarkTrackerEvictAtCap measures admitting a conference when the
// tracker is at MaxConferences (10000, all ended): each op evicts the
// longest-ended conference, starts a new one and ends it.
func BenchmarkTrackerEvictAtCap(b *testing.B) {
	const confs = 10000
	tr := &Tracker{MaxConferences: confs, Retention: -1, MaxIdle: -1}
	ctx := context.Background()
	enter := func(i int) vobizhook.ConferenceEvent {
		return vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, ConferenceUUID: fmt.Sprint("cap-", i), CallUUID: "c", CurrentSize: -1}
	}
	exit := func(i int) vobizhook.ConferenceEvent {
		ev := enter(i)
		ev.Action, ev.LastMember = vobizhook.ActionExit, true
		return ev
	}
	for i := range confs {
		tr.Apply(ctx, enter(i))
		tr.Apply(ctx, exit(i))
	}
	i := confs
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.Apply(ctx, enter(i)); err != nil {
			b.Fatal(err)
		}
		if _, err := tr.Apply(ctx, exit(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// FuzzTrackerSequence applies arbitrary sequences of events for one
// conference (each byte: action, member, flag) and checks the invariants the
// Tracker promises, then that replaying the whole sequence calls nothing.
func FuzzTrackerSequence(f *testing.F) {
	f.Add([]byte{0x00, 0x04, 0x01, 0x05 | 0x80})
	f.Add([]byte{0x02, 0x00, 0x08, 0x01, 0x09 | 0x80, 0x03})
	f.Add([]byte{0x03, 0x01, 0x00, 0x40, 0x41})
	f.Fuzz(func(t *testing.T, seq []byte) {
		if len(seq) > 64 {
			seq = seq[:64]
		}
		tr := &Tracker{}
		rec := newRecorder()
		h := rec.handler(tr)
		ctx := context.Background()
		events := make([]vobizhook.ConferenceEvent, len(seq))
		for i, b := range seq {
			ev := vobizhook.ConferenceEvent{
				Action:         [4]vobizhook.Action{vobizhook.ActionEnter, vobizhook.ActionExit, vobizhook.ActionStart, vobizhook.ActionEnd}[b&3],
				ConferenceUUID: "u", ConferenceName: "room",
				CallUUID: fmt.Sprint("c", b>>2&7), MemberID: fmt.Sprint(b >> 2 & 7),
				From: fmt.Sprint("91", b>>2&7), CurrentSize: -1,
			}
			switch {
			case b&0x80 != 0 && ev.Action == vobizhook.ActionExit:
				ev.LastMember = true
				ev.Params = url.Values{"ConferenceLastMember": {"true"}}
			case b&0x40 != 0 && ev.Action == vobizhook.ActionExit:
				ev.Params = url.Values{"ConferenceLastMember": {"false"}}
			case b&0x80 != 0:
				ev.CurrentSize = int(b >> 5 & 1)
				ev.Params = url.Values{"ConferenceCurrentSize": {fmt.Sprint(ev.CurrentSize)}}
			}
			events[i] = ev
		}
		wasEnded := false
		funcs := vobizhook.Funcs{OnEnter: h.OnEnter, OnExit: h.OnExit, OnStart: h.OnStart, OnEnd: h.OnEnd}
		for _, ev := range events {
			_, _, err := tr.apply(ctx, &ev, &funcs)
			require.NoError(t, err)
			c, ok := conference(t, tr, "u")
			require.True(t, ok)
			require.False(t, wasEnded && !c.Ended, "ended never reverts")
			wasEnded = c.Ended
			if c.Ended {
				require.Empty(t, c.Members())
			}
			for _, m := range c.Members() {
				inPast := slices.ContainsFunc(c.Past(), func(p Member) bool { return p.CallUUID == m.CallUUID && p.MemberID == m.MemberID })
				require.False(t, inPast, "a member is present or past, not both")
			}
		}
		require.Equal(t, min(len(events), 1), rec.count[vobizhook.ActionStart])
		require.LessOrEqual(t, rec.count[vobizhook.ActionEnd], 1)
		require.Equal(t, wasEnded, rec.count[vobizhook.ActionEnd] == 1)
		calls := len(rec.calls)
		for _, ev := range events {
			_, _, err := tr.apply(ctx, &ev, &funcs)
			require.NoError(t, err)
		}
		require.Equal(t, calls, len(rec.calls), "a replay calls nothing")
	})
}
