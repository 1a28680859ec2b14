package track

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

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
