package vobizhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
)

// Signing, for tests and tools.

// SignatureV3 returns the X-Vobiz-Signature-V3 value for baseURL and nonce:
// base64(HMAC-SHA256(authToken, baseURL + "." + nonce)). baseURL is
// scheme://host[:port]/path without a query; see [BaseURL]. Pass the parent
// account's token to get an X-Vobiz-Signature-MA-V3 value.
func SignatureV3(authToken, baseURL, nonce string) string {
	return signString(authToken, baseURL+"."+nonce)
}

// SignatureV2 returns the X-Vobiz-Signature-V2 value for baseURL and nonce:
// base64(HMAC-SHA256(authToken, baseURL + nonce)). Pass the parent account's
// token to get an X-Vobiz-Signature-MA-V2 value.
func SignatureV2(authToken, baseURL, nonce string) string {
	return signString(authToken, baseURL+nonce)
}

func signString(token, msg string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// BaseURL returns the part of callbackURL that Vobiz signs,
// scheme://host[:port]/path, with the query string, the fragment and any
// user info removed. The error wraps [ErrInvalidCallbackURL] when
// callbackURL is not an absolute http or https URL.
func BaseURL(callbackURL string) (string, error) {
	b, err := parseBaseURL(callbackURL)
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// NewNonce returns a fresh random 20-digit nonce, like Vobiz's, from
// crypto/rand.
func NewNonce() string {
	var digits [20]byte
	var rnd [32]byte
	for i := 0; i < len(digits); {
		rand.Read(rnd[:]) // never fails (crypto/rand crashes the program instead)
		for _, c := range rnd {
			if c < 250 && i < len(digits) { // 250 = 25*10: no modulo bias
				digits[i] = '0' + c%10
				i++
			}
		}
	}
	return string(digits[:])
}

// Signer signs requests the way Vobiz does, for tests and tools: it sets the
// V3 and V2 signature and nonce headers (and the MA variants when
// ParentAuthToken is set). Its zero value is not useful: set AuthToken,
// ParentAuthToken or both.
type Signer struct {
	// AuthToken keys the V3 and V2 signatures; when empty, they are not set.
	AuthToken string

	// ParentAuthToken keys the MA-V3 and MA-V2 signatures; when empty, they
	// are not set.
	ParentAuthToken string

	// CallbackURL is the URL to sign (its query is ignored). Empty signs a
	// client request (http.NewRequest) for r.URL, a server request
	// (httptest.NewRequest) for the URL a Verifier would rebuild.
	CallbackURL string

	// SignUserInfo keeps the URL's user info (user:pass@) in the signed
	// string, as Vobiz's Python SDK does; its Go SDK leaves it out, the
	// default. A Verifier accepts both.
	SignUserInfo bool

	// Nonce is used for both the V3 and the V2 signature. When empty, each
	// Sign uses a fresh [NewNonce].
	Nonce string
}

// Sign sets the signature headers on r, replacing any already there. The
// error wraps [ErrNoAuthToken] or [ErrInvalidCallbackURL].
func (s *Signer) Sign(r *http.Request) error {
	if s.AuthToken == "" && s.ParentAuthToken == "" {
		return fmt.Errorf("%w: Signer has neither AuthToken nor ParentAuthToken", ErrNoAuthToken)
	}
	var base baseURL
	if s.CallbackURL != "" {
		b, err := parseBaseURL(s.CallbackURL)
		if err != nil {
			return err
		}
		base = b
	} else if isClientRequest(r) {
		b, err := parseBaseURL(r.URL.String())
		if err != nil {
			return err
		}
		base = b
	} else {
		base = (&verifierState{}).requestBase(r)
	}
	base.signUser = s.SignUserInfo && base.hasUser
	nonce := s.Nonce
	if nonce == "" {
		nonce = NewNonce()
	}
	u := string(base.appendTo(nil))
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	h := r.Header
	h.Set(HeaderSignatureV3Nonce, nonce)
	h.Set(HeaderSignatureV2Nonce, nonce)
	for _, sig := range [...]struct {
		name, token string
		sign        func(token, baseURL, nonce string) string
	}{
		{HeaderSignatureV3, s.AuthToken, SignatureV3},
		{HeaderSignatureV2, s.AuthToken, SignatureV2},
		{HeaderSignatureMAV3, s.ParentAuthToken, SignatureV3},
		{HeaderSignatureMAV2, s.ParentAuthToken, SignatureV2},
	} {
		if sig.token == "" {
			h.Del(sig.name)
			continue
		}
		h.Set(sig.name, sig.sign(sig.token, u, nonce))
	}
	return nil
}

// isClientRequest reports whether r is an outgoing request (as made by
// http.NewRequest), whose URL is the one it is sent to, rather than one a
// server received.
func isClientRequest(r *http.Request) bool {
	return r.RequestURI == "" && r.TLS == nil && r.URL != nil && r.URL.Scheme != ""
}

// SignRequest signs r for callbackURL with authToken and a fresh nonce, as
// Vobiz would: the shortest way to build a signed request in a test. An
// empty callbackURL signs r's own URL, as [Signer] explains. Use a [Signer]
// for a fixed nonce or a parent-account signature.
func SignRequest(r *http.Request, callbackURL, authToken string) error {
	s := Signer{AuthToken: authToken, CallbackURL: callbackURL}
	return s.Sign(r)
}
