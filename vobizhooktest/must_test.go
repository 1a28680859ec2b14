package vobizhooktest_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// fakeTB records a Fatal and stops the goroutine, as testing.T does.
type fakeTB struct {
	testing.TB
	fatal string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatal(args ...any) {
	f.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}

// fatalOf runs fn with a fakeTB and returns the Fatal message, or "" when fn
// returned normally.
func fatalOf(fn func(tb testing.TB)) string {
	tb := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
	}()
	<-done
	return tb.fatal
}

func TestMustHelpersFailTheTest(t *testing.T) {
	bad := vobizhooktest.Scenario{Participants: -1}
	tests := []struct {
		name string
		fn   func(tb testing.TB)
		want string
	}{
		{"MustNewRequest", func(tb testing.TB) { vobizhooktest.MustNewRequest(tb, liveEnter(), vobizhooktest.WithURL("nope")) }, "invalid callback URL"},
		{"MustReadRequestFile", func(tb testing.TB) { vobizhooktest.MustReadRequestFile(tb, "no/such/file.http") }, "no/such/file.http"},
		{"MustResign", func(tb testing.TB) {
			vobizhooktest.MustResign(tb, vobizhooktest.MustNewRequest(tb, liveEnter()), "ftp://x/", token)
		}, "invalid callback URL"},
		{"MustClientRequest", func(tb testing.TB) {
			vobizhooktest.MustClientRequest(tb, vobizhooktest.MustReadRequestFile(tb, filepath.Join(recorded, "enter-live.http")))
		}, "not absolute"},
		{"MustEvents", func(tb testing.TB) { bad.MustEvents(tb) }, "Participants -1"},
		{"MustDeliveries", func(tb testing.TB) { bad.MustDeliveries(tb) }, "Participants -1"},
		{"MustRequests", func(tb testing.TB) { bad.MustRequests(tb) }, "Participants -1"},
		{"MustRequests, bad option", func(tb testing.TB) { vobizhooktest.Scenario{}.MustRequests(tb, vobizhooktest.WithMethod("")) }, "invalid HTTP method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, fatalOf(tt.fn), tt.want)
		})
	}

	assert.Empty(t, fatalOf(func(tb testing.TB) {
		r := vobizhooktest.MustNewRequest(tb, liveEnter(), vobizhooktest.WithAuthToken(token))
		vobizhooktest.MustResign(tb, r, callback, token)
		vobizhooktest.MustClientRequest(tb, r)
		vobizhooktest.Scenario{}.MustRequests(tb)
	}), "no failure on success")
}
