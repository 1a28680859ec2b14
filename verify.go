package vobizhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// Errors of signature verification, returned wrapped (with the header at
// fault and what was wrong) by [Verifier.Verify], and answered with 403 by
// [Handler]. The messages never contain a token, a password or a signature
// value.
var (
	// ErrMissingSignature: the request carries no verifiable signature
	// header, or a signature without its nonce header.
	ErrMissingSignature = errors.New("vobizhook: missing signature")

	// ErrInvalidSignature: a signature or nonce header is malformed, or no
	// signature matches any configured token.
	ErrInvalidSignature = errors.New("vobizhook: invalid signature")

	// ErrUnknownAccount: Verifier.Lookup does not know the account the
	// request is for. Return it (wrapped or not) from a Lookup; a [Handler]
	// answers 403.
	ErrUnknownAccount = errors.New("vobizhook: unknown account")

	// ErrBadCredentials: Verifier.RequireBasicAuth is set and the request's
	// Authorization: Basic header is missing or does not match the
	// callback URL's user info. A [Handler] answers 401.
	ErrBadCredentials = errors.New("vobizhook: bad credentials")
)

// Configuration errors: the fault is the server's, not the request's, so
// [Handler] answers 500 (Vobiz retries) and logs at Error.
var (
	// ErrInvalidCallbackURL: a callback URL given for verification or
	// signing is not an absolute http or https URL.
	ErrInvalidCallbackURL = errors.New("vobizhook: invalid callback URL")

	// ErrNoAuthToken: a [Verifier] or [Signer] has no token to work with.
	ErrNoAuthToken = errors.New("vobizhook: no auth token configured")
)

// Verifier checks Vobiz callback signatures. Set it on [Handler.Verifier];
// or call Verify in a handler of your own (another router, a framework),
// then [ParseConferenceEvent], which verifies nothing.
//
// A Verifier never fails open: without any token (and no Lookup), Verify
// returns [ErrNoAuthToken], which a Handler answers 500. So a Verifier built
// as &Verifier{AuthTokens: []string{os.Getenv("VOBIZ_AUTH_TOKEN")}} refuses
// every callback, loudly, when the variable is unset. Its fields are read on
// the first call of Verify and must not change afterwards; use it by
// pointer and share it between goroutines freely.
//
// Verify checks signatures only. The body is not signed, so the nonce is
// the only defence against a replayed request: pass the returned [Nonces]
// to [Nonces.Claim] before acting on the callback, then complete or release
// the claim, as a Handler does.
type Verifier struct {
	// AuthTokens are the accepted account Auth Tokens, for the V3 and V2
	// signatures. List the new and the old token while rotating.
	AuthTokens []string

	// ParentAuthTokens are the accepted parent (main) account Auth Tokens,
	// for the MA-V3 and MA-V2 signatures of a sub-account's callbacks.
	ParentAuthTokens []string

	// CallbackURL is the public callbackUrl exactly as configured on
	// <Conference>. Its query string is ignored, as Vobiz does when signing.
	// It may carry user info (https://user:pass@host/path), as Vobiz's
	// callback authentication has it: the signature is then accepted for
	// the URL with or without it (Vobiz's SDKs disagree), and the password
	// never appears in a log line or an error. When empty, the URL is
	// rebuilt from the request (see TrustForwardedHeaders), which gives the
	// wrong URL behind a proxy that terminates TLS or rewrites the host.
	CallbackURL string

	// TrustForwardedHeaders makes a Verifier without CallbackURL take the
	// scheme from X-Forwarded-Proto and the host from X-Forwarded-Host (their
	// first value). Set it only behind a proxy that sets both; prefer
	// CallbackURL.
	TrustForwardedHeaders bool

	// RequireBasicAuth also requires the request's Authorization: Basic
	// header to match the user info of the callback URL (compared in
	// constant time); a request without it, or with other credentials, gets
	// [ErrBadCredentials] (401 from a Handler). The callback URL must then
	// carry user info.
	RequireBasicAuth bool

	// Lookup, when set, chooses the account of each request, for one
	// endpoint serving several Vobiz accounts (tenants, sub-accounts): by a
	// path segment, the host, or a header. It runs before the body is read,
	// so it must not read it. Return [ErrUnknownAccount] for a request of no
	// known account (403); any other error means the lookup failed (503, so
	// Vobiz retries). An Account's empty CallbackURL means the Verifier's.
	// The static AuthTokens and ParentAuthTokens are then not used.
	Lookup func(r *http.Request) (Account, error)

	once sync.Once
	st   verifierState
}

// Account is the verification setup of one Vobiz account, returned by
// Verifier.Lookup for a request.
type Account struct {
	AuthTokens       []string // as Verifier.AuthTokens
	ParentAuthTokens []string // as Verifier.ParentAuthTokens
	CallbackURL      string   // as Verifier.CallbackURL; "" means the Verifier's
}

type verifierState struct {
	static         account // from the Verifier's own fields
	trustForwarded bool
	requireBasic   bool
	lookup         func(r *http.Request) (Account, error)
	cache          accountCache // accounts returned by lookup, prepared
	err            error        // a configuration error, returned by every Verify
}

// account is an Account ready to verify with: keys made, URL parsed.
type account struct {
	keys, parentKeys []*macKey
	callback         baseURL // the parsed CallbackURL, when hasCallback
	hasCallback      bool
	err              error // a configuration error of this account
}

// Verify reports whether r carries a valid Vobiz signature; it does not read
// the body. On success it returns the nonces of the signatures that verified,
// for replay protection; a nonce header without a verified signature is
// ignored.
//
// It checks, in this order, X-Vobiz-Signature-V3 and X-Vobiz-Signature-V2
// with AuthTokens, and the MA-V3 and MA-V2 variants with ParentAuthTokens,
// against the callback URL with and without the scheme's default port (and
// with and without its user info, its path percent-decoded or not). A
// header may hold several comma-separated signatures; one match of any
// signature with any token suffices. Signatures are compared in constant
// time.
//
// Errors wrap [ErrMissingSignature] (no signature header, or no nonce for
// one), [ErrInvalidSignature] (a malformed header, or no match),
// [ErrBadCredentials] or [ErrUnknownAccount], and name the header at fault;
// or, for a configuration fault, [ErrNoAuthToken] or
// [ErrInvalidCallbackURL]; or [ErrUnavailable] when Lookup failed. They
// never contain a token, a password or a signature value.
func (v *Verifier) Verify(r *http.Request) (Nonces, error) {
	v.once.Do(v.init)
	st := &v.st
	if st.err != nil {
		return Nonces{}, st.err
	}
	acct := &st.static
	if st.lookup != nil {
		a, err := st.lookupAccount(r)
		if err != nil {
			return Nonces{}, err
		}
		acct = a
	}
	if acct.err != nil {
		return Nonces{}, acct.err
	}
	if st.requireBasic {
		if err := checkBasicAuth(r, &acct.callback); err != nil {
			return Nonces{}, err
		}
	}
	return st.verify(r, acct)
}

func (v *Verifier) init() {
	st := &v.st
	st.trustForwarded = v.TrustForwardedHeaders
	st.requireBasic = v.RequireBasicAuth
	st.lookup = v.Lookup
	if st.lookup != nil {
		st.cache.fallbackURL = v.CallbackURL
		if v.CallbackURL != "" {
			if _, err := parseBaseURL(v.CallbackURL); err != nil {
				st.err = fmt.Errorf("%w (CallbackURL)", err)
			}
		}
		return
	}
	st.static = newAccount(v.AuthTokens, v.ParentAuthTokens, v.CallbackURL, st.requireBasic)
	if len(st.static.keys)+len(st.static.parentKeys) == 0 && st.static.err == nil {
		st.err = fmt.Errorf("%w: Verifier has neither AuthTokens nor ParentAuthTokens (nor a Lookup)", ErrNoAuthToken)
	}
}

// newAccount prepares tokens and a callback URL; a problem is kept in err.
func newAccount(tokens, parents []string, callbackURL string, requireBasic bool) account {
	a := account{keys: newMacKeys(tokens), parentKeys: newMacKeys(parents)}
	if callbackURL != "" {
		b, err := parseBaseURL(callbackURL)
		if err != nil {
			a.err = fmt.Errorf("%w (CallbackURL)", err)
			return a
		}
		a.callback, a.hasCallback = b, true
	}
	if requireBasic && !a.callback.hasUser {
		a.err = fmt.Errorf("%w: RequireBasicAuth needs a CallbackURL with user info (https://user:pass@host/path)", ErrInvalidCallbackURL)
	}
	return a
}

// lookupAccount asks Lookup for r's account and returns it prepared.
func (st *verifierState) lookupAccount(r *http.Request) (*account, error) {
	a, err := st.lookup(r)
	switch {
	case errors.Is(err, ErrUnknownAccount):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%w: Verifier.Lookup: %w", ErrUnavailable, err)
	}
	acct := st.cache.get(a, st.requireBasic)
	if acct.err == nil && len(acct.keys)+len(acct.parentKeys) == 0 {
		return nil, fmt.Errorf("%w: the account Verifier.Lookup returned has no token", ErrNoAuthToken)
	}
	return acct, nil
}

// checkBasicAuth compares r's basic-auth credentials with the user info of
// the callback URL, in constant time.
func checkBasicAuth(r *http.Request, cb *baseURL) error {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return fmt.Errorf("%w: no Authorization: Basic header", ErrBadCredentials)
	}
	u := subtle.ConstantTimeCompare([]byte(user), []byte(cb.user))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(cb.password))
	if u&p != 1 {
		return fmt.Errorf("%w: the Authorization header does not match the callback URL's user info", ErrBadCredentials)
	}
	return nil
}

// accountCache keeps the accounts Lookup returned, prepared, keyed by their
// tokens and URL, so that a request of a known account builds no HMAC key.
// It is bounded: past maxCachedAccounts it starts over.
type accountCache struct {
	mu          sync.Mutex
	fallbackURL string
	m           map[string]*account
}

const maxCachedAccounts = 1024

func (c *accountCache) get(a Account, requireBasic bool) *account {
	if a.CallbackURL == "" {
		a.CallbackURL = c.fallbackURL
	}
	key := accountKey(a)
	c.mu.Lock()
	defer c.mu.Unlock()
	if acct, ok := c.m[key]; ok {
		return acct
	}
	if c.m == nil || len(c.m) >= maxCachedAccounts {
		c.m = make(map[string]*account)
	}
	acct := newAccount(a.AuthTokens, a.ParentAuthTokens, a.CallbackURL, requireBasic)
	c.m[key] = &acct
	return &acct
}

// accountKey is an unambiguous key for an Account (lengths first).
func accountKey(a Account) string {
	b := make([]byte, 0, 128)
	add := func(s string) {
		b = fmt.Appendf(b, "%d:", len(s))
		b = append(b, s...)
	}
	add(a.CallbackURL)
	for _, t := range a.AuthTokens {
		add(t)
	}
	b = append(b, '|')
	for _, t := range a.ParentAuthTokens {
		add(t)
	}
	return string(b)
}

// sigKind is one of the four verifiable signature headers.
type sigKind struct {
	slot   int    // index in sigHeaders
	name   string // documented header name, for messages
	nonceV int    // 3 or 2: which nonce it uses
	sep    string // between URL and nonce in the signed string
	parent bool   // keyed with the parent account's token
}

var sigKinds = [...]sigKind{
	{slotV3, HeaderSignatureV3, 3, ".", false},
	{slotMAV3, HeaderSignatureMAV3, 3, ".", true},
	{slotV2, HeaderSignatureV2, 2, "", false},
	{slotMAV2, HeaderSignatureMAV2, 2, "", true},
}

func (st *verifierState) verify(r *http.Request, acct *account) (Nonces, error) {
	hv := loadSigHeaders(r.Header)
	if hv[slotV3] == nil && hv[slotV2] == nil && hv[slotMAV3] == nil && hv[slotMAV2] == nil {
		if hv[slotV1] != nil {
			return Nonces{}, fmt.Errorf("%w: only the legacy %s (V1) header, which cannot be verified; want %s or %s",
				ErrMissingSignature, headerSignatureV1, HeaderSignatureV3, HeaderSignatureV2)
		}
		return Nonces{}, fmt.Errorf("%w: no %s, %s, %s or %s header",
			ErrMissingSignature, HeaderSignatureV3, HeaderSignatureV2, HeaderSignatureMAV3, HeaderSignatureMAV2)
	}
	// A nonce header is read only next to a signature that uses it; alone,
	// it is ignored (it authenticates nothing, so it must not be claimed).
	var nonce3, nonce2 string
	var err error
	if hv[slotV3] != nil || hv[slotMAV3] != nil {
		if nonce3, err = parseNonce(HeaderSignatureV3Nonce, hv[slotV3Nonce]); err != nil {
			return Nonces{}, err
		}
	}
	if hv[slotV2] != nil || hv[slotMAV2] != nil {
		if nonce2, err = parseNonce(HeaderSignatureV2Nonce, hv[slotV2Nonce]); err != nil {
			return Nonces{}, err
		}
	}

	// Every signature header present must be well-formed, whether or not a
	// token for it is configured.
	var sigs [len(sigKinds)]sigList
	for i, k := range sigKinds {
		vals := hv[k.slot]
		if vals == nil {
			continue
		}
		nonceName, nonce := HeaderSignatureV3Nonce, nonce3
		if k.nonceV == 2 {
			nonceName, nonce = HeaderSignatureV2Nonce, nonce2
		}
		if nonce == "" {
			return Nonces{}, fmt.Errorf("%w: %s without %s", ErrMissingSignature, k.name, nonceName)
		}
		if err := parseSigList(k.name, vals, &sigs[i]); err != nil {
			return Nonces{}, err
		}
	}

	var cands urlCandidates
	if acct.hasCallback {
		cands.build(acct.callback)
	} else {
		cands.build(st.requestBase(r))
	}

	// Only the nonce of a signature that verified is returned for claiming:
	// an unverified nonce is attacker-chosen, and claiming it would let one
	// captured request fill the store with junk. The V2 family is checked
	// too when the V3 one verified, unless both use the same nonce.
	checked := false
	var ok3, ok2 bool
	for i, k := range sigKinds {
		if sigs[i].n == 0 {
			continue
		}
		keys, nonce := acct.keys, nonce3
		if k.parent {
			keys = acct.parentKeys
		}
		if k.nonceV == 2 {
			nonce = nonce2
		}
		if len(keys) == 0 {
			continue
		}
		checked = true
		if (k.nonceV == 3 && ok3) || (k.nonceV == 2 && (ok2 || ok3 && nonce2 == nonce3)) {
			continue // this nonce is verified already
		}
		if matchAny(keys, cands.list(), k.sep, nonce, &sigs[i]) {
			if k.nonceV == 3 {
				ok3 = true
			} else {
				ok2 = true
			}
		}
	}
	if ok3 || ok2 {
		var n Nonces
		if ok3 {
			n.V3 = nonce3
		}
		if ok2 && nonce2 != n.V3 {
			n.V2 = nonce2
		}
		return n, nil
	}
	if !checked {
		if len(acct.parentKeys) == 0 {
			return Nonces{}, fmt.Errorf("%w: only %s/%s present, which are keyed with the parent account's token, and no parent token is configured",
				ErrInvalidSignature, HeaderSignatureMAV3, HeaderSignatureMAV2)
		}
		return Nonces{}, fmt.Errorf("%w: only %s/%s present, which are keyed with the account's token, and no account token is configured",
			ErrInvalidSignature, HeaderSignatureV3, HeaderSignatureV2)
	}
	hint := "behind a proxy or load balancer, set CallbackURL to the public callback URL"
	if acct.hasCallback {
		hint = "check CallbackURL and the auth tokens"
	}
	return Nonces{}, fmt.Errorf("%w: no signature matches a configured token for the URL %s (%s)",
		ErrInvalidSignature, cands.describe(), hint)
}

// matchAny reports whether any signature in sigs is the HMAC, with any of
// keys, of a candidate URL, sep and nonce.
func matchAny(keys []*macKey, cands []baseURL, sep, nonce string, sigs *sigList) bool {
	for c := range cands {
		for _, key := range keys {
			var sum [sha256.Size]byte
			key.sum(&cands[c], sep, nonce, &sum)
			for j := range sigs.n {
				if hmac.Equal(sum[:], sigs.sums[j][:]) {
					return true
				}
			}
		}
	}
	return false
}
