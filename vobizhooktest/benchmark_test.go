package vobizhooktest_test

import (
	"testing"

	"github.com/vobizhook/vobizhook/vobizhooktest"
)

func BenchmarkNewRequest(b *testing.B) {
	ev := liveEnter()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vobizhooktest.NewRequest(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewRequestSigned(b *testing.B) {
	ev := liveEnter()
	opts := []vobizhooktest.Option{vobizhooktest.WithURL(callback), vobizhooktest.WithAuthToken(token)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vobizhooktest.NewRequest(ev, opts...); err != nil {
			b.Fatal(err)
		}
	}
}

// A 50-participant live conference, shuffled, with retries.
func BenchmarkScenarioDeliveries(b *testing.B) {
	s := vobizhooktest.Scenario{Participants: 50, Shuffle: true, Duplicates: 0.1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Deliveries(); err != nil {
			b.Fatal(err)
		}
	}
}
