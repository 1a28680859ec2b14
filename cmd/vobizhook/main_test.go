package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

const testToken = "cli-test-token-0123456789"

var silent = slog.New(slog.DiscardHandler)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCmd runs the command in-process and returns its exit status and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	code := runContext(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUsageAndExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"no command", nil, 2, "", "Commands:"},
		{"help", []string{"help"}, 0, "Commands:", ""},
		{"-h", []string{"-h"}, 0, "simulate", ""},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"listen -h", []string{"listen", "-h"}, 0, "Usage: vobizhook listen", ""},
		{"send -h", []string{"send", "-help"}, 0, "Usage: vobizhook send -url URL", ""},
		{"simulate -h", []string{"simulate", "-h"}, 0, "-duplicates probability", ""},
		{"demo -h", []string{"demo", "--help"}, 0, "Usage: vobizhook demo", ""},
		{"bad flag", []string{"listen", "-port", "1"}, 2, "", "flag provided but not defined: -port"},
		{"bad flag value", []string{"simulate", "-url", "http://x/", "-participants", "many"}, 2, "", `invalid value "many"`},
		{"listen: path without slash", []string{"listen", "-path", "hook"}, 2, "", "starting with /"},
		{"listen: path with a space", []string{"listen", "-path", "/a b"}, 2, "", "without spaces or control characters"},
		{"listen: path with a control character", []string{"listen", "-path", "/a\x00"}, 2, "", "without spaces or control characters"},
		{"send: no timeout", []string{"send", "-url", "http://x/", "-timeout", "0", "a.http"}, 2, "", "-timeout 0s: want more than 0"},
		{"send: negative timeout", []string{"send", "-url", "http://x/", "-timeout", "-1s", "a.http"}, 2, "", "-timeout -1s: want more than 0"},
		{"listen: bad callback URL", []string{"listen", "-callback-url", "ftp://x/"}, 2, "", "-callback-url"},
		{"listen: stray argument", []string{"listen", "now"}, 2, "", "unexpected arguments: now"},
		{"send: no URL", []string{"send", "a.http"}, 2, "", "-url is required"},
		{"send: relative URL", []string{"send", "-url", "/cb", "a.http"}, 2, "", "invalid callback URL"},
		{"send: no files", []string{"send", "-url", "http://127.0.0.1:1/cb"}, 2, "", "no files to send"},
		{"simulate: no URL", []string{"simulate"}, 2, "", "-url is required"},
		{"simulate: bad style", []string{"simulate", "-url", "http://x/", "-style", "modern"}, 2, "", "want live or classic"},
		{"simulate: bad probability", []string{"simulate", "-url", "http://x/", "-duplicates", "1.5"}, 2, "", "-duplicates 1.5"},
		{"simulate: no participants", []string{"simulate", "-url", "http://x/", "-participants", "0"}, 2, "", "-participants 0"},
		{"simulate: bad concurrency", []string{"simulate", "-url", "http://x/", "-concurrency", "0"}, 2, "", "-concurrency 0"},
		{"simulate: no conferences", []string{"simulate", "-url", "http://x/", "-conferences", "0"}, 2, "", "-conferences 0"},
		{"demo: bad style", []string{"demo", "-style", "x"}, 2, "", "-style"},
		{"demo: stray argument", []string{"demo", "now"}, 2, "", "unexpected arguments: now"},
		{"simulate: negative retries", []string{"simulate", "-url", "http://x/", "-retries", "-1"}, 2, "", "-retries -1: want 0 to 10"},
		{"send: too many retries", []string{"send", "-url", "http://x/", "-retries", "11", "a.http"}, 2, "", "-retries 11"},
		{"demo: bad backoff", []string{"demo", "-backoff", "1h"}, 2, "", "-backoff 1h0m0s: want 0 to 30s"},
		{"simulate -h shows the retry flags", []string{"simulate", "-h"}, 0, "-backoff duration", ""},
		{"help listen", []string{"help", "listen"}, 0, "Usage: vobizhook listen [flags]", ""},
		{"help listen shows -forward-to", []string{"help", "listen"}, 0, "-forward-to URL", ""},
		{"help send", []string{"help", "send"}, 0, "Usage: vobizhook send -url URL [flags] FILE...", ""},
		{"help demo", []string{"help", "demo"}, 0, "Usage: vobizhook demo", ""},
		{"help unknown", []string{"help", "frobnicate"}, 2, "", `vobizhook help: unknown command "frobnicate"`},
		{"help two commands", []string{"help", "send", "listen"}, 2, "", `want one command, got "send listen"`},
		{"send: flag after the files", []string{"send", "-url", "http://x/", "a.http", "-retries", "0"}, 2, "",
			"flag -retries after the FILE arguments: flags go before the first FILE (vobizhook send -url URL [flags] FILE...)"},
		{"send: flag after the files, with =", []string{"send", "-url", "http://x/", "a.http", "b.http", "--retries=0"}, 2, "", "flag --retries=0 after the FILE arguments"},
		{"listen: flag after an argument", []string{"listen", "now", "-json"}, 2, "", "unexpected arguments: now -json (flags come first, and vobizhook listen takes no arguments)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.args...)
			assert.Equal(t, tt.code, code, "stdout: %s\nstderr: %s", stdout, stderr)
			assert.Contains(t, stdout, tt.stdout)
			assert.Contains(t, stderr, tt.stderr)
			if tt.code == 2 && len(tt.args) > 0 && tt.args[0] != "frobnicate" && tt.args[0] != "help" {
				assert.Contains(t, stderr, "Usage: vobizhook", "a usage error shows the usage")
			}
		})
	}
}

// -path is a literal path, not a ServeMux pattern: braces neither panic
// the mux nor make a wildcard, and a trailing slash no subtree.
func TestListenPathIsLiteral(t *testing.T) {
	for _, path := range []string{"/{tenant}/events", "/conf{", "/{x}/{x}", "/x/{$}/y", "/events/"} {
		t.Run(path, func(t *testing.T) {
			url, _, _, stop := startListen(t, "-path", path)
			defer stop()
			base := strings.TrimSuffix(url, path)
			r := vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(url))
			assert.Equal(t, http.StatusOK, exchange(t, r).status, "the path itself")
			other := vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(base+"/acme/events/more"))
			assert.Equal(t, http.StatusNotFound, exchange(t, other).status, "any other path")
		})
	}
}

// startListen runs `listen args...` in-process on a free port and returns
// the callback URL, the outputs and a func that stops it and returns its
// exit status.
func startListen(t *testing.T, args ...string) (string, *syncBuffer, *syncBuffer, func() int) {
	t.Helper()
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, append([]string{"listen", "-addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
	}()
	url := waitServing(t, &stderr, done)
	return url, &stdout, &stderr, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("listen did not stop")
			return -1
		}
	}
}

var servingLine = regexp.MustCompile(`serving (http://\S+) `)

func waitServing(t *testing.T, stderr *syncBuffer, done chan int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingLine.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("listen exited with %d: %s", code, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("listen did not start: %s", stderr.String())
	return ""
}

// post sends the kit-built request r to a live server.
func post(t *testing.T, r *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(vobizhooktest.MustClientRequest(t, r))
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func enterEvent() vobizhook.ConferenceEvent {
	return vobizhook.ConferenceEvent{
		Action: vobizhook.ActionEnter, Event: "ConferenceEnter", ConferenceUUID: "conf-1",
		ConferenceName: "Weekly Standup", MemberID: "249", FirstMember: true, CallUUID: "call-1",
		From: "918071387423", To: "919624705678", Direction: "inbound", CallStatus: "in-progress",
		CurrentSize: -1,
	}
}

func TestListenHumanOutput(t *testing.T) {
	url, stdout, stderr, stop := startListen(t, "-auth-token", testToken)
	assert.Contains(t, stderr.String(), "signatures required")

	signed := vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(url), vobizhooktest.WithAuthToken(testToken), vobizhooktest.WithCredentialHeaders())
	assert.Equal(t, 200, post(t, signed))
	assert.Equal(t, 200, post(t, signed), "a replay is acknowledged")
	assert.Equal(t, 403, post(t, vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(url))))
	assert.Equal(t, 403, post(t, vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(url), vobizhooktest.WithAuthToken("wrong-token"))))
	assert.Equal(t, 404, post(t, vobizhooktest.MustNewRequest(t, enterEvent(), vobizhooktest.WithURL(strings.TrimSuffix(url, "/conference-events")+"/wrong"))))
	bad := enterEvent()
	bad.Params = map[string][]string{"ConferenceCurrentSize": {"x"}} // ignored: fields win
	bad.CurrentSize = 2
	r := vobizhooktest.MustNewRequest(t, bad, vobizhooktest.WithURL(url), vobizhooktest.WithAuthToken(testToken), vobizhooktest.WithMethod(http.MethodPut))
	assert.Equal(t, 405, post(t, r))

	assert.Equal(t, 0, stop())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 6, stdout.String())
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{3} enter "Weekly Standup" member=249 call=call-1 from=918071387423 to=919624705678 direction=inbound status=in-progress first-member conference=conf-1$`, lines[0])
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{3} enter "Weekly Standup" member=249 call=call-1 .* -> duplicate: nonce already handled, acknowledged without dispatch$`, lines[1])
	assert.Regexp(t, `REFUSED 403 POST /conference-events from 127\.0\.0\.1:\d+: vobizhook: missing signature`, lines[2])
	assert.Regexp(t, `REFUSED 403 POST /conference-events .*invalid signature`, lines[3])
	assert.Regexp(t, `REFUSED 404 POST /wrong .*not the callback path /conference-events`, lines[4])
	assert.Regexp(t, `REFUSED 405 PUT /conference-events .*method not allowed`, lines[5])
	assert.Contains(t, stderr.String(), "stopped after 6 requests: handled 1, duplicate 1, refused 4")
	for _, out := range []string{stdout.String(), stderr.String()} {
		assert.NotContains(t, out, testToken, "the token is never printed")
	}
}

func TestListenJSONLines(t *testing.T) {
	url, stdout, stderr, stop := startListen(t, "-json", "-path", "/hooks/vobiz")
	assert.Contains(t, stderr.String(), "signatures not checked")

	for _, ev := range (vobizhooktest.Scenario{Participants: 2, Style: vobizhooktest.Classic, Seed: 4}).MustEvents(t) {
		assert.Equal(t, 200, post(t, vobizhooktest.MustNewRequest(t, ev, vobizhooktest.WithURL(url))))
	}
	live := enterEvent()
	live.Params = map[string][]string{"SessionStart": {"2026-08-31 20:08:21.073308"}}
	assert.Equal(t, 200, post(t, vobizhooktest.MustNewRequest(t, live, vobizhooktest.WithURL(url), vobizhooktest.WithMethod(http.MethodGet))))
	badReq := vobizhooktest.MustNewRequest(t, vobizhook.ConferenceEvent{CurrentSize: -1, CallUUID: "x"}, vobizhooktest.WithURL(url))
	assert.Equal(t, 400, post(t, badReq))
	assert.Equal(t, 0, stop())

	type line struct {
		Time      time.Time           `json:"time"`
		Kind      string              `json:"kind"`
		Action    string              `json:"action"`
		Name      string              `json:"conference_name"`
		MemberID  string              `json:"member_id"`
		CallUUID  string              `json:"call_uuid"`
		Size      *int                `json:"current_size"`
		First     bool                `json:"first_member"`
		Timestamp *time.Time          `json:"timestamp"`
		Recording string              `json:"recording_url"`
		Params    map[string][]string `json:"params"`
		Outcome   string              `json:"outcome"`
		Status    int                 `json:"status"`
		Reason    string              `json:"reason"`
		Method    string              `json:"method"`
		Path      string              `json:"path"`
	}
	var got []line
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	for sc.Scan() {
		var l line
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "%s", sc.Text())
		assert.False(t, l.Time.IsZero())
		got = append(got, l)
	}
	require.Len(t, got, 8, stdout.String())
	var actions []string
	for _, l := range got[:6] {
		assert.Equal(t, "event", l.Kind)
		assert.Equal(t, "handled", l.Outcome)
		assert.Equal(t, 200, l.Status)
		assert.Equal(t, vobizhooktest.DefaultRoom, l.Name)
		require.NotNil(t, l.Size)
		require.NotNil(t, l.Timestamp)
		actions = append(actions, l.Action)
	}
	assert.Equal(t, []string{"start", "enter", "enter", "exit", "exit", "end"}, actions)
	assert.Equal(t, 0, *got[5].Size)
	assert.NotEmpty(t, got[5].Recording)
	assert.Equal(t, "event", got[6].Kind)
	assert.Equal(t, "Weekly Standup", got[6].Name)
	assert.Nil(t, got[6].Size, "no size on a live event")
	assert.True(t, got[6].First)
	assert.Equal(t, "GET", got[6].Method)
	assert.Equal(t, []string{"2026-08-31 20:08:21.073308"}, got[6].Params["SessionStart"])
	assert.Equal(t, "refused", got[7].Kind)
	assert.Equal(t, "refused", got[7].Outcome)
	assert.Equal(t, 400, got[7].Status)
	assert.Equal(t, "/hooks/vobiz", got[7].Path)
	assert.Contains(t, got[7].Reason, "ConferenceAction")
}

// listen stops cleanly on SIGINT, through run's signal handling.
func TestListenStopsOnInterrupt(t *testing.T) {
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"listen", "-addr", "127.0.0.1:0"}, &stdout, &stderr) }()
	waitServing(t, &stderr, done)
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGINT))
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
		assert.Contains(t, stderr.String(), "stopped after 0 requests")
	case <-time.After(10 * time.Second):
		t.Fatal("listen did not stop on SIGINT")
	}
}

func TestListenAddressInUse(t *testing.T) {
	url, _, _, stop := startListen(t)
	defer stop()
	addr := strings.TrimPrefix(strings.TrimSuffix(url, "/conference-events"), "http://")
	code, _, stderr := runCmd(t, "listen", "-addr", addr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "address already in use")
}

// verifyingServer is an httptest server running a verifying Handler that
// counts dispatched events by action.
type verifyingServer struct {
	*httptest.Server
	url   string
	mu    sync.Mutex
	count map[vobizhook.Action]int
	fail  atomic.Bool // answer 500 from the funcs
}

func newVerifyingServer(t *testing.T) *verifyingServer {
	vs := &verifyingServer{count: map[vobizhook.Action]int{}}
	h := &vobizhook.Handler{Verifier: &vobizhook.Verifier{AuthTokens: []string{testToken}}, Logger: silent}
	fn := func(_ context.Context, ev vobizhook.ConferenceEvent) error {
		if vs.fail.Load() {
			return io.ErrUnexpectedEOF
		}
		vs.mu.Lock()
		defer vs.mu.Unlock()
		vs.count[ev.Action]++
		return nil
	}
	h.OnEnter, h.OnExit, h.OnStart, h.OnEnd, h.OnOther = fn, fn, fn, fn, fn
	vs.Server = httptest.NewServer(h)
	t.Cleanup(vs.Close)
	vs.url = vs.Server.URL + "/conference-events"
	return vs
}

func (vs *verifyingServer) counts() map[vobizhook.Action]int {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return maps.Clone(vs.count)
}

func TestSendRecordedFiles(t *testing.T) {
	vs := newVerifyingServer(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "*.http"))
	require.NoError(t, err)
	require.NotEmpty(t, files)

	code, stdout, stderr := runCmd(t, append([]string{"send", "-url", vs.url, "-auth-token", testToken}, files...)...)
	assert.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, len(files))
	for i, l := range lines {
		assert.Regexp(t, `^`+regexp.QuoteMeta(files[i])+`: 200 OK \(.+\)$`, l)
	}
	assert.Equal(t, len(files), sumCounts(vs.counts()), "every file dispatched")

	// Wrong token, a bad payload and a missing file: each reported, exit 1.
	bad := filepath.Join("..", "..", "testdata", "bad", "size-abc.http")
	code, stdout, stderr = runCmd(t, "send", "-url", vs.url, "-auth-token", "wrong", "-backoff", "1ms", files[0])
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "403 Forbidden")
	assert.Contains(t, stdout, "after 3 retries (403 ×3)", "retried like Vobiz retries any non-200")
	assert.Contains(t, stdout, "invalid signature")
	assert.Contains(t, stderr, "1 of 1 failed")

	code, stdout, _ = runCmd(t, "send", "-url", vs.url, "-auth-token", testToken, "-retries", "0", bad, "no-such.http", files[0])
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "400 Bad Request")
	assert.Contains(t, stdout, "ConferenceCurrentSize")
	assert.Contains(t, stdout, "no-such.http: error:")
	assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(files[0])+`: 200 OK`, stdout, "the others are still sent")
	assert.NotContains(t, stdout, testToken)
}

func sumCounts(m map[vobizhook.Action]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

var summaryRE = regexp.MustCompile(`sent (\d+) deliveries \((\d+) events \+ (\d+) duplicates?\)`)

func TestSimulate(t *testing.T) {
	vs := newVerifyingServer(t)
	code, stdout, stderr := runCmd(t, "simulate", "-url", vs.url, "-auth-token", testToken,
		"-participants", "5", "-conferences", "3", "-style", "classic", "-shuffle", "-duplicates", "0.3",
		"-concurrency", "4", "-seed", "11")
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Contains(t, stdout, "simulate: 3 classic conferences of 5 participants, shuffled, duplicates 0.30, signed, seed 11")
	m := summaryRE.FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	assert.Equal(t, "36", m[2], "3 × (start + 5 enters + 5 exits + end)")
	assert.Regexp(t, `status: 200 OK: `+m[1]+`\n`, stdout)
	assert.Regexp(t, `latency: p50 \S+, p90 \S+, p99 \S+, max \S+`, stdout)
	assert.NotContains(t, stdout, "FAILED")
	assert.Equal(t, map[vobizhook.Action]int{"start": 3, "enter": 15, "exit": 15, "end": 3}, vs.counts(),
		"every event dispatched once; duplicates (same nonce) acknowledged")

	// The same seed sends the same conferences: a second run of seed 11 is
	// all new nonces, so it is dispatched again in full.
	code, stdout2, _ := runCmd(t, "simulate", "-url", vs.url, "-auth-token", testToken,
		"-participants", "5", "-conferences", "3", "-style", "classic", "-shuffle", "-duplicates", "0.3", "-seed", "11")
	require.Equal(t, 0, code)
	assert.Equal(t, m[0], summaryRE.FindString(stdout2), "deterministic for a seed")

	// -v prints every delivery.
	code, stdout, _ = runCmd(t, "simulate", "-url", vs.url, "-auth-token", testToken, "-participants", "2", "-v", "-seed", "1")
	require.Equal(t, 0, code)
	assert.Equal(t, 4, strings.Count(stdout, "-> 200 OK"), stdout)
}

func TestSimulateFailures(t *testing.T) {
	vs := newVerifyingServer(t)

	// Unsigned against a verifying server: every delivery refused.
	code, stdout, _ := runCmd(t, "simulate", "-url", vs.url, "-participants", "3", "-seed", "2", "-backoff", "1ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "status: 403 Forbidden: 6")
	assert.Contains(t, stdout, "retries: 18 (403 Forbidden: 18)")
	assert.Contains(t, stdout, "FAILED: 6 of 6 deliveries")
	assert.Contains(t, stdout, "missing signature")
	assert.Contains(t, stdout, "... and 1 more")

	// The application fails: 500s.
	vs.fail.Store(true)
	code, stdout, _ = runCmd(t, "simulate", "-url", vs.url, "-auth-token", testToken, "-participants", "1", "-seed", "2", "-backoff", "1ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "status: 500 Internal Server Error: 2")
	assert.Contains(t, stdout, "retries: 6 (500 Internal Server Error: 6)")

	// Nobody listening: transport errors.
	code, stdout, _ = runCmd(t, "simulate", "-url", deadURL("/cb"), "-participants", "1", "-seed", "2", "-retries", "0")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "errors: 2")
	assert.Contains(t, stdout, "error: ")
}

// deadURL returns a URL on a loopback port where nobody listens any more.
func deadURL(path string) string {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	return dead.URL + path
}

func TestSimulateInterrupted(t *testing.T) {
	vs := newVerifyingServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, []string{"simulate", "-url", vs.url, "-auth-token", testToken, "-participants", "50", "-interval", "50ms", "-concurrency", "1"}, &stdout, &stderr)
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr.String(), "interrupted")
	case <-time.After(10 * time.Second):
		t.Fatal("simulate did not stop")
	}
}

func TestDemo(t *testing.T) {
	code, stdout, stderr := runCmd(t, "demo", "-interval", "0", "-seed", "5")
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Contains(t, stdout, "requiring Vobiz signatures")
	assert.Contains(t, stdout, "demo: the order is shuffled and some deliveries are sent twice, on purpose")
	for action, fn := range map[string]string{"enter": "OnEnter", "exit": "OnExit"} {
		re := regexp.MustCompile(`(?m)^\S+ ` + action + ` +WeeklyStandup .* -> (OnStart, )?` + fn + `(, OnEnd)?$`)
		assert.Len(t, re.FindAllString(stdout, -1), 4, "each %s dispatched once, with the steps the Tracker derived: %s", action, stdout)
	}
	assert.Regexp(t, `-> OnStart, OnEnter`, stdout, "the first enter starts the conference")
	assert.Regexp(t, `room-empty .* -> OnExit, OnEnd`, stdout, "the exit reporting the room empty ends it")
	assert.Regexp(t, `-> duplicate: nonce already handled, acknowledged without dispatch`, stdout)
	assert.Contains(t, stdout, "tracker: OnStart 1, OnEnter 4, OnExit 4, OnEnd 1: once per step, whatever the order")
	assert.Regexp(t, `sent \d+ deliveries \(8 events \+ [1-9]\d* duplicates?\)`, stdout, "at least one duplicate")
	assert.Regexp(t, `handler: answered \d+ requests: handled 8, duplicate [1-9]\d*, (in-progress \d+, )?refused 1 `, stdout)
	assert.Regexp(t, `retries: (0|\d+ \(503 Service Unavailable: \d+\))\n`, stdout, "only a duplicate that finds its original in flight is retried")
	assert.Regexp(t, `REFUSED 403 POST /conference-events .*invalid signature`, stdout)
	assert.Contains(t, stdout, "forged callback (wrong token): 403 Forbidden")

	// The roster: the room ended, every member joined and left.
	_, roster, ok := strings.Cut(stdout, "roster, as the Tracker reconciled it:\n")
	require.True(t, ok, stdout)
	assert.Regexp(t, `^  WeeklyStandup, conference \S+: started \S+ \(by enter\), ended \S+ \(last-member\), peak \d\n`, roster)
	assert.Len(t, regexp.MustCompile(`(?m)^    member \d+, call \S+, from \d+: joined \S+, left \S+`).FindAllString(roster, -1), 4, roster)

	code, stdout, stderr = runCmd(t, "demo", "-interval", "0", "-json", "-style", "classic", "-participants", "2")
	require.Equal(t, 0, code, stderr)
	outcomes := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var v struct{ Kind, Outcome string }
		require.NoError(t, json.Unmarshal([]byte(l), &v), l)
		outcomes[v.Kind+" "+v.Outcome]++
	}
	assert.Equal(t, 6, outcomes["event handled"]+outcomes["event acknowledged"], stdout)
	assert.Equal(t, 1, outcomes["refused refused"])
	assert.Contains(t, stderr, "tracker: OnStart 1, OnEnter 2, OnExit 2, OnEnd 1", "narration goes to stderr with -json")
	assert.Regexp(t, `ended \S+ \((provider-end|last-member)\)`, stderr, "by the provider's end, or by an exit reporting the room empty when the provider's start comes late")
}

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, []time.Duration{50 * time.Millisecond, 90 * time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond},
		percentiles(ds, 50, 90, 99, 100))
	assert.Equal(t, []time.Duration{7, 7}, percentiles([]time.Duration{7}, 1, 99))
	assert.Equal(t, time.Duration(100)*time.Millisecond, ds[0], "the input is not reordered")
}

func TestQuoteIfNeeded(t *testing.T) {
	for in, want := range map[string]string{
		"WeeklyStandup": "WeeklyStandup",
		"":              `""`,
		"Weekly Sync":   `"Weekly Sync"`,
		"a=b":           `"a=b"`,
		"line\nbreak":   `"line\nbreak"`,
		"नमस्ते":        "नमस्ते",
	} {
		assert.Equal(t, want, quoteIfNeeded(in), "%q", in)
	}
}

func TestStrayFlag(t *testing.T) {
	tests := []struct {
		args, rest []string
		stray      string
	}{
		{[]string{"-url", "u", "a.http"}, []string{"a.http"}, ""},
		{[]string{"a.http", "-retries", "0"}, []string{"a.http", "-retries", "0"}, "-retries"},
		{[]string{"a.http", "-"}, []string{"a.http", "-"}, ""}, // "-" is an argument
		{[]string{"--", "-odd.http"}, []string{"-odd.http"}, ""},
		{[]string{"-url", "u", "--", "-odd.http", "-x"}, []string{"-odd.http", "-x"}, ""},
		{[]string{"a.http", "--", "-odd.http"}, []string{"a.http", "--", "-odd.http"}, ""},
	}
	for _, tt := range tests {
		stray, ok := strayFlag(tt.args, tt.rest)
		assert.Equal(t, tt.stray, stray, "%q", tt.args)
		assert.Equal(t, tt.stray != "", ok, "%q", tt.args)
	}
}

// A file whose name starts with "-" is sent when it comes after "--".
func TestSendFileAfterDoubleDash(t *testing.T) {
	vs := newVerifyingServer(t)
	recorded, err := os.ReadFile(filepath.Join("..", "..", "testdata", "enter-live.http"))
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	require.NoError(t, os.WriteFile("-enter.http", recorded, 0o600))
	code, stdout, stderr := runCmd(t, "send", "-url", vs.url, "-auth-token", testToken, "--", "-enter.http")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "-enter.http: 200 OK")
}
