// Package bench compares vobizhook with the handlers a user would otherwise
// write: a naive one (r.ParseForm, PostForm.Get, strconv, time.Parse and a
// hand-rolled V3 signature check) and one built on gorilla/schema. It is its
// own module so that the comparison libraries never reach vobizhook's users.
//
// Every request carries its own nonce, as real traffic does, so replay
// protection never short-cuts the signed path. Run ./run.sh for interleaved
// rounds summarised with benchstat.
package bench

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/schema"
	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/internal/cputime"
)

const (
	authToken   = "bench-auth-token-0123456789abcdef"
	callbackURL = "https://app.example/conference-events"
)

// documentedEnter is the enter payload of Vobiz's documentation.
const documentedEnter = "ConferenceAction=enter&ConferenceUUID=3f9a1b2c-44de-4f0a-b832-7c0a12345678" +
	"&ConferenceName=WeeklyStandup&CallUUID=9a0e0208-d01a-4572-9a04-fe583a05ac53" +
	"&From=918071387423&To=919624705678&ConferenceCurrentSize=3&Timestamp=2026-05-19+10%3A32%3A15"

// discardWriter is the minimal ResponseWriter every benchmark shares.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// signedSet holds n pre-computed nonces and their V3 signatures in one
// string (nonceLen + sigLen bytes a request), so that the benchmarks' own
// data is a single pointer-free object: the garbage collector never scans
// it, and its cost is the handlers', not the harness's.
type signedSet struct{ all string }

const nonceLen, sigLen = 20, 44

func makeSigned(n int) signedSet {
	var sb strings.Builder
	sb.Grow(n * (nonceLen + sigLen))
	for i := range n {
		nonce := fmt.Sprintf("%020d", 10_000_000_000_000_000+i)
		sig := vobizhook.SignatureV3(authToken, callbackURL, nonce)
		if len(nonce) != nonceLen || len(sig) != sigLen {
			panic("unexpected nonce or signature length")
		}
		sb.WriteString(nonce)
		sb.WriteString(sig)
	}
	return signedSet{sb.String()}
}

func (s signedSet) nonce(i int) string {
	at := i * (nonceLen + sigLen)
	return s.all[at : at+nonceLen]
}

func (s signedSet) sig(i int) string {
	at := i*(nonceLen+sigLen) + nonceLen
	return s.all[at : at+sigLen]
}

// runSigned drives h with b.N signed requests of body, each with a fresh
// nonce. The request, its header slices and the writer are reused so the
// loop measures the handler; besides ns/op it reports cpu-ns/op, the
// process's CPU time per request (the garbage collector's included).
func runSigned(b *testing.B, h http.Handler, body string) {
	signed := makeSigned(b.N)
	br := strings.NewReader(body)
	r, _ := http.NewRequest(http.MethodPost, callbackURL, br)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("User-Agent", "Vobiz")
	nonceHdr, sigHdr := []string{""}, []string{""}
	r.Header["X-Vobiz-Signature-V3-Nonce"] = nonceHdr
	r.Header["X-Vobiz-Signature-V3"] = sigHdr
	rc := io.NopCloser(br)
	w := &discardWriter{h: http.Header{}}
	runtime.GC() // the signing's garbage is not the handler's
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Now()
	for i := 0; i < b.N; i++ {
		br.Reset(body)
		r.Body = rc
		r.Form, r.PostForm = nil, nil
		nonceHdr[0], sigHdr[0] = signed.nonce(i), signed.sig(i)
		w.status = 0
		h.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	b.StopTimer()
	cputime.Report(b, cpu)
}

// harness answers 200 and nothing else: the cost of the loop itself, to be
// subtracted from the others.
var harness = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })

func newVobizhook() *vobizhook.Handler {
	return &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{authToken}, CallbackURL: callbackURL},
		OnEnter:  func(context.Context, vobizhook.ConferenceEvent) error { return nil },
		Logger:   slog.New(slog.DiscardHandler),
	}
}

// noReplay turns replay protection off (a store that never remembers), for
// a like-for-like comparison with the naive and schema handlers, which have
// none.
func noReplay(h *vobizhook.Handler) *vobizhook.Handler {
	h.NonceStore = forgetfulStore{}
	return h
}

type forgetfulStore struct{}

func (forgetfulStore) Claim(context.Context, string, uint64, time.Duration) (vobizhook.NonceState, error) {
	return vobizhook.NonceNew, nil
}
func (forgetfulStore) Complete(context.Context, string, uint64, time.Duration) error { return nil }
func (forgetfulStore) Release(context.Context, string, uint64) error                 { return nil }

// naiveVerify is the V3 check a user writes from Vobiz's documentation.
func naiveVerify(r *http.Request) bool {
	nonce := r.Header.Get("X-Vobiz-Signature-V3-Nonce")
	got := r.Header.Get("X-Vobiz-Signature-V3")
	if nonce == "" || got == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(authToken))
	mac.Write([]byte(callbackURL + "." + nonce))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(got), []byte(want))
}

// naiveEvent is what the naive handler decodes into.
type naiveEvent struct {
	Action, ConferenceUUID, ConferenceName, CallUUID, From, To string
	CurrentSize                                                int
	Timestamp                                                  time.Time
}

func naiveDecode(r *http.Request) (naiveEvent, error) {
	if err := r.ParseForm(); err != nil {
		return naiveEvent{}, err
	}
	f := r.PostForm
	ev := naiveEvent{
		Action: f.Get("ConferenceAction"), ConferenceUUID: f.Get("ConferenceUUID"),
		ConferenceName: f.Get("ConferenceName"), CallUUID: f.Get("CallUUID"),
		From: f.Get("From"), To: f.Get("To"), CurrentSize: -1,
	}
	var err error
	if s := f.Get("ConferenceCurrentSize"); s != "" {
		if ev.CurrentSize, err = strconv.Atoi(s); err != nil {
			return naiveEvent{}, err
		}
	}
	if s := f.Get("Timestamp"); s != "" {
		if ev.Timestamp, err = time.Parse(time.DateTime, s); err != nil {
			return naiveEvent{}, err
		}
	}
	if ev.Action == "" {
		return naiveEvent{}, fmt.Errorf("missing ConferenceAction")
	}
	return ev, nil
}

var naive = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if !naiveVerify(r) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if _, err := naiveDecode(r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
})

// schemaEvent is what the gorilla/schema handler decodes into.
type schemaEvent struct {
	Action         string    `schema:"ConferenceAction,required"`
	Event          string    `schema:"Event"`
	ConferenceUUID string    `schema:"ConferenceUUID"`
	ConferenceName string    `schema:"ConferenceName"`
	MemberID       string    `schema:"ConferenceMemberID"`
	CallUUID       string    `schema:"CallUUID"`
	From           string    `schema:"From"`
	To             string    `schema:"To"`
	CurrentSize    int       `schema:"ConferenceCurrentSize"`
	FirstMember    bool      `schema:"ConferenceFirstMember"`
	LastMember     bool      `schema:"ConferenceLastMember"`
	Timestamp      time.Time `schema:"Timestamp"`
	RecordingURL   string    `schema:"RecordingUrl"`
}

var schemaDecoder = func() *schema.Decoder {
	d := schema.NewDecoder()
	d.IgnoreUnknownKeys(true)
	d.RegisterConverter(time.Time{}, func(s string) reflectValue { return timeValue(s) })
	return d
}()

func schemaDecode(r *http.Request) (schemaEvent, error) {
	if err := r.ParseForm(); err != nil {
		return schemaEvent{}, err
	}
	ev := schemaEvent{CurrentSize: -1}
	err := schemaDecoder.Decode(&ev, r.PostForm)
	return ev, err
}

var schemaHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if !naiveVerify(r) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	if _, err := schemaDecode(r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
})

// BenchmarkSigned is the full signed path: verification, decoding,
// dispatch, answer. impl=harness answers 200 without looking at the request:
// the loop's own cost, to subtract from the others.
func BenchmarkSigned(b *testing.B) {
	for _, impl := range []struct {
		name string
		h    http.Handler
	}{
		{"harness", harness},
		{"vobizhook", newVobizhook()},
		{"vobizhook-noreplay", noReplay(newVobizhook())},
		{"naive", naive},
		{"schema", schemaHandler},
	} {
		b.Run("impl="+impl.name, func(b *testing.B) { runSigned(b, impl.h, documentedEnter) })
	}
}

// Decoding alone, unsigned.

func runDecode(b *testing.B, decode func(r *http.Request) error) {
	br := strings.NewReader(documentedEnter)
	r, _ := http.NewRequest(http.MethodPost, callbackURL, br)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rc := io.NopCloser(br)
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Now()
	for i := 0; i < b.N; i++ {
		br.Reset(documentedEnter)
		r.Body = rc
		r.Form, r.PostForm = nil, nil
		if err := decode(r); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cputime.Report(b, cpu)
}

// BenchmarkDecode is decoding alone, unsigned.
func BenchmarkDecode(b *testing.B) {
	b.Run("impl=vobizhook", func(b *testing.B) {
		runDecode(b, func(r *http.Request) error { _, err := vobizhook.ParseConferenceEvent(r); return err })
	})
	b.Run("impl=naive", func(b *testing.B) {
		runDecode(b, func(r *http.Request) error { _, err := naiveDecode(r); return err })
	})
	b.Run("impl=schema", func(b *testing.B) {
		runDecode(b, func(r *http.Request) error { _, err := schemaDecode(r); return err })
	})
}

// The three handlers must agree on what they decode, or the comparison is
// meaningless.
func TestHandlersAgree(t *testing.T) {
	mk := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, callbackURL, strings.NewReader(documentedEnter))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	ev, err := vobizhook.ParseConferenceEvent(mk())
	if err != nil {
		t.Fatal(err)
	}
	nv, err := naiveDecode(mk())
	if err != nil {
		t.Fatal(err)
	}
	sv, err := schemaDecode(mk())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, a, b, c string }{
		{"action", string(ev.Action), nv.Action, sv.Action},
		{"call", ev.CallUUID, nv.CallUUID, sv.CallUUID},
		{"size", strconv.Itoa(ev.CurrentSize), strconv.Itoa(nv.CurrentSize), strconv.Itoa(sv.CurrentSize)},
		{"time", ev.Timestamp.String(), nv.Timestamp.String(), sv.Timestamp.String()},
	} {
		if c.a != c.b || c.a != c.c {
			t.Errorf("%s: vobizhook %q, naive %q, schema %q", c.name, c.a, c.b, c.c)
		}
	}
	for name, h := range map[string]http.Handler{"vobizhook": newVobizhook(), "naive": naive, "schema": schemaHandler} {
		signed := makeSigned(2)
		for i := range 2 {
			r := mk()
			r.Header.Set("X-Vobiz-Signature-V3-Nonce", signed.nonce(i))
			r.Header.Set("X-Vobiz-Signature-V3", signed.sig(i))
			w := &discardWriter{h: http.Header{}}
			h.ServeHTTP(w, r)
			if w.status != http.StatusOK {
				t.Errorf("%s: signed request answered %d", name, w.status)
			}
		}
		r := mk()
		r.Header.Set("X-Vobiz-Signature-V3-Nonce", "12345678901234567890")
		r.Header.Set("X-Vobiz-Signature-V3", "bm90IGEgc2lnbmF0dXJl")
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, r)
		if w.status != http.StatusForbidden {
			t.Errorf("%s: forged request answered %d", name, w.status)
		}
	}
}
