package vobizxml

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reasons shared by several checks.
const (
	reasonURL        = "want an absolute http or https URL"
	reasonRequired   = "want an absolute http or https URL; Vobiz requires it"
	reasonMethod     = `want "GET" or "POST" (upper case)`
	reasonToggle     = "want Unset, On or Off"
	reasonLoop       = "want a count > 0, or LoopForever"
	reasonPositive   = "want a positive integer, or 0 to leave it unset"
	reasonSound      = `want "beep:1", "beep:2" or an absolute http or https URL`
	reasonDigits     = "want comma-free patterns of 0-9, '*' and '#', none empty"
	reasonRecordFmt  = `want "mp3" or "wav"`
	reasonRoom       = "want a non-empty room name of printable characters (no control characters)"
	reasonSpeakText  = "want non-empty text without control characters other than tab and newline"
	reasonLanguage   = `want a language tag such as "en-US"`
	reasonNeedsURLFn = "want an absolute http or https URL; it is empty while %s is set"
	reasonEndTimeout = "want 2 to 10 seconds, EndTimeoutAuto, or 0 to leave it unset"
	reasonDTMF       = "want digits 0-9, '*', '#', and 'w' or 'W' for a pause"
	reasonHeaders    = "want names and values of letters and digits only, none empty"
)

// checker collects the problems of one element.
type checker struct {
	element string
	errs    []error
}

func (c *checker) fail(attr, reason string) {
	c.errs = append(c.errs, &AttrError{Element: c.element, Attr: attr, Reason: reason, Err: ErrInvalidAttr})
}

// failStructure reports a problem with the element as a whole.
func (c *checker) failStructure(reason string) {
	c.errs = append(c.errs, &AttrError{Element: c.element, Structure: true, Reason: reason, Err: ErrInvalidAttr})
}

func (c *checker) toggle(attr string, t Toggle) {
	if t > Off {
		c.fail(attr, reasonToggle)
	}
}

func (c *checker) positive(attr string, n int) {
	if n < 0 {
		c.fail(attr, reasonPositive)
	}
}

// between checks an optional count: 0 (unset) or lo..hi.
func (c *checker) between(attr string, n, lo, hi int) {
	if n != 0 && (n < lo || n > hi) {
		c.fail(attr, "want "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi)+", or 0 to leave it unset")
	}
}

// oneOf checks an optional enumerated value.
func (c *checker) oneOf(attr, v string, allowed ...string) {
	if v == "" {
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.fail(attr, "want "+quoteList(allowed))
}

// quoteList returns `"a", "b" or "c"`.
func quoteList(values []string) string {
	var b strings.Builder
	for i, v := range values {
		switch {
		case i == 0:
		case i == len(values)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(v))
	}
	return b.String()
}

func (c *checker) method(attr, m string) {
	if m != "" && m != http.MethodGet && m != http.MethodPost {
		c.fail(attr, reasonMethod)
	}
}

// urlWithMethod checks an optional URL attribute and its method attribute:
// a method without a URL is a mistake (typically an empty
// callback URL), reported on the URL attribute.
func (c *checker) urlWithMethod(urlAttr, u, methodAttr, m string) {
	switch {
	case u == "" && m != "":
		c.fail(urlAttr, fmt.Sprintf(reasonNeedsURLFn, methodAttr))
	case u != "" && !validURL(u):
		c.fail(urlAttr, reasonURL)
	}
	c.method(methodAttr, m)
}

// requiredURL checks a URL attribute Vobiz requires, and its method.
func (c *checker) requiredURL(urlAttr, u, methodAttr, m string) {
	if !validURL(u) {
		c.fail(urlAttr, reasonRequired)
	}
	c.method(methodAttr, m)
}

// needs reports attr, set without the attribute it depends on.
func (c *checker) needs(attr string, set bool, other string, otherSet bool) {
	if set && !otherSet {
		c.fail(attr, "has no effect without "+other)
	}
}

func (c *checker) headers(attr string, h Headers, maxLen int) {
	if len(h) == 0 {
		return
	}
	for k, v := range h {
		if !alnum(k) || !alnum(v) {
			c.fail(attr, reasonHeaders)
			return
		}
	}
	if maxLen > 0 && len(h.join()) > maxLen {
		c.fail(attr, "want at most "+strconv.Itoa(maxLen)+" bytes in all")
	}
}

// validURL reports whether s is an absolute http or https URL with a host
// and no whitespace or control characters (which Vobiz would not fetch), nor
// characters XML cannot carry (which encoding/xml would replace).
func validURL(s string) bool {
	return validURLScheme(s, "http", "https")
}

// validURLScheme is validURL for other schemes (ws and wss for Stream).
func validURLScheme(s string, schemes ...string) bool {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return false
	}
	if !textRunes(s, false) { // encoding/xml would silently replace what XML cannot carry
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	for _, sc := range schemes {
		if u.Scheme == sc {
			return true
		}
	}
	return false
}

func validSound(s string) bool {
	return s == "" || s == SingleBeep || s == DoubleBeep || validURL(s)
}

func validDigits(p DigitPatterns) bool {
	for _, d := range p {
		if d == "" || !onlyKeys(d, "0123456789*#") {
			return false
		}
	}
	return true
}

// onlyKeys reports whether every byte of s is one of keys.
func onlyKeys(s, keys string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(keys, s[i]) < 0 {
			return false
		}
	}
	return true
}

func alnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// validRoom: non-blank, valid UTF-8, no control characters, only
// characters XML 1.0 can carry (encoding/xml would silently replace the
// others, putting the caller in a different room).
func validRoom(s string) bool {
	return validText(s, false)
}

// validSpeakText is validRoom allowing tab, newline and carriage return.
func validSpeakText(s string) bool {
	return validText(s, true)
}

// validText: non-blank text of textRunes.
func validText(s string, spaces bool) bool {
	return strings.TrimSpace(s) != "" && textRunes(s, spaces)
}

// textRunes: valid UTF-8, only XML characters and no control characters
// (tab, newline and carriage return allowed with spaces set).
func textRunes(s string, spaces bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if spaces && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		if unicode.IsControl(r) || !xmlChar(r) {
			return false
		}
	}
	return true
}

// xmlChar is the XML 1.0 Char production (tab, newline and carriage return
// aside, which callers handle).
func xmlChar(r rune) bool {
	return (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func validLanguage(s string) bool {
	if len(s) < 2 || len(s) > 35 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// joined returns nil, the single error, or errors.Join of all of them.
func joined(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}
