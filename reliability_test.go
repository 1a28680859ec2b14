package vobizhook_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/track"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// Reliability under load, retries and faults: every test drives a real
// server on 127.0.0.1 with signed callbacks, the way Vobiz would. Each runs
// in a few seconds under -race; VOBIZHOOK_LONG=1 scales them up:
//
//	VOBIZHOOK_LONG=1 go test -race -run '^TestReliability' -count=1 -v .

const (
	relToken = "reliability-test-auth-token"
	relPath  = "/conference-events"
)

// long reports whether the long variants were asked for.
func long() bool { return os.Getenv("VOBIZHOOK_LONG") == "1" }

// scale returns short, or long with VOBIZHOOK_LONG=1.
func scale(short, long_ int) int {
	if long() {
		return long_
	}
	return short
}

// dispatchLog counts the callbacks each event got, keyed by
// CallUUID + MemberID + Action (ConferenceUUID too, so that derived start
// and end events count per conference).
type dispatchLog struct {
	mu sync.Mutex
	n  map[string]int
}

func eventKey(ev vobizhook.ConferenceEvent) string {
	return ev.ConferenceUUID + "|" + ev.CallUUID + "|" + ev.MemberID + "|" + string(ev.Action)
}

func (d *dispatchLog) add(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = make(map[string]int)
	}
	d.n[key]++
}

func (d *dispatchLog) fn(_ context.Context, ev vobizhook.ConferenceEvent) error {
	d.add(eventKey(ev))
	return nil
}

func (d *dispatchLog) snapshot() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int, len(d.n))
	for k, v := range d.n {
		out[k] = v
	}
	return out
}

func (d *dispatchLog) total() int {
	n := 0
	for _, v := range d.snapshot() {
		n += v
	}
	return n
}

// statusLog is a middleware that records the status of every response the
// Handler wrote, whether or not the client was still there to read it.
type statusLog struct {
	next  http.Handler
	mu    sync.Mutex
	codes map[int]int
	done  chan int // each status, when non-nil (buffered)
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *statusLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		if s.codes == nil {
			s.codes = make(map[int]int)
		}
		s.codes[sw.code]++
		s.mu.Unlock()
		if s.done != nil {
			s.done <- sw.code
		}
	}()
	s.next.ServeHTTP(sw, r)
}

func (s *statusLog) counts() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int, len(s.codes))
	for k, v := range s.codes {
		out[k] = v
	}
	return out
}

// newClient returns a client with its own transport, so that closing its
// idle connections closes every connection the test opened.
func newClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true},
		Timeout:   timeout,
	}
}

// send delivers r once and returns the status.
func send(c *http.Client, r *http.Request) (int, error) {
	req, err := vobizhooktest.ClientRequest(r)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// deliver delivers r as Vobiz does: once, then again after any answer that
// is not 200, up to three retries with a (short) exponential backoff. It
// returns every status seen.
func deliver(c *http.Client, r *http.Request) ([]int, error) {
	var codes []int
	backoff := 20 * time.Millisecond
	for range 4 {
		code, err := send(c, r)
		if err != nil {
			return codes, err
		}
		codes = append(codes, code)
		if code == http.StatusOK {
			return codes, nil
		}
		time.Sleep(backoff)
		backoff *= 4
	}
	return codes, nil
}

// checkNoLeak waits for the goroutine count to come back to at most before
// (servers and client connections wind down asynchronously) and fails with
// the live stacks if it does not.
func checkNoLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutine leak: %d goroutines before, %d after shutdown\n%s", before, n, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// scenarioRequests returns the signed requests of conferences conferences
// of participants participants each, every one with its own nonce.
func scenarioRequests(t testing.TB, callbackURL string, conferences, participants int, sc vobizhooktest.Scenario) [][]*http.Request {
	t.Helper()
	out := make([][]*http.Request, conferences)
	for i := range out {
		s := sc
		s.Seed = int64(i + 1)
		s.Participants = participants
		s.Room = fmt.Sprintf("room-%d", i)
		reqs, err := s.Requests(vobizhooktest.WithURL(callbackURL), vobizhooktest.WithAuthToken(relToken))
		require.NoError(t, err)
		out[i] = reqs
	}
	return out
}

// runWorkers runs work(i) for i in [0, n) on workers goroutines.
func runWorkers(workers, n int, work func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				work(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// signedServer starts a real server for a Handler verifying relToken.
func signedServer(t *testing.T, h *vobizhook.Handler) (*httptest.Server, *statusLog) {
	t.Helper()
	h.Verifier = &vobizhook.Verifier{AuthTokens: []string{relToken}}
	if h.Logger == nil {
		h.Logger = slog.New(slog.DiscardHandler)
	}
	sl := &statusLog{next: h}
	srv := httptest.NewServer(sl)
	h.Verifier.CallbackURL = srv.URL + relPath
	return srv, sl
}

// Load, nothing lost: concurrent clients post distinct signed events through
// a real server; every 200 is exactly one dispatch, nothing is dispatched
// twice, nothing fails, and shutdown leaves no goroutine behind.
func TestReliabilityLoadNothingLost(t *testing.T) {
	conferences := scale(25, 250) // 80 events each: 2,000 (20,000 long)
	clients := scale(16, 64)
	before := runtime.NumGoroutine()

	var disp dispatchLog
	h := &vobizhook.Handler{OnEnter: disp.fn, OnExit: disp.fn}
	srv, sl := signedServer(t, h)
	var reqs []*http.Request
	for _, c := range scenarioRequests(t, h.Verifier.CallbackURL, conferences, 40, vobizhooktest.Scenario{}) {
		reqs = append(reqs, c...)
	}
	client := newClient(clients, 10*time.Second)

	var ok, failed atomic.Int64
	var errs sync.Map
	runWorkers(clients, len(reqs), func(i int) {
		code, err := send(client, reqs[i])
		switch {
		case err != nil:
			errs.Store(i, err)
		case code == http.StatusOK:
			ok.Add(1)
		default:
			failed.Add(1)
			errs.Store(i, fmt.Errorf("status %d", code))
		}
	})
	errs.Range(func(k, v any) bool { t.Errorf("request %v: %v", k, v); return true })

	got := disp.snapshot()
	assert.EqualValues(t, len(reqs), ok.Load(), "every request answered 200")
	assert.Zero(t, failed.Load(), "no non-200 answer")
	assert.Len(t, got, len(reqs), "every event dispatched (events are distinct)")
	assert.Equal(t, int(ok.Load()), disp.total(), "every 200 is exactly one dispatch")
	for k, n := range got {
		if n != 1 {
			t.Errorf("event %s dispatched %d times", k, n)
		}
	}
	assert.Equal(t, map[int]int{200: len(reqs)}, sl.counts(), "server-side statuses")

	client.CloseIdleConnections()
	srv.Close()
	checkNoLeak(t, before)
}

// Retries: every signed event delivered 2 to 4 times with the same nonce,
// one after the other or all at once, is dispatched exactly once.
func TestReliabilityRetriesDispatchOnce(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		name := map[bool]string{false: "sequential", true: "concurrent"}[concurrent]
		t.Run(name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			var disp dispatchLog
			h := &vobizhook.Handler{OnEnter: disp.fn, OnExit: disp.fn}
			srv, sl := signedServer(t, h)
			var reqs []*http.Request
			for _, c := range scenarioRequests(t, h.Verifier.CallbackURL, scale(10, 100), 25, vobizhooktest.Scenario{}) {
				reqs = append(reqs, c...)
			}
			client := newClient(32, 10*time.Second)
			rng := rand.New(rand.NewPCG(7, 7))
			replays := make([]int, len(reqs))
			for i := range replays {
				replays[i] = 1 + rng.IntN(3)
			}
			var deliveries atomic.Int64
			runWorkers(16, len(reqs), func(i int) {
				copies := 1 + replays[i]
				if !concurrent {
					for range copies {
						codes, err := deliver(client, reqs[i])
						if assert.NoError(t, err) {
							assert.Equal(t, []int{200}, codes, "a retry of a handled event is acknowledged")
						}
						deliveries.Add(1)
					}
					return
				}
				var wg sync.WaitGroup
				for range copies {
					wg.Go(func() {
						// A copy that arrives while another is being handled
						// is answered 503; Vobiz's retry then gets 200.
						codes, err := deliver(client, reqs[i])
						if assert.NoError(t, err) {
							assert.Equal(t, 200, codes[len(codes)-1], "every copy is acknowledged in the end: %v", codes)
							for _, c := range codes[:len(codes)-1] {
								assert.Equal(t, http.StatusServiceUnavailable, c, "only an in-flight copy is refused: %v", codes)
							}
						}
						deliveries.Add(1)
					})
				}
				wg.Wait()
			})
			got := disp.snapshot()
			assert.Len(t, got, len(reqs))
			for k, n := range got {
				if n != 1 {
					t.Errorf("event %s dispatched %d times", k, n)
				}
			}
			assert.Greater(t, deliveries.Load(), int64(2*len(reqs)-1))
			codes := sl.counts()
			assert.Equal(t, int(deliveries.Load()), codes[200], "one 200 per delivery: %v", codes)
			client.CloseIdleConnections()
			srv.Close()
			checkNoLeak(t, before)
		})
	}
}

// lifecycleLog counts what a Handler with a Tracker calls.
type lifecycleLog struct {
	mu                         sync.Mutex
	starts, ends, enter, exits map[string]int
}

func newLifecycleLog() *lifecycleLog {
	return &lifecycleLog{starts: map[string]int{}, ends: map[string]int{}, enter: map[string]int{}, exits: map[string]int{}}
}

func (l *lifecycleLog) handler() *vobizhook.Handler {
	count := func(m map[string]int, key func(vobizhook.ConferenceEvent) string) func(context.Context, vobizhook.ConferenceEvent) error {
		return func(_ context.Context, ev vobizhook.ConferenceEvent) error {
			l.mu.Lock()
			defer l.mu.Unlock()
			m[key(ev)]++
			return nil
		}
	}
	conf := func(ev vobizhook.ConferenceEvent) string { return ev.ConferenceUUID }
	member := func(ev vobizhook.ConferenceEvent) string {
		return ev.ConferenceUUID + "|" + ev.CallUUID + "|" + ev.MemberID
	}
	return &vobizhook.Handler{
		Tracker: &track.Tracker{},
		OnStart: count(l.starts, conf), OnEnd: count(l.ends, conf),
		OnEnter: count(l.enter, member), OnExit: count(l.exits, member),
	}
}

// Retries with the tracker: shuffled conferences with duplicated deliveries
// (same nonce), each request also retried 1 to 3 times, through a real
// server: OnStart and OnEnd exactly once per conference, OnEnter and OnExit
// exactly once per member.
func TestReliabilityRetriesWithTracker(t *testing.T) {
	for _, style := range []vobizhooktest.Style{vobizhooktest.Live, vobizhooktest.Classic} {
		for _, concurrent := range []bool{false, true} {
			name := string(style) + map[bool]string{false: "/in-order-per-room", true: "/all-at-once"}[concurrent]
			t.Run(name, func(t *testing.T) {
				before := runtime.NumGoroutine()
				lc := newLifecycleLog()
				h := lc.handler()
				srv, _ := signedServer(t, h)
				conferences, participants := scale(8, 120), 10
				sc := vobizhooktest.Scenario{Style: style, Shuffle: true, Duplicates: 0.5}
				rooms := scenarioRequests(t, h.Verifier.CallbackURL, conferences, participants, sc)
				client := newClient(32, 10*time.Second)
				runWorkers(8, len(rooms), func(i int) {
					rng := rand.New(rand.NewPCG(11, uint64(i)))
					var wg sync.WaitGroup
					for _, r := range rooms[i] {
						retries := 1 + rng.IntN(3)
						for range 1 + retries {
							if !concurrent {
								codes, err := deliver(client, r)
								if assert.NoError(t, err) {
									assert.Equal(t, []int{200}, codes)
								}
								continue
							}
							wg.Go(func() {
								codes, err := deliver(client, r)
								if assert.NoError(t, err) {
									assert.Equal(t, 200, codes[len(codes)-1], "%v", codes)
								}
							})
						}
					}
					wg.Wait()
				})
				lc.mu.Lock()
				defer lc.mu.Unlock()
				assert.Len(t, lc.starts, conferences)
				assert.Len(t, lc.ends, conferences)
				assert.Len(t, lc.enter, conferences*participants)
				assert.Len(t, lc.exits, conferences*participants)
				for name, m := range map[string]map[string]int{"OnStart": lc.starts, "OnEnd": lc.ends, "OnEnter": lc.enter, "OnExit": lc.exits} {
					for k, n := range m {
						if n != 1 {
							t.Errorf("%s called %d times for %s", name, n, k)
						}
					}
				}
				client.CloseIdleConnections()
				srv.Close()
				checkNoLeak(t, before)
			})
		}
	}
}

// Faults: a callback slower than Vobiz's 3 s. The stand-in client gives up
// after 200 ms, as Vobiz does after 3 s: the callback sees its context
// cancelled, the Handler answers 500 (to nobody) and releases the nonce, and
// Vobiz's retry is dispatched once and acknowledged.
func TestReliabilitySlowCallbackContextCancelled(t *testing.T) {
	before := runtime.NumGoroutine()
	var calls, handled atomic.Int32
	cancelled := make(chan error, 1)
	h := &vobizhook.Handler{OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		if calls.Add(1) == 1 {
			select {
			case <-ctx.Done():
				cancelled <- ctx.Err()
				return ctx.Err()
			case <-time.After(10 * time.Second):
				cancelled <- nil
				return nil
			}
		}
		handled.Add(1)
		return nil
	}}
	srv, sl := signedServer(t, h)
	sl.done = make(chan int, 8)
	r := vobizhooktest.MustNewRequest(t, enter, vobizhooktest.WithURL(h.Verifier.CallbackURL), vobizhooktest.WithAuthToken(relToken))

	impatient := newClient(1, 200*time.Millisecond) // Vobiz's 3 s, scaled down
	_, err := send(impatient, r)
	require.Error(t, err, "the client gives up")
	select {
	case err := <-cancelled:
		require.ErrorIs(t, err, context.Canceled, "the callback sees the request context cancelled")
	case <-time.After(5 * time.Second):
		t.Fatal("the callback's context was not cancelled when the client went away")
	}
	assert.Equal(t, http.StatusInternalServerError, <-sl.done, "a callback failing with ctx.Err() is answered 500")

	client := newClient(1, 5*time.Second)
	for i := range 3 { // Vobiz's retry, then replays of it
		code, err := send(client, r)
		require.NoError(t, err)
		assert.Equal(t, 200, code, "delivery %d", i)
	}
	assert.EqualValues(t, 1, handled.Load(), "the retry is dispatched once, its replays not at all")
	assert.EqualValues(t, 2, calls.Load())
	impatient.CloseIdleConnections()
	client.CloseIdleConnections()
	srv.Close()
	checkNoLeak(t, before)
}

// A retry that arrives while the first delivery is still being handled (its
// callback ignores the context and outlives Vobiz's timeout) must not be
// acknowledged: if that first attempt then fails, the event would be lost.
// It is answered 503, and the retry after the failure is dispatched.
func TestReliabilityRetryDuringSlowCallback(t *testing.T) {
	before := runtime.NumGoroutine()
	var calls, handled atomic.Int32
	proceed := make(chan struct{})
	h := &vobizhook.Handler{OnEnter: func(ctx context.Context, ev vobizhook.ConferenceEvent) error {
		if calls.Add(1) == 1 {
			<-proceed // slow work that does not watch ctx
			return errors.New("downstream failed")
		}
		handled.Add(1)
		return nil
	}}
	srv, sl := signedServer(t, h)
	sl.done = make(chan int, 8)
	r := vobizhooktest.MustNewRequest(t, enter, vobizhooktest.WithURL(h.Verifier.CallbackURL), vobizhooktest.WithAuthToken(relToken))

	impatient := newClient(1, 200*time.Millisecond)
	_, err := send(impatient, r)
	require.Error(t, err, "the first delivery times out")
	client := newClient(1, 5*time.Second)
	code, err := send(client, r) // Vobiz's retry, while the first still runs
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, code, "a retry of an event still being handled is not acknowledged")
	assert.Equal(t, http.StatusServiceUnavailable, <-sl.done)

	close(proceed)
	assert.Equal(t, http.StatusInternalServerError, <-sl.done, "the first attempt fails")
	code, err = send(client, r) // Vobiz's next retry
	require.NoError(t, err)
	assert.Equal(t, 200, code)
	assert.EqualValues(t, 1, handled.Load(), "the event is handled after all")
	impatient.CloseIdleConnections()
	client.CloseIdleConnections()
	srv.Close()
	checkNoLeak(t, before)
}

// Faults: every event's first delivery panics, under concurrent load. The
// server keeps serving, every panic is a 500 logged with its stack, and
// Vobiz's retry is dispatched because the nonce claim was released.
func TestReliabilityPanicsUnderLoad(t *testing.T) {
	before := runtime.NumGoroutine()
	var seen sync.Map
	var panics, handled atomic.Int32
	fn := func(_ context.Context, ev vobizhook.ConferenceEvent) error {
		if _, again := seen.LoadOrStore(eventKey(ev), true); !again {
			panics.Add(1)
			panic(fmt.Sprintf("boom %s", ev.CallUUID))
		}
		handled.Add(1)
		return nil
	}
	var logs lockedBuffer
	h := &vobizhook.Handler{OnEnter: fn, OnExit: fn, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	srv, sl := signedServer(t, h)
	var reqs []*http.Request
	for _, c := range scenarioRequests(t, h.Verifier.CallbackURL, scale(10, 100), 25, vobizhooktest.Scenario{}) {
		reqs = append(reqs, c...)
	}
	client := newClient(16, 10*time.Second)
	runWorkers(16, len(reqs), func(i int) {
		codes, err := deliver(client, reqs[i])
		if assert.NoError(t, err) {
			assert.Equal(t, []int{500, 200}, codes)
		}
	})
	assert.EqualValues(t, len(reqs), panics.Load())
	assert.EqualValues(t, len(reqs), handled.Load())
	assert.Equal(t, map[int]int{500: len(reqs), 200: len(reqs)}, sl.counts())
	out := logs.String()
	assert.Equal(t, len(reqs), strings.Count(out, `"msg":"vobizhook: callback failed; answering 500 so Vobiz retries"`))
	assert.Equal(t, len(reqs), strings.Count(out, `"stack":"goroutine `), "each panic is logged with its stack")
	client.CloseIdleConnections()
	srv.Close()
	checkNoLeak(t, before)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tenThousandParams is a callback carrying 10,000 unknown parameters (three
// base-36 letters each, a one-letter value) under the 64 KiB default limit.
func tenThousandParams() (string, int) {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	b.WriteString(vobizhooktest.EncodeEvent(enter))
	const n = 10_000
	for i := range n {
		b.WriteString("&")
		b.WriteByte(digits[i/(36*36)%36])
		b.WriteByte(digits[i/36%36])
		b.WriteByte(digits[i%36])
		b.WriteString("=v")
	}
	return b.String(), n
}

// Faults: 10,000 unknown parameters within the size limit are accepted,
// dispatched once, and all kept in Params.
func TestReliabilityTenThousandUnknownParams(t *testing.T) {
	body, n := tenThousandParams()
	require.Less(t, len(body), vobizhook.DefaultMaxBodyBytes)
	var got vobizhook.ConferenceEvent
	var calls int
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{relToken}, CallbackURL: vobizhooktest.DefaultURL},
		Logger:   slog.New(slog.DiscardHandler),
		OnEnter: func(_ context.Context, ev vobizhook.ConferenceEvent) error {
			calls++
			got = ev
			return nil
		},
	}
	r := httptest.NewRequest(http.MethodPost, vobizhooktest.DefaultURL, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	require.NoError(t, vobizhook.SignRequest(r, "", relToken))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, 1, calls)
	named := len(strings.Split(vobizhooktest.EncodeEvent(enter), "&"))
	assert.Len(t, got.Params, n+named)
	assert.Equal(t, "v", got.Params.Get("000"))
	assert.Equal(t, "v", got.Params.Get("7pr")) // 9999 in base 36
	assert.Equal(t, vobizhook.ActionEnter, got.Action)
	assert.Equal(t, enter.CallUUID, got.CallUUID)
}

// BenchmarkHandlerTenThousandUnknownParams measures the worst body a
// Handler accepts at the default limit: 10,000 parameters in 60 KB.
func BenchmarkHandlerTenThousandUnknownParams(b *testing.B) {
	body, _ := tenThousandParams()
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{relToken}, CallbackURL: vobizhooktest.DefaultURL},
		Logger:   slog.New(slog.DiscardHandler),
		OnEnter:  func(context.Context, vobizhook.ConferenceEvent) error { return nil },
	}
	w := httptest.NewRecorder()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		r := httptest.NewRequest(http.MethodPost, vobizhooktest.DefaultURL, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := vobizhook.SignRequest(r, "", relToken); err != nil {
			b.Fatal(err)
		}
		w.Body.Reset()
		b.StartTimer()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// readStatus reads one response from br and returns its status, or 0 when
// the server closed the connection without answering.
func readStatus(br *bufio.Reader) int {
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
