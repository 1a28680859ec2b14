package vobizhook

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The headers Vobiz signs callbacks with (its "Validating callbacks" page).
// Header names are matched case-insensitively.
const (
	// HeaderSignatureV3 holds base64(HMAC-SHA256(AuthToken, baseURL + "." + nonce)),
	// with the nonce in HeaderSignatureV3Nonce.
	HeaderSignatureV3      = "X-Vobiz-Signature-V3"
	HeaderSignatureV3Nonce = "X-Vobiz-Signature-V3-Nonce" // the nonce of the V3 and MA-V3 signatures

	// HeaderSignatureV2 holds base64(HMAC-SHA256(AuthToken, baseURL + nonce)),
	// with the nonce in HeaderSignatureV2Nonce.
	HeaderSignatureV2      = "X-Vobiz-Signature-V2"
	HeaderSignatureV2Nonce = "X-Vobiz-Signature-V2-Nonce" // the nonce of the V2 and MA-V2 signatures

	// HeaderSignatureMAV3 and HeaderSignatureMAV2 are V3 and V2 signatures
	// keyed with the parent (main) account's Auth Token, sent with a
	// sub-account's callbacks; they use the V3 and V2 nonce respectively.
	HeaderSignatureMAV3 = "X-Vobiz-Signature-MA-V3"
	HeaderSignatureMAV2 = "X-Vobiz-Signature-MA-V2"
)

// headerSignatureV1 is the legacy HMAC-SHA1 signature, whose input Vobiz
// does not document: it cannot be verified and does not count as a signature.
const headerSignatureV1 = "X-Vobiz-Signature"

// Errors of signature verification, returned wrapped (with the header at
// fault and what was wrong) by [Verifier.Verify], and answered with 403 by
// [Handler]. The messages never contain a token or a signature value.
var (
	// ErrMissingSignature: the request carries no verifiable signature
	// header, or a signature without its nonce header.
	ErrMissingSignature = errors.New("vobizhook: missing signature")

	// ErrInvalidSignature: a signature or nonce header is malformed, or no
	// signature matches any configured token.
	ErrInvalidSignature = errors.New("vobizhook: invalid signature")
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

// Verifier checks Vobiz callback signatures. Use it to verify callbacks in
// a handler of your own (another router, a framework); [Handler] uses the
// same code, configured from its own fields.
//
// A Verifier never fails open: without any token, Verify returns
// [ErrNoAuthToken]. Its fields are read on the first call of Verify and must
// not change afterwards; use it by pointer and share it between goroutines
// freely.
//
// Verify checks signatures only. The body is not signed, so the nonce is the
// only defence against a replayed request: pass the returned [Nonces] to
// [Nonces.Claim] before acting on the callback, then mark them handled with
// [Nonces.Complete], or release them with [Nonces.Release] if handling it
// failed, as Handler does.
type Verifier struct {
	// AuthTokens are the accepted account Auth Tokens, for the V3 and V2
	// signatures. List the new and the old token while rotating.
	AuthTokens []string

	// ParentAuthTokens are the accepted parent (main) account Auth Tokens,
	// for the MA-V3 and MA-V2 signatures of a sub-account's callbacks.
	ParentAuthTokens []string

	// CallbackURL is the public callbackUrl exactly as configured on
	// <Conference>. Its query string is ignored, as Vobiz does when signing.
	// When empty, the URL is rebuilt from the request (see
	// TrustForwardedHeaders), which gives the wrong URL behind a proxy that
	// terminates TLS or rewrites the host.
	CallbackURL string

	// TrustForwardedHeaders makes a Verifier without CallbackURL take the
	// scheme from X-Forwarded-Proto and the host from X-Forwarded-Host (their
	// first value). Set it only behind a proxy that sets both; prefer
	// CallbackURL.
	TrustForwardedHeaders bool

	once sync.Once
	st   verifierState
}

type verifierState struct {
	keys, parentKeys []*macKey
	callback         baseURL // the parsed CallbackURL, when hasCallback
	hasCallback      bool
	trustForwarded   bool
	err              error // a configuration error, returned by every Verify
}

// Nonces are the nonces of a verified request: the value of its V3 nonce
// header when a V3 or MA-V3 signature verified, and of its V2 nonce header
// when a V2 or MA-V2 signature verified. Vobiz may send the same nonce in
// both or two different ones; claiming both keeps a replay that strips one
// signature from being dispatched again. A nonce whose signature did not
// verify (or is absent) is never returned: it could be anything.
type Nonces struct {
	V3 string // the X-Vobiz-Signature-V3-Nonce value, or ""
	V2 string // the X-Vobiz-Signature-V2-Nonce value when different from V3, or ""
}

// IsZero reports whether n holds no nonce.
func (n Nonces) IsZero() bool { return n.V3 == "" && n.V2 == "" }

// Claim claims each nonce of n in store, V3 first, for lease (zero or less
// means [DefaultNonceLease]), and reports what it found:
//
//   - [NonceNew]: every nonce was free and is now claimed, in progress: act
//     on the callback, then call [Nonces.Complete] if that succeeded or
//     [Nonces.Release] if it failed.
//   - [NonceInProgress]: a delivery of the same request is being handled
//     right now: do not act on it; answer a 5xx (503) so that Vobiz retries.
//   - [NonceDone]: the request was already handled successfully (a retry or
//     a replay): acknowledge it with 200 without acting on it.
//
// When it does not return NonceNew, Claim releases the nonce it claimed
// itself, so the store is as before. On a store error, it releases what it
// claimed and returns NonceInProgress with the error: answer a 5xx so that
// Vobiz retries. With no nonce at all, it returns NonceNew.
func (n Nonces) Claim(ctx context.Context, store NonceStore, lease time.Duration) (NonceState, error) {
	if store == nil {
		return NonceInProgress, errNilStore
	}
	if lease <= 0 {
		lease = DefaultNonceLease
	}
	claimedV3 := false
	undo := func() {
		if claimedV3 {
			store.Release(context.WithoutCancel(ctx), n.V3)
		}
	}
	for _, nonce := range [...]string{n.V3, n.V2} {
		if nonce == "" {
			continue
		}
		state, err := store.Claim(ctx, nonce, lease)
		if err != nil {
			undo()
			return NonceInProgress, fmt.Errorf("vobizhook: claiming a nonce: %w", err)
		}
		switch state {
		case NonceNew:
		case NonceDone:
			undo()
			return NonceDone, nil
		default: // NonceInProgress, or a state this package does not know
			undo()
			return NonceInProgress, nil
		}
		claimedV3 = nonce == n.V3
	}
	return NonceNew, nil
}

var errNilStore = errors.New("vobizhook: nil NonceStore")

// Complete marks the nonces of n done in store, remembered for window (zero
// or less means [DefaultReplayWindow]): call it when handling a request
// claimed with [Nonces.Claim] succeeded, so that its retries and replays are
// acknowledged without being handled again.
func (n Nonces) Complete(ctx context.Context, store NonceStore, window time.Duration) error {
	if store == nil {
		return errNilStore
	}
	if window <= 0 {
		window = DefaultReplayWindow
	}
	return n.each(func(nonce string) error { return store.Complete(ctx, nonce, window) }, "completing")
}

// Release releases the nonces of n in store, so that a retry of the request
// is handled: call it when handling a request claimed with [Nonces.Claim]
// failed.
func (n Nonces) Release(ctx context.Context, store NonceStore) error {
	if store == nil {
		return errNilStore
	}
	return n.each(func(nonce string) error { return store.Release(ctx, nonce) }, "releasing")
}

// each calls fn for each nonce of n, all of them even when one fails.
func (n Nonces) each(fn func(nonce string) error, verb string) error {
	var errs []error
	for _, nonce := range [...]string{n.V3, n.V2} {
		if nonce == "" {
			continue
		}
		if err := fn(nonce); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("vobizhook: %s a nonce: %w", verb, err)
	}
	return nil
}

// Verify reports whether r carries a valid Vobiz signature; it does not read
// the body. On success it returns the nonces of the signatures that verified,
// for replay protection; a nonce header without a verified signature is
// ignored.
//
// It checks, in this order, X-Vobiz-Signature-V3 and X-Vobiz-Signature-V2
// with AuthTokens, and the MA-V3 and MA-V2 variants with ParentAuthTokens,
// against the callback URL with and without the scheme's default port. A
// header may hold several comma-separated signatures; one match of any
// signature with any token suffices. Signatures are compared in constant
// time.
//
// Errors wrap [ErrMissingSignature] (no signature header, or no nonce for
// one) or [ErrInvalidSignature] (a malformed header, or no match) and name
// the header at fault; or, for a configuration fault, [ErrNoAuthToken] or
// [ErrInvalidCallbackURL]. They never contain a token or a signature value.
func (v *Verifier) Verify(r *http.Request) (Nonces, error) {
	v.once.Do(v.init)
	if v.st.err != nil {
		return Nonces{}, v.st.err
	}
	return v.st.verify(r)
}

func (v *Verifier) init() {
	st := &v.st
	st.keys = newMacKeys(v.AuthTokens)
	st.parentKeys = newMacKeys(v.ParentAuthTokens)
	st.trustForwarded = v.TrustForwardedHeaders
	if len(st.keys)+len(st.parentKeys) == 0 {
		st.err = fmt.Errorf("%w: Verifier has neither AuthTokens nor ParentAuthTokens", ErrNoAuthToken)
		return
	}
	if v.CallbackURL != "" {
		b, err := parseBaseURL(v.CallbackURL)
		if err != nil {
			st.err = fmt.Errorf("%w (CallbackURL)", err)
			return
		}
		st.callback, st.hasCallback = b, true
	}
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

// maxSignatures caps the comma-separated signatures in one header; rotation
// needs two.
const maxSignatures = 8

// maxNonceLen caps a nonce; Vobiz's are 20 digits.
const maxNonceLen = 64

type sigList struct {
	n    int
	sums [maxSignatures][sha256.Size]byte
}

func (st *verifierState) verify(r *http.Request) (Nonces, error) {
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

	var cands [2]baseURL
	if st.hasCallback {
		cands[0] = st.callback
	} else {
		cands[0] = st.requestBase(r)
	}
	nc := 1
	if alt, ok := cands[0].alternate(); ok {
		cands[1], nc = alt, 2
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
		keys, nonce := st.keys, nonce3
		if k.parent {
			keys = st.parentKeys
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
		if matchAny(keys, cands[:nc], k.sep, nonce, &sigs[i]) {
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
		if len(st.parentKeys) == 0 {
			return Nonces{}, fmt.Errorf("%w: only %s/%s present, which are keyed with the parent account's token, and no parent token is configured",
				ErrInvalidSignature, HeaderSignatureMAV3, HeaderSignatureMAV2)
		}
		return Nonces{}, fmt.Errorf("%w: only %s/%s present, which are keyed with the account's token, and no account token is configured",
			ErrInvalidSignature, HeaderSignatureV3, HeaderSignatureV2)
	}
	also := ""
	if nc == 2 {
		also = " or " + cands[1].String()
	}
	hint := "behind a proxy or load balancer, set CallbackURL to the public callback URL"
	if st.hasCallback {
		hint = "check CallbackURL and the auth tokens"
	}
	return Nonces{}, fmt.Errorf("%w: no signature matches a configured token for the URL %s%s (%s)",
		ErrInvalidSignature, cands[0].String(), also, hint)
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

// Header lookup. Go canonicalizes header names as it parses requests (and
// Header.Set does too), so the canonical keys are looked up first; a header
// map filled by hand with other spellings is searched case-insensitively
// when none of the signature headers is found that way.

const (
	slotV3 = iota
	slotV3Nonce
	slotV2
	slotV2Nonce
	slotMAV3
	slotMAV2
	slotV1
	numSlots
)

var slotNames = [numSlots]string{
	HeaderSignatureV3, HeaderSignatureV3Nonce, HeaderSignatureV2, HeaderSignatureV2Nonce,
	HeaderSignatureMAV3, HeaderSignatureMAV2, headerSignatureV1,
}

var slotKeys = func() (keys [numSlots]string) {
	for i, name := range slotNames {
		keys[i] = http.CanonicalHeaderKey(name)
	}
	return keys
}()

type sigHeaders [numSlots][]string

func loadSigHeaders(h http.Header) (hv sigHeaders) {
	for i, k := range slotKeys {
		if v := h[k]; len(v) > 0 {
			hv[i] = v
		}
	}
	if hv[slotV3] != nil || hv[slotV2] != nil || hv[slotMAV3] != nil || hv[slotMAV2] != nil {
		return hv
	}
	prefix := headerSignatureV1
	for k, v := range h {
		if len(v) == 0 || len(k) < len(prefix) || !strings.EqualFold(k[:len(prefix)], prefix) {
			continue
		}
		for i, name := range slotNames {
			if k != slotKeys[i] && strings.EqualFold(k, name) {
				hv[i] = append(hv[i][:len(hv[i]):len(hv[i])], v...)
				break
			}
		}
	}
	return hv
}

// parseNonce returns the single value of a nonce header, "" when absent.
func parseNonce(name string, vals []string) (string, error) {
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%w: %s given more than once", ErrInvalidSignature, name)
	}
	n := strings.TrimSpace(vals[0])
	if n == "" {
		return "", fmt.Errorf("%w: %s is empty", ErrInvalidSignature, name)
	}
	if len(n) > maxNonceLen {
		return "", fmt.Errorf("%w: %s is longer than %d characters", ErrInvalidSignature, name, maxNonceLen)
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c <= ' ' || c >= 0x7f || c == ',' {
			return "", fmt.Errorf("%w: %s: want printable ASCII without spaces or commas", ErrInvalidSignature, name)
		}
	}
	return n, nil
}

// parseSigList decodes the comma-separated signatures of one header (all its
// lines) into out. Empty items between commas are skipped.
func parseSigList(name string, vals []string, out *sigList) error {
	item := 0
	for _, v := range vals {
		for v != "" {
			var s string
			s, v, _ = strings.Cut(v, ",")
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			item++
			if out.n == maxSignatures {
				return fmt.Errorf("%w: %s holds more than %d signatures", ErrInvalidSignature, name, maxSignatures)
			}
			if !decodeSig(s, &out.sums[out.n]) {
				return fmt.Errorf("%w: %s: signature %d is not a base64-encoded HMAC-SHA256", ErrInvalidSignature, name, item)
			}
			out.n++
		}
	}
	if out.n == 0 {
		return fmt.Errorf("%w: %s is empty", ErrInvalidSignature, name)
	}
	return nil
}

// encodedSigLen is the length of a base64-encoded SHA-256 sum with padding.
var encodedSigLen = base64.StdEncoding.EncodedLen(sha256.Size)

// decodeSig decodes a base64 (padded or not) SHA-256 sum into dst, using
// stack buffers only.
func decodeSig(s string, dst *[sha256.Size]byte) bool {
	enc := base64.StdEncoding
	switch len(s) {
	case encodedSigLen:
	case base64.RawStdEncoding.EncodedLen(sha256.Size):
		enc = base64.RawStdEncoding
	default:
		return false
	}
	var src [44]byte
	var buf [sha256.Size + 1]byte
	n, err := enc.Decode(buf[:], src[:copy(src[:], s)])
	if err != nil || n != sha256.Size {
		return false
	}
	copy(dst[:], buf[:n])
	return true
}

// HMAC keys: one pool of ready hashers (with a message buffer) per token,
// so that verifying allocates nothing in the steady state.

type macKey struct{ pool sync.Pool }

type macState struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func newMacKeys(tokens []string) []*macKey {
	var keys []*macKey
	seen := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		key := []byte(t)
		k := &macKey{}
		k.pool.New = func() any {
			return &macState{h: hmac.New(sha256.New, key), buf: make([]byte, 0, 256)}
		}
		keys = append(keys, k)
	}
	return keys
}

// sum computes HMAC-SHA256(token, base + sep + nonce) into out.
func (k *macKey) sum(base *baseURL, sep, nonce string, out *[sha256.Size]byte) {
	ms := k.pool.Get().(*macState)
	buf := base.appendTo(ms.buf[:0])
	buf = append(buf, sep...)
	buf = append(buf, nonce...)
	ms.h.Reset()
	ms.h.Write(buf)
	ms.h.Sum(ms.sum[:0])
	*out = ms.sum
	if cap(buf) <= 4096 {
		ms.buf = buf[:0]
	}
	k.pool.Put(ms)
}

// baseURL is scheme://host[:port]/path, the part of the callback URL Vobiz
// signs, kept in pieces so the default-port variant costs nothing.
type baseURL struct {
	scheme, host, port, path string // host keeps the brackets of an IPv6 literal
}

func (b *baseURL) appendTo(dst []byte) []byte {
	dst = append(dst, b.scheme...)
	dst = append(dst, "://"...)
	dst = append(dst, b.host...)
	if b.port != "" {
		dst = append(dst, ':')
		dst = append(dst, b.port...)
	}
	return append(dst, b.path...)
}

func (b *baseURL) String() string { return string(b.appendTo(nil)) }

// alternate returns b with the scheme's default port added or removed.
func (b baseURL) alternate() (baseURL, bool) {
	def := ""
	switch b.scheme {
	case "https":
		def = "443"
	case "http":
		def = "80"
	}
	switch {
	case def == "":
		return b, false
	case b.port == "":
		b.port = def
	case b.port == def:
		b.port = ""
	default:
		return b, false
	}
	return b, true
}

func splitHostPort(hostport string) (host, port string) {
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 || strings.IndexByte(hostport[i:], ']') >= 0 {
		return hostport, ""
	}
	return hostport[:i], hostport[i+1:]
}

// parseBaseURL validates a callback URL and keeps the part Vobiz signs. Its
// errors do not repeat the URL, which may carry credentials.
func parseBaseURL(raw string) (baseURL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return baseURL{}, fmt.Errorf("%w: not a valid URL", ErrInvalidCallbackURL)
	case u.Scheme != "http" && u.Scheme != "https":
		return baseURL{}, fmt.Errorf("%w: want an absolute http or https URL", ErrInvalidCallbackURL)
	case u.Opaque != "" || u.Host == "":
		return baseURL{}, fmt.Errorf("%w: no host", ErrInvalidCallbackURL)
	case u.User != nil:
		return baseURL{}, fmt.Errorf("%w: must not contain user info", ErrInvalidCallbackURL)
	}
	host, port := splitHostPort(u.Host)
	return baseURL{scheme: u.Scheme, host: host, port: port, path: u.EscapedPath()}, nil
}

// requestBase rebuilds the callback URL from the request: scheme from TLS,
// host from Host, the path exactly as received (before any http.StripPrefix).
func (st *verifierState) requestBase(r *http.Request) baseURL {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	if st.trustForwarded {
		switch p := firstValue(r.Header, "X-Forwarded-Proto"); {
		case strings.EqualFold(p, "https"):
			scheme = "https"
		case strings.EqualFold(p, "http"):
			scheme = "http"
		}
		if fh := firstValue(r.Header, "X-Forwarded-Host"); fh != "" {
			host = fh
		}
	}
	h, p := splitHostPort(host)
	return baseURL{scheme: scheme, host: h, port: p, path: requestPath(r)}
}

func requestPath(r *http.Request) string {
	uri := r.RequestURI
	if _, rest, ok := strings.Cut(uri, "://"); ok && !strings.HasPrefix(uri, "/") {
		// Absolute form, as sent to proxies (and made by httptest.NewRequest).
		rest, _, _ = strings.Cut(rest, "?")
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			uri = rest[i:]
		} else {
			uri = "/"
		}
	}
	if strings.HasPrefix(uri, "/") {
		p, _, _ := strings.Cut(uri, "?")
		return p
	}
	if r.URL != nil {
		return r.URL.EscapedPath()
	}
	return ""
}

// firstValue returns the first comma-separated item of the header's first
// line: the one the outermost proxy set.
func firstValue(h http.Header, key string) string {
	v := h.Get(key)
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

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
// scheme://host[:port]/path, with the query string and fragment removed.
// The error wraps [ErrInvalidCallbackURL] when callbackURL is not an
// absolute http or https URL.
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

	// CallbackURL is the URL to sign (its query is ignored). When empty, a
	// client request (made by http.NewRequest: no RequestURI) is signed for
	// its own URL, r.URL; a server request (made by httptest.NewRequest, or
	// received) for the URL a Verifier without CallbackURL rebuilds: scheme
	// from r.TLS, host from r.Host, the path.
	CallbackURL string

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
	nonce := s.Nonce
	if nonce == "" {
		nonce = NewNonce()
	}
	u := base.String()
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
// Vobiz would: the shortest way to build a signed request in a test. An empty
// callbackURL signs r's own URL, as [Signer] explains. Use a [Signer] for a fixed nonce
// or a parent-account signature.
func SignRequest(r *http.Request, callbackURL, authToken string) error {
	s := Signer{AuthToken: authToken, CallbackURL: callbackURL}
	return s.Sign(r)
}
