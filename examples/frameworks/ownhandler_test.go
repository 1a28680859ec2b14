package frameworks_test

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/examples/frameworks"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// downStore is a NonceStore that cannot answer.
type downStore struct{}

var errDown = errors.New("store down")

func (downStore) Claim(context.Context, string, uint64, time.Duration) (vobizhook.NonceState, error) {
	return 0, errDown
}
func (downStore) Complete(context.Context, string, uint64, time.Duration) error { return errDown }
func (downStore) Release(context.Context, string, uint64) error                 { return errDown }

// The own-handler recipe answers every request as a vobizhook.Handler
// does: the same statuses for the same requests, with the same setup.
func TestGinCallbacksAnswersAsTheHandler(t *testing.T) {
	const callbackURL = public + "/conference-events"
	cases := []struct {
		name      string
		file      string
		authToken string   // "" leaves the request unsigned
		tokens    []string // the Verifier's AuthTokens
		store     vobizhook.NonceStore
		fail      error // returned by the func
		want      int
	}{
		{"POST", "enter-live.http", token, []string{token}, nil, nil, 200},
		{"GET", "enter-get.http", token, []string{token}, nil, nil, 200},
		{"forged", "enter-live.http", "a guessed token", []string{token}, nil, nil, 403},
		{"unsigned", "enter-live.http", "", []string{token}, nil, nil, 403},
		{"rotated token", "enter-live.http", "old-token", []string{token, "old-token"}, nil, nil, 200},
		{"no token configured", "enter-live.http", token, []string{}, nil, nil, 500},
		{"malformed parameter", "bad/size-abc.http", token, []string{token}, nil, nil, 400},
		{"JSON body", "bad/json.http", token, []string{token}, nil, nil, 415},
		{"the func fails", "enter-live.http", token, []string{token}, nil, errors.New("database down"), 500},
		{"the nonce store is down", "enter-live.http", token, []string{token}, downStore{}, nil, 503},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			verifier := func() *vobizhook.Verifier {
				return &vobizhook.Verifier{AuthTokens: tc.tokens, CallbackURL: callbackURL}
			}
			store := func() vobizhook.NonceStore {
				if tc.store != nil {
					return tc.store
				}
				return vobizhook.NewMemoryNonceStore(0)
			}
			var calls atomic.Int32
			fn := func(context.Context, vobizhook.ConferenceEvent) error { calls.Add(1); return tc.fail }

			h := newHandler(callbackURL, new(sink))
			h.Verifier, h.NonceStore, h.OnEnter = verifier(), store(), fn
			own := frameworks.GinOwn(verifier(), store(), func(c *gin.Context, ev vobizhook.ConferenceEvent) error {
				return fn(c.Request.Context(), ev)
			})
			for _, impl := range []struct {
				name string
				h    http.Handler
			}{{"Handler", frameworks.ServeMux(h)}, {"GinOwn", own}} {
				calls.Store(0)
				base := start(t, func(string) http.Handler { return impl.h })
				a := deliver(t, signed(t, tc.file, callbackURL, tc.authToken), base, false)
				if a.status != tc.want {
					t.Errorf("%s: status %d (%q), want %d", impl.name, a.status, a.body, tc.want)
				}
				wantCalls := int32(0)
				if tc.want == 200 || tc.fail != nil {
					wantCalls = 1
				}
				if got := calls.Load(); got != wantCalls {
					t.Errorf("%s: the func ran %d times, want %d", impl.name, got, wantCalls)
				}
			}
		})
	}
}

// A delivery that failed is handled again when Vobiz retries it; once one
// succeeded, further copies are acknowledged without running the func.
func TestGinCallbacksRetryAfterFailure(t *testing.T) {
	const callbackURL = public + "/conference-events"
	var calls atomic.Int32
	s := new(sink)
	v := &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callbackURL}
	base := start(t, func(string) http.Handler {
		return frameworks.GinOwn(v, vobizhook.NewMemoryNonceStore(0), func(c *gin.Context, ev vobizhook.ConferenceEvent) error {
			if calls.Add(1) == 1 {
				return errors.New("database down")
			}
			return s.record(c.Request.Context(), ev)
		})
	})
	r := signed(t, "enter-live.http", callbackURL, token)
	for i, want := range []int{500, 200, 200, 200} { // the delivery, Vobiz's retry, two replays
		if a := deliver(t, r, base, false); a.status != want {
			t.Errorf("delivery %d: status %d (%q), want %d", i+1, a.status, a.body, want)
		}
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("the func ran %d times, want 2", got)
	}
	wantEvents(t, s.got(), "enter-live.http")
}

// A copy of a callback that arrives while the first is still being handled
// is answered 503 with Retry-After, without running the func again.
func TestGinCallbacksInProgress(t *testing.T) {
	const callbackURL = public + "/conference-events"
	started, finish := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	v := &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callbackURL}
	base := start(t, func(string) http.Handler {
		return frameworks.GinOwn(v, vobizhook.NewMemoryNonceStore(0), func(*gin.Context, vobizhook.ConferenceEvent) error {
			if calls.Add(1) == 1 {
				close(started)
				<-finish
			}
			return nil
		})
	})
	r := signed(t, "enter-live.http", callbackURL, token)
	first := make(chan answer, 1)
	go func() {
		a, err := send(r, base, false)
		if err != nil {
			a.body = err.Error()
		}
		first <- a
	}()
	select {
	case <-started:
	case a := <-first:
		t.Fatalf("first delivery: status %d (%q) before the func ran", a.status, a.body)
	}
	a := deliver(t, r, base, false)
	close(finish)
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "1" {
		t.Errorf("copy in progress: status %d, Retry-After %q; want 503, 1", a.status, a.header.Get("Retry-After"))
	}
	if a := <-first; a.status != http.StatusOK {
		t.Errorf("first delivery: status %d (%q), want 200", a.status, a.body)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("the func ran %d times, want 1", got)
	}
}

// The request Vobiz makes to <Conference action> when a member leaves,
// when that URL is the callback route (as in examples/basic), expects
// answer XML: the own-handler recipe answers an XML document, as the
// Handler does.
func TestGinCallbacksAnswersLeaveWithXML(t *testing.T) {
	const callbackURL = public + "/conference-events"
	leave := vobizhook.ConferenceEvent{ConferenceUUID: "conf-1", MemberID: "249", CallUUID: "call-1", CallStatus: "in-progress"}
	req := func() *http.Request {
		return vobizhooktest.MustNewRequest(t, leave, vobizhooktest.WithURL(callbackURL), vobizhooktest.WithAuthToken(token))
	}
	h := newHandler(callbackURL, new(sink))
	h.Verifier = &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callbackURL}
	own := frameworks.GinOwn(&vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callbackURL},
		vobizhook.NewMemoryNonceStore(0),
		func(*gin.Context, vobizhook.ConferenceEvent) error { return nil })
	for _, impl := range []struct {
		name string
		h    http.Handler
	}{{"Handler", frameworks.ServeMux(h)}, {"GinOwn", own}} {
		base := start(t, func(string) http.Handler { return impl.h })
		a := deliver(t, req(), base, false)
		var doc struct {
			XMLName xml.Name
		}
		err := xml.Unmarshal([]byte(a.body), &doc)
		if a.status != 200 || a.header.Get("Content-Type") != "application/xml" || err != nil || doc.XMLName.Local != "Response" {
			t.Errorf("%s: leave request answered %d, Content-Type %q, body %q (xml: %v)", impl.name, a.status, a.header.Get("Content-Type"), a.body, err)
		}
	}
}
