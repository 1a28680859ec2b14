package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("send", "-url URL [flags] FILE...",
		"Replays recorded Vobiz callbacks (raw HTTP requests, as in testdata/) to URL,\n"+
			"re-targeted and, with an auth token, re-signed with a fresh nonce. Prints\n"+
			"the answer to each file; exits 1 if any is not 2xx.", stdout, stderr)
	target := fs.String("url", "", "callback `URL` to send to (required)")
	token := fs.String("auth-token", "", "Vobiz Auth `token` to sign with (default $"+envAuthToken+"); unsigned when empty")
	timeout := fs.Duration("timeout", 10*time.Second, "per-request `timeout`")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if *target == "" {
		return usageError(fs, "-url is required")
	}
	if _, err := vobizhook.BaseURL(*target); err != nil {
		return usageError(fs, "-url: %v", err)
	}
	if fs.NArg() == 0 {
		return usageError(fs, "no files to send")
	}
	tok := authToken(*token)
	client := newClient(1, *timeout)
	defer client.CloseIdleConnections()

	failed := 0
	for _, file := range fs.Args() {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "vobizhook send: interrupted")
			return exitFailure
		}
		res := sendFile(ctx, client, file, *target, tok)
		if !res.ok() {
			failed++
		}
		fmt.Fprintf(stdout, "%s: %s\n", file, res)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "vobizhook send: %d of %d failed\n", failed, fs.NArg())
		return exitFailure
	}
	return exitOK
}

// sendFile reads, re-signs and sends one recorded request.
func sendFile(ctx context.Context, client *http.Client, file, target, token string) result {
	r, err := vobizhooktest.ReadRequestFile(file)
	if err != nil {
		return result{err: err}
	}
	if err := vobizhooktest.Resign(r, target, token); err != nil {
		return result{err: err}
	}
	return deliver(ctx, client, r)
}

// result is the outcome of one delivery.
type result struct {
	status  int
	reason  string // first line of a non-2xx answer
	latency time.Duration
	err     error // transport or preparation failure
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
		return result{err: err}
	}
	cr = cr.WithContext(ctx)
	start := time.Now()
	resp, err := client.Do(cr)
	if err != nil {
		return result{err: err, latency: time.Since(start)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	res := result{status: resp.StatusCode, latency: time.Since(start)}
	if !res.ok() {
		line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		res.reason = line
	}
	return res
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
