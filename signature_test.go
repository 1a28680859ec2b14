package vobizhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test secrets. They (and every signature derived from them) must never
// appear in an error, a log line or a response.
const (
	tokAccount = "MAtok-account-9f8e7d6c5b4a"
	tokOld     = "MAtok-old-0a1b2c3d4e5f"
	tokParent  = "MAtok-parent-13579bdf"
	nonceA     = "05429567804466091622"
	nonceB     = "98765432109876543210"
	publicURL  = "https://public.example/conference-events"
	privateURL = "http://10.0.0.5:8080/conference-events"
)

var allTokens = []string{tokAccount, tokOld, tokParent}

// mac is the documented formula, computed independently of the package's
// signer: base64(HMAC-SHA256(key, message)).
func mac(key, message string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(message))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func v3(key, base, nonce string) string { return mac(key, base+"."+nonce) }
func v2(key, base, nonce string) string { return mac(key, base+nonce) }

// otherSig is a well-formed signature that matches nothing.
var otherSig = mac("some other token", "x")

type hdr = map[string][]string

func one(v string) []string { return []string{v} }

func TestVerifyVectors(t *testing.T) {
	tests := []struct {
		name       string
		verifier   *Verifier
		target     string // the URL the server sees
		headers    hdr    // set as given, spelling of keys included
		wantErr    error
		wantNonces Nonces
	}{
		{
			name:       "V3",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:     privateURL,
			headers:    hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:       "V2",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:     privateURL,
			headers:    hdr{"X-Vobiz-Signature-V2": one(v2(tokAccount, publicURL, nonceB)), "X-Vobiz-Signature-V2-Nonce": one(nonceB)},
			wantNonces: Nonces{V2: nonceB},
		},
		{
			name:     "MA-V3 with the parent token",
			verifier: &Verifier{ParentAuthTokens: []string{tokParent}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3":       one(v3("sub-account token we do not know", publicURL, nonceA)),
				"X-Vobiz-Signature-Ma-V3":    one(v3(tokParent, publicURL, nonceA)),
				"X-Vobiz-Signature-V3-Nonce": one(nonceA),
			},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:     "MA-V2 with the parent token",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, ParentAuthTokens: []string{tokParent}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-Ma-V2":    one(v2(tokParent, publicURL, nonceA)),
				"X-Vobiz-Signature-V2-Nonce": one(nonceA),
			},
			wantNonces: Nonces{V2: nonceA},
		},
		{
			name:     "V3 and V2 with different nonces: both returned",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Vobiz-Signature-V2": one(v2(tokAccount, publicURL, nonceB)), "X-Vobiz-Signature-V2-Nonce": one(nonceB),
			},
			wantNonces: Nonces{V3: nonceA, V2: nonceB},
		},
		{
			name:     "V3 and V2 with the same nonce: returned once",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Vobiz-Signature-V2": one(v2(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V2-Nonce": one(nonceA),
			},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:     "V3 wrong but V2 right: one match suffices, only the V2 nonce is returned",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(otherSig), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Vobiz-Signature-V2": one(v2(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V2-Nonce": one(nonceA),
			},
			wantNonces: Nonces{V2: nonceA},
		},
		{
			name:     "V3 stripped, junk V3 nonce kept: only the verified V2 nonce is returned",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3-Nonce": one("junk-1"),
				"X-Vobiz-Signature-V2":       one(v2(tokAccount, publicURL, nonceB)), "X-Vobiz-Signature-V2-Nonce": one(nonceB),
			},
			wantNonces: Nonces{V2: nonceB},
		},
		{
			name:     "V2 signature wrong with its own nonce: only the V3 nonce is returned",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Vobiz-Signature-V2": one(otherSig), "X-Vobiz-Signature-V2-Nonce": one("junk-2"),
			},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:     "a nonce header without its signature is ignored, even malformed",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Vobiz-Signature-V2-Nonce": {"not a nonce", "twice"},
			},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:     "MA-V2 verified, account V3 unknown: only the V2 nonce is returned",
			verifier: &Verifier{ParentAuthTokens: []string{tokParent}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(v3("sub-account token we do not know", publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Vobiz-Signature-Ma-V2": one(v2(tokParent, publicURL, nonceB)), "X-Vobiz-Signature-V2-Nonce": one(nonceB),
			},
			wantNonces: Nonces{V2: nonceB},
		},
		{
			name:       "comma-separated signatures (rotation on Vobiz's side)",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:     privateURL,
			headers:    hdr{"X-Vobiz-Signature-V3": one(otherSig + " , " + v3(tokAccount, publicURL, nonceA) + ","), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:       "signatures on several header lines",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:     privateURL,
			headers:    hdr{"X-Vobiz-Signature-V3": {otherSig, v3(tokAccount, publicURL, nonceA)}, "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:       "rotation: signed with the old token, both accepted",
			verifier:   &Verifier{AuthTokens: []string{tokAccount, tokOld}, CallbackURL: publicURL},
			target:     privateURL,
			headers:    hdr{"X-Vobiz-Signature-V3": one(v3(tokOld, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:       "unpadded base64 and spaces around the nonce",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:     privateURL,
			headers:    hdr{"X-Vobiz-Signature-V3": one(strings.TrimRight(v3(tokAccount, publicURL, nonceA), "=")), "X-Vobiz-Signature-V3-Nonce": one(" " + nonceA + " ")},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:     "header names in lower case, set by hand",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, ParentAuthTokens: []string{tokParent}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"x-vobiz-signature-ma-v3": one(v3(tokParent, publicURL, nonceA)), "x-vobiz-signature-v3-nonce": one(nonceA),
			},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:       "query string of CallbackURL removed",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL + "?room=sales&x=1#frag"},
			target:     privateURL + "?room=sales&x=1",
			headers:    hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:     "signature over the URL with its query does not match",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL + "?room=sales"},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL+"?room=sales", nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:       "rebuilt URL: query string removed",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}},
			target:     publicURL + "?room=sales",
			headers:    hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:     "behind a proxy without CallbackURL: mismatch",
			verifier: &Verifier{AuthTokens: []string{tokAccount}},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "behind a proxy, forwarded headers trusted",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, TrustForwardedHeaders: true},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Forwarded-Proto": one("https"), "X-Forwarded-Host": one("public.example"),
			},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:     "forwarded headers with several hops: the first one counts",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, TrustForwardedHeaders: true},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Forwarded-Proto": one("HTTPS, http"), "X-Forwarded-Host": one("public.example, 10.0.0.5:8080"),
			},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:     "behind a proxy, forwarded headers not trusted",
			verifier: &Verifier{AuthTokens: []string{tokAccount}},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Forwarded-Proto": one("https"), "X-Forwarded-Host": one("public.example"),
			},
			wantErr: ErrInvalidSignature,
		},
		{
			name:     "CallbackURL wins over trusted forwarded headers",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL, TrustForwardedHeaders: true},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Forwarded-Proto": one("http"), "X-Forwarded-Host": one("evil.example"),
			},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:       "default port: signed with :443, request without",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}},
			target:     publicURL,
			headers:    hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, "https://public.example:443/conference-events", nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:       "default port: signed without, request with :443",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}},
			target:     "https://public.example:443/conference-events",
			headers:    hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:       "default port: http and :80",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}},
			target:     "http://public.example:80/conference-events",
			headers:    hdr{"X-Vobiz-Signature-V2": one(v2(tokAccount, "http://public.example/conference-events", nonceA)), "X-Vobiz-Signature-V2-Nonce": one(nonceA)},
			wantNonces: Nonces{V2: nonceA},
		},
		{
			name:       "default port: CallbackURL with :443, signed without",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: "https://public.example:443/conference-events"},
			target:     privateURL,
			headers:    hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantNonces: Nonces{V3: nonceA},
		},
		{
			name:     "another port is not a variant",
			verifier: &Verifier{AuthTokens: []string{tokAccount}},
			target:   "https://public.example:8443/conference-events",
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:       "IPv6 host with port",
			verifier:   &Verifier{AuthTokens: []string{tokAccount}},
			target:     "http://[2001:db8::1]:80/cb",
			headers:    hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, "http://[2001:db8::1]/cb", nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantNonces: Nonces{V3: nonceA},
		},

		// Refusals.
		{
			name:     "no signature at all",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"Auth-Token": one(tokAccount)},
			wantErr:  ErrMissingSignature,
		},
		{
			name:     "only the legacy V1 signature",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature": one("c2hhMQ==")},
			wantErr:  ErrMissingSignature,
		},
		{
			name:     "nonces without signatures",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3-Nonce": one(nonceA), "X-Vobiz-Signature-V2-Nonce": one(nonceA)},
			wantErr:  ErrMissingSignature,
		},
		{
			name:     "V3 without its nonce",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V2-Nonce": one(nonceA)},
			wantErr:  ErrMissingSignature,
		},
		{
			name:     "wrong token",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokOld, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "wrong nonce",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceB)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "V2 formula in the V3 header",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v2(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "account token in the MA header",
			verifier: &Verifier{ParentAuthTokens: []string{tokParent}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-Ma-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "only MA signatures, no parent token configured",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-Ma-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "only account signatures, only a parent token configured",
			verifier: &Verifier{ParentAuthTokens: []string{tokParent}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokParent, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "not base64",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(strings.Repeat("!", 44)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "base64 of the wrong length (an HMAC-SHA1)",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(base64.StdEncoding.EncodeToString(make([]byte, 20))), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "an unparsable signature next to a matching one",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA) + ",garbage"), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "an unparsable MA header next to a matching V3",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers: hdr{
				"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA),
				"X-Vobiz-Signature-Ma-V3": one("%%%"),
			},
			wantErr: ErrInvalidSignature,
		},
		{
			name:     "empty signature header",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(" , "), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "too many signatures",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(strings.Repeat(otherSig+",", maxSignatures) + v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "nonce given twice",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": {nonceA, nonceB}},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "empty nonce",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, "")), "X-Vobiz-Signature-V3-Nonce": one("  ")},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "nonce with a space inside",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, "1 2")), "X-Vobiz-Signature-V3-Nonce": one("1 2")},
			wantErr:  ErrInvalidSignature,
		},
		{
			name:     "nonce too long",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, strings.Repeat("1", 65))), "X-Vobiz-Signature-V3-Nonce": one(strings.Repeat("1", 65))},
			wantErr:  ErrInvalidSignature,
		},

		// Configuration faults: never fail open.
		{
			name:     "no token",
			verifier: &Verifier{AuthTokens: []string{""}, CallbackURL: publicURL},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3("", publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrNoAuthToken,
		},
		{
			name:     "CallbackURL not absolute",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: "/conference-events"},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidCallbackURL,
		},
		{
			name:     "CallbackURL unparsable",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: "https://public.example/%zz"},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidCallbackURL,
		},
		{
			name:     "CallbackURL with user info, signed for another URL",
			verifier: &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: "https://user:" + tokOld + "@public.example/cb"},
			target:   privateURL,
			headers:  hdr{"X-Vobiz-Signature-V3": one(v3(tokAccount, publicURL, nonceA)), "X-Vobiz-Signature-V3-Nonce": one(nonceA)},
			wantErr:  ErrInvalidSignature, // and the password is not in the message: assertNoSecrets
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.target, nil)
			for k, v := range tt.headers {
				r.Header[k] = v
			}
			v := tt.verifier
			nonces, err := v.Verify(r)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.wantNonces, nonces)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			assert.Zero(t, nonces)
			assertNoSecrets(t, err.Error(), r.Header)
			// A second call gives the same answer (state is built once).
			_, err2 := v.Verify(r)
			assert.Equal(t, err.Error(), err2.Error())
		})
	}
}

// assertNoSecrets checks that s contains no token and none of the values of
// the signature and credential headers of h.
func assertNoSecrets(t *testing.T, s string, h http.Header) {
	t.Helper()
	for _, tok := range allTokens {
		assert.NotContains(t, s, tok)
	}
	for k, vs := range h {
		lk := strings.ToLower(k)
		if strings.HasSuffix(lk, "nonce") || !(strings.HasPrefix(lk, "x-vobiz-signature") || strings.HasSuffix(lk, "auth-token")) {
			continue
		}
		for _, v := range vs {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); len(part) >= 8 {
					assert.NotContains(t, s, part, "value of %s leaked", k)
				}
			}
		}
	}
}

// Verify's error names the URL it tried, for the caller's log; the Handler
// logs it but answers only the sentinel (TestHandlerRefusalBodyHidesTheURL).
func TestVerifyMessageNamesTheURL(t *testing.T) {
	v := &Verifier{AuthTokens: []string{tokAccount}}
	r := httptest.NewRequest(http.MethodPost, privateURL+"?q=1", nil)
	r.Header.Set(HeaderSignatureV3, v3(tokAccount, publicURL, nonceA))
	r.Header.Set(HeaderSignatureV3Nonce, nonceA)
	_, err := v.Verify(r)
	require.ErrorIs(t, err, ErrInvalidSignature)
	assert.Contains(t, err.Error(), privateURL, "the URL tried, to diagnose a proxy")
	assert.Contains(t, err.Error(), "http://10.0.0.5:8080/conference-events", "no query")
	assert.Contains(t, err.Error(), "CallbackURL")

	_, err = (&Verifier{AuthTokens: []string{tokAccount}, CallbackURL: "https://user:pw-secret@x.example/cb"}).Verify(r)
	require.ErrorIs(t, err, ErrInvalidSignature)
	assert.Contains(t, err.Error(), "https://x.example/cb", "the URL tried, without its user info")
	assert.NotContains(t, err.Error(), "pw-secret")
	assert.NotContains(t, err.Error(), "user:")
}

func TestVerifyStripPrefix(t *testing.T) {
	// The signed path is the one received, before http.StripPrefix.
	v := &Verifier{AuthTokens: []string{tokAccount}}
	var err error
	h := http.StripPrefix("/hooks", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err = v.Verify(r)
	}))
	r := httptest.NewRequest(http.MethodPost, "https://public.example/hooks/conference-events", nil)
	r.Header.Set(HeaderSignatureV3, v3(tokAccount, "https://public.example/hooks/conference-events", nonceA))
	r.Header.Set(HeaderSignatureV3Nonce, nonceA)
	h.ServeHTTP(httptest.NewRecorder(), r)
	require.NoError(t, err)
}

func TestSignatureFunctionsMatchTheFormulas(t *testing.T) {
	assert.Equal(t, v3(tokAccount, publicURL, nonceA), SignatureV3(tokAccount, publicURL, nonceA))
	assert.Equal(t, v2(tokAccount, publicURL, nonceA), SignatureV2(tokAccount, publicURL, nonceA))
	assert.NotEqual(t, SignatureV3(tokAccount, publicURL, nonceA), SignatureV2(tokAccount, publicURL, nonceA))
}

func TestBaseURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{publicURL, publicURL},
		{publicURL + "?room=a&b=c", publicURL},
		{publicURL + "#frag", publicURL},
		{"https://public.example:8443/a%20b/c?x", "https://public.example:8443/a%20b/c"},
		{"HTTPS://Public.Example/Path", "https://Public.Example/Path"},
		{"http://[::1]:8080/cb", "http://[::1]:8080/cb"},
		{"https://public.example", "https://public.example"},
		{"https://a:b@public.example/", "https://public.example/"}, // user info is not part of the base URL
	}
	for _, tt := range tests {
		got, err := BaseURL(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, bad := range []string{"", "public.example/cb", "/cb", "ftp://public.example/cb", "https:///cb", "https://public.example/%zz", "mailto:x@example.com"} {
		_, err := BaseURL(bad)
		assert.ErrorIs(t, err, ErrInvalidCallbackURL, "%q", bad)
	}
}

func TestNewNonce(t *testing.T) {
	digits := regexp.MustCompile(`^[0-9]{20}$`)
	seen := map[string]bool{}
	for range 100 {
		n := NewNonce()
		require.Regexp(t, digits, n)
		require.False(t, seen[n], "nonce repeated")
		seen[n] = true
	}
}

func TestSigner(t *testing.T) {
	t.Run("all headers with a fixed nonce", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, privateURL, nil)
		s := Signer{AuthToken: tokAccount, ParentAuthToken: tokParent, CallbackURL: publicURL + "?q=1", Nonce: nonceA}
		require.NoError(t, s.Sign(r))
		assert.Equal(t, nonceA, r.Header.Get(HeaderSignatureV3Nonce))
		assert.Equal(t, nonceA, r.Header.Get(HeaderSignatureV2Nonce))
		assert.Equal(t, v3(tokAccount, publicURL, nonceA), r.Header.Get(HeaderSignatureV3))
		assert.Equal(t, v2(tokAccount, publicURL, nonceA), r.Header.Get(HeaderSignatureV2))
		assert.Equal(t, v3(tokParent, publicURL, nonceA), r.Header.Get(HeaderSignatureMAV3))
		assert.Equal(t, v2(tokParent, publicURL, nonceA), r.Header.Get(HeaderSignatureMAV2))
	})
	t.Run("parent only replaces account signatures", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, privateURL, nil)
		r.Header.Set(HeaderSignatureV3, otherSig)
		require.NoError(t, (&Signer{ParentAuthToken: tokParent, CallbackURL: publicURL}).Sign(r))
		assert.Empty(t, r.Header.Values(HeaderSignatureV3))
		assert.Empty(t, r.Header.Values(HeaderSignatureV2))
		n := r.Header.Get(HeaderSignatureV3Nonce)
		assert.Len(t, n, 20)
		assert.Equal(t, v3(tokParent, publicURL, n), r.Header.Get(HeaderSignatureMAV3))
	})
	t.Run("SignRequest without CallbackURL signs the request's URL", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, publicURL+"?q=1", nil)
		require.NoError(t, SignRequest(r, "", tokAccount))
		n := r.Header.Get(HeaderSignatureV3Nonce)
		assert.Equal(t, v3(tokAccount, publicURL, n), r.Header.Get(HeaderSignatureV3))
		_, err := (&Verifier{AuthTokens: []string{tokAccount}}).Verify(r)
		assert.NoError(t, err)
	})
	t.Run("SignRequest without CallbackURL on a client request signs its URL", func(t *testing.T) {
		tests := []struct{ target, signed string }{
			{publicURL + "?q=1", publicURL},
			{"http://10.0.0.5:8080/conference-events", "http://10.0.0.5:8080/conference-events"},
			{"https://public.example:8443/a%20b", "https://public.example:8443/a%20b"},
		}
		for _, tt := range tests {
			r, err := http.NewRequest(http.MethodPost, tt.target, nil) // RequestURI and TLS unset
			require.NoError(t, err)
			require.NoError(t, SignRequest(r, "", tokAccount))
			n := r.Header.Get(HeaderSignatureV3Nonce)
			assert.Equal(t, v3(tokAccount, tt.signed, n), r.Header.Get(HeaderSignatureV3), tt.target)
			assert.Equal(t, v2(tokAccount, tt.signed, n), r.Header.Get(HeaderSignatureV2), tt.target)
		}
		r, err := http.NewRequest(http.MethodPost, "ftp://public.example/cb", nil)
		require.NoError(t, err)
		assert.ErrorIs(t, SignRequest(r, "", tokAccount), ErrInvalidCallbackURL)
	})
	t.Run("client request without headers", func(t *testing.T) {
		r := &http.Request{Method: http.MethodPost}
		require.NoError(t, SignRequest(r, publicURL, tokAccount))
		assert.NotEmpty(t, r.Header.Get(HeaderSignatureV3))
	})
	t.Run("errors", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, privateURL, nil)
		assert.ErrorIs(t, SignRequest(r, publicURL, ""), ErrNoAuthToken)
		err := SignRequest(r, "not a url", tokAccount)
		assert.ErrorIs(t, err, ErrInvalidCallbackURL)
		assert.NotContains(t, err.Error(), tokAccount)
	})
}

func FuzzSignatureHeader(f *testing.F) {
	good := v3(tokAccount, publicURL, nonceA)
	f.Add(good, nonceA, "", "")
	f.Add(otherSig+", "+good, nonceA, v2(tokAccount, publicURL, nonceA), nonceA)
	f.Add(strings.TrimRight(good, "="), " "+nonceA, ",,,", "")
	f.Add("%%%", "", "====", "\x00")
	f.Add(strings.Repeat("A", 44)+","+strings.Repeat("/", 43), strings.Repeat("9", 64), "\n", "a,b")
	v := &Verifier{AuthTokens: []string{tokAccount}, ParentAuthTokens: []string{tokParent}, CallbackURL: publicURL}
	f.Fuzz(func(t *testing.T, sig3, nonce3, sig2, nonce2 string) {
		var list sigList
		if err := parseSigList(HeaderSignatureV3, []string{sig3}, &list); err != nil {
			require.ErrorIs(t, err, ErrInvalidSignature)
		} else {
			require.LessOrEqual(t, list.n, maxSignatures)
		}
		r := httptest.NewRequest(http.MethodPost, privateURL, nil)
		r.Header[HeaderSignatureV3] = []string{sig3}
		r.Header["x-vobiz-signature-ma-v2"] = []string{sig2}
		r.Header[HeaderSignatureV3Nonce] = []string{nonce3}
		r.Header[HeaderSignatureV2Nonce] = []string{nonce2}
		nonces, err := v.Verify(r)
		if err != nil {
			require.True(t, errorsIsAny(err, ErrMissingSignature, ErrInvalidSignature), "unexpected error %v", err)
			assert.NotContains(t, err.Error(), tokAccount)
			return
		}
		require.False(t, nonces.IsZero())
		require.Equal(t, strings.TrimSpace(nonce3), nonces.V3)
	})
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

func BenchmarkVerify(b *testing.B) {
	sign := func(r *http.Request, nonce string) {
		r.Header.Set(HeaderSignatureV3, v3(tokAccount, publicURL, nonce))
		r.Header.Set(HeaderSignatureV3Nonce, nonce)
		r.Header.Set(HeaderSignatureV2, v2(tokAccount, publicURL, nonce))
		r.Header.Set(HeaderSignatureV2Nonce, nonce)
		r.Header.Set("Auth-Token", tokAccount)
	}
	b.Run("CallbackURL", func(b *testing.B) {
		v := &Verifier{AuthTokens: []string{tokAccount}, CallbackURL: publicURL}
		r := httptest.NewRequest(http.MethodPost, privateURL, nil)
		sign(r, nonceA)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RebuiltURL", func(b *testing.B) {
		v := &Verifier{AuthTokens: []string{tokAccount}}
		r := httptest.NewRequest(http.MethodPost, publicURL, nil)
		sign(r, nonceA)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RotationSecondTokenDefaultPort", func(b *testing.B) {
		// Worst accepted case: the first token and the first URL miss.
		v := &Verifier{AuthTokens: []string{tokOld, tokAccount}, CallbackURL: "https://public.example:443/conference-events"}
		r := httptest.NewRequest(http.MethodPost, privateURL, nil)
		sign(r, nonceA)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
