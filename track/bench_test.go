package track

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

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
