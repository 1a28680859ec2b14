package vobizhooktest

import (
	"net/http"
	"testing"

	"github.com/vobizhook/vobizhook"
)

// MustNewRequest is [NewRequest] for tests: it fails t (t.Fatal) on error.
func MustNewRequest(t testing.TB, ev vobizhook.ConferenceEvent, opts ...Option) *http.Request {
	t.Helper()
	r, err := NewRequest(ev, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// MustReadRequestFile is [ReadRequestFile] for tests: it fails t on error.
func MustReadRequestFile(t testing.TB, path string) *http.Request {
	t.Helper()
	r, err := ReadRequestFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// MustResign is [Resign] for tests: it fails t on error and returns r.
func MustResign(t testing.TB, r *http.Request, callbackURL, authToken string) *http.Request {
	t.Helper()
	if err := Resign(r, callbackURL, authToken); err != nil {
		t.Fatal(err)
	}
	return r
}

// MustClientRequest is [ClientRequest] for tests: it fails t on error.
func MustClientRequest(t testing.TB, r *http.Request) *http.Request {
	t.Helper()
	c, err := ClientRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// MustEvents is [Scenario.Events] for tests: it fails t on error.
func (s Scenario) MustEvents(t testing.TB) []vobizhook.ConferenceEvent {
	t.Helper()
	events, err := s.Events()
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// MustDeliveries is [Scenario.Deliveries] for tests: it fails t on error.
func (s Scenario) MustDeliveries(t testing.TB) []Delivery {
	t.Helper()
	deliveries, err := s.Deliveries()
	if err != nil {
		t.Fatal(err)
	}
	return deliveries
}

// MustRequests is [Scenario.Requests] for tests: it fails t on error.
func (s Scenario) MustRequests(t testing.TB, opts ...Option) []*http.Request {
	t.Helper()
	reqs, err := s.Requests(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}
