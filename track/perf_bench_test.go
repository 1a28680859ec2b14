package track

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/internal/cputime"
)

// This file holds the benchmarks of the tracker's performance targets
// (BENCHMARKS.md, bench/run.sh): events per second on one core, the cost
// per event and per FromContext across room sizes, and the reads over
// many rooms. Events are built in the loop from parsed templates and
// pools of IDs kept in single strings, so the benchmarks' own data is a
// few pointer-free objects and the garbage collector's work is the
// tracker's. The templates' Params are shared by every event built from
// them: the tracker reads only ConferenceLastMember and
// ConferenceCurrentSize there, which the templates carry.

// idPool is n fixed-width IDs in one string.
type idPool struct {
	all   string
	width int
}

func newIDPool(n int, format string) idPool {
	width := len(fmt.Sprintf(format, 0))
	var sb strings.Builder
	sb.Grow(n * width)
	for i := range n {
		s := fmt.Sprintf(format, i)
		if len(s) != width {
			panic("idPool: format must give fixed-width IDs")
		}
		sb.WriteString(s)
	}
	return idPool{sb.String(), width}
}

func (p idPool) at(i int) string { return p.all[i*p.width : (i+1)*p.width] }

// eventKit builds live-style events: enter, exit and last exit, from
// parsed callbacks, with the conference and member IDs of the caller's
// choice.
type eventKit struct {
	enter, exit, lastExit vobizhook.ConferenceEvent
	calls, members, froms idPool
}

func newEventKit(tb testing.TB, maxMembers int) *eventKit {
	return &eventKit{
		enter:    parseLine(tb, liveEvent(vobizhook.ActionEnter, "tmpl", 1, false)),
		exit:     parseLine(tb, liveEvent(vobizhook.ActionExit, "tmpl", 1, false)),
		lastExit: parseLine(tb, liveEvent(vobizhook.ActionExit, "tmpl", 1, true)),
		calls:    newIDPool(maxMembers, "9a0e0208-d01a-4572-9a04-%012d"),
		members:  newIDPool(maxMembers, "%07d"),
		froms:    newIDPool(maxMembers, "9180%08d"),
	}
}

func (k *eventKit) event(tmpl *vobizhook.ConferenceEvent, conf, name string, member int) vobizhook.ConferenceEvent {
	ev := *tmpl
	ev.ConferenceUUID, ev.ConferenceName = conf, name
	ev.CallUUID, ev.MemberID = k.calls.at(member), k.members.at(member)
	if ev.Action == vobizhook.ActionEnter {
		ev.From = k.froms.at(member)
	}
	return ev
}

// stepClock is a tracker clock that advances 1 ms a reading.
func stepClock() func() time.Time {
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		now = now.Add(time.Millisecond)
		return now
	}
}

// benchLoop runs op b.N times, with the garbage of the setup collected
// first, and reports and returns cpu-ns/op (ok false where the platform
// cannot read CPU time).
func benchLoop(b *testing.B, op func(i int)) (cpuNsPerOp float64, ok bool) {
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Now()
	for i := 0; i < b.N; i++ {
		op(i)
	}
	b.StopTimer()
	return cputime.Report(b, cpu)
}

// BenchmarkTrackerApply measures events applied per second, on one core
// when run with -cpu 1 (bench/run.sh does): 1,000 rooms (of 10 members, or
// of 2 to 50), 50 of them live at a time with their events interleaved,
// every member entering then leaving, the last exit ending the room; each
// pass over the rooms is a new session of each (a new ConferenceUUID). No
// subscribers, no funcs. events/cpu-s is events per second of CPU time.
func BenchmarkTrackerApply(b *testing.B) {
	b.Run("rooms=10", func(b *testing.B) { benchApplyRooms(b, func(*rand.Rand) int { return 10 }) })
	b.Run("rooms=2to50", func(b *testing.B) { benchApplyRooms(b, func(r *rand.Rand) int { return 2 + r.IntN(49) }) })
}

func benchApplyRooms(b *testing.B, size func(*rand.Rand) int) {
	const rooms, active = 1000, 50
	rnd := rand.New(rand.NewPCG(1, 2))
	type ev struct {
		room, member int
		kind         uint8 // 0 enter, 1 exit, 2 last exit
	}
	// One pass: rooms in groups of active, the events of a group's rooms
	// interleaved one by one.
	var pass []ev
	for g := 0; g < rooms; g += active {
		var queues [][]ev
		for r := g; r < g+active; r++ {
			n := size(rnd)
			var q []ev
			for m := range n {
				q = append(q, ev{r, m, 0})
			}
			for m := range n {
				q = append(q, ev{r, m, exitKind(m == n-1)})
			}
			queues = append(queues, q)
		}
		for left := true; left; {
			left = false
			for i, q := range queues {
				if len(q) > 0 {
					pass, queues[i], left = append(pass, q[0]), q[1:], true
				}
			}
		}
	}
	passes := b.N/len(pass) + 1
	uuids := newIDPool(passes*rooms, "5d2c1f0e-7a41-4c7e-9d7e-%012d")
	names := newIDPool(rooms, "room-%04d")
	kit := newEventKit(b, 50)
	tmpls := [...]*vobizhook.ConferenceEvent{&kit.enter, &kit.exit, &kit.lastExit}
	tr := &Tracker{Retention: time.Second, Now: stepClock()}
	ctx := context.Background()
	start := time.Now()
	cpu, ok := benchLoop(b, func(i int) {
		e := pass[i%len(pass)]
		conf := uuids.at(i/len(pass)*rooms + e.room)
		changes, err := tr.Apply(ctx, kit.event(tmpls[e.kind], conf, names.at(e.room), e.member))
		if err != nil || len(changes) == 0 {
			b.Fatalf("event %d: %v, %d changes", i, err, len(changes))
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if ok {
		b.ReportMetric(1e9/cpu, "events/cpu-s")
	}
}

// exitKind is 2 for the exit that empties the room, else 1.
func exitKind(last bool) uint8 {
	if last {
		return 2
	}
	return 1
}

// BenchmarkTrackerRoomSize measures the cost of one event in a room of
// 10 to 10,000 members present: members leave, oldest first, and new ones
// enter in turn, so the room keeps its size while its past grows to
// MaxMembers (twice the size) and is trimmed. op=apply is Apply alone;
// op=fromcontext is Track with an OnEnter and an OnExit that read the room
// with FromContext (its size and the member's record). The target is a
// cost flat across sizes (within 2x).
func BenchmarkTrackerRoomSize(b *testing.B) {
	for _, op := range []string{"apply", "fromcontext"} {
		for _, n := range []int{10, 100, 1000, 10000} {
			b.Run(fmt.Sprintf("op=%s/members=%d", op, n), func(b *testing.B) { benchRoomSize(b, op, n) })
		}
	}
}

func benchRoomSize(b *testing.B, op string, n int) {
	kit := newEventKit(b, n+b.N/2+1)
	tr := &Tracker{MaxMembers: 2 * n, MaxIdle: -1, Retention: -1, Now: stepClock()}
	ctx := context.Background()
	const conf, name = "3f9a1b2c-44de-4f0a-b832-7c0a12345678", "WeeklyStandup"
	for m := range n {
		if _, err := tr.Apply(ctx, kit.event(&kit.enter, conf, name, m)); err != nil {
			b.Fatal(err)
		}
	}
	read := func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		s, ok := FromContext(ctx)
		if !ok || s.Size() < n-1 {
			return fmt.Errorf("FromContext: %v, size %d", ok, s.Size())
		}
		if _, ok := s.Lookup(ev.CallUUID, ev.MemberID); !ok {
			return fmt.Errorf("member %s not in the room", ev.MemberID)
		}
		return nil
	}
	funcs := vobizhook.Funcs{OnEnter: read, OnExit: read}
	benchLoop(b, func(i int) {
		var ev vobizhook.ConferenceEvent
		if i%2 == 0 {
			ev = kit.event(&kit.exit, conf, name, i/2)
		} else {
			ev = kit.event(&kit.enter, conf, name, n+i/2)
		}
		if op == "apply" {
			if changes, err := tr.Apply(ctx, ev); err != nil || len(changes) != 1 {
				b.Fatalf("event %d: %v, %d changes", i, err, len(changes))
			}
			return
		}
		if called, err := tr.Track(ctx, ev, funcs); err != nil || !called {
			b.Fatalf("event %d: %v, called %v", i, err, called)
		}
	})
	c, _, _ := tr.Conference(ctx, conf)
	if c.Size() < n-1 {
		b.Fatalf("room of %d members has %d", n, c.Size())
	}
}

// BenchmarkTrackerConferences measures Conferences and Live over 10,000
// rooms of 20 members, one in ten of them ended. result-B/op is the size
// of the slice returned (its capacity times the size of a Snapshot): the
// target is that B/op is no more than that, in one allocation.
func BenchmarkTrackerConferences(b *testing.B) {
	const rooms, members = 10000, 20
	tr := &Tracker{MaxConferences: 2 * rooms, MaxIdle: -1, Retention: -1, Now: stepClock()}
	kit := newEventKit(b, members)
	uuids := newIDPool(rooms, "5d2c1f0e-7a41-4c7e-9d7e-%012d")
	ctx := context.Background()
	for r := range rooms {
		for m := range members {
			if _, err := tr.Apply(ctx, kit.event(&kit.enter, uuids.at(r), "room", m)); err != nil {
				b.Fatal(err)
			}
		}
		if r%10 == 9 {
			for m := range members {
				tmpl := &kit.exit
				if m == members-1 {
					tmpl = &kit.lastExit
				}
				if _, err := tr.Apply(ctx, kit.event(tmpl, uuids.at(r), "room", m)); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	for _, read := range []struct {
		name string
		fn   func(context.Context) ([]Snapshot, error)
		want int
	}{{"conferences", tr.Conferences, rooms}, {"live", tr.Live, rooms - rooms/10}} {
		b.Run("op="+read.name+"/rooms=10000", func(b *testing.B) {
			var got []Snapshot
			benchLoop(b, func(int) {
				var err error
				if got, err = read.fn(ctx); err != nil || len(got) != read.want {
					b.Fatalf("%v, %d snapshots, want %d", err, len(got), read.want)
				}
			})
			b.ReportMetric(float64(cap(got))*float64(unsafe.Sizeof(Snapshot{})), "result-B/op")
		})
	}
}
