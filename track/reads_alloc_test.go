package track

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

// Conferences and Live over 10,000 rooms allocate their result and
// nothing else: one slice.
func TestConferencesAllocateOnlyTheirResult(t *testing.T) {
	const rooms = 10_000
	tr := &Tracker{MaxConferences: 2 * rooms, MaxIdle: -1, Retention: -1, Now: stepClock()}
	kit := newEventKit(t, 2)
	uuids := newIDPool(rooms, "5d2c1f0e-7a41-4c7e-9d7e-%012d")
	ctx := context.Background()
	for r := range rooms {
		for m := range 2 {
			_, err := tr.Apply(ctx, kit.event(&kit.enter, uuids.at(r), "room", m))
			require.NoError(t, err)
		}
		if r%10 == 9 {
			_, err := tr.Apply(ctx, kit.event(&kit.lastExit, uuids.at(r), "room", 0))
			require.NoError(t, err)
		}
	}
	for _, read := range []struct {
		name string
		fn   func(context.Context) ([]Snapshot, error)
		want int
	}{{"Conferences", tr.Conferences, rooms}, {"Live", tr.Live, rooms - rooms/10}} {
		var got []Snapshot
		allocs := testing.AllocsPerRun(5, func() {
			var err error
			got, err = read.fn(ctx)
			require.NoError(t, err)
		})
		require.Len(t, got, read.want, read.name)
		require.Equal(t, read.want, cap(got), "%s: the slice is sized to its snapshots", read.name)
		require.Equal(t, 1.0, allocs, "%s allocates its result only", read.name)
		for i := 1; i < len(got); i++ {
			require.False(t, got[i].StartedAt.Before(got[i-1].StartedAt), "%s: ordered by StartedAt", read.name)
		}
	}
}

// FromContext inside a func allocates nothing, whatever the room's size.
func TestFromContextAllocatesNothingPerMember(t *testing.T) {
	tr := &Tracker{Now: stepClock(), MaxMembers: 20_000}
	kit := newEventKit(t, 10_001)
	ctx := context.Background()
	for m := range 10_000 {
		_, err := tr.Apply(ctx, kit.event(&kit.enter, "big", "room", m))
		require.NoError(t, err)
	}
	var size int
	read := func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		allocs := testing.AllocsPerRun(10, func() {
			s, ok := FromContext(ctx)
			if !ok {
				panic("no preview")
			}
			size = s.Size()
		})
		if allocs != 0 {
			t.Errorf("FromContext allocated %v times", allocs)
		}
		return nil
	}
	_, err := tr.Track(ctx, kit.event(&kit.enter, "big", "room", 10_000), vobizhook.Funcs{OnEnter: read})
	require.NoError(t, err)
	require.Equal(t, 10_001, size)
}
