package track

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

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

// liveEvent builds a live-style callback body.
func liveEvent(action vobizhook.Action, conf string, member int, last bool) string {
	v := fmt.Sprintf("ConferenceAction=%s&ConferenceUUID=%s&ConferenceName=room-%s&CallUUID=call-%s-%d&ConferenceMemberID=%d",
		action, conf, conf, conf, member, member)
	if action == vobizhook.ActionEnter {
		return v + fmt.Sprintf("&From=9180000%05d&To=918045678901&ConferenceFirstMember=%t", member, member == 0)
	}
	return v + fmt.Sprintf("&ConferenceLastMember=%t", last)
}
