package vobizhook_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// The shapes of callbackUrl that real apps configure verify whatever the
// Verifier is told: with CallbackURL, and without it (the URL rebuilt from
// the request), for POST and GET callbacks built by the kit.
func TestCallbackURLShapes(t *testing.T) {
	const token = "shapes-token"
	for _, u := range []string{
		"https://app.example", // just a host: requested as "/"
		"https://app.example/",
		"https://app.example?tid=1",
		"https://app.example/x",
		"http://app.example:80/x",
		"https://app.example/a%20b",
		"https://user:pw@app.example/x",
	} {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			for name, v := range map[string]*vobizhook.Verifier{
				"with CallbackURL":    {AuthTokens: []string{token}, CallbackURL: u},
				"without CallbackURL": {AuthTokens: []string{token}},
			} {
				r := vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithURL(u), vobizhooktest.WithAuthToken(token), vobizhooktest.WithMethod(method))
				_, err := v.Verify(r)
				assert.NoError(t, err, "%s %s, %s", method, u, name)
				w := httptest.NewRecorder()
				(&vobizhook.Handler{Verifier: v, Logger: slog.New(slog.DiscardHandler)}).ServeHTTP(w, r)
				assert.Equal(t, http.StatusOK, w.Code, "%s %s, %s: %s", method, u, name, w.Body)
			}
		}
	}
}

// A host-only callbackUrl verifies whether the provider signed it with the
// path empty or "/": the signatures here are computed from the strings, not
// by the kit.
func TestHostOnlyCallbackURLEitherWay(t *testing.T) {
	const token, nonce = "shapes-token", "12345678901234567890"
	for _, signed := range []string{"https://app.example", "https://app.example/"} {
		for _, cb := range []string{"", "https://app.example", "https://app.example/"} {
			r := vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithURL("https://app.example/"))
			r.Header.Set(vobizhook.HeaderSignatureV3Nonce, nonce)
			r.Header.Set(vobizhook.HeaderSignatureV3, vobizhook.SignatureV3(token, signed, nonce))
			_, err := (&vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: cb}).Verify(r)
			assert.NoError(t, err, "signed over %q, CallbackURL %q", signed, cb)
		}
	}
}

// User info is signed as written in the URL, as Vobiz's Python SDK does
// (net/url would re-escape "p!ss*1" as "p%21ss%2A1"); a signature over
// net/url's escaping verifies too.
func TestUserInfoSignedAsWritten(t *testing.T) {
	const token, nonce = "shapes-token", "12345678901234567890"
	const cb = "https://vobiz:p!ss*1@app.example/x"
	r := vobizhooktest.MustNewRequest(t, liveEnter, vobizhooktest.WithURL(cb), vobizhooktest.WithAuthToken(token),
		vobizhooktest.WithNonce(nonce), vobizhooktest.WithSignedUserInfo())
	assert.Equal(t, vobizhook.SignatureV3(token, cb, nonce), r.Header.Get(vobizhook.HeaderSignatureV3), "the kit signs the URL as written")
	for _, signed := range []string{cb, "https://vobiz:p%21ss%2A1@app.example/x", "https://app.example/x"} {
		r.Header.Set(vobizhook.HeaderSignatureV3, vobizhook.SignatureV3(token, signed, nonce))
		r.Header.Del(vobizhook.HeaderSignatureV2)
		_, err := (&vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: cb}).Verify(r)
		require.NoError(t, err, "signed over %s", signed)
	}
}
