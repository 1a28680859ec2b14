package track

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
)

// recordsOf plays the recorded sequences and returns every record
// committed along the way: live, ended, with tombstones and trimmed members.
func recordsOf(t testing.TB) []*Record {
	var out []*Record
	for _, name := range []string{"live-three", "live-rejoin", "minimal-two", "classic-two"} {
		tr := &Tracker{MaxMembers: 2}
		for _, line := range trackedLines(t, loadSequence(t, name)) {
			if _, err := tr.Apply(context.Background(), parseLine(t, line)); err != nil {
				require.ErrorIs(t, err, ErrTrackerFull) // MaxMembers 2 refuses some enters
			}
			memStore(tr).Range(context.Background(), func(r *Record) bool { out = append(out, r); return true })
		}
	}
	return out
}

func jsonOf(t testing.TB, r *Record) string {
	b, err := json.Marshal(r.Snapshot())
	require.NoError(t, err)
	return string(b)
}

// A record survives its binary form: the same snapshot, the same next
// steps for any event, the same memory of trimmed members.
func TestRecordBinaryRoundTrip(t *testing.T) {
	recs := recordsOf(t)
	require.Greater(t, len(recs), 20)
	probe := parseLine(t, liveEvent(vobizhook.ActionEnter, "x", 0, false))
	for _, r := range recs {
		b, err := r.MarshalBinary()
		require.NoError(t, err)
		var back Record
		require.NoError(t, back.UnmarshalBinary(b))
		assert.Equal(t, jsonOf(t, r), jsonOf(t, &back))
		assert.Equal(t, r.m.pastHead, back.m.pastHead)
		assert.Equal(t, r.m.pastTail, back.m.pastTail)
		assert.Equal(t, r.past.Len(), back.past.Len())
		assert.Equal(t, r.dropped.Len()+r.droppedPrev.Len(), back.dropped.Len()+back.droppedPrev.Len())
		r.roster.Range(func(k memberKey, rec *memberRec) bool {
			got := back.member(k)
			require.NotNil(t, got)
			assert.Equal(t, rec.pastSeq, got.pastSeq)
			assert.Equal(t, rec.present, got.present)
			assert.True(t, rec.joined.Equal(got.joined) && rec.left.Equal(got.left))
			return true
		})
		probe.ConferenceUUID = r.UUID()
		at := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
		s1, e1 := r.next(&probe, at, memberKey{probe.CallUUID, probe.MemberID}, 2)
		s2, e2 := back.next(&probe, at, memberKey{probe.CallUUID, probe.MemberID}, 2)
		assert.Equal(t, s1, s2)
		assert.Equal(t, e1 == nil, e2 == nil)
		again, err := back.MarshalBinary()
		require.NoError(t, err)
		assert.Len(t, again, len(b), "stable size")
	}
}

func TestRecordUnmarshalRefusesJunk(t *testing.T) {
	good, err := recordsOf(t)[5].MarshalBinary()
	require.NoError(t, err)
	for name, b := range map[string][]byte{
		"empty":       nil,
		"version":     append([]byte{9}, good[1:]...),
		"truncated":   good[:len(good)/2],
		"trailing":    append(append([]byte(nil), good...), 0),
		"huge length": {recordVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
	} {
		var r Record
		assert.ErrorIs(t, r.UnmarshalBinary(b), ErrBadRecord, name)
	}
}

// FuzzRecordUnmarshal: whatever a store hands back, decoding never panics,
// and what decodes encodes back to the same bytes' meaning.
func FuzzRecordUnmarshal(f *testing.F) {
	for _, r := range recordsOf(f)[:8] {
		b, _ := r.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		if r.UnmarshalBinary(b) != nil {
			return
		}
		again, err := r.MarshalBinary()
		require.NoError(t, err)
		var back Record
		require.NoError(t, back.UnmarshalBinary(again))
		require.Equal(t, jsonOf(t, &r), jsonOf(t, &back))
	})
}
