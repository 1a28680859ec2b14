package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/vobizhook/vobizhook/vobizhooktest"
)

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("send", "-url URL [flags] FILE...",
		"Replays recorded Vobiz callbacks (raw HTTP requests, as in testdata/) to URL,\n"+
			"re-targeted and, with an auth token, re-signed with a fresh nonce. A non-2xx\n"+
			"answer is retried with the same request, as Vobiz does. Prints the answer to\n"+
			"each file; exits 1 if any is not 2xx after its retries.", stdout, stderr)
	target := f.url()
	token := f.authToken("Vobiz Auth `token` to sign with; unsigned when empty")
	timeout := f.Duration("timeout", 10*time.Second, "per-request `timeout`")
	policy := f.retries()
	f.check(func() error {
		if f.NArg() == 0 {
			return errors.New("no files to send")
		}
		if *timeout <= 0 {
			return fmt.Errorf("-timeout %s: want more than 0 (every request has a deadline)", *timeout)
		}
		return nil
	})
	if code := f.parse(args, "FILE"); code >= 0 {
		return code
	}
	client := newClient(1, *timeout)
	defer client.CloseIdleConnections()

	failed := 0
	for _, file := range f.Args() {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "vobizhook send: interrupted")
			return exitFailure
		}
		out := sendFile(ctx, client, file, *target, *token, *policy)
		if !out.ok() {
			failed++
		}
		fmt.Fprintf(stdout, "%s: %s\n", file, out)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "vobizhook send: %d of %d failed\n", failed, f.NArg())
		return exitFailure
	}
	return exitOK
}

// sendFile reads, re-signs and sends one recorded request, retrying it as
// policy says.
func sendFile(ctx context.Context, client *http.Client, file, target, token string, policy retryPolicy) outcome {
	r, err := vobizhooktest.ReadRequestFile(file)
	if err != nil {
		return outcome{result: result{err: err}}
	}
	if err := vobizhooktest.Resign(r, target, token); err != nil {
		return outcome{result: result{err: err}}
	}
	return deliverRetrying(ctx, client, r, policy)
}
