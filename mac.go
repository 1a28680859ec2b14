package vobizhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

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

// baseURL is scheme://[userinfo@]host[:port]/path, the part of the callback
// URL Vobiz signs, kept in pieces so that the variants cost nothing.
type baseURL struct {
	scheme, host, port, path string // host keeps the brackets of an IPv6 literal; path as escaped
	userinfo                 string // "user:pass" exactly as written in the URL; written only when signUser
	userinfoEsc              string // the same as net/url escapes it, when that differs
	signUser                 bool
	// From the URL's user info, for RequireBasicAuth; never written out.
	hasUser        bool
	user, password string
}

func (b *baseURL) appendTo(dst []byte) []byte {
	dst = append(dst, b.scheme...)
	dst = append(dst, "://"...)
	if b.signUser {
		dst = append(dst, b.userinfo...)
		dst = append(dst, '@')
	}
	dst = append(dst, b.host...)
	if b.port != "" {
		dst = append(dst, ':')
		dst = append(dst, b.port...)
	}
	return append(dst, b.path...)
}

// String is the URL for messages: never with its user info.
func (b *baseURL) String() string {
	c := *b
	c.signUser = false
	return string(c.appendTo(nil))
}

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

// urlCandidates are the URLs a signature may have been computed over: the
// URL as given, with and without the scheme's default port; with an empty
// path and with "/" when it has either (a callbackUrl of just a host is
// requested as "/"); with its user info (Vobiz's Python SDK signs it as
// written, its Go SDK leaves it out; net/url's escaping of it is tried
// too); with its path percent-decoded (the Go SDK signs the decoded path,
// the Python SDK the raw one). The most likely comes first.
type urlCandidates struct {
	c                  [12]baseURL // 2 ports x 2 root paths x (none, as written, escaped) user info
	n                  int
	withUser, withPath bool
}

func (u *urlCandidates) add(b baseURL) {
	u.c[u.n] = b
	u.n++
	if alt, ok := b.alternate(); ok {
		u.c[u.n] = alt
		u.n++
	}
}

// addRoots adds b and, when its path is empty or "/", b with the other.
func (u *urlCandidates) addRoots(b baseURL) {
	u.add(b)
	switch b.path {
	case "":
		b.path = "/"
		u.add(b)
	case "/":
		b.path = ""
		u.add(b)
	}
}

func (u *urlCandidates) build(b baseURL) {
	b.signUser = false
	u.addRoots(b)
	if b.hasUser {
		withUser := b
		withUser.signUser = true
		u.addRoots(withUser)
		if b.userinfoEsc != "" {
			withUser.userinfo = b.userinfoEsc
			u.addRoots(withUser)
		}
		u.withUser = true
	}
	if decoded, err := url.PathUnescape(b.path); err == nil && decoded != b.path {
		d := b
		d.path = decoded
		u.add(d)
		u.withPath = true
	}
}

func (u *urlCandidates) list() []baseURL { return u.c[:u.n] }

// describe names the URLs tried, for an error message: without user info.
func (u *urlCandidates) describe() string {
	s := u.c[0].String()
	if u.n > 1 && u.c[1].signUser == u.c[0].signUser && u.c[1].path == u.c[0].path {
		s += " or " + u.c[1].String()
	}
	if u.withUser {
		s += ", also with its user info"
	}
	if u.withPath {
		s += ", also with its path percent-decoded"
	}
	return s
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
	}
	host, port := splitHostPort(u.Host)
	b := baseURL{scheme: u.Scheme, host: host, port: port, path: u.EscapedPath()}
	if u.User != nil {
		b.hasUser = true
		b.userinfo = rawUserinfo(raw)
		if esc := u.User.String(); esc != b.userinfo {
			b.userinfoEsc = esc
		}
		b.user = u.User.Username()
		b.password, _ = u.User.Password()
	}
	return b, nil
}

// rawUserinfo returns the user info of an absolute URL exactly as written
// (net/url re-escapes it: "p!ss" becomes "p%21ss").
func rawUserinfo(raw string) string {
	_, rest, _ := strings.Cut(raw, "://")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		return rest[:i]
	}
	return ""
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
