package vobizhook

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// DefaultMaxBodyBytes is the body size limit used by [ParseConferenceEvent]
// and by a [Handler] whose MaxBodyBytes is zero. Real callbacks are well under
// 2 KiB; 64 KiB leaves room for providers that add parameters.
const DefaultMaxBodyBytes = 64 << 10

const formMediaType = "application/x-www-form-urlencoded"

// readForm returns the callback parameters carried by r: the query string for
// GET, the form body for POST. The body is read once and parsed once; the
// returned values share memory with a single string copy of it.
func readForm(r *http.Request, limit int64) (url.Values, error) {
	switch r.Method {
	case http.MethodGet:
		if int64(len(r.URL.RawQuery)) > limit {
			return nil, fmt.Errorf("%w: the query string is longer than %d bytes", ErrBodyTooLarge, limit)
		}
		return parseForm(r.URL.RawQuery)
	case http.MethodPost:
		if err := checkContentType(r); err != nil {
			return nil, err
		}
		if r.PostForm != nil {
			// Someone (a middleware, a framework) already consumed and
			// parsed the body; its result is all that is left.
			return r.PostForm, nil
		}
		body, err := readBody(r, limit)
		if err != nil {
			return nil, err
		}
		return parseForm(body)
	default:
		return nil, ErrMethodNotAllowed
	}
}

// checkContentType accepts application/x-www-form-urlencoded with any
// parameters (charset=UTF-8 and the like), and a missing Content-Type only when
// there is no body at all.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
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

// bodyBufs recycles the buffers bodies are read into; only the final string
// copy of a body outlives the request.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledBuf keeps one unusually large body from pinning memory in the pool.
const maxPooledBuf = 64 << 10

func readBody(r *http.Request, limit int64) (string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return "", nil
	}
	if r.ContentLength > limit {
		return "", ErrBodyTooLarge
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
			return "", ErrBodyTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				return "", ErrBodyTooLarge
			case errors.Is(err, http.ErrBodyReadAfterClose):
				return "", fmt.Errorf("%w: it was closed", ErrBodyConsumed)
			}
			return "", fmt.Errorf("%w: reading body: %w", ErrMalformedForm, err)
		}
	}
	if r.ContentLength > 0 && int64(len(buf)) < r.ContentLength {
		// net/http reports a client that hung up mid-body as
		// io.ErrUnexpectedEOF; a clean EOF this early means another reader
		// took the bytes first.
		return "", fmt.Errorf("%w: %d of %d bytes left", ErrBodyConsumed, len(buf), r.ContentLength)
	}
	return string(buf), nil
}

// parseForm parses application/x-www-form-urlencoded data like
// url.ParseQuery, with the same rules (a ';' is an error, not a separator),
// but allocates far less: names and values that need no unescaping are
// substrings of s, and all first values share one backing array. Each value
// slice has its capacity capped, so appending to it never clobbers another.
// It scans s once, byte by byte against a table, instead of searching it
// once per delimiter.
func parseForm(s string) (url.Values, error) {
	// Size for the parameters to come, but never more than a real callback
	// has: a body of 60,000 '&' must not buy 60,000 slots.
	n := min(strings.Count(s, "&")+1, maxPresize)
	values := make(url.Values, n)
	backing := make([]string, n)
	used := 0
	for i := 0; i < len(s); {
		// One pair: s[start:i], its '=' at eq (or -1), escapes noted.
		start, eq := i, -1
		keyEsc, valEsc := false, false
	scan:
		for ; i < len(s); i++ {
			if formClass[s[i]] == 0 {
				continue
			}
			switch s[i] {
			case '&':
				break scan
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
				return nil, fmt.Errorf("%w: ';' is not a parameter separator", ErrMalformedForm)
			}
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
		var err error
		if keyEsc {
			if key, err = url.QueryUnescape(rawKey); err != nil {
				return nil, fmt.Errorf("%w: invalid percent-encoding in a parameter name", ErrMalformedForm)
			}
		}
		if valEsc {
			if value, err = url.QueryUnescape(rawValue); err != nil {
				return nil, fmt.Errorf("%w: invalid percent-encoding in the value of %s", ErrMalformedForm, quoteName(key))
			}
		}
		if old, ok := values[key]; ok {
			values[key] = append(old, value)
			continue
		}
		if used == len(backing) {
			backing, used = make([]string, maxPresize), 0
		}
		backing[used] = value
		values[key] = backing[used : used+1 : used+1]
		used++
	}
	return values, nil
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
