package main

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// flakyServer answers the first failures attempts of each request (by its
// signature nonce) with 503 and a Retry-After, as a Handler answers a
// duplicate that arrives while the first copy is still in flight, and
// passes the next ones to next. It records every attempt.
type flakyServer struct {
	next       http.Handler
	failures   int
	retryAfter string
	mu         sync.Mutex
	attempts   map[string][]string // nonce -> signature + body of each attempt
}

func (f *flakyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	nonce := r.Header.Get(vobizhook.HeaderSignatureV3Nonce)
	f.mu.Lock()
	f.attempts[nonce] = append(f.attempts[nonce], r.Header.Get(vobizhook.HeaderSignatureV3)+" "+string(body))
	n := len(f.attempts[nonce])
	f.mu.Unlock()
	if n <= f.failures {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		http.Error(w, "vobizhook: callback in progress", http.StatusServiceUnavailable)
		return
	}
	f.next.ServeHTTP(w, r)
}

// newFlakyServer serves a verifying Handler behind a flakyServer.
func newFlakyServer(t *testing.T, failures int, retryAfter string) (*verifyingServer, *flakyServer) {
	vs := newVerifyingServer(t)
	fl := &flakyServer{next: vs.Config.Handler, failures: failures, retryAfter: retryAfter, attempts: map[string][]string{}}
	vs.Config.Handler = fl
	return vs, fl
}

// attemptsPerRequest returns how many attempts each request had, and
// checks that every attempt of a request was the same request.
func (f *flakyServer) attemptsPerRequest(t *testing.T) map[int]int {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	counts := map[int]int{}
	for nonce, tries := range f.attempts {
		require.NotEmpty(t, nonce, "signed")
		for _, a := range tries[1:] {
			assert.Equal(t, tries[0], a, "a retry is the same request: same signature, nonce and body")
		}
		counts[len(tries)]++
	}
	return counts
}

func TestSimulateRetriesUntil200(t *testing.T) {
	vs, fl := newFlakyServer(t, 1, "0")
	code, stdout, stderr := runCmd(t, "simulate", "-url", vs.url, "-auth-token", testToken,
		"-participants", "3", "-seed", "7", "-backoff", "1ms", "-concurrency", "2")
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Contains(t, stdout, "up to 3 retries (backoff 1ms)")
	assert.Contains(t, stdout, "sent 6 deliveries (6 events + 0 duplicates)")
	assert.Contains(t, stdout, "status: 200 OK: 6\n", "a delivery counts by its last answer")
	assert.Contains(t, stdout, "retries: 6 (503 Service Unavailable: 6)\n", "retries are counted apart")
	assert.NotContains(t, stdout, "FAILED")
	assert.Equal(t, map[int]int{2: 6}, fl.attemptsPerRequest(t), "each request: one 503, one retry")
	assert.Equal(t, map[vobizhook.Action]int{"enter": 3, "exit": 3}, vs.counts(), "every event dispatched once")

	// -v shows the retries of each delivery.
	code, stdout, _ = runCmd(t, "simulate", "-url", vs.url, "-auth-token", testToken, "-participants", "1", "-seed", "7", "-backoff", "1ms", "-v")
	require.Equal(t, 0, code)
	assert.Equal(t, 2, strings.Count(stdout, "-> 200 OK"), stdout)
	assert.Equal(t, 2, strings.Count(stdout, "after 1 retry (503)"), stdout)
}

func TestSimulateRetriesExhausted(t *testing.T) {
	vs, fl := newFlakyServer(t, 100, "")
	code, stdout, _ := runCmd(t, "simulate", "-url", vs.url, "-auth-token", testToken,
		"-participants", "1", "-seed", "7", "-retries", "2", "-backoff", "1ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "status: 503 Service Unavailable: 2\n")
	assert.Contains(t, stdout, "retries: 4 (503 Service Unavailable: 4)\n")
	assert.Contains(t, stdout, "FAILED: 2 of 2 deliveries", "a delivery fails once, when its last attempt fails")
	assert.Contains(t, stdout, "after 2 retries (503 ×2)")
	assert.Equal(t, map[int]int{3: 2}, fl.attemptsPerRequest(t))
	assert.Empty(t, vs.counts())

	// -retries 0: one attempt, as before.
	vs, fl = newFlakyServer(t, 1, "")
	code, stdout, _ = runCmd(t, "simulate", "-url", vs.url, "-auth-token", testToken, "-participants", "1", "-seed", "7", "-retries", "0")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "no retries")
	assert.Contains(t, stdout, "retries: off\n")
	assert.Contains(t, stdout, "FAILED: 2 of 2 deliveries")
	assert.Equal(t, map[int]int{1: 2}, fl.attemptsPerRequest(t))
}

func TestSendRetries(t *testing.T) {
	vs, fl := newFlakyServer(t, 1, "0")
	file := filepath.Join("..", "..", "testdata", "enter-live.http")
	code, stdout, stderr := runCmd(t, "send", "-url", vs.url, "-auth-token", testToken, "-backoff", "1ms", file)
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Regexp(t, `^`+regexp.QuoteMeta(file)+`: 200 OK \(.+\) after 1 retry \(503\)\n$`, stdout)
	assert.Equal(t, map[int]int{2: 1}, fl.attemptsPerRequest(t))
	assert.Equal(t, 1, sumCounts(vs.counts()))
}

func TestRetryPolicyWait(t *testing.T) {
	p := retryPolicy{retries: 3, backoff: 100 * time.Millisecond}
	tests := []struct {
		name string
		n    int
		res  result
		want time.Duration
	}{
		{"first retry", 1, result{status: 503}, 100 * time.Millisecond},
		{"second retry doubles", 2, result{status: 503}, 200 * time.Millisecond},
		{"third retry", 3, result{status: 500}, 400 * time.Millisecond},
		{"Retry-After longer than the backoff is honoured", 1, result{status: 503, retryAfter: time.Second}, time.Second},
		{"Retry-After shorter than the backoff", 3, result{status: 503, retryAfter: 100 * time.Millisecond}, 400 * time.Millisecond},
		{"Retry-After of 5s is still small", 1, result{status: 503, retryAfter: maxRetryAfter}, maxRetryAfter},
		{"a large Retry-After is ignored", 1, result{status: 503, retryAfter: time.Hour}, 100 * time.Millisecond},
		{"capped", 40, result{err: io.EOF}, maxBackoff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, p.wait(tt.n, tt.res))
		})
	}
	assert.Equal(t, time.Duration(0), retryPolicy{retries: 1}.wait(2, result{status: 503}), "-backoff 0: retry at once")
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 19, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"1":                             time.Second,
		" 2 ":                           2 * time.Second,
		"0":                             0,
		"-1":                            0,
		"soon":                          0,
		"99999999999999999999":          0,
		"Tue, 19 May 2026 10:00:03 GMT": 3 * time.Second,
		"Tue, 19 May 2026 09:00:00 GMT": 0,
	} {
		assert.Equal(t, want, parseRetryAfter(in, now), "%q", in)
	}
}

// A transport error names the operation and the cause, not the URL, which
// may carry a token.
func TestTransportErrorsOmitTheURL(t *testing.T) {
	deadURL := deadURL("/cb?token=s3cr3t")
	code, stdout, stderr := runCmd(t, "simulate", "-url", deadURL, "-participants", "1", "-seed", "2", "-retries", "1", "-backoff", "1ms")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "retries: 2 (errors: 2)")
	assert.Contains(t, stdout, "error: Post: dial tcp")
	file := filepath.Join("..", "..", "testdata", "enter-live.http")
	code, stdout2, stderr2 := runCmd(t, "send", "-url", deadURL, "-retries", "0", file)
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout2, "error: Post: dial tcp")
	for _, out := range []string{stdout, stderr, stdout2, stderr2} {
		assert.NotContains(t, out, "s3cr3t")
	}
}

func TestWithDuplicate(t *testing.T) {
	d := func(i int, dup bool) vobizhooktest.Delivery { return vobizhooktest.Delivery{Index: i, Duplicate: dup} }
	none := []vobizhooktest.Delivery{d(0, false), d(1, false), d(2, false), d(3, false)}
	got := withDuplicate(none)
	assert.Equal(t, []vobizhooktest.Delivery{d(0, false), d(1, false), d(2, false), d(2, true), d(3, false)}, got)
	assert.Len(t, none, 4, "the input is not changed")

	some := []vobizhooktest.Delivery{d(0, false), d(0, true), d(1, false)}
	assert.Equal(t, some, withDuplicate(some), "already has one")
	assert.Empty(t, withDuplicate(nil))
}

// noDuplicateSeed returns a seed for which demo's scenario draws no
// duplicate delivery by chance.
func noDuplicateSeed(t *testing.T) int64 {
	for seed := int64(0); seed < 1000; seed++ {
		sc := vobizhooktest.Scenario{Participants: 4, Seed: seed, Shuffle: true, Duplicates: 0.25}
		if !hasDuplicate(sc.MustDeliveries(t)) {
			return seed
		}
	}
	t.Fatal("no seed without duplicates")
	return 0
}

func hasDuplicate(ds []vobizhooktest.Delivery) bool {
	for _, d := range ds {
		if d.Duplicate {
			return true
		}
	}
	return false
}

// The README promises a demo with duplicate deliveries: a run whose random
// draw has no duplicate gets one anyway.
func TestDemoAlwaysHasADuplicate(t *testing.T) {
	seed := noDuplicateSeed(t)
	code, stdout, stderr := runCmd(t, "demo", "-interval", "0", "-seed", fmt.Sprint(seed))
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Contains(t, stdout, "duplicates 0.25 (at least one)")
	assert.Contains(t, stdout, "sent 9 deliveries (8 events + 1 duplicate)", stdout)
	// A duplicate sent right after its original may find it in flight (503,
	// retried after its Retry-After): one more request.
	assert.Regexp(t, `handler: answered (10|11) requests: handled 8, duplicate 1, (in-progress 1, )?refused 1 `, stdout)
	assert.Contains(t, stdout, "-> duplicate: nonce already handled")
}

// inFlightServer stands for the Handler's replay protection as it answers
// a duplicate that arrives while the first copy is still being handled: 503
// "in progress" with Retry-After: 1. It holds each first copy a moment, so
// that a duplicate sent right after its original finds it in flight.
type inFlightServer struct {
	next     http.Handler
	mu       sync.Mutex
	inFlight map[string]chan struct{} // nonce -> closed when a duplicate came
	refused  int
}

func (s *inFlightServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	nonce := r.Header.Get(vobizhook.HeaderSignatureV3Nonce)
	s.mu.Lock()
	if dup, ok := s.inFlight[nonce]; ok {
		if dup != nil {
			close(dup)
			s.inFlight[nonce] = nil
		}
		s.refused++
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "vobizhook: callback in progress", http.StatusServiceUnavailable)
		return
	}
	dup := make(chan struct{})
	s.inFlight[nonce] = dup
	s.mu.Unlock()
	select {
	case <-dup:
	case <-time.After(100 * time.Millisecond):
	}
	s.next.ServeHTTP(w, r)
	s.mu.Lock()
	delete(s.inFlight, nonce)
	s.mu.Unlock()
}

// demo still succeeds when the Handler answers an in-flight duplicate 503:
// the duplicate is retried after the Retry-After, then acknowledged.
func TestDemoRetriesInFlightDuplicate(t *testing.T) {
	s := &inFlightServer{inFlight: map[string]chan struct{}{}}
	saved := demoWrap
	demoWrap = func(h http.Handler) http.Handler { s.next = h; return s }
	t.Cleanup(func() { demoWrap = saved })

	seed := noDuplicateSeed(t) // one duplicate, right after its original
	code, stdout, stderr := runCmd(t, "demo", "-interval", "0", "-seed", fmt.Sprint(seed))
	require.Equal(t, 0, code, "stdout: %s\nstderr: %s", stdout, stderr)
	assert.Equal(t, 1, s.refused, "the duplicate arrived while its original was in flight")
	assert.Contains(t, stdout, "status: 200 OK: 9\n")
	assert.Contains(t, stdout, "retries: 1 (503 Service Unavailable: 1)\n")
	assert.Contains(t, stdout, "handler: answered 10 requests: handled 8, duplicate 1, refused 1 ")
}

// Retry-After comes from the server under test: any value gives a
// non-negative wait, without panicking.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "1", "120", "-3", "Tue, 19 May 2026 10:00:03 GMT", "Tuesday, 19-May-26 10:00:03 GMT", "1e9", " 7 "} {
		f.Add(s)
	}
	now := time.Date(2026, 5, 19, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d := parseRetryAfter(s, now)
		if d < 0 {
			t.Fatalf("parseRetryAfter(%q) = %v", s, d)
		}
		w := retryPolicy{retries: 3, backoff: defaultBackoff}.wait(1, result{status: 503, retryAfter: d})
		if w < defaultBackoff || w > maxRetryAfter {
			t.Fatalf("wait after Retry-After %q = %v", s, w)
		}
	})
}
