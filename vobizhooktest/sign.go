package vobizhooktest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/vobizhook/vobizhook"
)

// Header names of the plain-text credentials Vobiz sends with signed
// callbacks (see [WithCredentialHeaders]).
const (
	headerAuthToken       = "auth-token"
	headerParentAuthToken = "parent-auth-token"
)

// signingHeaders are every header a signed Vobiz callback can carry; Resign
// drops them all before signing again.
var signingHeaders = []string{
	vobizhook.HeaderSignatureV3, vobizhook.HeaderSignatureV3Nonce,
	vobizhook.HeaderSignatureV2, vobizhook.HeaderSignatureV2Nonce,
	vobizhook.HeaderSignatureMAV3, vobizhook.HeaderSignatureMAV2,
	"X-Vobiz-Signature", headerAuthToken, headerParentAuthToken, "Authorization",
}

// sign signs r for callbackURL as o asks; without any token it does nothing.
func sign(r *http.Request, callbackURL string, o options) error {
	if o.token == "" && o.parentToken == "" {
		return nil
	}
	s := vobizhook.Signer{
		AuthToken:       o.token,
		ParentAuthToken: o.parentToken,
		CallbackURL:     callbackURL,
		SignUserInfo:    o.signUser,
		Nonce:           o.nonce,
	}
	if err := s.Sign(r); err != nil {
		return fmt.Errorf("vobizhooktest: signing: %w", err)
	}
	if o.credentials {
		if o.token != "" {
			r.Header.Set(headerAuthToken, o.token)
		}
		if o.parentToken != "" {
			r.Header.Set(headerParentAuthToken, o.parentToken)
		}
	}
	return nil
}

// Resign re-targets r to callbackURL and signs it again with authToken and
// a fresh nonce, as Vobiz would sign a callback to that URL: use it to replay
// a recorded payload ([ReadRequestFile]) against your own server.
//
// r's URL becomes callbackURL (a GET keeps its parameters, appended to the
// callback URL's own query), its Host, RequestURI and TLS follow, and every
// signature and credential header it carried is dropped. With an empty
// authToken, r is re-targeted and left unsigned; sign it afterwards with a
// vobizhook.Signer for other combinations (a parent account's token, a fixed
// nonce).
//
// The error wraps vobizhook.ErrInvalidCallbackURL when callbackURL is not an
// absolute http or https URL; r is unchanged then.
func Resign(r *http.Request, callbackURL, authToken string) error {
	u, err := parseCallbackURL(callbackURL)
	if err != nil {
		return err
	}
	signed := u.String()
	user := u.User
	u.User = nil
	if r.Method == http.MethodGet && r.URL != nil {
		u.RawQuery = joinQuery(u.RawQuery, r.URL.RawQuery)
	}
	r.URL = u
	r.Host = u.Host
	asIncoming(r)
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	for key := range r.Header {
		if slices.ContainsFunc(signingHeaders, func(name string) bool { return strings.EqualFold(key, name) }) {
			delete(r.Header, key)
		}
	}
	setBasicAuth(r, user)
	return sign(r, signed, options{token: authToken})
}
