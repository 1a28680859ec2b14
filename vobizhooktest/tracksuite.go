package vobizhooktest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
)

// TestTrackStore runs the contract of track.Store against the stores
// newStore returns (a fresh, empty one per call), through the Trackers that
// use it, as a user's code would: the lifecycle rule stored and read back,
// two Trackers sharing one store (two replicas) calling every func exactly
// once and never two funcs of one conference at once, changes committed
// by one seen by the other's subscribers, the idle sweep of both ending a
// conference once, Retention and the memory of dropped conferences (and
// their announcement), MaxConferences (refusing, and bounding what is
// kept), turns that exclude each other and that cannot commit once given
// back, and Live and Conferences listing everything. Call it from a test
// of your own store; track.MemoryStore and package redisstore's pass it.
//
// It takes a few seconds: Retention is checked with real time (300 ms).
func TestTrackStore(t *testing.T, newStore func(t *testing.T) track.Store) {
	t.Helper()
	for _, tc := range append(trackCases[:len(trackCases):len(trackCases)], trackMoreCases...) {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, &trackSuite{t: t, s: newStore(t), prefix: strconv.FormatInt(time.Now().UnixNano(), 36) + "-"})
		})
	}
}

type trackSuite struct {
	t      *testing.T
	s      track.Store
	prefix string // keeps conferences distinct across runs against a shared store
}

func (x *trackSuite) uuid(s string) string { return x.prefix + s }

// event builds a live-shaped event of conference conf for member m.
func (x *trackSuite) event(a vobizhook.Action, conf string, m int, last bool) vobizhook.ConferenceEvent {
	ev := vobizhook.ConferenceEvent{
		Action: a, ConferenceUUID: x.uuid(conf), ConferenceName: "room-" + conf,
		CallUUID: fmt.Sprintf("call-%s-%d", conf, m), MemberID: strconv.Itoa(m), CurrentSize: -1,
		Params: url.Values{},
	}
	switch a {
	case vobizhook.ActionEnter:
		ev.From, ev.Direction = fmt.Sprintf("9180000%05d", m), "inbound"
	case vobizhook.ActionExit:
		ev.LastMember = last
		ev.Params.Set("ConferenceLastMember", strconv.FormatBool(last))
	}
	return ev
}

func (x *trackSuite) apply(tr *track.Tracker, ev vobizhook.ConferenceEvent) []track.Change {
	x.t.Helper()
	changes, err := tr.Apply(context.Background(), ev)
	if err != nil {
		x.t.Fatalf("Apply(%s %s): %v", ev.Action, ev.MemberID, err)
	}
	return changes
}

func (x *trackSuite) snapshot(tr *track.Tracker, conf string) (track.Snapshot, bool) {
	x.t.Helper()
	c, ok, err := tr.Conference(context.Background(), x.uuid(conf))
	if err != nil {
		x.t.Fatalf("Conference: %v", err)
	}
	return c, ok
}

// funcLog is the user's side: successful calls per conference, and whether
// two funcs of one conference ever overlapped.
type funcLog struct {
	mu      sync.Mutex
	calls   map[string][]vobizhook.Action
	running map[string]bool
	overlap atomic.Bool
	fail    func() error
}

func newFuncLog() *funcLog {
	return &funcLog{calls: map[string][]vobizhook.Action{}, running: map[string]bool{}}
}

func (l *funcLog) fn(a vobizhook.Action) func(context.Context, vobizhook.ConferenceEvent) error {
	return func(_ context.Context, ev vobizhook.ConferenceEvent) error {
		l.mu.Lock()
		if l.running[ev.ConferenceUUID] {
			l.overlap.Store(true)
		}
		l.running[ev.ConferenceUUID] = true
		fail := l.fail
		l.mu.Unlock()
		time.Sleep(time.Millisecond) // widen the window two overlapping funcs would share
		defer func() {
			l.mu.Lock()
			l.running[ev.ConferenceUUID] = false
			l.mu.Unlock()
		}()
		if fail != nil {
			if err := fail(); err != nil {
				return err
			}
		}
		l.mu.Lock()
		l.calls[ev.ConferenceUUID] = append(l.calls[ev.ConferenceUUID], a)
		l.mu.Unlock()
		return nil
	}
}

func (l *funcLog) funcs() vobizhook.Funcs {
	return vobizhook.Funcs{OnStart: l.fn(vobizhook.ActionStart), OnEnter: l.fn(vobizhook.ActionEnter),
		OnExit: l.fn(vobizhook.ActionExit), OnEnd: l.fn(vobizhook.ActionEnd)}
}

var trackCases = []struct {
	name string
	run  func(t *testing.T, x *trackSuite)
}{
	{"the lifecycle is stored and read back", func(t *testing.T, x *trackSuite) {
		a, b := &track.Tracker{Store: x.s}, &track.Tracker{Store: x.s}
		x.apply(a, x.event(vobizhook.ActionEnter, "r", 1, false))
		x.apply(b, x.event(vobizhook.ActionEnter, "r", 2, false))
		if got := x.apply(a, x.event(vobizhook.ActionEnter, "r", 2, false)); len(got) != 0 {
			t.Errorf("a duplicate through the other tracker changed %v", got)
		}
		c, ok := x.snapshot(b, "r")
		if !ok || c.Size() != 2 || c.Ended || c.Name != "room-r" {
			t.Fatalf("after two enters: ok=%v size=%d ended=%v name=%q", ok, c.Size(), c.Ended, c.Name)
		}
		if m, ok := c.Lookup("call-r-1", "1"); !ok || m.From != "918000000001" || m.Direction != "inbound" {
			t.Errorf("member 1 read back as %+v (found %v)", m, ok)
		}
		x.apply(b, x.event(vobizhook.ActionExit, "r", 1, false))
		x.apply(a, x.event(vobizhook.ActionExit, "r", 2, true))
		c, _ = x.snapshot(a, "r")
		if !c.Ended || c.EndReason != track.EndLastMember || c.Size() != 0 || len(c.Past()) != 2 || c.Peak != 2 {
			t.Errorf("after the last exit: ended=%v reason=%s size=%d past=%d peak=%d", c.Ended, c.EndReason, c.Size(), len(c.Past()), c.Peak)
		}
		live, err := a.Live(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range live {
			if l.UUID == x.uuid("r") {
				t.Error("an ended conference is listed as live")
			}
		}
		all, err := b.Conferences(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range all {
			found = found || s.UUID == x.uuid("r")
		}
		if !found {
			t.Error("Conferences does not list the ended conference")
		}
	}},
	{"two trackers call every func exactly once", func(t *testing.T, x *trackSuite) {
		const confs, members = 6, 4
		log := newFuncLog()
		var failures atomic.Int32
		log.fail = func() error {
			if rand.IntN(6) == 0 {
				failures.Add(1)
				return errors.New("injected")
			}
			return nil
		}
		trackers := []*track.Tracker{{Store: x.s}, {Store: x.s}}
		var queue []vobizhook.ConferenceEvent
		for c := range confs {
			conf := "c" + strconv.Itoa(c)
			for m := range members {
				queue = append(queue, x.event(vobizhook.ActionEnter, conf, m, false), x.event(vobizhook.ActionExit, conf, m, m == members-1))
			}
		}
		queue = append(queue, queue...) // every event twice
		rand.Shuffle(len(queue), func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				funcs := log.funcs()
				for i := int(next.Add(1)) - 1; i < len(queue); i = int(next.Add(1)) - 1 {
					for attempt := 0; ; attempt++ { // a failure is retried, as Vobiz does
						_, err := trackers[(w+attempt)%2].Track(context.Background(), queue[i], funcs)
						if err == nil {
							break
						}
						if attempt > 50 {
							t.Errorf("event %d never applied: %v", i, err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		if log.overlap.Load() {
			t.Error("two funcs of one conference ran at the same time")
		}
		for c := range confs {
			count := map[vobizhook.Action]int{}
			for _, a := range log.calls[x.uuid("c"+strconv.Itoa(c))] {
				count[a]++
			}
			want := map[vobizhook.Action]int{vobizhook.ActionStart: 1, vobizhook.ActionEnter: members, vobizhook.ActionExit: members, vobizhook.ActionEnd: 1}
			if fmt.Sprint(count) != fmt.Sprint(want) {
				t.Errorf("conference c%d: calls %v, want %v", c, count, want)
			}
		}
		if failures.Load() == 0 {
			t.Log("no failure was injected this run")
		}
	}},
	{"subscribers see the commits of every tracker", func(t *testing.T, x *trackSuite) {
		a, b := &track.Tracker{Store: x.s}, &track.Tracker{Store: x.s}
		changes, cancel := b.Subscribe(16)
		defer cancel()
		x.apply(a, x.event(vobizhook.ActionEnter, "s", 1, false))
		want := []track.ChangeKind{track.ChangeStarted, track.ChangeEntered}
		for _, kind := range want {
			select {
			case ch := <-changes:
				if ch.Kind != kind || ch.ConferenceUUID != x.uuid("s") {
					t.Fatalf("got %s of %s, want %s", ch.Kind, ch.ConferenceUUID, kind)
				}
				if kind == track.ChangeEntered && (ch.Member == nil || ch.Member.MemberID != "1" || ch.Size != 1) {
					t.Errorf("entered change %+v", ch)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no %s change within 5 s", kind)
			}
		}
	}},
	{"the idle sweep of both trackers ends a conference once", func(t *testing.T, x *trackSuite) {
		var clock atomic.Int64
		clock.Store(time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC).UnixNano())
		now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
		var ends atomic.Int32
		onIdle := func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			if c, ok := track.FromContext(ctx); !ok || c.EndReason != track.EndIdle {
				t.Errorf("OnIdleEnd context: %+v, %v", c, ok)
			}
			ends.Add(1)
			return nil
		}
		a := &track.Tracker{Store: x.s, Now: now, MaxIdle: time.Hour, OnIdleEnd: onIdle}
		b := &track.Tracker{Store: x.s, Now: now, MaxIdle: time.Hour, OnIdleEnd: onIdle}
		x.apply(a, x.event(vobizhook.ActionEnter, "idle", 1, false))
		clock.Add(int64(2 * time.Hour))
		var wg sync.WaitGroup
		for _, tr := range []*track.Tracker{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := tr.Sweep(context.Background()); err != nil {
					t.Errorf("Sweep: %v", err)
				}
			}()
		}
		wg.Wait()
		if n := ends.Load(); n != 1 {
			t.Errorf("OnIdleEnd ran %d times, want 1", n)
		}
		if c, ok := x.snapshot(b, "idle"); !ok || !c.Ended || c.EndReason != track.EndIdle {
			t.Errorf("idle conference: ok=%v ended=%v reason=%s", ok, c.Ended, c.EndReason)
		}
	}},
	{"an ended conference is dropped after Retention and stays ended", func(t *testing.T, x *trackSuite) {
		tr := &track.Tracker{Store: x.s, Retention: 300 * time.Millisecond}
		x.apply(tr, x.event(vobizhook.ActionEnter, "ret", 1, false))
		x.apply(tr, x.event(vobizhook.ActionExit, "ret", 1, true))
		deadline := time.Now().Add(10 * time.Second)
		for {
			if err := tr.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, ok := x.snapshot(tr, "ret"); !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("not dropped 10 s after a Retention of 300 ms")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got := x.apply(tr, x.event(vobizhook.ActionEnter, "ret", 1, false)); len(got) != 0 {
			t.Errorf("a late retry of a dropped conference made changes %v, want none", got)
		}
		if _, ok := x.snapshot(tr, "ret"); ok {
			t.Error("a late retry brought a dropped conference back")
		}
	}},
	{"MaxConferences refuses a new conference when none has ended", func(t *testing.T, x *trackSuite) {
		tr := &track.Tracker{Store: x.s, MaxConferences: 2}
		x.apply(tr, x.event(vobizhook.ActionEnter, "m1", 1, false))
		x.apply(tr, x.event(vobizhook.ActionEnter, "m2", 1, false))
		if _, err := tr.Apply(context.Background(), x.event(vobizhook.ActionEnter, "m3", 1, false)); !errors.Is(err, track.ErrTrackerFull) {
			t.Fatalf("third conference: %v, want ErrTrackerFull", err)
		}
		if _, err := tr.Apply(context.Background(), x.event(vobizhook.ActionEnter, "m3", 1, false)); !errors.Is(err, vobizhook.ErrUnavailable) {
			t.Fatalf("ErrTrackerFull must wrap vobizhook.ErrUnavailable (503): %v", err)
		}
		x.apply(tr, x.event(vobizhook.ActionExit, "m1", 1, true))
		x.apply(tr, x.event(vobizhook.ActionEnter, "m3", 1, false)) // evicts the ended m1
		if _, ok := x.snapshot(tr, "m3"); !ok {
			t.Error("m3 not admitted after m1 ended")
		}
		if _, ok := x.snapshot(tr, "m2"); !ok {
			t.Error("the live m2 lost its place")
		}
	}},
	{"a turn excludes every other", func(t *testing.T, x *trackSuite) {
		now := time.Now()
		lim := track.Limits{MaxConferences: 100, Retention: time.Minute, MaxIdle: time.Hour}
		turn, err := x.s.Acquire(context.Background(), x.uuid("turn"), now, lim)
		if err != nil {
			t.Fatal(err)
		}
		if turn.Record() != nil {
			t.Error("a conference the store does not hold has a record")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		_, err = x.s.Acquire(ctx, x.uuid("turn"), now, lim)
		cancel()
		if err == nil {
			t.Fatal("a second Acquire got the turn while it was held")
		}
		turn.Release()
		turn2, err := x.s.Acquire(context.Background(), x.uuid("turn"), now, lim)
		if err != nil {
			t.Fatalf("Acquire after Release: %v", err)
		}
		turn2.Release()
	}},
	{"a failed func commits the steps before it", func(t *testing.T, x *trackSuite) {
		tr := &track.Tracker{Store: x.s}
		log := newFuncLog()
		funcs := log.funcs()
		failEnter := true
		enter := funcs.OnEnter
		funcs.OnEnter = func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
			if failEnter {
				failEnter = false
				return errors.New("injected")
			}
			return enter(ctx, ev)
		}
		ev := x.event(vobizhook.ActionEnter, "f", 1, false)
		if _, err := tr.Track(context.Background(), ev, funcs); err == nil {
			t.Fatal("the failing OnEnter's error was not returned")
		}
		if c, ok := x.snapshot(tr, "f"); !ok || c.Size() != 0 {
			t.Fatalf("after OnStart succeeded and OnEnter failed: visible=%v size=%d", ok, c.Size())
		}
		if _, err := tr.Track(context.Background(), ev, funcs); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(log.calls[x.uuid("f")])
		if want := fmt.Sprint([]vobizhook.Action{vobizhook.ActionStart, vobizhook.ActionEnter}); got != want {
			t.Errorf("calls %s, want %s: the retry runs only what is not committed", got, want)
		}
		rec, err := x.s.Load(context.Background(), x.uuid("f"))
		if err != nil || rec == nil || rec.Snapshot().Size() != 1 {
			t.Errorf("Load: %v, %v", rec, err)
		}
	}},
}
