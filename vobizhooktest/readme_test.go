package vobizhooktest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// Roster is the "your code" of the README's "Testing your handler": who is
// in which room. Deliveries are unordered, so an exit can arrive before its
// enter: a member that left stays left.
type Roster struct {
	mu   sync.Mutex
	in   map[string]map[string]bool // room -> member key -> in the room
	left map[string]bool            // member keys that left
}

func NewRoster() *Roster {
	return &Roster{in: map[string]map[string]bool{}, left: map[string]bool{}}
}

func memberKey(ev vobizhook.ConferenceEvent) string { return ev.CallUUID + "/" + ev.MemberID }

func (r *Roster) Enter(_ context.Context, ev vobizhook.ConferenceEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.left[memberKey(ev)] {
		return nil
	}
	if r.in[ev.ConferenceName] == nil {
		r.in[ev.ConferenceName] = map[string]bool{}
	}
	r.in[ev.ConferenceName][memberKey(ev)] = true
	return nil
}

func (r *Roster) Exit(_ context.Context, ev vobizhook.ConferenceEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.left[memberKey(ev)] = true
	delete(r.in[ev.ConferenceName], memberKey(ev))
	return nil
}

func (r *Roster) InRoom(room string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var keys []string
	for k := range r.in[room] {
		keys = append(keys, k)
	}
	return keys
}

// The README's example, verbatim.
func TestConferenceRoster(t *testing.T) {
	roster := NewRoster() // your code
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{"test-token"}, CallbackURL: "https://app.example/conference-events"},
		OnEnter:  roster.Enter, OnExit: roster.Exit,
	}

	sc := vobizhooktest.Scenario{Room: "WeeklyStandup", Participants: 5, Seed: 1, Shuffle: true, Duplicates: 0.2}
	for _, r := range sc.MustRequests(t, vobizhooktest.WithURL(h.Verifier.CallbackURL), vobizhooktest.WithAuthToken("test-token")) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, http.StatusOK, w.Code)
	}
	assert.Empty(t, roster.InRoom("WeeklyStandup")) // everyone left, whatever the delivery order
}
