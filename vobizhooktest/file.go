package vobizhooktest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
)

// ReadRequestFile reads a recorded callback: a raw HTTP/1.1 request as in
// the project's testdata/ directory (request line, headers, blank line, form
// body). It is [ReadRequest] on the file's content; errors name the file.
func ReadRequestFile(path string) (*http.Request, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vobizhooktest: %w", err)
	}
	defer f.Close()
	r, err := ReadRequest(f)
	if err != nil {
		return nil, fmt.Errorf("vobizhooktest: %s: %w", path, err)
	}
	return r, nil
}

// ReadRequest reads one raw HTTP/1.1 request from rd and returns it as a
// server would have received it: relative URL, Host from the Host header,
// RequestURI set, RemoteAddr set to [RemoteAddr]. The body is read in full,
// so the request can be served, then replayed through GetBody and
// [ClientRequest]; re-target and re-sign it for a live server with
// [Resign].
//
// Anything but white space after the body (a body longer than its
// Content-Length, typically after a hand edit) is an error, as is a body
// shorter than its Content-Length.
func ReadRequest(rd io.Reader) (*http.Request, error) {
	br := bufio.NewReader(rd)
	r, err := http.ReadRequest(br)
	if err != nil {
		return nil, fmt.Errorf("reading the request: %w", err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the body (Content-Length %d): %w", r.ContentLength, err)
	}
	rest, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("reading after the body: %w", err)
	}
	if extra := bytes.TrimSpace(rest); len(extra) > 0 {
		return nil, fmt.Errorf("%d bytes after the body: Content-Length says %d, the body has at least %d; fix Content-Length",
			len(extra), r.ContentLength, len(body)+len(rest))
	}
	setBody(r, body)
	r.RemoteAddr = RemoteAddr
	return r, nil
}

// setBody makes body the request's replayable body.
func setBody(r *http.Request, body []byte) {
	r.ContentLength = int64(len(body))
	if len(body) == 0 {
		r.Body = http.NoBody
		r.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
}
