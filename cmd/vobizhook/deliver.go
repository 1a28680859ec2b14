package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// Retries, as Vobiz does them: a non-200 answer is retried up to 3 times
// with an exponential backoff (the intervals are not documented).
const (
	defaultRetries = 3
	maxRetries     = 10
	defaultBackoff = 100 * time.Millisecond
	maxBackoff     = 30 * time.Second
	// maxRetryAfter is the longest Retry-After honoured; a longer one is
	// ignored and the backoff applies, so a server cannot stall a run.
	maxRetryAfter = 5 * time.Second
)

// retryPolicy is how a delivery is retried after a non-2xx answer or a
// transport error: the same request (same signature and nonce) again, up to
// retries more times, waiting backoff before the first retry and doubling it
// for each next one, or longer when the answer's Retry-After asks for it.
type retryPolicy struct {
	retries int
	backoff time.Duration
}

func (p retryPolicy) validate() error {
	switch {
	case p.retries < 0 || p.retries > maxRetries:
		return fmt.Errorf("-retries %d: want 0 to %d", p.retries, maxRetries)
	case p.backoff < 0 || p.backoff > maxBackoff:
		return fmt.Errorf("-backoff %s: want 0 to %s", p.backoff, maxBackoff)
	}
	return nil
}

// wait returns the pause before retry number n (1 for the first retry)
// after the answer res.
func (p retryPolicy) wait(n int, res result) time.Duration {
	d := p.backoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	if res.retryAfter > 0 && res.retryAfter <= maxRetryAfter {
		d = max(d, res.retryAfter)
	}
	return d
}

// outcome is what became of one delivery: its last attempt, and the answers
// that were retried before it.
type outcome struct {
	result
	retried []result
}

// deliverRetrying delivers r as [deliver] does and retries it as p says:
// every attempt sends the same request, headers and nonce included, as a
// provider's retry does. It stops early when ctx is done.
func deliverRetrying(ctx context.Context, client *http.Client, r *http.Request, p retryPolicy) outcome {
	var o outcome
	for n := 1; ; n++ {
		res := deliver(ctx, client, r)
		if res.ok() || n > p.retries || ctx.Err() != nil || res.prepErr {
			o.result = res
			return o
		}
		o.retried = append(o.retried, res)
		select {
		case <-time.After(p.wait(n, res)):
		case <-ctx.Done():
			o.result = res
			return o
		}
	}
}

// String is the last answer, and how many attempts before it were retried.
func (o outcome) String() string {
	s := o.result.String()
	if n := len(o.retried); n > 0 {
		s += " after " + plural(n, "retry") + " (" + describeAnswers(o.retried) + ")"
	}
	return s
}

// describeAnswers sums up answers in order, repeats counted: "503 ×2, error".
func describeAnswers(rs []result) string {
	type run struct {
		label string
		n     int
	}
	var runs []run
	for _, r := range rs {
		label := "error"
		if r.err == nil {
			label = strconv.Itoa(r.status)
		}
		if k := len(runs) - 1; k >= 0 && runs[k].label == label {
			runs[k].n++
			continue
		}
		runs = append(runs, run{label, 1})
	}
	parts := make([]string, len(runs))
	for i, r := range runs {
		parts[i] = r.label
		if r.n > 1 {
			parts[i] += fmt.Sprintf(" ×%d", r.n)
		}
	}
	return strings.Join(parts, ", ")
}

// result is the outcome of one attempt.
type result struct {
	status     int
	reason     string // first line of a non-2xx answer
	retryAfter time.Duration
	latency    time.Duration
	err        error // transport or preparation failure
	prepErr    bool  // err is the request's own: retrying cannot help
}

func (r result) ok() bool { return r.err == nil && r.status >= 200 && r.status < 300 }

func (r result) String() string {
	if r.err != nil {
		return "error: " + r.err.Error()
	}
	s := fmt.Sprintf("%d %s (%s)", r.status, http.StatusText(r.status), roundDuration(r.latency))
	if r.reason != "" {
		s += ": " + r.reason
	}
	return s
}

// deliver sends the incoming-style request r (as built by vobizhooktest)
// with client and reads the answer.
func deliver(ctx context.Context, client *http.Client, r *http.Request) result {
	cr, err := vobizhooktest.ClientRequest(r)
	if err != nil {
		return result{err: err, prepErr: true}
	}
	cr = cr.WithContext(ctx)
	start := time.Now()
	resp, err := client.Do(cr)
	if err != nil {
		return result{err: withoutURL(err), latency: time.Since(start)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	res := result{status: resp.StatusCode, latency: time.Since(start)}
	if !res.ok() {
		line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		res.reason = line
		res.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return res
}

// withoutURL drops the URL that http.Client quotes in its errors: it may
// carry a token, and the user knows where they sent the request.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// parseRetryAfter reads a Retry-After header, delay-seconds or an HTTP date;
// it returns 0 when the header is absent, invalid or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 31); err == nil {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// newClient returns the client for deliveries, keeping up to concurrency
// connections to the server alive.
func newClient(concurrency int, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(concurrency, 2)
	t.MaxIdleConnsPerHost = max(concurrency, 2)
	t.MaxConnsPerHost = 0
	t.IdleConnTimeout = 30 * time.Second
	return &http.Client{
		Transport: t,
		Timeout:   timeout,
		// A callback is never redirected by Vobiz; show the 3xx instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
