package vobizxml

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reasons shared by several checks.
const (
	reasonURL        = "want an absolute http or https URL"
	reasonMethod     = `want "GET" or "POST" (upper case)`
	reasonToggle     = "want Unset, On or Off"
	reasonLoop       = "want a count > 0, or LoopForever"
	reasonPositive   = "want a positive integer, or 0 to leave it unset"
	reasonSound      = `want "beep:1", "beep:2" or an absolute http or https URL`
	reasonDigits     = "want comma-free patterns of 0-9, '*' and '#', none empty"
	reasonRecordFmt  = `want "mp3" or "wav"`
	reasonRoom       = "want a non-empty room name of printable characters (no control characters)"
	reasonSpeakText  = "want non-empty text without control characters other than tab and newline"
	reasonVoice      = `want "WOMAN" or "MAN"`
	reasonLanguage   = `want a language tag such as "en-US"`
	reasonHangup     = `want "rejected" or "busy"`
	reasonNeedsURLFn = "want an absolute http or https URL; it is empty while %s is set"
)

type checker struct {
	element string
	errs    []error
}

func (c *checker) fail(attr, reason string) {
	c.errs = append(c.errs, &AttrError{Element: c.element, Attr: attr, Reason: reason, Err: ErrInvalidAttr})
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

func (c Conference) validate(errs []error) []error {
	ck := checker{element: "Conference", errs: errs}
	if !validRoom(c.Room) {
		ck.fail("", reasonRoom)
	}
	ck.toggle("muted", c.Muted)
	ck.toggle("beep", c.Beep)
	ck.toggle("startConferenceOnEnter", c.StartConferenceOnEnter)
	ck.toggle("endConferenceOnExit", c.EndConferenceOnExit)
	ck.toggle("stayAlone", c.StayAlone)
	ck.positive("maxParticipants", c.MaxParticipants)
	ck.positive("timeLimit", c.TimeLimit)
	if !validSound(c.EnterSound) {
		ck.fail("enterSound", reasonSound)
	}
	if !validSound(c.ExitSound) {
		ck.fail("exitSound", reasonSound)
	}
	ck.urlWithMethod("waitSound", c.WaitSound, "waitMethod", c.WaitMethod)
	ck.toggle("relayDTMF", c.RelayDTMF)
	ck.toggle("hangupOnStar", c.HangupOnStar)
	if !validDigits(c.DigitsMatch) {
		ck.fail("digitsMatch", reasonDigits)
	}
	ck.toggle("record", c.Record)
	if f := c.RecordFileFormat; f != "" && f != RecordMP3 && f != RecordWAV {
		ck.fail("recordFileFormat", reasonRecordFmt)
	}
	ck.urlWithMethod("callbackUrl", c.CallbackURL, "callbackMethod", c.CallbackMethod)
	ck.urlWithMethod("action", c.Action, "method", c.Method)
	return ck.errs
}

func (s Speak) validate(errs []error) []error {
	ck := checker{element: "Speak", errs: errs}
	if !validSpeakText(s.Text) {
		ck.fail("", reasonSpeakText)
	}
	if s.Voice != "" && s.Voice != VoiceWoman && s.Voice != VoiceMan {
		ck.fail("voice", reasonVoice)
	}
	if s.Language != "" && !validLanguage(s.Language) {
		ck.fail("language", reasonLanguage)
	}
	if s.Loop < LoopForever {
		ck.fail("loop", reasonLoop)
	}
	return ck.errs
}

func (p Play) validate(errs []error) []error {
	ck := checker{element: "Play", errs: errs}
	if !validURL(p.URL) {
		ck.fail("", reasonURL)
	}
	if p.Loop < LoopForever {
		ck.fail("loop", reasonLoop)
	}
	return ck.errs
}

func (w Wait) validate(errs []error) []error {
	ck := checker{element: "Wait", errs: errs}
	ck.positive("length", w.Length)
	ck.toggle("silence", w.Silence)
	ck.positive("minSilence", w.MinSilence)
	return ck.errs
}

func (h Hangup) validate(errs []error) []error {
	ck := checker{element: "Hangup", errs: errs}
	if h.Reason != "" && h.Reason != HangupRejected && h.Reason != HangupBusy {
		ck.fail("reason", reasonHangup)
	}
	ck.positive("schedule", h.Schedule)
	return ck.errs
}

// validURL reports whether s is an absolute http or https URL with a host
// and no whitespace or control characters (which Vobiz would not fetch).
func validURL(s string) bool {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return false
	}
	if !utf8.ValidString(s) {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return true
}

func validSound(s string) bool {
	return s == "" || s == SingleBeep || s == DoubleBeep || validURL(s)
}

func validDigits(p DigitPatterns) bool {
	for _, d := range p {
		if d == "" {
			return false
		}
		for i := 0; i < len(d); i++ {
			if c := d[i]; (c < '0' || c > '9') && c != '*' && c != '#' {
				return false
			}
		}
	}
	return true
}

// validRoom: non-blank, valid UTF-8, no control characters, only
// characters XML 1.0 can carry (encoding/xml would silently replace the
// others, putting the caller in a different room).
func validRoom(s string) bool {
	if strings.TrimSpace(s) == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || !xmlChar(r) {
			return false
		}
	}
	return true
}

// validSpeakText is validRoom allowing tab, newline and carriage return.
func validSpeakText(s string) bool {
	if strings.TrimSpace(s) == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\t' || r == '\n' || r == '\r' {
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
