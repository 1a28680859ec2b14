package vobizhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
	"github.com/vobizhook/vobizhook/vobizxml"
)

// What real deployments send and do (issue #12, items 1 to 7).

const deployToken = "deploy-token-8c1f"

// counted is a Handler whose funcs count their calls, logging into log.
func counted(log *bytes.Buffer) (*vobizhook.Handler, *atomic.Int32) {
	var n atomic.Int32
	fn := func(context.Context, vobizhook.ConferenceEvent) error { n.Add(1); return nil }
	return &vobizhook.Handler{
		OnEnter: fn, OnExit: fn, OnStart: fn, OnEnd: fn, OnOther: fn,
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, &n
}

var liveEnter = vobizhook.ConferenceEvent{Action: vobizhook.ActionEnter, Event: "ConferenceEnter", ConferenceUUID: "conf-d",
	ConferenceName: "sales", CallUUID: "call-d", MemberID: "249", From: "918071387423", CurrentSize: -1}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// 1. A callbackUrl with user info, Vobiz's callback authentication:
// accepted whether the signed URL kept the user info (Python SDK) or not
// (Go SDK); the password never reaches a log or an answer; optionally, the
// Authorization: Basic header must match it.
func TestBasicAuthCallbackURL(t *testing.T) {
	const secret = "s3cret-pass-91"
	cb := "https://vobiz:" + secret + "@app.example/conference-events"
	for _, tc := range []struct {
		name     string
		basic    bool // RequireBasicAuth
		opts     []vobizhooktest.Option
		tamper   func(r *http.Request)
		status   int
		dispatch bool
	}{
		{name: "signed without the user info", opts: nil, status: 200, dispatch: true},
		{name: "signed with the user info", opts: []vobizhooktest.Option{vobizhooktest.WithSignedUserInfo()}, status: 200, dispatch: true},
		{name: "basic auth required and right", basic: true, status: 200, dispatch: true},
		{name: "basic auth required, wrong password", basic: true, status: 401,
			tamper: func(r *http.Request) { r.SetBasicAuth("vobiz", "guess") }},
		{name: "basic auth required, none", basic: true, status: 401,
			tamper: func(r *http.Request) { r.Header.Del("Authorization") }},
		{name: "not required: credentials not checked", status: 200, dispatch: true,
			tamper: func(r *http.Request) { r.SetBasicAuth("vobiz", "guess") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			h, n := counted(&log)
			h.Verifier = &vobizhook.Verifier{AuthTokens: []string{deployToken}, CallbackURL: cb, RequireBasicAuth: tc.basic}
			opts := append([]vobizhooktest.Option{vobizhooktest.WithURL(cb), vobizhooktest.WithAuthToken(deployToken)}, tc.opts...)
			r := vobizhooktest.MustNewRequest(t, liveEnter, opts...)
			user, pass, ok := r.BasicAuth()
			require.True(t, ok && user == "vobiz" && pass == secret, "the kit sends the user info as a client would")
			if tc.tamper != nil {
				tc.tamper(r)
			}
			w := serve(h, r)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			assert.Equal(t, tc.dispatch, n.Load() == 1)
			if tc.status == 401 {
				assert.Equal(t, `Basic realm="vobiz callbacks"`, w.Header().Get("WWW-Authenticate"))
				assert.Equal(t, "vobizhook: bad credentials\n", w.Body.String())
			}
			assert.NotContains(t, log.String()+w.Body.String(), secret)
		})
	}
	t.Run("a mismatch names the URL without its password", func(t *testing.T) {
		var log bytes.Buffer
		h, _ := counted(&log)
		h.Verifier = &vobizhook.Verifier{AuthTokens: []string{deployToken}, CallbackURL: cb}
		w := serve(h, vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithURL(cb), vobizhooktest.WithAuthToken("other-token")))
		assert.Equal(t, http.StatusForbidden, w.Code)
		assert.Contains(t, log.String(), "https://app.example/conference-events")
		assert.NotContains(t, log.String(), secret)
	})
	t.Run("RequireBasicAuth without user info is a misconfiguration", func(t *testing.T) {
		var log bytes.Buffer
		h, n := counted(&log)
		h.Verifier = &vobizhook.Verifier{AuthTokens: []string{deployToken}, CallbackURL: "https://app.example/conference-events", RequireBasicAuth: true}
		w := serve(h, vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithURL("https://app.example/conference-events"), vobizhooktest.WithAuthToken(deployToken)))
		assert.Equal(t, http.StatusInternalServerError, w.Code)
		assert.Zero(t, n.Load())
		assert.Contains(t, log.String(), "RequireBasicAuth needs a CallbackURL with user info")
	})
}

// 2. The application's own query on callbackUrl reaches the event on a
// POST as on a GET; Vobiz's named parameters come only from where Vobiz
// puts them.
func TestOwnQueryOnCallbackURL(t *testing.T) {
	for method, cb := range map[string]string{
		// On a POST a named parameter in the query is ignored...
		http.MethodPost: "https://app.example/conference-events?tid=42&ConferenceName=spoofed&region=eu",
		// ...on a GET it would meet Vobiz's in the one query: 400 (keep
		// Vobiz's names out of your own query).
		http.MethodGet: "https://app.example/conference-events?tid=42&region=eu",
	} {
		t.Run(method, func(t *testing.T) {
			var got vobizhook.ConferenceEvent
			h := &vobizhook.Handler{
				Verifier: &vobizhook.Verifier{AuthTokens: []string{deployToken}, CallbackURL: cb},
				OnEnter:  func(_ context.Context, ev vobizhook.ConferenceEvent) error { got = ev; return nil },
				Logger:   slog.New(slog.DiscardHandler),
			}
			r := vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithURL(cb), vobizhooktest.WithAuthToken(deployToken), vobizhooktest.WithMethod(method))
			require.Equal(t, http.StatusOK, serve(h, r).Code)
			assert.Equal(t, "42", got.Params.Get("tid"))
			assert.Equal(t, "eu", got.Params.Get("region"))
			if method == http.MethodPost {
				assert.Equal(t, "sales", got.ConferenceName, "a named parameter comes only from the body")
				assert.Equal(t, []string{"sales"}, got.Params["ConferenceName"])
			}
		})
	}
}

// 3. A body consumed before the Handler (a middleware read it) is a 500,
// so that Vobiz retries, with an Error log saying what to fix; a form a
// framework parsed into r.PostForm keeps working.
func TestBodyConsumedBeforeTheHandler(t *testing.T) {
	middlewares := []struct {
		name   string
		before func(r *http.Request)
	}{
		{"read, not put back", func(r *http.Request) { io.ReadAll(r.Body) }},
		{"replaced with http.NoBody", func(r *http.Request) { io.ReadAll(r.Body); r.Body = http.NoBody }},
		{"replaced with nil", func(r *http.Request) { io.ReadAll(r.Body); r.Body = nil }},
		{"closed", func(r *http.Request) { r.Body.Close() }},
	}
	for _, mw := range middlewares {
		t.Run(mw.name, func(t *testing.T) {
			var log bytes.Buffer
			h, n := counted(&log)
			var outcome vobizhook.Outcome
			h.OnOutcome = func(_ context.Context, o vobizhook.Outcome) { outcome = o }
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mw.before(r)
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			resp := postOver(t, srv, vobizhooktest.EncodeEvent(liveEnter), int64(len(vobizhooktest.EncodeEvent(liveEnter))))
			assert.Equal(t, http.StatusInternalServerError, resp.status)
			assert.Equal(t, "vobizhook: server misconfigured\n", resp.body)
			assert.Zero(t, n.Load())
			assert.ErrorIs(t, outcome.Err, vobizhook.ErrBodyConsumed)
			assert.Equal(t, vobizhook.OutcomeMisconfigured, outcome.Kind)
			assert.Contains(t, log.String(), "level=ERROR")
			assert.Contains(t, log.String(), "mount the Handler before body-reading middleware")
		})
	}

	// A chunked body (no Content-Length) a middleware drained reads as
	// empty, which no Vobiz callback is.
	var outcome vobizhook.Outcome
	h, n := counted(new(bytes.Buffer))
	h.OnOutcome = func(_ context.Context, o vobizhook.Outcome) { outcome = o }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	resp := postOver(t, srv, vobizhooktest.EncodeEvent(liveEnter), -1)
	assert.Equal(t, http.StatusInternalServerError, resp.status, "chunked, drained")
	assert.ErrorIs(t, outcome.Err, vobizhook.ErrBodyConsumed)
	assert.Zero(t, n.Load())
	resp = postOver(t, srv, "", 0)
	assert.Equal(t, http.StatusBadRequest, resp.status, "an empty body with Content-Length 0 is no callback, not a consumed one")

	parsedFirst := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm() // a framework's form binding
			next.ServeHTTP(w, r)
		})
	}
	w := serve(parsedFirst(h), vobizhooktest.MustNewRequest(t, liveEnter))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.EqualValues(t, 1, n.Load())
}

type answer struct {
	status int
	body   string
}

// postOver posts body to srv as a callback, with contentLength (-1:
// chunked).
func postOver(t *testing.T, srv *httptest.Server, body string, contentLength int64) answer {
	t.Helper()
	var rd io.Reader = http.NoBody // for a client, ContentLength 0 with a body means chunked
	if contentLength != 0 {
		rd = io.NopCloser(strings.NewReader(body))
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/conference-events", rd)
	require.NoError(t, err)
	req.ContentLength = contentLength
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{resp.StatusCode, string(b)}
}

// 4. The <Conference action> request (no ConferenceAction; the member left
// the room) is recognised, shown to OnLeave, and answered with its XML; a
// callback missing its ConferenceAction is still a 400 naming it.
func TestConferenceActionRequest(t *testing.T) {
	leave := "ConferenceUUID=conf-d&ConferenceName=sales&ConferenceMemberID=249&CallUUID=call-d&From=918071387423&To=918045678901&CallStatus=in-progress&Direction=inbound&RecordFile="
	post := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/conference-events", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	var seen vobizhook.ConferenceEvent
	h := &vobizhook.Handler{Logger: slog.New(slog.DiscardHandler), OnLeave: func(_ context.Context, ev vobizhook.ConferenceEvent) (http.Handler, error) {
		seen = ev
		return vobizxml.NewResponse(vobizxml.Speak{Text: "Thanks for joining."}, vobizxml.Hangup{}), nil
	}}
	w := serve(h, post(leave))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/xml", w.Header().Get("Content-Type"))
	assert.Contains(t, w.Body.String(), "<Speak>Thanks for joining.</Speak>")
	assert.Equal(t, vobizhook.ActionLeave, seen.Action)
	assert.Equal(t, "249", seen.MemberID)

	h.OnLeave = nil
	w = serve(h, post(leave))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "<Response></Response>", "no OnLeave: an empty answer")

	h.OnLeave = func(context.Context, vobizhook.ConferenceEvent) (http.Handler, error) {
		return nil, errors.New("db down")
	}
	assert.Equal(t, http.StatusInternalServerError, serve(h, post(leave)).Code)

	for _, body := range []string{
		"ConferenceUUID=conf-d&CallUUID=call-d", // too little to be the action request
		"ConferenceAction=&" + leave,            // an empty ConferenceAction: malformed
		"conferenceaction=enter&" + leave,       // mangled name
		"Event=ConferenceEnter&" + leave,        // a callback's Event
	} {
		w := serve(h, post(body))
		assert.Equal(t, http.StatusBadRequest, w.Code, body)
		assert.Contains(t, w.Body.String(), "ConferenceAction", body)
	}
}

// 5. Several Vobiz accounts on one endpoint: Lookup chooses the tokens per
// request; an unknown tenant is a 403, a failing lookup a 503; no token
// reaches a log.
func TestVerifierLookupPerTenant(t *testing.T) {
	tokens := map[string]string{"acme": "acme-token-1111", "globex": "globex-token-2222"}
	lookupErr := errors.New("tenant database unavailable")
	var log bytes.Buffer
	h, n := counted(&log)
	h.Verifier = &vobizhook.Verifier{Lookup: func(r *http.Request) (vobizhook.Account, error) {
		tenant := r.PathValue("tenant")
		switch {
		case tenant == "broken":
			return vobizhook.Account{}, lookupErr
		case tokens[tenant] == "":
			return vobizhook.Account{}, vobizhook.ErrUnknownAccount
		}
		return vobizhook.Account{AuthTokens: []string{tokens[tenant]}, CallbackURL: "https://app.example/vobiz/" + tenant + "/conference-events"}, nil
	}}
	mux := http.NewServeMux()
	mux.Handle("/vobiz/{tenant}/conference-events", h)
	req := func(tenant, token string) *http.Request {
		return vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithURL("https://app.example/vobiz/"+tenant+"/conference-events"), vobizhooktest.WithAuthToken(token))
	}
	assert.Equal(t, http.StatusOK, serve(mux, req("acme", tokens["acme"])).Code)
	assert.Equal(t, http.StatusOK, serve(mux, req("globex", tokens["globex"])).Code)
	assert.Equal(t, http.StatusForbidden, serve(mux, req("acme", tokens["globex"])).Code, "another tenant's token")
	w := serve(mux, req("initech", tokens["acme"]))
	assert.Equal(t, http.StatusForbidden, w.Code, "unknown tenant")
	assert.Equal(t, "vobizhook: unknown account\n", w.Body.String())
	w = serve(mux, req("broken", tokens["acme"]))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "lookup failed: Vobiz retries")
	assert.EqualValues(t, 2, n.Load())
	for _, tok := range tokens {
		assert.NotContains(t, log.String(), tok)
	}
}

// 6. The idempotency key is the same for every delivery of one event,
// whatever its nonce, and stable across versions (a golden value).
func TestIdempotencyKey(t *testing.T) {
	var keys []string
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{deployToken}, CallbackURL: vobizhooktest.DefaultURL},
		OnEnter: func(_ context.Context, ev vobizhook.ConferenceEvent) error {
			keys = append(keys, ev.IdempotencyKey())
			return nil
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	for range 3 { // three deliveries, each with a nonce of its own (not replays)
		require.Equal(t, http.StatusOK, serve(h, vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithAuthToken(deployToken))).Code)
	}
	require.Len(t, keys, 3)
	assert.Equal(t, keys[0], keys[1])
	assert.Equal(t, keys[0], keys[2])
	// sha256("enter\x00conf-d\x00call-d\x00249\x00\x00"), computed apart (Python's hashlib).
	assert.Equal(t, "v1:bf3d60ab97fb28cf2f6ca8424e7543e9", keys[0], "the formula must not change within v1")

	exit := liveEnter
	exit.Action = vobizhook.ActionExit
	rejoin := liveEnter
	rejoin.MemberID = "250"
	start := vobizhook.ConferenceEvent{Action: vobizhook.ActionStart, ConferenceUUID: "conf-d", CallUUID: "whoever triggered it"}
	start2 := start
	start2.CallUUID, start2.Timestamp = "someone else", time.Now()
	assert.NotEqual(t, keys[0], exit.IdempotencyKey())
	assert.NotEqual(t, keys[0], rejoin.IdempotencyKey(), "a new stay has a new member ID")
	assert.Equal(t, start.IdempotencyKey(), start2.IdempotencyKey(), "one start per conference")

	// A Timestamp counts as its wall clock as sent: receivers with other
	// Locations (a rolling deploy, ParseConferenceEvent in a worker) agree.
	stamped := func(loc *time.Location, ts string) string {
		body := "ConferenceAction=enter&ConferenceUUID=conf-d&CallUUID=call-d&ConferenceMemberID=249&Timestamp=" + url.QueryEscape(ts)
		r := httptest.NewRequest(http.MethodPost, "/conference-events", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var key string
		h := &vobizhook.Handler{Location: loc, Logger: slog.New(slog.DiscardHandler),
			OnEnter: func(_ context.Context, ev vobizhook.ConferenceEvent) error { key = ev.IdempotencyKey(); return nil }}
		require.Equal(t, http.StatusOK, serve(h, r).Code)
		return key
	}
	ist := time.FixedZone("IST", 5*3600+1800)
	// sha256("enter\x00conf-d\x00call-d\x00249\x002026-05-19 10:32:15.073308\x00"), computed apart.
	assert.Equal(t, "v1:5c11587adac80cf9ac9f2cf646afa07a", stamped(nil, "2026-05-19 10:32:15.073308"))
	assert.Equal(t, stamped(nil, "2026-05-19 10:32:15.073308"), stamped(ist, "2026-05-19 10:32:15.073308"), "the key does not depend on Handler.Location")
	// Not even for a wall clock that does not exist in the Location (a
	// daylight-saving gap, which time.Date moves by an hour).
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		assert.Equal(t, stamped(nil, "2026-03-08 02:30:00"), stamped(ny, "2026-03-08 02:30:00"), "a wall clock in a DST gap")
	}
}

// 11. Every copy of a signed waitSound fetch gets the real answer (hold
// music), not the empty <Response>; an answer that fails (an invalid
// WaitSound, 500) does not mark the nonce done, so Vobiz's retry gets the
// answer once it is fixed.
func TestWaitSoundEveryCopy(t *testing.T) {
	fetch := vobizhook.ConferenceEvent{Action: vobizhook.ActionWaitSound, Event: "ConferenceRemoteSounds", ConferenceName: "sales", CallUUID: "call-w", CurrentSize: -1}
	r := vobizhooktest.MustNewRequest(t, fetch, vobizhooktest.WithAuthToken(deployToken), vobizhooktest.WithNonce("77777777777777777777"))
	again := func() *http.Request {
		c := r.Clone(r.Context())
		c.Body, _ = r.GetBody()
		return c
	}
	var others atomic.Int32
	bad := vobizxml.NewResponse(vobizxml.Play{URL: "not a url"})
	h := &vobizhook.Handler{
		Verifier:  &vobizhook.Verifier{AuthTokens: []string{deployToken}, CallbackURL: vobizhooktest.DefaultURL},
		WaitSound: bad,
		OnOther:   func(context.Context, vobizhook.ConferenceEvent) error { others.Add(1); return nil },
		Logger:    slog.New(slog.DiscardHandler),
	}
	assert.Equal(t, http.StatusInternalServerError, serve(h, again()).Code, "an invalid WaitSound fails the fetch")

	// The operator fixes it (a new Handler with the same nonce store would
	// do the same): the retry is served, not acknowledged as done.
	h2 := &vobizhook.Handler{
		Verifier:   h.Verifier,
		NonceStore: vobizhook.NewMemoryNonceStore(0),
		WaitSound:  vobizxml.NewResponse(vobizxml.Play{URL: "https://cdn.example/hold.mp3", Loop: vobizxml.LoopForever}),
		OnOther:    h.OnOther,
		Logger:     slog.New(slog.DiscardHandler),
	}
	h.WaitSound = h2.WaitSound // the same Handler, fixed
	for i := range 3 {
		w := serve(h, again())
		require.Equal(t, http.StatusOK, w.Code, "copy %d", i)
		assert.Contains(t, w.Body.String(), "https://cdn.example/hold.mp3", "copy %d gets the hold music", i)
	}
	assert.EqualValues(t, 2, others.Load(), "OnOther saw the failed fetch and its retry, not the replays")
}

// A copy of a waitSound fetch or of a <Conference action> request that
// arrives while the first is still being handled gets its answer too (hold
// music; OnLeave's XML), not a 503: Vobiz retries such a fetch after its
// timeout, and the call waits on the answer.
func TestCopiesInProgressGetTheirAnswer(t *testing.T) {
	sign := func(r *http.Request, nonce string) *http.Request {
		(&vobizhook.Signer{AuthToken: deployToken, CallbackURL: vobizhooktest.DefaultURL, Nonce: nonce}).Sign(r)
		return r
	}
	fetch := func() *http.Request {
		ev := vobizhook.ConferenceEvent{Action: vobizhook.ActionWaitSound, Event: "ConferenceRemoteSounds", ConferenceName: "sales", CallUUID: "call-w", CurrentSize: -1}
		return sign(vobizhooktest.MustNewRequest(t, ev), "77777777777777777771")
	}
	leave := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, vobizhooktest.DefaultURL, strings.NewReader("ConferenceUUID=c&ConferenceName=n&ConferenceMemberID=1&CallUUID=a&CallStatus=completed"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return sign(r, "77777777777777777772")
	}
	inside, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	slowOnce := func() {
		if first.CompareAndSwap(false, true) {
			close(inside)
			<-release
		}
	}
	var leaves atomic.Int32
	cases := []struct {
		name string
		req  func() *http.Request
		set  func(h *vobizhook.Handler)
		want string
	}{
		{"waitSound", fetch, func(h *vobizhook.Handler) {
			h.WaitSound = vobizxml.NewResponse(vobizxml.Play{URL: "https://cdn.example/hold.mp3", Loop: vobizxml.LoopForever})
			h.OnOther = func(context.Context, vobizhook.ConferenceEvent) error { slowOnce(); return nil }
		}, "hold.mp3"},
		{"conference action", leave, func(h *vobizhook.Handler) {
			h.OnLeave = func(context.Context, vobizhook.ConferenceEvent) (http.Handler, error) {
				leaves.Add(1)
				slowOnce()
				return vobizxml.NewResponse(vobizxml.Speak{Text: "Bye."}, vobizxml.Hangup{}), nil
			}
		}, "<Speak>Bye.</Speak>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inside, release = make(chan struct{}), make(chan struct{})
			first.Store(false)
			var outcomes []vobizhook.Outcome
			var mu sync.Mutex
			h := &vobizhook.Handler{
				Verifier: &vobizhook.Verifier{AuthTokens: []string{deployToken}, CallbackURL: vobizhooktest.DefaultURL},
				OnOutcome: func(_ context.Context, o vobizhook.Outcome) {
					mu.Lock()
					outcomes = append(outcomes, o)
					mu.Unlock()
				},
				Logger: slog.New(slog.DiscardHandler),
			}
			tc.set(h)
			done := make(chan *httptest.ResponseRecorder)
			go func() { done <- serve(h, tc.req()) }()
			<-inside
			w := serve(h, tc.req()) // Vobiz's retry while the first still runs
			close(release)
			firstW := <-done
			assert.Equal(t, http.StatusOK, firstW.Code)
			assert.Equal(t, http.StatusOK, w.Code, "the copy")
			assert.Contains(t, w.Body.String(), tc.want, "the copy gets the answer")
			require.Len(t, outcomes, 2)
			assert.Equal(t, vobizhook.OutcomeDuplicate, outcomes[0].Kind, "the copy, answered first")
		})
	}
	assert.EqualValues(t, 2, leaves.Load(), "OnLeave computes the answer of every copy")
}

// A func that aborts the response with http.ErrAbortHandler still gets an
// outcome (failed, status 0: no answer was written), and the panic goes on
// to net/http.
func TestOutcomeOfAnAbortedResponse(t *testing.T) {
	var got vobizhook.Outcome
	h := &vobizhook.Handler{
		OnEnter:   func(context.Context, vobizhook.ConferenceEvent) error { panic(http.ErrAbortHandler) },
		OnOutcome: func(_ context.Context, o vobizhook.Outcome) { got = o },
		Logger:    slog.New(slog.DiscardHandler),
	}
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { h.ServeHTTP(httptest.NewRecorder(), vobizhooktest.MustNewRequest(t, liveEnter)) })
	assert.Equal(t, vobizhook.OutcomeFailed, got.Kind)
	assert.Zero(t, got.Status)
	assert.ErrorIs(t, got.Err, http.ErrAbortHandler)
	assert.Equal(t, vobizhook.ActionEnter, got.Action)
}
