package vobizhook

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// discardWriter is the smallest useful http.ResponseWriter: it keeps the
// header map and the status, and drops the body.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// documentedEnter is the enter payload of Vobiz's documentation.
const documentedEnter = "ConferenceAction=enter&ConferenceUUID=3f9a1b2c-44de-4f0a-b832-7c0a12345678" +
	"&ConferenceName=WeeklyStandup&CallUUID=9a0e0208-d01a-4572-9a04-fe583a05ac53" +
	"&From=918071387423&To=919624705678&ConferenceCurrentSize=3&Timestamp=2026-05-19+10%3A32%3A15"

// reusableRequest returns a POST request whose body can be rewound, so the
// loop measures the library and not request construction.
func reusableRequest(body string) (*http.Request, func()) {
	br := strings.NewReader(body)
	r, _ := http.NewRequest(http.MethodPost, "http://yourapp.com/conference-events", br)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rc := io.NopCloser(br)
	return r, func() { br.Reset(body); r.Body = rc }
}

func BenchmarkParseConferenceEvent(b *testing.B) {
	r, rewind := reusableRequest(documentedEnter)
	b.ReportAllocs()
	for b.Loop() {
		rewind()
		if _, err := ParseConferenceEvent(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHandler(b *testing.B) {
	h := &Handler{
		OnEnter: func(context.Context, ConferenceEvent) error { return nil },
		Logger:  slog.New(slog.DiscardHandler),
	}
	r, rewind := reusableRequest(documentedEnter)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rewind()
		h.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatal(w.status)
		}
	}
}

func BenchmarkParseForm(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseForm(documentedEnter); err != nil {
			b.Fatal(err)
		}
	}
}
