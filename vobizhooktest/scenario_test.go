package vobizhooktest_test

import (
	"context"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

var (
	uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	phone  = regexp.MustCompile(`^91[6-9][0-9]{9}$`)
)

func TestScenarioDeterministic(t *testing.T) {
	s := vobizhooktest.Scenario{Participants: 7, Seed: 42, Shuffle: true, Duplicates: 0.3}
	a := s.MustDeliveries(t)
	b := s.MustDeliveries(t)
	assert.Equal(t, a, b, "same scenario, same deliveries")

	s.Seed = 43
	c := s.MustDeliveries(t)
	assert.NotEqual(t, a[0].Event.CallUUID, c[0].Event.CallUUID, "another seed, other calls")

	// Shuffle and Duplicates change the delivery, not the events.
	plain := vobizhooktest.Scenario{Participants: 7, Seed: 42}
	assert.Equal(t, plain.MustEvents(t), vobizhooktest.Scenario{Participants: 7, Seed: 42, Shuffle: true, Duplicates: 0.5}.MustEvents(t))
}

func TestScenarioLive(t *testing.T) {
	start := time.Date(2026, 8, 31, 20, 8, 0, 0, time.UTC)
	s := vobizhooktest.Scenario{Room: "Daily Sync", Participants: 5, Seed: 1, Start: start}
	events := s.MustEvents(t)
	require.Len(t, events, 10)

	calls, members, numbers := map[string]bool{}, map[string]bool{}, map[string]bool{}
	in := map[string]bool{}
	for i, ev := range events {
		assert.Equal(t, "Daily Sync", ev.ConferenceName)
		assert.Equal(t, events[0].ConferenceUUID, ev.ConferenceUUID)
		assert.Regexp(t, uuidV4, ev.ConferenceUUID)
		assert.Regexp(t, uuidV4, ev.CallUUID)
		assert.NotEmpty(t, ev.MemberID)
		assert.Equal(t, -1, ev.CurrentSize, "live traffic has no size")
		assert.True(t, ev.Timestamp.IsZero(), "nor a Timestamp")
		assert.Empty(t, ev.RecordingURL)
		if i < 5 {
			assert.Equal(t, vobizhook.ActionEnter, ev.Action)
			assert.Equal(t, "ConferenceEnter", ev.Event)
			assert.Equal(t, i == 0, ev.FirstMember, "only the first enter is the first member")
			assert.False(t, ev.LastMember)
			assert.Contains(t, []string{"inbound", "outbound"}, ev.Direction)
			assert.Equal(t, "in-progress", ev.CallStatus)
			assert.Regexp(t, phone, ev.From)
			assert.Regexp(t, phone, ev.To)
			caller := ev.From
			if ev.Direction == "outbound" {
				caller = ev.To
			}
			numbers[caller] = true
			assert.Equal(t, ev.CallUUID, ev.Params.Get("ALegUUID"))
			assert.Regexp(t, uuidV4, ev.Params.Get("RequestUUID"))
			assert.Equal(t, ev.Params.Get("RequestUUID"), ev.Params.Get("ALegRequestUUID"))
			assert.Regexp(t, `^MA[A-Z0-9]{18}$`, ev.Params.Get("ParentAuthID"))
			assert.Equal(t, "0.0045", ev.Params.Get("BillRate"))
			at, err := time.Parse("2006-01-02 15:04:05.000000", ev.Params.Get("SessionStart"))
			require.NoError(t, err, "SessionStart is UTC with microseconds")
			assert.False(t, at.Before(start))
			calls[ev.CallUUID], members[ev.MemberID] = true, true
			in[ev.CallUUID] = true
		} else {
			assert.Equal(t, vobizhook.ActionExit, ev.Action)
			assert.Equal(t, "ConferenceExit", ev.Event)
			assert.Equal(t, i == 9, ev.LastMember, "only the exit that empties the room")
			assert.False(t, ev.FirstMember)
			assert.Empty(t, ev.From, "exits carry no numbers")
			assert.Empty(t, ev.To)
			assert.Empty(t, ev.Direction)
			assert.Empty(t, ev.CallStatus)
			assert.Empty(t, ev.Params)
			assert.True(t, in[ev.CallUUID], "exit of a call that entered")
			delete(in, ev.CallUUID)
		}
	}
	assert.Len(t, calls, 5, "distinct CallUUIDs")
	assert.Len(t, members, 5, "distinct member IDs")
	assert.Len(t, numbers, 5, "distinct caller numbers")
	assert.Empty(t, in, "everyone left")
}

func TestScenarioClassic(t *testing.T) {
	s := vobizhooktest.Scenario{Participants: 4, Style: vobizhooktest.Classic, Seed: 9}
	events := s.MustEvents(t)
	require.Len(t, events, 10)
	var actions []vobizhook.Action
	var sizes []int
	for i, ev := range events {
		actions = append(actions, ev.Action)
		sizes = append(sizes, ev.CurrentSize)
		assert.Equal(t, vobizhooktest.DefaultRoom, ev.ConferenceName)
		assert.Empty(t, ev.Event, "classic has no Event")
		assert.Empty(t, ev.MemberID)
		assert.Equal(t, []string{strconv.Itoa(ev.CurrentSize)}, ev.Params["ConferenceCurrentSize"],
			"the size is carried explicitly, as in a parsed classic event, so EncodeEvent sends a 0")
		assert.Regexp(t, phone, ev.From)
		assert.Regexp(t, phone, ev.To)
		assert.False(t, ev.Timestamp.IsZero())
		assert.Equal(t, time.Duration(0), ev.Timestamp.Sub(ev.Timestamp.Truncate(time.Second)), "whole seconds")
		assert.False(t, ev.Timestamp.Before(time.Date(2026, 5, 19, 10, 30, 0, 0, time.UTC)))
		if i > 0 {
			assert.False(t, ev.Timestamp.Before(events[i-1].Timestamp), "in time order")
		}
	}
	e := vobizhook.ActionEnter
	x := vobizhook.ActionExit
	assert.Equal(t, []vobizhook.Action{vobizhook.ActionStart, e, e, e, e, x, x, x, x, vobizhook.ActionEnd}, actions)
	assert.Equal(t, []int{1, 1, 2, 3, 4, 3, 2, 1, 0, 0}, sizes)
	assert.Equal(t, events[1].CallUUID, events[0].CallUUID, "start comes with the first call")
	assert.Equal(t, events[8].CallUUID, events[9].CallUUID, "end comes with the last call out")
	assert.Regexp(t, `^https://.*\.mp3$`, events[9].RecordingURL)
	for _, ev := range events[:9] {
		assert.Empty(t, ev.RecordingURL)
	}
}

func TestScenarioShuffleAndDuplicates(t *testing.T) {
	s := vobizhooktest.Scenario{Participants: 30, Seed: 5}
	events := s.MustEvents(t)

	plain := s.MustDeliveries(t)
	require.Len(t, plain, len(events))
	for i, d := range plain {
		assert.Equal(t, i, d.Index)
		assert.False(t, d.Duplicate)
		assert.Equal(t, events[i], d.Event)
	}

	s.Shuffle = true
	shuffled := s.MustDeliveries(t)
	require.Len(t, shuffled, len(events))
	var idx []int
	for _, d := range shuffled {
		idx = append(idx, d.Index)
		assert.Equal(t, events[d.Index], d.Event)
	}
	assert.False(t, slices.IsSorted(idx), "shuffled")
	slices.Sort(idx)
	for i := range idx {
		assert.Equal(t, i, idx[i], "a permutation: every event exactly once")
	}

	s.Shuffle = false
	s.Duplicates = 1
	all := s.MustDeliveries(t)
	assert.Len(t, all, 2*len(events), "probability 1: everything twice")

	s.Duplicates = 0.25
	some := s.MustDeliveries(t)
	seen := map[int]int{} // Index -> position of the original
	dups := 0
	for pos, d := range some {
		if !d.Duplicate {
			seen[d.Index] = pos
			continue
		}
		dups++
		orig, ok := seen[d.Index]
		require.True(t, ok, "a duplicate follows its original")
		assert.LessOrEqual(t, pos-orig, 3+dups, "within the next few deliveries")
		assert.Equal(t, some[orig].Event, d.Event)
	}
	assert.Len(t, seen, len(events))
	assert.Equal(t, len(some)-len(events), dups)
	assert.InDelta(t, 0.25*float64(len(events)), float64(dups), 10, "about a quarter duplicated")
}

func TestScenarioDefaultsAndErrors(t *testing.T) {
	events := vobizhooktest.Scenario{}.MustEvents(t)
	assert.Len(t, events, 2*vobizhooktest.DefaultParticipants)
	assert.Equal(t, vobizhooktest.DefaultRoom, events[0].ConferenceName)

	one := vobizhooktest.Scenario{Participants: 1}.MustEvents(t)
	require.Len(t, one, 2)
	assert.True(t, one[0].FirstMember)
	assert.True(t, one[1].LastMember)

	for _, s := range []vobizhooktest.Scenario{
		{Participants: -1},
		{Participants: vobizhooktest.MaxParticipants + 1},
		{Style: "modern"},
		{Duplicates: -0.1},
		{Duplicates: 1.5},
		{Duplicates: math.NaN()},
	} {
		_, err := s.Events()
		if s.Duplicates == 0 {
			assert.ErrorIs(t, err, vobizhooktest.ErrInvalidScenario, "%+v", s)
		}
		_, err = s.Deliveries()
		assert.ErrorIs(t, err, vobizhooktest.ErrInvalidScenario, "%+v", s)
		_, err = s.Requests()
		assert.ErrorIs(t, err, vobizhooktest.ErrInvalidScenario, "%+v", s)
	}

	for in, want := range map[string]vobizhooktest.Style{"live": vobizhooktest.Live, "Classic": vobizhooktest.Classic, " live ": vobizhooktest.Live} {
		got, err := vobizhooktest.ParseStyle(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := vobizhooktest.ParseStyle("modern")
	assert.ErrorIs(t, err, vobizhooktest.ErrInvalidScenario)
	assert.ErrorContains(t, err, "live or classic")
}

// A whole shuffled, duplicated, signed conference through a verifying
// Handler: every event dispatched exactly once, retries acknowledged.
func TestScenarioRequestsThroughHandler(t *testing.T) {
	for _, style := range []vobizhooktest.Style{vobizhooktest.Live, vobizhooktest.Classic} {
		t.Run(string(style), func(t *testing.T) {
			s := vobizhooktest.Scenario{Participants: 6, Style: style, Seed: 3, Shuffle: true, Duplicates: 0.5}
			deliveries := s.MustDeliveries(t)
			reqs := s.MustRequests(t, vobizhooktest.WithURL(callback), vobizhooktest.WithAuthToken(token))
			require.Len(t, reqs, len(deliveries))

			nonceOf := map[int]string{}
			for i, d := range deliveries {
				n := reqs[i].Header.Get(vobizhook.HeaderSignatureV3Nonce)
				if d.Duplicate {
					assert.Equal(t, nonceOf[d.Index], n, "a retry is the same signed request")
				} else {
					assert.NotContains(t, slices.Collect(maps.Values(nonceOf)), n, "each event has its own nonce")
					nonceOf[d.Index] = n
				}
			}

			var mu sync.Mutex
			got := map[string]int{}
			record := func(_ context.Context, ev vobizhook.ConferenceEvent) error {
				mu.Lock()
				defer mu.Unlock()
				got[string(ev.Action)+" "+ev.CallUUID]++
				return nil
			}
			h := &vobizhook.Handler{Verifier: &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callback}, OnEnter: record, OnExit: record, OnStart: record, OnEnd: record, Logger: discardLogger}
			for _, r := range reqs {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			}
			events := s.MustEvents(t)
			assert.Len(t, got, len(events))
			for _, ev := range events {
				assert.Equal(t, 1, got[string(ev.Action)+" "+ev.CallUUID], "%s %s dispatched once", ev.Action, ev.CallUUID)
			}
		})
	}
}
