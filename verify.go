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

// Errors of verification, returned wrapped by [Verifier.Verify] with the
// header at fault and what was wrong, and answered by a [Handler] with the
// status in brackets. No message holds a token, a password or a signature.
var (
	ErrMissingSignature = errors.New("vobizhook: missing signature") // no signature header, or no nonce for one (403)
	ErrInvalidSignature = errors.New("vobizhook: invalid signature") // a malformed header, or no match (403)
	ErrUnknownAccount   = errors.New("vobizhook: unknown account")   // returned by a Verifier.Lookup that does not know the request's account (403)
	ErrBadCredentials   = errors.New("vobizhook: bad credentials")   // Authorization: Basic missing or wrong, with RequireBasicAuth (401)

	// Configuration errors, the server's fault: a Handler answers 500
	// (Vobiz retries once it is fixed) and logs at Error.
	ErrInvalidCallbackURL = errors.New("vobizhook: invalid callback URL")     // not an absolute http or https URL
	ErrNoAuthToken        = errors.New("vobizhook: no auth token configured") // a Verifier or Signer without a token
)

// Verifier checks Vobiz callback signatures: set it on [Handler.Verifier],
// or call Verify in a handler of your own before [ParseConferenceEvent],
// which verifies nothing. It never fails open: without a token (or a
// Lookup), Verify returns [ErrNoAuthToken] (a Handler answers 500), so one
// built from an unset environment variable refuses every callback, loudly.
// Its fields are read on the first Verify; share it by pointer.
//
// The body is not signed, so the nonce is the only defence against a
// replayed request: claim the returned [Nonces] before acting on the
// callback, as a Handler does.
type Verifier struct {
	// AuthTokens are the accepted account Auth Tokens (V3 and V2), and
	// ParentAuthTokens the parent account's (MA-V3 and MA-V2, on a
	// sub-account's callbacks). List the old and the new while rotating.
	AuthTokens, ParentAuthTokens []string

	// CallbackURL is the public callbackUrl exactly as on <Conference>;
	// its query is ignored, as Vobiz ignores it. It may carry user info
	// (https://user:pass@host/path): the signature is then accepted with
	// or without it, and the password is never logged. Empty rebuilds the
	// URL from the request, which is wrong behind a TLS-terminating proxy.
	CallbackURL string

	// TrustForwardedHeaders makes a Verifier without CallbackURL take the
	// scheme and host from X-Forwarded-Proto and X-Forwarded-Host. Set it
	// only behind a proxy that sets both.
	TrustForwardedHeaders bool

	// RequireBasicAuth also requires the request's Authorization: Basic to
	// match the callback URL's user info (in constant time); otherwise
	// [ErrBadCredentials], a 401 from a Handler.
	RequireBasicAuth bool

	// Lookup, when set, chooses each request's account, for one endpoint
	// serving several Vobiz accounts (by path segment, host or header; it
	// must not read the body). Return [ErrUnknownAccount] for an unknown
	// one (403); any other error is answered 503. An Account's empty
	// CallbackURL means the Verifier's; AuthTokens and ParentAuthTokens are
	// then not used.
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
	callback         baseURL       // the parsed CallbackURL, when hasCallback
	cands            urlCandidates // the URLs signed, from callback, when hasCallback
	hasCallback      bool
	err              error // a configuration error of this account
}

// Verify reports whether r carries a valid Vobiz signature, without
// reading the body, and returns the nonces of the signatures that verified.
// It checks the V3 and V2 headers with AuthTokens and the MA variants with
// ParentAuthTokens, for the callback URL with and without its default port
// and user info, its path as received or decoded; one match of any
// comma-separated signature suffices, compared in constant time.
//
// Errors wrap ErrMissingSignature, ErrInvalidSignature, ErrBadCredentials
// or ErrUnknownAccount and name the header at fault; ErrNoAuthToken or
// ErrInvalidCallbackURL for a configuration fault; ErrUnavailable when
// Lookup failed.
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
		a.cands.build(b)
	}
	if requireBasic && !a.callback.hasUser {
		a.err = fmt.Errorf("%w: RequireBasicAuth needs a CallbackURL with user info (https://user:pass@host/path)", ErrInvalidCallbackURL)
	}
	return a
}

// lookupAccount asks Lookup for r's account and returns it prepared.
func (st *verifierState) lookupAccount(r *http.Request) (*account, error) {
	a, err := callLookup(st.lookup, r)
	var pe *PanicError
	switch {
	case errors.Is(err, ErrUnknownAccount):
		return nil, err
	case errors.As(err, &pe):
		return nil, fmt.Errorf("vobizhook: Verifier.Lookup: %w", err)
	case err != nil:
		return nil, fmt.Errorf("%w: Verifier.Lookup: %w", ErrUnavailable, err)
	}
	acct := st.cache.get(a, st.requireBasic)
	if acct.err == nil && len(acct.keys)+len(acct.parentKeys) == 0 {
		return nil, fmt.Errorf("%w: the account Verifier.Lookup returned has no token", ErrNoAuthToken)
	}
	return acct, nil
}

// callLookup calls lookup, turning a panic into a *PanicError (re-raising
// http.ErrAbortHandler).
func callLookup(lookup func(*http.Request) (Account, error), r *http.Request) (a Account, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
		}
	}()
	return lookup(r)
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
	if n, err, ok := st.verifyV3(r, acct); ok {
		return n, err
	}
	return st.verifyAny(r, acct)
}

// verifyAny is verify's general path: any headers, any tokens.
func (st *verifierState) verifyAny(r *http.Request, acct *account) (Nonces, error) {
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

	var buf urlCandidates
	cands := st.candidates(r, acct, &buf)

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
	return Nonces{}, noMatch(acct, cands)
}

// noMatch is the error of signatures that match no configured token.
func noMatch(acct *account, cands *urlCandidates) error {
	hint := "behind a proxy or load balancer, set CallbackURL to the public callback URL"
	if acct.hasCallback {
		hint = "check CallbackURL and the auth tokens"
	}
	return fmt.Errorf("%w: no signature matches a configured token for the URL %s (%s)",
		ErrInvalidSignature, cands.describe(), hint)
}

// candidates returns the URLs a signature of r may be over: the account's,
// prepared once, or rebuilt from the request in buf.
func (st *verifierState) candidates(r *http.Request, acct *account, buf *urlCandidates) *urlCandidates {
	if acct.hasCallback {
		return &acct.cands
	}
	buf.build(st.requestBase(r))
	return buf
}

// verifyV3 is verify for the requests Vobiz sends an account's callbacks
// with: a V3 signature, maybe a V2 one with the same nonce, none keyed with
// the parent account's token, and a token for them. It reports ok false for
// any other request, which verify's general path then takes; for these it
// returns what that path would (the same checks in the same order, the V2
// signature checked for form only, as the V3 one verifies the nonce), with
// fewer header lookups and no signature lists but the two.
func (st *verifierState) verifyV3(r *http.Request, acct *account) (n Nonces, err error, ok bool) {
	h := r.Header
	v3, v2 := h[slotKeys[slotV3]], h[slotKeys[slotV2]]
	if len(v3) == 0 || len(acct.keys) == 0 || len(h[slotKeys[slotMAV3]]) > 0 || len(h[slotKeys[slotMAV2]]) > 0 {
		return Nonces{}, nil, false
	}
	nonce3, err := parseNonce(HeaderSignatureV3Nonce, h[slotKeys[slotV3Nonce]])
	if err != nil {
		return Nonces{}, err, true
	}
	var nonce2 string
	if len(v2) > 0 {
		if nonce2, err = parseNonce(HeaderSignatureV2Nonce, h[slotKeys[slotV2Nonce]]); err != nil {
			return Nonces{}, err, true
		}
	}
	if nonce3 == "" {
		return Nonces{}, fmt.Errorf("%w: %s without %s", ErrMissingSignature, HeaderSignatureV3, HeaderSignatureV3Nonce), true
	}
	var sigs sigList
	if err := parseSigList(HeaderSignatureV3, v3, &sigs); err != nil {
		return Nonces{}, err, true
	}
	if len(v2) > 0 {
		if nonce2 == "" {
			return Nonces{}, fmt.Errorf("%w: %s without %s", ErrMissingSignature, HeaderSignatureV2, HeaderSignatureV2Nonce), true
		}
		var sigs2 sigList
		if err := parseSigList(HeaderSignatureV2, v2, &sigs2); err != nil {
			return Nonces{}, err, true
		}
		if nonce2 != nonce3 {
			return Nonces{}, nil, false // both nonces to verify: the general path
		}
	}
	var buf urlCandidates
	cands := st.candidates(r, acct, &buf)
	switch {
	case matchAny(acct.keys, cands.list(), ".", nonce3, &sigs):
		return Nonces{V3: nonce3}, nil, true
	case len(v2) > 0:
		return Nonces{}, nil, false // the V2 signature may verify the nonce: the general path
	}
	return Nonces{}, noMatch(acct, cands), true
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
