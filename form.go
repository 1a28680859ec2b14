package vobizhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unsafe"
)

// DefaultMaxBodyBytes is the body size limit used by [ParseConferenceEvent]
// and by a [Handler] whose MaxBodyBytes is zero. Real callbacks are well under
// 2 KiB; 64 KiB leaves room for providers that add parameters.
const DefaultMaxBodyBytes = 64 << 10

const formMediaType = "application/x-www-form-urlencoded"

// readForm returns the callback parameters carried by r: the query string for
// GET, the form body for POST. The body is read once, into a buffer of its
// own that the returned values share, and parsed once; that one pass also
// checks the named parameters (checked is then true, and a problem with
// one is the error). When r.PostForm was filled by someone else, its
// values are returned unchecked.
func readForm(r *http.Request, limit int64) (values url.Values, checked bool, err error) {
	switch r.Method {
	case http.MethodGet:
		if int64(len(r.URL.RawQuery)) > limit {
			return nil, false, fmt.Errorf("%w: the query string is longer than %d bytes", ErrBodyTooLarge, limit)
		}
		values, err = scanForm(r.URL.RawQuery, params, nil)
		return values, true, err
	case http.MethodPost:
		if err := checkContentType(r); err != nil {
			return nil, false, err
		}
		if r.PostForm != nil {
			// Someone (a middleware, a framework) already consumed and
			// parsed the body; its result is all that is left.
			return r.PostForm, false, nil
		}
		body, spare, err := readBody(r, limit)
		if err != nil {
			return nil, false, err
		}
		values, err = scanForm(body, params, spare)
		return values, true, err
	default:
		return nil, false, ErrMethodNotAllowed
	}
}

// checkContentType accepts application/x-www-form-urlencoded with any
// parameters (charset=UTF-8 and the like), and a missing Content-Type only when
// there is no body at all.
func checkContentType(r *http.Request) error {
	// r.Header.Get with the key already canonical: the same lookup,
	// without checking the key's spelling on every request.
	var ct string
	if v := r.Header["Content-Type"]; len(v) > 0 {
		ct = v[0]
	}
	if ct == "" {
		if r.ContentLength == 0 {
			return nil
		}
		return fmt.Errorf("%w: no Content-Type", ErrUnsupportedMediaType)
	}
	mediaType, _, _ := strings.Cut(ct, ";")
	if !strings.EqualFold(strings.TrimSpace(mediaType), formMediaType) {
		return ErrUnsupportedMediaType
	}
	return nil
}

// bodyBufs recycles the buffers bodies are read into; only the body's own
// copy outlives the request.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledBuf keeps one unusually large body from pinning memory in the pool.
const maxPooledBuf = 64 << 10

// readBody reads r's body (at most limit bytes) and returns it in a buffer
// of its own, with spare capacity after it in the same allocation for
// scanForm to write the unescaped names and values into: as many bytes as
// there are from the start of the first pair that holds an escape ('%' or
// '+'), which bounds what unescaping can write. The body is never written
// again once returned, so the string shares the buffer (unsafe.String)
// instead of being another copy.
func readBody(r *http.Request, limit int64) (string, []byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		if r.ContentLength > 0 { // a middleware read it and put "no body" back
			return "", nil, fmt.Errorf("%w: no body left of %d bytes", ErrBodyConsumed, r.ContentLength)
		}
		return "", nil, nil
	}
	if r.ContentLength > limit {
		return "", nil, ErrBodyTooLarge
	}
	bp := bodyBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= maxPooledBuf {
			*bp = buf[:0]
			bodyBufs.Put(bp)
		}
	}()
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return "", nil, ErrBodyTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				return "", nil, ErrBodyTooLarge
			case errors.Is(err, http.ErrBodyReadAfterClose):
				return "", nil, fmt.Errorf("%w: it was closed", ErrBodyConsumed)
			}
			return "", nil, fmt.Errorf("%w: reading body: %w", ErrMalformedForm, err)
		}
	}
	if r.ContentLength > 0 && int64(len(buf)) < r.ContentLength {
		// net/http reports a client that hung up mid-body as
		// io.ErrUnexpectedEOF; a clean EOF this early means another reader
		// took the bytes first.
		return "", nil, fmt.Errorf("%w: %d of %d bytes left", ErrBodyConsumed, len(buf), r.ContentLength)
	}
	if len(buf) == 0 {
		if r.ContentLength < 0 {
			// A chunked body that reads as empty: Vobiz never sends an
			// empty callback, so something before the Handler read it.
			return "", nil, fmt.Errorf("%w: the chunked body was empty", ErrBodyConsumed)
		}
		return "", nil, nil
	}
	spare := 0
	if i := firstEscape(buf); i >= 0 {
		spare = len(buf) - (bytes.LastIndexByte(buf[:i], '&') + 1)
	}
	own := make([]byte, len(buf), len(buf)+spare)
	copy(own, buf)
	return unsafe.String(unsafe.SliceData(own), len(own)), own[len(own):len(own):cap(own)], nil
}

// firstEscape returns the index of the first '%' or '+' in b, or -1.
func firstEscape(b []byte) int {
	i, j := bytes.IndexByte(b, '%'), bytes.IndexByte(b, '+')
	switch {
	case i < 0:
		return j
	case j < 0:
		return i
	}
	return min(i, j)
}

// parseForm parses application/x-www-form-urlencoded data like
// url.ParseQuery, with the same rules (a ';' is an error, not a separator),
// but allocates far less: names and values that need no unescaping are
// substrings of s, and all first values share one backing array. Each value
// slice has its capacity capped, so appending to it never clobbers another.
func parseForm(s string) (url.Values, error) { return scanForm(s, nil, nil) }

// scanForm is parseForm, scanning s once, byte by byte against a table,
// instead of searching it once per delimiter. With a table, the same pass
// checks the named parameters as tab.check would, and reports the same
// error. With spare capacity (see readBody), unescaped names and values
// are written there instead of into new strings.
func scanForm(s string, tab *paramTable, spare []byte) (url.Values, error) {
	// Size for the parameters to come, but never more than a real callback
	// has: a body of 60,000 '&' must not buy 60,000 slots.
	n := min(strings.Count(s, "&")+1, maxPresize)
	values := make(url.Values, n)
	backing := make([]string, n)
	used := 0
	var seen, dup, bad uint64 // named parameters, by row
	for i := 0; i < len(s); {
		start := i
		var eq int
		var keyEsc, valEsc, semicolon bool
		i, eq, keyEsc, valEsc, semicolon = scanPair(s, i)
		if semicolon {
			return nil, fmt.Errorf("%w: ';' is not a parameter separator", ErrMalformedForm)
		}
		pair := s[start:i]
		i++ // past the '&'
		if pair == "" {
			continue
		}
		rawKey, rawValue := pair, ""
		if eq >= 0 {
			rawKey, rawValue = s[start:eq], s[eq+1:start+len(pair)]
		}
		key, value := rawKey, rawValue
		var ok bool
		if keyEsc {
			if key, spare, ok = unescape(rawKey, spare); !ok {
				return nil, fmt.Errorf("%w: invalid percent-encoding in a parameter name", ErrMalformedForm)
			}
		}
		if valEsc {
			if value, spare, ok = unescape(rawValue, spare); !ok {
				return nil, fmt.Errorf("%w: invalid percent-encoding in the value of %s", ErrMalformedForm, quoteName(key))
			}
		}
		if tab != nil {
			if row := tab.index(key); row >= 0 {
				bit := uint64(1) << uint(row)
				if seen&bit != 0 {
					dup |= bit
				} else {
					// The first of a named parameter: not in values yet.
					seen |= bit
					if !tab.valueOK(row, value) {
						bad |= bit
					}
					backing, used = addValue(values, key, value, backing, used)
					continue
				}
			}
		}
		if old, ok := values[key]; ok {
			values[key] = append(old, value)
			continue
		}
		backing, used = addValue(values, key, value, backing, used)
	}
	if errs := dup | bad; errs != 0 {
		row := bits.TrailingZeros64(errs)
		if dup&(1<<uint(row)) != 0 {
			return nil, tab.duplicate(row)
		}
		return nil, tab.checkValue(row, values[tab.rows[row].name][0])
	}
	return values, nil
}

// scanPair finds the end of the pair that starts at s[i] (the next '&', or
// len(s)), its first '=' (or -1), whether its name or its value holds an
// escape ('%' or '+'), and whether it holds a ';'. It is a function of its
// own, kept out of line, so that its loop keeps its few variables in
// registers: inlined into scanForm, it reloaded spilled ones from the
// stack on every byte, three times slower (BENCHMARKS.md).
//
//go:noinline
func scanPair(s string, i int) (end, eq int, keyEsc, valEsc, semicolon bool) {
	eq = -1
	for ; i < len(s); i++ {
		if formClass[s[i]] == 0 {
			continue
		}
		switch s[i] {
		case '&':
			return i, eq, keyEsc, valEsc, false
		case '=':
			if eq < 0 {
				eq = i
			}
		case '%', '+':
			if eq < 0 {
				keyEsc = true
			} else {
				valEsc = true
			}
		case ';':
			return i, eq, keyEsc, valEsc, true
		}
	}
	return i, eq, keyEsc, valEsc, false
}

// addValue adds key, not in values yet, with its first value in the shared
// backing array.
func addValue(values url.Values, key, value string, backing []string, used int) ([]string, int) {
	if used == len(backing) {
		backing, used = make([]string, maxPresize), 0
	}
	backing[used] = value
	values[key] = backing[used : used+1 : used+1]
	return backing, used + 1
}

// unescape decodes a query component as url.QueryUnescape does ('+' is a
// space, %XX a byte; a '%' without two hex digits is an error). It writes
// the result into spare when it has room (see readBody) and returns the
// rest of spare, else into a new string.
func unescape(s string, spare []byte) (string, []byte, bool) {
	if cap(spare)-len(spare) < len(s) {
		v, err := url.QueryUnescape(s)
		return v, spare, err == nil
	}
	out := spare[len(spare) : len(spare)+len(s)]
	w := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			out[w] = ' '
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", spare, false
			}
			out[w] = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		default:
			out[w] = c
		}
		w++
	}
	if w == 0 {
		return "", spare, true
	}
	// The bytes just written are never written again: the next value goes
	// after them.
	return unsafe.String(&out[0], w), out[w:w:cap(out)], true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// maxPresize bounds parseForm's allocations ahead of need; Vobiz's largest
// callback has 17 parameters.
const maxPresize = 32

// formClass marks the bytes parseForm must look at.
var formClass = [256]uint8{'&': 1, '=': 1, '%': 1, '+': 1, ';': 1}

// quoteName renders an untrusted parameter name for an error message: quoted,
// escaped, and cut short.
func quoteName(name string) string {
	const max = 64
	if len(name) > max {
		return fmt.Sprintf("%q...", name[:max])
	}
	return fmt.Sprintf("%q", name)
}
