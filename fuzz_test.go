package vobizhook

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seedBodies adds the form bodies of every recorded payload to a fuzz corpus.
func seedBodies(f *testing.F, add func(body string)) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.http"))
	bad, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.http"))
	for _, name := range append(files, bad...) {
		r := loadRequest(f, strings.TrimPrefix(name, "testdata"+string(filepath.Separator)))
		body, _ := io.ReadAll(r.Body)
		if len(body) == 0 {
			body = []byte(r.URL.RawQuery)
		}
		add(string(body))
	}
	add("")
	add("a=%zz&b")
	add("ConferenceAction=enter;x=1")
}

// FuzzParseForm checks the allocation-saving form parser against the
// standard library's url.ParseQuery: same values, same acceptance.
func FuzzParseForm(f *testing.F) {
	seedBodies(f, func(body string) { f.Add(body) })
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := urlParseQuery(s)
		got, err := parseForm(s)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("parseForm(%q) error = %v, url.ParseQuery error = %v", s, err, wantErr)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformedForm) {
				t.Fatalf("error %v does not wrap ErrMalformedForm", err)
			}
			return
		}
		if len(got) != len(want) {
			t.Fatalf("parseForm(%q) = %v, want %v", s, got, want)
		}
		for k, vs := range want {
			if strings.Join(got[k], "\x00") != strings.Join(vs, "\x00") || len(got[k]) != len(vs) {
				t.Fatalf("parseForm(%q)[%q] = %q, want %q", s, k, got[k], vs)
			}
		}
	})
}

// FuzzParseConferenceEvent: any body decodes to an event or to an error that
// wraps one of the package's sentinels; never a panic.
func FuzzParseConferenceEvent(f *testing.F) {
	seedBodies(f, func(body string) { f.Add(body) })
	sentinels := []error{ErrMalformedForm, ErrMissingAction, ErrDuplicateParam, ErrInvalidParam}
	f.Fuzz(func(t *testing.T, body string) {
		ev, err := ParseConferenceEvent(formRequest(body))
		if err == nil {
			if ev.Action == "" || ev.Params == nil || ev.CurrentSize < -1 {
				t.Fatalf("accepted %q as %+v", body, ev)
			}
			return
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("error %v wraps no sentinel", err)
	})
}

// FuzzServeHTTP: whatever the method, content type and body, the Handler
// answers with a status from its documented table and dispatches only what
// it answers 200 for.
func FuzzServeHTTP(f *testing.F) {
	seedBodies(f, func(body string) {
		f.Add("POST", "application/x-www-form-urlencoded", body)
		f.Add("GET", "", body)
	})
	f.Add("PUT", "text/plain", "x")
	f.Add("POST", "application/json", `{"ConferenceAction":"enter"}`)
	allowed := map[int]bool{200: true, 400: true, 405: true, 413: true, 415: true}
	f.Fuzz(func(t *testing.T, method, contentType, body string) {
		if !validMethod(method) {
			return // http.NewRequest refuses it before any server could see it
		}
		dispatched := 0
		count := func(context.Context, ConferenceEvent) error { dispatched++; return nil }
		h := &Handler{
			OnEnter: count, OnExit: count, OnStart: count, OnEnd: count, OnOther: count,
			OnLeave: func(ctx context.Context, ev ConferenceEvent) (http.Handler, error) {
				return nil, count(ctx, ev) // the <Conference action> request is dispatched too
			},
			MaxBodyBytes: 1 << 10,
			Logger:       slog.New(slog.DiscardHandler),
		}
		r := httptest.NewRequest(http.MethodGet, "/conference-events", nil)
		r.Method = method
		if method == http.MethodGet {
			r.URL.RawQuery = body
		} else {
			r.Body = io.NopCloser(strings.NewReader(body))
			r.ContentLength = int64(len(body))
			r.Header.Set("Content-Type", contentType)
		}
		w := serve(h, r)
		if !allowed[w.Code] {
			t.Fatalf("status %d for %s %q %q", w.Code, method, contentType, body)
		}
		if (w.Code == 200) != (dispatched == 1) || dispatched > 1 {
			t.Fatalf("status %d with %d dispatches", w.Code, dispatched)
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return false
		}
	}
	return true
}

// FuzzParseDateTime checks the timestamp fast path against the standard
// library: whatever it accepts, time.ParseInLocation accepts with the same
// instant.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{
		"2026-05-19 10:32:15", "2026-08-31 20:08:21.073308", "2024-02-29 23:59:59", "2023-02-29 00:00:00",
		"2026-04-31 00:00:00", "2026-12-31 24:00:00", "2026-05-19 10:32:15.", "2026-05-19 10:32:15.1234567891",
		"0000-01-01 00:00:00", "2026-05-19T10:32:15Z",
	} {
		f.Add(s)
	}
	ist := time.FixedZone("IST", 19800)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDateTime(s, ist)
		want, err := time.ParseInLocation(timestampLayout, s, ist)
		if ok && (err != nil || !got.Equal(want) || got.Location() != want.Location()) {
			t.Fatalf("parseDateTime(%q) = %v, ParseInLocation = %v, %v", s, got, want, err)
		}
	})
}
