package vobizhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const enterBody = "ConferenceAction=enter&ConferenceUUID=conf-1&ConferenceName=sales&CallUUID=call-1&ConferenceMemberID=7"

// harness runs a Handler with a debug JSON logger and checks, after the
// test, that no response and no log line contains a secret.
type harness struct {
	h     *Handler
	log   *bytes.Buffer
	calls atomic.Int32
	mu    sync.Mutex
	seen  http.Header // every signature/credential header served
}

func newHarness(t *testing.T, configure func(h *Handler)) *harness {
	hs := &harness{log: new(bytes.Buffer), seen: http.Header{}}
	hs.h = &Handler{
		Logger: slog.New(slog.NewJSONHandler(hs.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnEnter: func(ctx context.Context, ev ConferenceEvent) error {
			hs.calls.Add(1)
			return nil
		},
	}
	configure(hs.h)
	t.Cleanup(func() {
		hs.mu.Lock()
		defer hs.mu.Unlock()
		assertNoSecrets(t, hs.log.String(), hs.seen)
	})
	return hs
}

func (hs *harness) serve(t *testing.T, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	hs.mu.Lock()
	for k, v := range r.Header {
		hs.seen[k] = append(hs.seen[k], v...)
	}
	hs.mu.Unlock()
	rec := httptest.NewRecorder()
	hs.h.ServeHTTP(rec, r)
	assertNoSecrets(t, rec.Body.String(), r.Header)
	assertNoSecrets(t, fmt.Sprint(rec.Header()), r.Header)
	return rec
}

// logLines returns the log records whose message contains msg.
func (hs *harness) logLines(msg string) []string {
	var out []string
	for line := range strings.Lines(hs.log.String()) {
		if strings.Contains(line, msg) {
			out = append(out, line)
		}
	}
	return out
}

// callback returns a Vobiz-like callback request, with the plain-text
// credential headers Vobiz adds to signed callbacks.
func callback(target, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("User-Agent", "Vobiz")
	r.Header.Set("Auth-Token", tokAccount)
	r.Header.Set("Parent-Auth-Token", tokParent)
	return r
}

func withV3(r *http.Request, token, base, nonce string) *http.Request {
	r.Header.Set(HeaderSignatureV3, v3(token, base, nonce))
	r.Header.Set(HeaderSignatureV3Nonce, nonce)
	return r
}

func withV2(r *http.Request, token, base, nonce string) *http.Request {
	r.Header.Set(HeaderSignatureV2, v2(token, base, nonce))
	r.Header.Set(HeaderSignatureV2Nonce, nonce)
	return r
}

// vf returns h's Verifier, made on first use: the tests configure a
// Handler's verification through it.
func vf(h *Handler) *Verifier {
	if h.Verifier == nil {
		h.Verifier = &Verifier{}
	}
	return h.Verifier
}

// unreadBody fails the test if the handler reads it.
type unreadBody struct{ t *testing.T }

func (b unreadBody) Read([]byte) (int, error) {
	b.t.Error("the body was read before the signature was verified")
	return 0, io.EOF
}

func TestHandlerRefusesUnverified(t *testing.T) {
	account := func(h *Handler) {
		vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
		vf(h).CallbackURL = publicURL
	}
	tests := []struct {
		name      string
		configure func(*Handler)
		request   func() *http.Request
		reason    string // in the log only
	}{
		{"no signature: fails closed", account,
			func() *http.Request { return callback(privateURL, enterBody) }, "missing signature"},
		{"wrong token", account,
			func() *http.Request { return withV3(callback(privateURL, enterBody), tokOld, publicURL, nonceA) }, "no signature matches"},
		{"behind a proxy without CallbackURL", func(h *Handler) { vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount) },
			func() *http.Request { return withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA) }, "set CallbackURL"},
		{"forwarded headers not trusted", func(h *Handler) { vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount) },
			func() *http.Request {
				r := withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)
				r.Header.Set("X-Forwarded-Proto", "https")
				r.Header.Set("X-Forwarded-Host", "public.example")
				return r
			}, "no signature matches"},
		{"malformed signature", account,
			func() *http.Request {
				r := callback(privateURL, enterBody)
				r.Header.Set(HeaderSignatureV3, "not base64!")
				r.Header.Set(HeaderSignatureV3Nonce, nonceA)
				return r
			}, "X-Vobiz-Signature-V3: signature 1 is not a base64-encoded HMAC-SHA256"},
		{"signature without nonce", account,
			func() *http.Request {
				r := withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)
				r.Header.Del(HeaderSignatureV3Nonce)
				return r
			}, "X-Vobiz-Signature-V3 without X-Vobiz-Signature-V3-Nonce"},
		{"legacy V1 only", account,
			func() *http.Request {
				r := callback(privateURL, enterBody)
				r.Header.Set("X-Vobiz-Signature", "dGVzdA==")
				return r
			}, "legacy"},
		{"MA signature without a parent token", account,
			func() *http.Request {
				r := callback(privateURL, enterBody)
				r.Header.Set(HeaderSignatureMAV3, v3(tokParent, publicURL, nonceA))
				r.Header.Set(HeaderSignatureV3Nonce, nonceA)
				return r
			}, "no parent token"},
		{"parent token only, signed with an unknown one", func(h *Handler) {
			vf(h).ParentAuthTokens = append(vf(h).ParentAuthTokens, tokParent)
			vf(h).CallbackURL = publicURL
		},
			func() *http.Request {
				r := callback(privateURL, enterBody)
				r.Header.Set(HeaderSignatureMAV3, v3(tokOld, publicURL, nonceA))
				r.Header.Set(HeaderSignatureV3Nonce, nonceA)
				return r
			}, "no signature matches"},
		{"rotation list only, no signature", func(h *Handler) {
			vf(h).AuthTokens = append(vf(h).AuthTokens, []string{tokOld}...)
			vf(h).CallbackURL = publicURL
		},
			func() *http.Request { return callback(privateURL, enterBody) }, "missing signature"},
		{"verified before the body is read", account,
			func() *http.Request {
				r := withV3(callback(privateURL, ""), tokOld, publicURL, nonceA)
				r.Body = io.NopCloser(unreadBody{t})
				r.ContentLength = -1
				return r
			}, "no signature matches"},
		{"bad body and bad signature: 403, not 400", account,
			func() *http.Request {
				r := callback(privateURL, "ConferenceAction=enter&ConferenceCurrentSize=abc")
				r.Header.Set("Content-Type", "text/plain")
				return r
			}, "missing signature"},
		{"GET with a bad signature", account,
			func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, privateURL+"?"+enterBody, nil)
				r.Header.Set("Auth-Token", tokAccount)
				return withV2(r, tokAccount, publicURL+"?"+enterBody, nonceA)
			}, "no signature matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, tt.configure)
			rec := hs.serve(t, tt.request())
			assert.Equal(t, http.StatusForbidden, rec.Code)
			assert.Zero(t, hs.calls.Load(), "nothing may be dispatched")
			lines := hs.logLines("callback refused")
			require.Len(t, lines, 1)
			assert.Contains(t, lines[0], `"level":"WARN"`)
			assert.Contains(t, lines[0], `"status":403`)
			assert.Contains(t, lines[0], tt.reason)
			// The body is the bare sentinel: the detail (the header at
			// fault, the URL tried) is for the log, not for an
			// unauthenticated caller.
			body := rec.Body.String()
			assert.Contains(t, []string{ErrMissingSignature.Error() + "\n", ErrInvalidSignature.Error() + "\n"}, body)
		})
	}
}

func TestHandlerAcceptsSigned(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*Handler)
		request   func() *http.Request
	}{
		{"V3 with CallbackURL behind a proxy", func(h *Handler) {
			vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
			vf(h).CallbackURL = publicURL
		},
			func() *http.Request { return withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA) }},
		{"V2 only", func(h *Handler) {
			vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
			vf(h).CallbackURL = publicURL
		},
			func() *http.Request { return withV2(callback(privateURL, enterBody), tokAccount, publicURL, nonceA) }},
		{"MA-V3 with ParentAuthToken only", func(h *Handler) {
			vf(h).ParentAuthTokens = append(vf(h).ParentAuthTokens, tokParent)
			vf(h).CallbackURL = publicURL
		},
			func() *http.Request {
				r := withV3(callback(privateURL, enterBody), "sub-account token", publicURL, nonceA)
				r.Header.Set(HeaderSignatureMAV3, v3(tokParent, publicURL, nonceA))
				return r
			}},
		{"MA-V2 with ParentAuthTokens", func(h *Handler) {
			vf(h).ParentAuthTokens = append(vf(h).ParentAuthTokens, []string{tokOld, tokParent}...)
			vf(h).CallbackURL = publicURL
		},
			func() *http.Request {
				r := callback(privateURL, enterBody)
				r.Header.Set(HeaderSignatureMAV2, v2(tokParent, publicURL, nonceA))
				r.Header.Set(HeaderSignatureV2Nonce, nonceA)
				return r
			}},
		{"rotation: old token in AuthTokens", func(h *Handler) {
			vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
			vf(h).AuthTokens = append(vf(h).AuthTokens, []string{tokOld}...)
			vf(h).CallbackURL = publicURL
		},
			func() *http.Request { return withV3(callback(privateURL, enterBody), tokOld, publicURL, nonceA) }},
		{"forwarded headers trusted", func(h *Handler) {
			vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
			vf(h).TrustForwardedHeaders = true
		},
			func() *http.Request {
				r := withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)
				r.Header.Set("X-Forwarded-Proto", "https")
				r.Header.Set("X-Forwarded-Host", "public.example")
				return r
			}},
		{"URL rebuilt from a direct TLS request", func(h *Handler) { vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount) },
			func() *http.Request {
				return withV3(callback(publicURL+"?x=1", enterBody), tokAccount, publicURL, nonceA)
			}},
		{"GET: the query carries the event and is not signed", func(h *Handler) {
			vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
			vf(h).CallbackURL = publicURL
		},
			func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, privateURL+"?"+enterBody, nil)
				return withV3(r, tokAccount, publicURL, nonceA)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, tt.configure)
			rec := hs.serve(t, tt.request())
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.EqualValues(t, 1, hs.calls.Load())
			assert.Empty(t, hs.logLines("WARN"))
		})
	}
}

func TestHandlerRefusalBodyHidesTheURL(t *testing.T) {
	for _, callbackURL := range []string{"", "https://secret-host.example/hooks/7f3a?k=v"} {
		hs := newHarness(t, func(h *Handler) { vf(h).AuthTokens, vf(h).CallbackURL = []string{tokAccount}, callbackURL })
		r := withV3(callback(privateURL, enterBody), tokOld, publicURL, nonceA)
		r.Host = "internal-lb.corp:8080"
		rec := hs.serve(t, r)
		require.Equal(t, http.StatusForbidden, rec.Code)
		assert.Equal(t, "vobizhook: invalid signature\n", rec.Body.String(), "CallbackURL %q", callbackURL)
		lines := hs.logLines("callback refused")
		require.Len(t, lines, 1)
		if callbackURL == "" {
			assert.Contains(t, lines[0], "http://internal-lb.corp:8080/conference-events", "the URL tried is logged")
			assert.Contains(t, lines[0], "set CallbackURL")
		} else {
			assert.Contains(t, lines[0], "https://secret-host.example/hooks/7f3a", "the URL tried is logged")
		}
	}

	// Other refusals still name the parameter at fault.
	hs := newHarness(t, func(h *Handler) { vf(h).AuthTokens, vf(h).CallbackURL = []string{tokAccount}, publicURL })
	rec := hs.serve(t, withV3(callback(privateURL, "ConferenceAction=enter&ConferenceCurrentSize=abc"), tokAccount, publicURL, nonceA))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, rec.Body.String(), "ConferenceCurrentSize")
}

func TestHandlerWithoutVerifierAcceptsUnsignedAndWarnsOnce(t *testing.T) {
	hs := newHarness(t, func(h *Handler) {})
	for range 3 {
		rec := hs.serve(t, callback(privateURL, enterBody))
		require.Equal(t, http.StatusOK, rec.Code)
	}
	// A bogus signature is not checked either: verification is off.
	rec := hs.serve(t, withV3(callback(privateURL, enterBody), tokOld, publicURL, nonceA))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.EqualValues(t, 4, hs.calls.Load())
	lines := hs.logLines("verification is off")
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], `"level":"WARN"`)
}

func TestHandlerVerifierWithoutToken(t *testing.T) {
	t.Run("no token: every request answered 500, nothing accepted", func(t *testing.T) {
		// A token read from an unset environment variable must not turn
		// verification off silently.
		hs := newHarness(t, func(h *Handler) { vf(h).AuthTokens = []string{os.Getenv("VOBIZHOOK_TEST_UNSET_TOKEN")} })
		for _, r := range []*http.Request{
			callback(privateURL, enterBody),
			withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA),
		} {
			rec := hs.serve(t, r)
			assert.Equal(t, http.StatusInternalServerError, rec.Code)
			assert.Equal(t, "vobizhook: server misconfigured\n", rec.Body.String())
		}
		assert.Zero(t, hs.calls.Load())
		lines := hs.logLines("no auth token")
		require.Len(t, lines, 2, "one Error per request")
		assert.Contains(t, lines[0], `"level":"ERROR"`)
		assert.Empty(t, hs.logLines("verification is off"))
	})
	t.Run("with a token it changes nothing", func(t *testing.T) {
		hs := newHarness(t, func(h *Handler) { vf(h).AuthTokens, vf(h).CallbackURL = []string{tokAccount}, publicURL })
		assert.Equal(t, http.StatusOK, hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)).Code)
		assert.Equal(t, http.StatusForbidden, hs.serve(t, callback(privateURL, enterBody)).Code)
		assert.EqualValues(t, 1, hs.calls.Load())
	})
	t.Run("a parent token alone satisfies it", func(t *testing.T) {
		hs := newHarness(t, func(h *Handler) {
			vf(h).ParentAuthTokens, vf(h).CallbackURL = []string{tokParent}, publicURL
		})
		r := callback(privateURL, enterBody)
		r.Header.Set(HeaderSignatureMAV3, v3(tokParent, publicURL, nonceA))
		r.Header.Set(HeaderSignatureV3Nonce, nonceA)
		assert.Equal(t, http.StatusOK, hs.serve(t, r).Code)
	})
}

func TestHandlerReadsVerificationFieldsOnce(t *testing.T) {
	hs := newHarness(t, func(h *Handler) { vf(h).AuthTokens, vf(h).CallbackURL = []string{tokAccount}, publicURL })
	require.Equal(t, http.StatusForbidden, hs.serve(t, callback(privateURL, enterBody)).Code)
	hs.h.Verifier.AuthTokens = nil // too late: the Verifier does not fail open
	assert.Equal(t, http.StatusForbidden, hs.serve(t, callback(privateURL, enterBody)).Code)
	assert.Equal(t, http.StatusOK, hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)).Code)
}

func TestHandlerMisconfiguredCallbackURL(t *testing.T) {
	hs := newHarness(t, func(h *Handler) {
		vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
		vf(h).CallbackURL = "conference-events"
	})
	rec := hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA))
	assert.Equal(t, http.StatusInternalServerError, rec.Code, "the server's fault, and Vobiz retries")
	assert.Equal(t, "vobizhook: server misconfigured\n", rec.Body.String())
	assert.Zero(t, hs.calls.Load())
	lines := hs.logLines("misconfigured")
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], `"level":"ERROR"`)
	assert.Contains(t, lines[0], "want an absolute http or https URL")
}

func TestHandlerReplay(t *testing.T) {
	hs := newHarness(t, func(h *Handler) {
		vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
		vf(h).CallbackURL = publicURL
	})
	rec := hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA))
	require.Equal(t, http.StatusOK, rec.Code)
	require.EqualValues(t, 1, hs.calls.Load())

	// The same request again (a provider retry or a replay), even with
	// another body since the body is not signed: acknowledged, not dispatched.
	for _, body := range []string{enterBody, strings.ReplaceAll(enterBody, "call-1", "call-2")} {
		rec = hs.serve(t, withV3(callback(privateURL, body), tokAccount, publicURL, nonceA))
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, string(ackBody), rec.Body.String())
	}
	assert.EqualValues(t, 1, hs.calls.Load())
	lines := hs.logLines("already handled")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], `"level":"DEBUG"`)

	// A new nonce is a new callback.
	rec = hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceB))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.EqualValues(t, 2, hs.calls.Load())
}

func TestHandlerReplayWithOneSignatureStripped(t *testing.T) {
	// Vobiz may use different V3 and V2 nonces; a replay that keeps only the
	// V2 signature must not pass as new.
	hs := newHarness(t, func(h *Handler) {
		vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
		vf(h).CallbackURL = publicURL
	})
	r := withV2(withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA), tokAccount, publicURL, nonceB)
	require.Equal(t, http.StatusOK, hs.serve(t, r).Code)
	for _, strip := range []string{HeaderSignatureV3, HeaderSignatureV2} {
		r := withV2(withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA), tokAccount, publicURL, nonceB)
		r.Header.Del(strip)
		r.Header.Del(strip + "-Nonce")
		require.Equal(t, http.StatusOK, hs.serve(t, r).Code)
	}
	assert.EqualValues(t, 1, hs.calls.Load())
}

// A captured request with a valid V2 signature must not let its sender
// claim arbitrary nonces: a junk V3 nonce next to no V3 signature is not
// claimed, so the store cannot be flooded into forgetting real nonces.
func TestHandlerNonceFloodWithUnverifiedNonce(t *testing.T) {
	store := NewMemoryNonceStore(100)
	hs := newHarness(t, func(h *Handler) {
		vf(h).AuthTokens, vf(h).CallbackURL, h.NonceStore = []string{tokAccount}, publicURL, store
	})
	signed := func(n3, n2 string) *http.Request {
		return withV2(withV3(callback(privateURL, enterBody), tokAccount, publicURL, n3), tokAccount, publicURL, n2)
	}
	require.Equal(t, http.StatusOK, hs.serve(t, signed(nonceA, nonceA)).Code, "the victim's request")
	require.Equal(t, http.StatusOK, hs.serve(t, signed(nonceB, nonceB)).Code, "a request the attacker captured")
	for i := range 200 {
		r := signed(nonceB, nonceB)
		r.Header.Del(HeaderSignatureV3)
		r.Header.Set(HeaderSignatureV3Nonce, fmt.Sprintf("junk%d", i))
		require.Equal(t, http.StatusOK, hs.serve(t, r).Code, "a replay of the captured request")
	}
	assert.Equal(t, 2, store.Len(), "only verified nonces are stored")
	assert.Equal(t, http.StatusOK, hs.serve(t, signed(nonceA, nonceA)).Code)
	assert.EqualValues(t, 2, hs.calls.Load(), "neither replay was dispatched")
}

// A retry that arrives while the first delivery is still running must not
// be acknowledged: if the first then fails, Vobiz would never retry again
// and the event would be lost. It is answered 503 (Vobiz retries) and, once
// the first delivery failed, the next retry is dispatched.
func TestHandlerInFlightDuplicate(t *testing.T) {
	for _, firstFails := range []bool{true, false} {
		t.Run(fmt.Sprintf("first fails %v", firstFails), func(t *testing.T) {
			started, finish := make(chan struct{}), make(chan struct{})
			var attempts, succeeded atomic.Int32
			hs := newHarness(t, func(h *Handler) {
				vf(h).AuthTokens, vf(h).CallbackURL = []string{tokAccount}, publicURL
				h.OnEnter = func(context.Context, ConferenceEvent) error {
					if attempts.Add(1) == 1 {
						close(started)
						<-finish
						if firstFails {
							return errors.New("database down")
						}
					}
					succeeded.Add(1)
					return nil
				}
			})
			send := func() *httptest.ResponseRecorder {
				return hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA))
			}
			first := make(chan int)
			go func() { first <- send().Code }()
			<-started

			rec := send() // Vobiz's retry after its timeout
			assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "in progress: not acknowledged")
			assert.Equal(t, "1", rec.Header().Get("Retry-After"))
			assert.Equal(t, "vobizhook: in progress, retry later\n", rec.Body.String())
			lines := hs.logLines("in progress")
			require.Len(t, lines, 1)
			assert.Contains(t, lines[0], `"level":"INFO"`)

			close(finish)
			if firstFails {
				assert.Equal(t, http.StatusInternalServerError, <-first)
				assert.Equal(t, http.StatusOK, send().Code, "the next retry is dispatched")
			} else {
				assert.Equal(t, http.StatusOK, <-first)
				assert.Equal(t, http.StatusOK, send().Code, "handled: acknowledged")
			}
			assert.Equal(t, http.StatusOK, send().Code, "a later replay is acknowledged")
			assert.EqualValues(t, 1, succeeded.Load(), "handled exactly once")
			assert.EqualValues(t, map[bool]int32{true: 2, false: 1}[firstFails], attempts.Load())
		})
	}
}

func TestHandlerReplayConcurrent(t *testing.T) {
	hs := newHarness(t, func(h *Handler) {
		vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
		vf(h).CallbackURL = publicURL
	})
	const n = 64
	start := make(chan struct{})
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		r := withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)
		wg.Go(func() {
			<-start
			codes <- hs.serve(t, r).Code
		})
	}
	close(start)
	wg.Wait()
	close(codes)
	seen := map[int]int{}
	for code := range codes {
		seen[code]++
	}
	assert.EqualValues(t, 1, hs.calls.Load(), "concurrent identical requests dispatch exactly once")
	assert.Equal(t, n, seen[http.StatusOK]+seen[http.StatusServiceUnavailable],
		"each copy is acknowledged (handled, or already handled) or answered 503 (in progress): %v", seen)
	assert.Positive(t, seen[http.StatusOK])
	assert.Equal(t, http.StatusOK, hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)).Code,
		"once handled, a copy is acknowledged")
	assert.EqualValues(t, 1, hs.calls.Load())
}

func TestHandlerReleasesOnFailure(t *testing.T) {
	tests := []struct {
		name string
		fail func() error
	}{
		{"error", func() error { return errors.New("database down") }},
		{"panic", func() error { panic("boom") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var attempts atomic.Int32
			hs := newHarness(t, func(h *Handler) {
				vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
				vf(h).CallbackURL = publicURL
				h.OnEnter = func(context.Context, ConferenceEvent) error {
					if attempts.Add(1) == 1 {
						return tt.fail()
					}
					return nil
				}
			})
			send := func() int {
				return hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)).Code
			}
			assert.Equal(t, http.StatusInternalServerError, send(), "failure: Vobiz retries")
			assert.Equal(t, http.StatusOK, send(), "the retry is dispatched")
			assert.Equal(t, http.StatusOK, send(), "a later replay is acknowledged")
			assert.EqualValues(t, 2, attempts.Load())
		})
	}
}

func TestHandlerReleasesOnAbort(t *testing.T) {
	var attempts atomic.Int32
	hs := newHarness(t, func(h *Handler) {
		vf(h).AuthTokens = append(vf(h).AuthTokens, tokAccount)
		vf(h).CallbackURL = publicURL
		h.OnEnter = func(context.Context, ConferenceEvent) error {
			if attempts.Add(1) == 1 {
				panic(http.ErrAbortHandler)
			}
			return nil
		}
	})
	func() {
		defer func() { assert.Equal(t, http.ErrAbortHandler, recover()) }()
		hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA))
	}()
	assert.Equal(t, http.StatusOK, hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)).Code)
	assert.EqualValues(t, 2, attempts.Load())
}

// scriptedStore records calls and fails on demand.
type scriptedStore struct {
	MemoryNonceStore
	mu          sync.Mutex
	calls       []string // "claim nonce lease", "complete nonce window", "release nonce"
	claimErr    error
	completeErr error
	releaseErr  error
}

func (s *scriptedStore) record(call string, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
	return err
}

func (s *scriptedStore) Claim(ctx context.Context, nonce string, token uint64, lease time.Duration) (NonceState, error) {
	if err := s.record("claim "+nonce+" "+lease.String(), s.claimErr); err != nil {
		return NonceNew, err // a state a careless store might return: must be ignored
	}
	return s.MemoryNonceStore.Claim(ctx, nonce, token, lease)
}

func (s *scriptedStore) Complete(ctx context.Context, nonce string, token uint64, window time.Duration) error {
	if err := s.record("complete "+nonce+" "+window.String(), s.completeErr); err != nil {
		return err
	}
	return s.MemoryNonceStore.Complete(ctx, nonce, token, window)
}

func (s *scriptedStore) Release(ctx context.Context, nonce string, token uint64) error {
	if err := s.record("release "+nonce, s.releaseErr); err != nil {
		return err
	}
	return s.MemoryNonceStore.Release(ctx, nonce, token)
}

func TestHandlerNonceStore(t *testing.T) {
	lease := DefaultNonceLease.String()
	t.Run("both nonces claimed for the lease, completed for the window", func(t *testing.T) {
		store := &scriptedStore{}
		hs := newHarness(t, func(h *Handler) {
			vf(h).AuthTokens, vf(h).CallbackURL = []string{tokAccount}, publicURL
			h.NonceStore, h.ReplayWindow = store, 10*time.Minute
		})
		r := withV2(withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA), tokAccount, publicURL, nonceB)
		require.Equal(t, http.StatusOK, hs.serve(t, r).Code)
		assert.Equal(t, []string{
			"claim " + nonceA + " " + lease, "claim " + nonceB + " " + lease,
			"complete " + nonceA + " 10m0s", "complete " + nonceB + " 10m0s",
		}, store.calls)
	})
	t.Run("default window", func(t *testing.T) {
		store := &scriptedStore{}
		hs := newHarness(t, func(h *Handler) {
			vf(h).AuthTokens, vf(h).CallbackURL, h.NonceStore = []string{tokAccount}, publicURL, store
		})
		require.Equal(t, http.StatusOK, hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)).Code)
		assert.Equal(t, []string{"claim " + nonceA + " " + lease, "complete " + nonceA + " 24h0m0s"}, store.calls)
	})
	t.Run("failure releases", func(t *testing.T) {
		store := &scriptedStore{}
		hs := newHarness(t, func(h *Handler) {
			vf(h).AuthTokens, vf(h).CallbackURL, h.NonceStore = []string{tokAccount}, publicURL, store
			h.OnEnter = func(context.Context, ConferenceEvent) error { return errors.New("failed") }
		})
		assert.Equal(t, http.StatusInternalServerError, hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)).Code)
		assert.Equal(t, []string{"claim " + nonceA + " " + lease, "release " + nonceA}, store.calls)
	})
	t.Run("claim error: 503, not dispatched", func(t *testing.T) {
		store := &scriptedStore{claimErr: errors.New("redis: connection refused")}
		hs := newHarness(t, func(h *Handler) {
			vf(h).AuthTokens, vf(h).CallbackURL, h.NonceStore = []string{tokAccount}, publicURL, store
		})
		rec := hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA))
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Zero(t, hs.calls.Load())
		lines := hs.logLines("nonce store failed")
		require.Len(t, lines, 1)
		assert.Contains(t, lines[0], "connection refused")
	})
	t.Run("claim error on the second nonce releases the first", func(t *testing.T) {
		store := &failSecond{}
		hs := newHarness(t, func(h *Handler) {
			vf(h).AuthTokens, vf(h).CallbackURL, h.NonceStore = []string{tokAccount}, publicURL, store
		})
		r := withV2(withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA), tokAccount, publicURL, nonceB)
		assert.Equal(t, http.StatusServiceUnavailable, hs.serve(t, r).Code)
		state, _ := store.MemoryNonceStore.Claim(context.Background(), nonceA, 1, time.Minute)
		assert.Equal(t, NonceNew, state, "the first nonce was released")
	})
	t.Run("complete error is logged; the answer stays 200", func(t *testing.T) {
		store := &scriptedStore{completeErr: errors.New("redis: timeout")}
		hs := newHarness(t, func(h *Handler) {
			vf(h).AuthTokens, vf(h).CallbackURL, h.NonceStore = []string{tokAccount}, publicURL, store
		})
		assert.Equal(t, http.StatusOK, hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)).Code)
		lines := hs.logLines("recording a handled nonce failed")
		require.Len(t, lines, 1)
		assert.Contains(t, lines[0], `"level":"ERROR"`)
	})
	t.Run("release error is logged", func(t *testing.T) {
		store := &scriptedStore{releaseErr: errors.New("redis: timeout")}
		hs := newHarness(t, func(h *Handler) {
			vf(h).AuthTokens, vf(h).CallbackURL, h.NonceStore = []string{tokAccount}, publicURL, store
			h.OnEnter = func(context.Context, ConferenceEvent) error { return errors.New("failed") }
		})
		assert.Equal(t, http.StatusInternalServerError, hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)).Code)
		assert.Equal(t, []string{"claim " + nonceA + " " + lease, "release " + nonceA}, store.calls)
		require.Len(t, hs.logLines("releasing the nonce"), 1)
	})
	t.Run("unsigned mode does not use the store", func(t *testing.T) {
		store := &scriptedStore{}
		hs := newHarness(t, func(h *Handler) { h.NonceStore = store })
		require.Equal(t, http.StatusOK, hs.serve(t, withV3(callback(privateURL, enterBody), tokAccount, publicURL, nonceA)).Code)
		assert.Empty(t, store.calls)
	})
}

// failSecond fails every Claim after the first.
type failSecond struct {
	MemoryNonceStore
	n atomic.Int32
}

func (s *failSecond) Claim(ctx context.Context, nonce string, token uint64, lease time.Duration) (NonceState, error) {
	if s.n.Add(1) > 1 {
		return NonceNew, errors.New("store unavailable")
	}
	return s.MemoryNonceStore.Claim(ctx, nonce, token, lease)
}

func TestRequestPath(t *testing.T) {
	tests := []struct{ requestURI, want string }{
		{"/cb?x=1", "/cb"},
		{"/a%2Fb/c", "/a%2Fb/c"},
		{"https://public.example/cb?x=/y", "/cb"},
		{"https://public.example?x=/y", "/"},
		{"", "/fallback"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/fallback", nil)
		r.RequestURI = tt.requestURI
		assert.Equal(t, tt.want, requestPath(r), tt.requestURI)
	}
}

func BenchmarkHandlerSigned(b *testing.B) {
	// A fresh nonce per request, as in real traffic, so every request is
	// verified, claimed and dispatched.
	newHandler := func() *Handler {
		return &Handler{
			Verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
			OnEnter:  func(context.Context, ConferenceEvent) error { return nil },
		}
	}
	type signed struct{ nonce, sig []string }
	reqs := make([]signed, 1<<15)
	for i := range reqs {
		n := NewNonce()
		reqs[i] = signed{[]string{n}, []string{SignatureV3(tokAccount, publicURL, n)}}
	}
	h := newHandler()
	body := strings.NewReader(enterBody)
	r := callback(privateURL, enterBody)
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(reqs) {
			b.StopTimer()
			h, i = newHandler(), 0
			b.StartTimer()
		}
		r.Header[HeaderSignatureV3] = reqs[i].sig
		r.Header[HeaderSignatureV3Nonce] = reqs[i].nonce
		i++
		body.Reset(enterBody)
		r.Body = io.NopCloser(body)
		rec.Body.Reset()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
