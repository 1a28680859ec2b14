package vobizhooktest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

const (
	token       = "MAtestAuthToken0123456789abcdef"
	parentToken = "MAparentToken9876543210"
	callback    = "https://app.example/conference-events"
)

// hmacB64 is the documented formula, computed independently of the library:
// base64(HMAC-SHA256(key, msg)).
func hmacB64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

var twentyDigits = regexp.MustCompile(`^[0-9]{20}$`)

func TestSignedRequestHeaders(t *testing.T) {
	const nonce = "12345678901234567890"
	r := vobizhooktest.MustNewRequest(t, liveEnter(),
		vobizhooktest.WithURL(callback+"?tenant=7"), // the query is not signed
		vobizhooktest.WithAuthToken(token),
		vobizhooktest.WithParentAuthToken(parentToken),
		vobizhooktest.WithNonce(nonce))
	h := r.Header
	assert.Equal(t, nonce, h.Get("X-Vobiz-Signature-V3-Nonce"))
	assert.Equal(t, nonce, h.Get("X-Vobiz-Signature-V2-Nonce"))
	assert.Equal(t, hmacB64(token, callback+"."+nonce), h.Get("X-Vobiz-Signature-V3"))
	assert.Equal(t, hmacB64(token, callback+nonce), h.Get("X-Vobiz-Signature-V2"))
	assert.Equal(t, hmacB64(parentToken, callback+"."+nonce), h.Get("X-Vobiz-Signature-MA-V3"))
	assert.Equal(t, hmacB64(parentToken, callback+nonce), h.Get("X-Vobiz-Signature-MA-V2"))
	assert.Equal(t, "Vobiz", h.Get("User-Agent"))
	assert.Empty(t, h.Get("auth-token"), "plain-text credentials only on request")
	assert.Empty(t, h.Get("parent-auth-token"))

	a := vobizhooktest.MustNewRequest(t, liveEnter(), vobizhooktest.WithAuthToken(token))
	b := vobizhooktest.MustNewRequest(t, liveEnter(), vobizhooktest.WithAuthToken(token))
	na := a.Header.Get(vobizhook.HeaderSignatureV3Nonce)
	assert.Regexp(t, twentyDigits, na)
	assert.NotEqual(t, na, b.Header.Get(vobizhook.HeaderSignatureV3Nonce), "a fresh nonce each time")
	assert.Equal(t, hmacB64(token, vobizhooktest.DefaultURL+"."+na), a.Header.Get(vobizhook.HeaderSignatureV3))
	assert.Empty(t, a.Header.Get(vobizhook.HeaderSignatureMAV3), "no parent token, no MA headers")

	c := vobizhooktest.MustNewRequest(t, liveEnter(), vobizhooktest.WithAuthToken(token), vobizhooktest.WithParentAuthToken(parentToken), vobizhooktest.WithCredentialHeaders())
	assert.Equal(t, token, c.Header.Get("auth-token"))
	assert.Equal(t, parentToken, c.Header.Get("parent-auth-token"))
}

// serveOnce runs r through a fresh Handler verifying with token and
// callbackURL, and returns the status and how many events were dispatched.
func serveOnce(t *testing.T, h *vobizhook.Handler, r *http.Request) (int, int) {
	t.Helper()
	n := 0
	count := func(context.Context, vobizhook.ConferenceEvent) error { n++; return nil }
	h.OnEnter, h.OnExit, h.OnStart, h.OnEnd, h.OnOther = count, count, count, count, count
	h.Logger = discardLogger
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, n
}

func TestHandlerAcceptsKitSignedRequests(t *testing.T) {
	tampered := func(f func(r *http.Request)) func() *http.Request {
		return func() *http.Request {
			r := vobizhooktest.MustNewRequest(t, liveEnter(), vobizhooktest.WithURL(callback), vobizhooktest.WithAuthToken(token))
			f(r)
			return r
		}
	}
	tests := []struct {
		name    string
		handler func() *vobizhook.Handler
		req     func() *http.Request
		status  int
	}{
		{"signed for the Handler's URL", verifying, tampered(func(*http.Request) {}), 200},
		{"parent token only", func() *vobizhook.Handler {
			return &vobizhook.Handler{Verifier: &vobizhook.Verifier{ParentAuthTokens: []string{parentToken}, CallbackURL: callback}}
		}, func() *http.Request {
			return vobizhooktest.MustNewRequest(t, liveEnter(), vobizhooktest.WithURL(callback), vobizhooktest.WithParentAuthToken(parentToken))
		}, 200},
		{"GET", verifying, func() *http.Request {
			return vobizhooktest.MustNewRequest(t, liveEnter(), vobizhooktest.WithMethod(http.MethodGet), vobizhooktest.WithURL(callback), vobizhooktest.WithAuthToken(token))
		}, 200},
		{"no CallbackURL: URL rebuilt from the request (TLS, Host)", func() *vobizhook.Handler {
			return &vobizhook.Handler{Verifier: &vobizhook.Verifier{AuthTokens: []string{token}}}
		}, tampered(func(*http.Request) {}), 200},
		{"unsigned", verifying, tampered(func(r *http.Request) {
			for k := range r.Header {
				if strings.HasPrefix(k, "X-Vobiz") {
					r.Header.Del(k)
				}
			}
		}), 403},
		{"another token", verifying, func() *http.Request {
			return vobizhooktest.MustNewRequest(t, liveEnter(), vobizhooktest.WithURL(callback), vobizhooktest.WithAuthToken("someone-else"))
		}, 403},
		{"signed for another URL", verifying, func() *http.Request {
			return vobizhooktest.MustNewRequest(t, liveEnter(), vobizhooktest.WithURL("https://app.example/other"), vobizhooktest.WithAuthToken(token))
		}, 403},
		{"signature altered", verifying, tampered(func(r *http.Request) {
			for _, name := range []string{vobizhook.HeaderSignatureV3, vobizhook.HeaderSignatureV2} {
				sig := []byte(r.Header.Get(name))
				sig[3] ^= 1
				r.Header.Set(name, string(sig))
			}
		}), 403},
		{"nonce altered", verifying, tampered(func(r *http.Request) {
			r.Header.Set(vobizhook.HeaderSignatureV3Nonce, "11111111111111111111")
			r.Header.Set(vobizhook.HeaderSignatureV2Nonce, "11111111111111111111")
		}), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, n := serveOnce(t, tt.handler(), tt.req())
			assert.Equal(t, tt.status, status)
			if tt.status == 200 {
				assert.Equal(t, 1, n)
			} else {
				assert.Zero(t, n)
			}
		})
	}
}

func verifying() *vobizhook.Handler {
	return &vobizhook.Handler{Verifier: &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callback}}
}

func TestResign(t *testing.T) {
	r := vobizhooktest.MustReadRequestFile(t, filepath.Join(recorded, "enter-live.http"))
	r.Header.Set(vobizhook.HeaderSignatureV3, "c3RhbGU=")
	r.Header.Set("X-Vobiz-Signature", "legacy")
	r.Header.Set("auth-token", "old-secret")
	r.Header["x-vobiz-signature-ma-v2"] = []string{"stale, non-canonical"}
	r.Header.Set("X-Other", "kept")

	require.NoError(t, vobizhooktest.Resign(r, "http://127.0.0.1:8080/cb?x=1", token))
	assert.Equal(t, "http://127.0.0.1:8080/cb?x=1", r.URL.String())
	assert.Equal(t, "127.0.0.1:8080", r.Host)
	assert.Equal(t, "/cb?x=1", r.RequestURI)
	assert.Nil(t, r.TLS)
	nonce := r.Header.Get(vobizhook.HeaderSignatureV3Nonce)
	assert.Regexp(t, twentyDigits, nonce)
	assert.Equal(t, hmacB64(token, "http://127.0.0.1:8080/cb."+nonce), r.Header.Get(vobizhook.HeaderSignatureV3))
	assert.Equal(t, hmacB64(token, "http://127.0.0.1:8080/cb"+nonce), r.Header.Get(vobizhook.HeaderSignatureV2))
	assert.Empty(t, r.Header.Get("X-Vobiz-Signature"))
	assert.Empty(t, r.Header.Get("auth-token"))
	assert.NotContains(t, r.Header, "x-vobiz-signature-ma-v2")
	assert.Empty(t, r.Header.Get(vobizhook.HeaderSignatureMAV2))
	assert.Equal(t, "kept", r.Header.Get("X-Other"))

	status, n := serveOnce(t, &vobizhook.Handler{Verifier: &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: "http://127.0.0.1:8080/cb"}}, r)
	assert.Equal(t, 200, status)
	assert.Equal(t, 1, n)

	// GET keeps its parameters after the new URL's query.
	get := vobizhooktest.MustReadRequestFile(t, filepath.Join(recorded, "enter-get.http"))
	vobizhooktest.MustResign(t, get, "https://b.example/hook?tenant=1", "")
	assert.True(t, strings.HasPrefix(get.URL.RawQuery, "tenant=1&ConferenceAction=enter&"), get.URL.RawQuery)
	assert.NotNil(t, get.TLS)
	assert.Empty(t, get.Header.Get(vobizhook.HeaderSignatureV3), "empty token: re-targeted, unsigned")
	ev, err := vobizhook.ParseConferenceEvent(get)
	require.NoError(t, err)
	assert.Equal(t, "WeeklyStandup", ev.ConferenceName)

	// A bad URL leaves the request as it was.
	before := r.URL.String()
	err = vobizhooktest.Resign(r, "not a url", token)
	assert.ErrorIs(t, err, vobizhook.ErrInvalidCallbackURL)
	assert.Equal(t, before, r.URL.String())
}

// A recorded payload re-signed for a live server's URL is accepted there.
func TestResignedRecordingAgainstLiveServer(t *testing.T) {
	var got []vobizhook.ConferenceEvent
	h := &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{token}},
		OnExit:   func(_ context.Context, ev vobizhook.ConferenceEvent) error { got = append(got, ev); return nil },
		Logger:   discardLogger,
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	h.Verifier.CallbackURL = srv.URL + "/conference-events"

	r := vobizhooktest.MustReadRequestFile(t, filepath.Join(recorded, "exit-live.http"))
	vobizhooktest.MustResign(t, r, h.Verifier.CallbackURL, token)
	for range 2 { // the second is a replay: acknowledged, not dispatched
		resp, err := srv.Client().Do(vobizhooktest.MustClientRequest(t, r))
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	require.Len(t, got, 1)
	assert.Equal(t, "249", got[0].MemberID)
	assert.True(t, got[0].LastMember)
}
