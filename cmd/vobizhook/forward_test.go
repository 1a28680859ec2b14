package main

import (
	"bytes"
	"context"
	"errors"
	"io"
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
)

// fakeApp is the app a developer builds: an httptest server running its
// own vobizhook.Handler, verifying signatures for its own URL when it has a
// token. It records every request as it arrived and every callback its
// Handler dispatched.
type fakeApp struct {
	srv      *httptest.Server
	url      string
	handler  *vobizhook.Handler
	fail     atomic.Bool  // the funcs fail: the Handler answers 500
	delay    atomic.Int64 // the funcs take this long
	mu       sync.Mutex
	requests []appRequest
	events   []vobizhook.ConferenceEvent
}

// appRequest is a request as the app received it.
type appRequest struct {
	method, rawQuery, body string
	header                 http.Header
}

// The answers of the app's Handler to the fetches that expect XML.
const (
	appLeaveXML     = `<?xml version="1.0" encoding="UTF-8"?><Response><Speak>Goodbye</Speak></Response>`
	appWaitSoundXML = `<?xml version="1.0" encoding="UTF-8"?><Response><Play>https://app.example/hold.mp3</Play></Response>`
	// ackXML is any Handler's answer to a callback it accepted.
	ackXML = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response></Response>\n"
)

func newFakeApp(t *testing.T, token string) *fakeApp {
	a := &fakeApp{}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	a.url = a.srv.URL + "/conference-events"
	record := func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		if d := time.Duration(a.delay.Load()); d > 0 { // slow, with the nonce claimed
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if a.fail.Load() {
			return errors.New("the app's database is down")
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		a.events = append(a.events, ev)
		return nil
	}
	a.handler = &vobizhook.Handler{
		OnEnter: record, OnExit: record, OnStart: record, OnEnd: record, OnOther: record,
		OnLeave: func(ctx context.Context, ev vobizhook.ConferenceEvent) (http.Handler, error) {
			return xmlAnswer(appLeaveXML), record(ctx, ev)
		},
		WaitSound: xmlAnswer(appWaitSoundXML),
		Logger:    silent,
	}
	if token != "" {
		a.handler.Verifier = &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: a.url}
	}
	return a
}

func (a *fakeApp) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	a.mu.Lock()
	a.requests = append(a.requests, appRequest{method: r.Method, rawQuery: r.URL.RawQuery, body: string(body), header: r.Header.Clone()})
	a.mu.Unlock()
	a.handler.ServeHTTP(w, r)
}

func (a *fakeApp) received() ([]appRequest, []vobizhook.ConferenceEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]appRequest(nil), a.requests...), append([]vobizhook.ConferenceEvent(nil), a.events...)
}

func xmlAnswer(doc string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, doc)
	})
}

// answer is what the sender (Vobiz) got from listen.
type answer struct {
	status      int
	contentType string
	body        string
}

func exchange(t *testing.T, r *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(vobizhooktest.MustClientRequest(t, r))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(body)}
}

// leaveRequest is the request Vobiz makes to <Conference action="...">,
// signed for callbackURL.
func leaveRequest(t *testing.T, callbackURL, token string) *http.Request {
	body := url.Values{"ConferenceUUID": {"conf-1"}, "ConferenceMemberID": {"249"}, "CallUUID": {"call-9"}, "CallStatus": {"completed"}}.Encode()
	r := httptest.NewRequest(http.MethodPost, callbackURL, strings.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	require.NoError(t, vobizhook.SignRequest(r, callbackURL, token))
	return r
}

// listen -forward-to, end to end: signed callbacks from the kit reach
// listen, which verifies them, forwards them to the app re-signed for the
// app's URL, and answers with the app's answer.
func TestListenForwardEndToEnd(t *testing.T) {
	app := newFakeApp(t, testToken)
	listenURL, stdout, stderr, stop := startListen(t, "-auth-token", testToken, "-forward-to", app.url)
	signed := func(ev vobizhook.ConferenceEvent, opts ...vobizhooktest.Option) *http.Request {
		opts = append([]vobizhooktest.Option{vobizhooktest.WithURL(listenURL), vobizhooktest.WithAuthToken(testToken),
			vobizhooktest.WithParentAuthToken("parent-secret-0123"), vobizhooktest.WithCredentialHeaders()}, opts...)
		return vobizhooktest.MustNewRequest(t, ev, opts...)
	}
	live := enterEvent()
	live.Params = url.Values{"SessionStart": {"2026-08-31 20:08:21.073308"}, "BillRate": {"0.0045"}}
	enter := signed(live)
	sentBody := vobizhooktest.EncodeEvent(live)
	exit := vobizhook.ConferenceEvent{Action: vobizhook.ActionExit, Event: "ConferenceExit", ConferenceUUID: "conf-1",
		ConferenceName: "Weekly Standup", MemberID: "249", CallUUID: "call-1", LastMember: true, CurrentSize: -1}
	waitSound := vobizhook.ConferenceEvent{Action: vobizhook.ActionWaitSound, ConferenceUUID: "conf-1", ConferenceName: "Weekly Standup", CallUUID: "call-2", CurrentSize: -1}

	steps := []struct {
		name    string
		req     *http.Request
		prepare func()
		want    answer
		line    string // regexp of the line printed for it
	}{
		{"enter, POST", enter, nil,
			answer{200, "application/xml", ackXML}, `^\S+ enter "Weekly Standup" member=249 call=call-1 .* -> 200 OK in \S+$`},
		{"the same delivery again: forwarded with the same nonce", enter, nil,
			answer{200, "application/xml", ackXML}, `^\S+ enter .* \(repeat: the app accepted this callback before\) -> 200 OK in \S+$`},
		{"exit, GET", signed(exit, vobizhooktest.WithMethod(http.MethodGet)), nil,
			answer{200, "application/xml", ackXML}, `^\S+ exit  "Weekly Standup" member=249 call=call-1 room-empty .* -> 200 OK in \S+$`},
		{"the app fails: its 500 is the answer", signed(exit), func() { app.fail.Store(true) },
			answer{500, "text/plain; charset=utf-8", "vobizhook: internal error handling the callback\n"},
			`^\S+ exit .* -> 500 Internal Server Error in \S+: "vobizhook: internal error handling the callback"$`},
		{"waitSound: the app's XML", signed(waitSound), func() { app.fail.Store(false) },
			answer{200, "application/xml", appWaitSoundXML}, `^\S+ waitSound "Weekly Standup" call=call-2 .* -> 200 OK in \S+$`},
		{"the <Conference action> request: the app's XML", leaveRequest(t, listenURL, testToken), nil,
			answer{200, "application/xml", appLeaveXML}, `^\S+ leave "" member=249 call=call-9 status=completed conference=conf-1 -> 200 OK in \S+$`},
		{"forged: refused by listen, not forwarded", vobizhooktest.MustNewRequest(t, live, vobizhooktest.WithURL(listenURL), vobizhooktest.WithAuthToken("not-the-token")), nil,
			answer{403, "text/plain; charset=utf-8", "vobizhook: invalid signature\n"}, `^\S+ REFUSED 403 POST /conference-events from \S+: vobizhook: invalid signature`},
	}
	for _, st := range steps {
		if st.prepare != nil {
			st.prepare()
		}
		assert.Equal(t, st.want, exchange(t, st.req), st.name)
	}
	// A retry of the failed exit, once the app is back, is forwarded again.
	failed := steps[3].req
	assert.Equal(t, 200, exchange(t, failed).status, "the retry of a failed callback")

	assert.Equal(t, 0, stop())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, len(steps)+1, stdout.String())
	for i, st := range steps {
		assert.Regexp(t, st.line, lines[i], st.name)
	}
	assert.Regexp(t, `^\S+ exit .* -> 200 OK in \S+$`, lines[len(steps)], "the retry is a new delivery to the app (its nonce was released)")
	assert.Contains(t, stderr.String(), "forwarding each verified callback to "+app.url+" (answer within 2.5s, else 504), re-signed for that URL with the same token")
	assert.Contains(t, stderr.String(), "stopped after 8 requests: forwarded 7 (200: 6, 500: 1), refused 1")

	reqs, events := app.received()
	require.Len(t, reqs, 7, "every verified delivery is forwarded; the forged one is not")
	first := reqs[0]
	assert.Equal(t, http.MethodPost, first.method)
	assert.Equal(t, sentBody, first.body, "the body as sent: same parameters, same order")
	assert.Equal(t, "application/x-www-form-urlencoded", first.header.Get("Content-Type"))
	assert.Equal(t, vobizhooktest.UserAgent, first.header.Get("User-Agent"))
	assert.Equal(t, enter.Header.Get(vobizhook.HeaderSignatureV3Nonce), first.header.Get(vobizhook.HeaderSignatureV3Nonce), "Vobiz's nonce, so that the app knows a copy")
	assert.Equal(t, vobizhook.SignatureV3(testToken, app.url, first.header.Get(vobizhook.HeaderSignatureV3Nonce)), first.header.Get(vobizhook.HeaderSignatureV3),
		"signed for the app's URL with the same token")
	assert.Equal(t, reqs[0], reqs[1], "the duplicate is the same request")
	assert.Equal(t, http.MethodGet, reqs[2].method)
	assert.Equal(t, steps[2].req.URL.RawQuery, reqs[2].rawQuery, "a GET's parameters, in their order")
	assert.Empty(t, reqs[2].body)
	for _, r := range reqs {
		for _, h := range []string{"auth-token", "parent-auth-token", vobizhook.HeaderSignatureMAV3, "Authorization", "Cookie"} {
			assert.Empty(t, r.header.Values(h), "%s is not forwarded", h)
		}
	}

	var got []string
	for _, ev := range events {
		got = append(got, string(ev.Action)+" "+ev.CallUUID)
	}
	assert.Equal(t, []string{"enter call-1", "exit call-1", "waitSound call-2", "leave call-9", "exit call-1"}, got,
		"the app's Handler verified every forward and acknowledged the duplicate itself; the failed exit came again")
	for _, out := range []string{stdout.String(), stderr.String()} {
		assert.NotContains(t, out, testToken)
		assert.NotContains(t, out, "parent-secret-0123")
	}
}

// The app's own answer goes back whatever it is: a 403 from its Verifier
// (listen and the app disagree on the token) reaches the sender, with the
// reason printed, and the answer to the retry too.
func TestListenForwardAppRefuses(t *testing.T) {
	app := newFakeApp(t, "the-apps-other-token")
	listenURL, stdout, _, stop := startListen(t, "-auth-token", testToken, "-forward-to", app.url, "-json")
	r := vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(listenURL), vobizhooktest.WithAuthToken(testToken))
	assert.Equal(t, answer{403, "text/plain; charset=utf-8", "vobizhook: invalid signature\n"}, exchange(t, r))
	assert.Equal(t, 403, exchange(t, r).status, "a non-2xx answer does not complete the nonce: the retry is forwarded")
	assert.Equal(t, 0, stop())

	reqs, events := app.received()
	assert.Len(t, reqs, 2)
	assert.Empty(t, events)
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 2)
	for _, l := range lines {
		assert.Regexp(t, `"kind":"event","outcome":"failed","status":403,.*"forward":\{"status":403,"latency_ms":[0-9.]+,"reason":"vobizhook: invalid signature"\}`, l)
		assert.NotContains(t, l, `"repeat"`, "not a repeat: the app never accepted it")
	}
}

// Two copies of a callback arriving together are both forwarded, with the
// same nonce; the app's Handler answers the second 503 (in progress), and
// Vobiz gets that answer, Retry-After included, as it would from the app.
func TestListenForwardConcurrentCopies(t *testing.T) {
	app := newFakeApp(t, testToken)
	app.delay.Store(int64(200 * time.Millisecond))
	listenURL, stdout, _, stop := startListen(t, "-auth-token", testToken, "-forward-to", app.url)
	r := vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(listenURL), vobizhooktest.WithAuthToken(testToken))
	statuses := make(chan int, 2)
	retryAfter := make(chan string, 2)
	for range 2 {
		go func() {
			resp, err := http.DefaultClient.Do(vobizhooktest.MustClientRequest(t, r))
			if err != nil {
				statuses <- 0
				retryAfter <- ""
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
			retryAfter <- resp.Header.Get("Retry-After")
		}()
	}
	got := map[int]string{}
	for range 2 {
		status := <-statuses
		got[status] = <-retryAfter
	}
	assert.Equal(t, 0, stop())
	assert.Equal(t, map[int]string{200: "", 503: "1"}, got)
	// Which copy reaches the app first is a race; each is printed with the
	// answer it got.
	out := stdout.String()
	assert.Equal(t, 1, strings.Count(out, "(repeat: its first copy is being forwarded) -> "), out)
	assert.Equal(t, 1, strings.Count(out, `-> 503 Service Unavailable in `), out)
	assert.Contains(t, out, `: "vobizhook: in progress, retry later"`)
	reqs, events := app.received()
	assert.Len(t, reqs, 2)
	assert.Len(t, events, 1)
}

// An app that is down or too slow gets Vobiz a 502 or a 504, so that Vobiz
// retries; the line says why.
func TestListenForwardAppUnavailable(t *testing.T) {
	slow := newFakeApp(t, testToken)
	slow.delay.Store(int64(2 * time.Second))
	tests := []struct {
		name   string
		target string
		status int
		line   string
	}{
		{"unreachable", deadURL("/conference-events"), 502,
			`-> 502 Bad Gateway: the app is unreachable: Post: dial tcp \S+: connect: connection refused$`},
		{"too slow", slow.url, 504,
			`-> 504 Gateway Timeout: the app did not answer in time: no answer within 100ms$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			listenURL, stdout, _, stop := startListen(t, "-auth-token", testToken, "-forward-to", tt.target, "-forward-timeout", "100ms")
			r := vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(listenURL), vobizhooktest.WithAuthToken(testToken))
			start := time.Now()
			got := exchange(t, r)
			assert.Less(t, time.Since(start), 1500*time.Millisecond, "answered within the forward timeout, well before Vobiz's 3s")
			assert.Equal(t, tt.status, got.status)
			assert.True(t, strings.HasPrefix(got.body, "vobizhook listen: the app"), got.body)
			assert.Equal(t, tt.status, exchange(t, r).status, "the retry is forwarded again")
			assert.Equal(t, 0, stop())
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			require.Len(t, lines, 2, stdout.String())
			for _, l := range lines {
				assert.Regexp(t, `^\S+ enter "Weekly Standup" member=249 .* `+tt.line, l)
			}
		})
	}
}

// Without a token, listen verifies nothing and forwards unsigned; it says
// so, and an app without a Verifier accepts the callbacks.
func TestListenForwardUnsigned(t *testing.T) {
	app := newFakeApp(t, "")
	listenURL, stdout, stderr, stop := startListen(t, "-forward-to", app.url+"?tenant=a")
	assert.Contains(t, stderr.String(), "UNSIGNED: no auth token, so the app must run its Handler without a Verifier")
	r := vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(listenURL+"?from=tunnel"), vobizhooktest.WithMethod(http.MethodGet))
	assert.Equal(t, 200, exchange(t, r).status)
	assert.Equal(t, 200, exchange(t, r).status)
	assert.Equal(t, 0, stop())

	reqs, events := app.received()
	require.Len(t, reqs, 2)
	assert.Empty(t, reqs[0].header.Values(vobizhook.HeaderSignatureV3))
	assert.True(t, strings.HasPrefix(reqs[0].rawQuery, "tenant=a&from=tunnel&"), "the app URL's query, then the callback's: %s", reqs[0].rawQuery)
	assert.Len(t, events, 2, "unsigned: no nonce, so the app cannot tell a copy")
	assert.Equal(t, 2, strings.Count(stdout.String(), "-> 200 OK in "), stdout.String())
}

// A -forward-to that points back at listen would loop; the forwarded copy
// is refused instead.
func TestListenForwardLoop(t *testing.T) {
	app := newFakeApp(t, testToken)
	listenURL, stdout, _, stop := startListen(t, "-auth-token", testToken, "-forward-to", app.url)
	r := vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(listenURL), vobizhooktest.WithAuthToken(testToken))
	r.Header.Set("Via", "1.1 proxy, 1.1 "+viaToken)
	assert.Equal(t, http.StatusLoopDetected, exchange(t, r).status)
	assert.Equal(t, 0, stop())
	assert.Regexp(t, `REFUSED 508 POST /conference-events from \S+: a request listen forwarded came back`, stdout.String())
	reqs, _ := app.received()
	assert.Empty(t, reqs)
}

func TestListenForwardFlags(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"-forward-to", "ftp://app/"}, "-forward-to: vobizhook: invalid callback URL"},
		{[]string{"-forward-to", "/conference-events"}, "-forward-to: vobizhook: invalid callback URL"},
		{[]string{"-forward-to", "http://127.0.0.1:3000/", "-forward-timeout", "0s"}, "-forward-timeout 0s: want more than 0 and at most 9s"},
		{[]string{"-forward-timeout", "10s"}, "-forward-timeout 10s"},
	} {
		code, _, stderr := runCmd(t, append([]string{"listen"}, tt.args...)...)
		assert.Equal(t, exitUsage, code, tt.args)
		assert.Contains(t, stderr, tt.stderr, tt.args)
	}
}

// The passwords of -forward-to and -callback-url are used, never printed:
// the app gets its basic-auth credentials from the forward URL, and the
// forward is signed for the URL without them, as Vobiz's Go SDK signs.
func TestListenForwardURLPassword(t *testing.T) {
	app := newFakeApp(t, testToken)
	var creds atomic.Value
	inner := app.srv.Config.Handler
	app.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		creds.Store(user + ":" + pass)
		inner.ServeHTTP(w, r)
	})
	withUser := strings.Replace(app.url, "http://", "http://dev:hunter22@", 1)
	listenURL, stdout, stderr, stop := startListen(t, "-auth-token", testToken, "-forward-to", withUser,
		"-callback-url", "https://vobiz:s3cr3t-pass@abc.ngrok.app/conference-events")
	// Signed as Vobiz signs for the public URL, delivered through the tunnel.
	r := vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL("https://abc.ngrok.app/conference-events"), vobizhooktest.WithAuthToken(testToken))
	r.URL, _ = url.Parse(listenURL)
	r.Host = r.URL.Host
	assert.Equal(t, 200, exchange(t, r).status)
	assert.Equal(t, 0, stop())
	assert.Equal(t, "dev:hunter22", creds.Load())
	_, events := app.received()
	assert.Len(t, events, 1, "the app verified the forward")
	for _, out := range []string{stdout.String(), stderr.String()} {
		assert.NotContains(t, out, "hunter22")
		assert.NotContains(t, out, "s3cr3t-pass")
	}
	assert.Contains(t, stderr.String(), "signatures required, for https://abc.ngrok.app/conference-events")
	assert.Contains(t, stderr.String(), "forwarding each verified callback to "+app.url+" ")
}
