package vobizhook_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// The hostile-input catalogue: testdata/hostile/*.http are raw HTTP/1.1
// requests, and testdata/hostile/cases.txt gives each one's expected status
// and whether it is dispatched. The files are generated from hostileCases
// below (signature headers need the package's signer, for a fixed nonce and
// test token), and checked in; regenerate them after changing the table with
//
//	go test -run TestHostileGenerate -hostile.update .
var hostileUpdate = flag.Bool("hostile.update", false, "rewrite testdata/hostile from the hostileCases table")

const (
	hostileDir    = "testdata/hostile"
	hostileToken  = "hostile-test-auth-token-5f1c9a7e"
	hostileParent = "hostile-parent-token-8d2b4e60"
	hostileOther  = "hostile-some-other-token-3c7a"
	hostileHost   = "hooks.example.com"
	hostilePath   = "/vobiz/conference-events"
	hostileURL    = "https://" + hostileHost + hostilePath
	hostileForm   = "application/x-www-form-urlencoded"
)

// hostileBody is the documented live enter.
const hostileBody = "ConferenceAction=enter&Event=ConferenceEnter&ConferenceUUID=b6c2e1a4-0d7f-4a52-9a61-2f0c5e9d8a10" +
	"&ConferenceName=WeeklyStandup&ConferenceMemberID=249&ConferenceFirstMember=true" +
	"&CallUUID=c1f4a7e2-5b3d-4e8f-a9c0-7d2e6b1f3a45&From=918071387423&To=919624705678" +
	"&Direction=inbound&CallStatus=in-progress"

// What happens to a case besides its status.
const (
	expectDispatch = "dispatch" // dispatched once
	expectNone     = "none"     // not dispatched
	expectReplay   = "replay"   // served twice: dispatched once, then 200 without dispatch
)

type hostileCase struct {
	name   string
	status int
	expect string
	note   string

	method      string // default POST
	target      string // request target; default hostilePath
	host        string // default hostileHost
	contentType string // default hostileForm; "-" for none, "(empty)" for an empty one
	body        string // default hostileBody
	noBody      bool   // send no body at all
	chunked     bool   // send the body chunked, without Content-Length
	headers     []string
	// sign returns the signature header lines for the case's nonce; nil
	// signs as Vobiz does (V3 and V2, hostileToken, hostileURL).
	sign func(nonce string) []string
}

// withBody returns hostileBody with old replaced by new (once).
func withBody(old, new string) string {
	if !strings.Contains(hostileBody, old) {
		panic("hostile: " + old + " not in the body")
	}
	return strings.Replace(hostileBody, old, new, 1)
}

// vobizSigned returns the headers the package's Signer sets for token,
// callbackURL and nonce, in a fixed order.
func vobizSigned(token, parent, callbackURL, nonce string) []string {
	r := httptest.NewRequest(http.MethodPost, hostileURL, nil)
	s := vobizhook.Signer{AuthToken: token, ParentAuthToken: parent, CallbackURL: callbackURL, Nonce: nonce}
	if err := s.Sign(r); err != nil {
		panic(err)
	}
	var lines []string
	for _, name := range []string{
		vobizhook.HeaderSignatureV3, vobizhook.HeaderSignatureV3Nonce,
		vobizhook.HeaderSignatureV2, vobizhook.HeaderSignatureV2Nonce,
		vobizhook.HeaderSignatureMAV3, vobizhook.HeaderSignatureMAV2,
	} {
		if v := r.Header.Get(name); v != "" {
			lines = append(lines, name+": "+v)
		}
	}
	return lines
}

func v3Lines(sig, nonce string) []string {
	return []string{vobizhook.HeaderSignatureV3 + ": " + sig, vobizhook.HeaderSignatureV3Nonce + ": " + nonce}
}

// junkSig is a well-formed signature that matches nothing.
func junkSig(i int) string {
	m := hmac.New(sha256.New, []byte("junk"))
	fmt.Fprint(m, i)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func hostileCases() []hostileCase {
	base, _ := vobizhook.BaseURL(hostileURL)
	v3 := func(token, url, nonce string) string { return vobizhook.SignatureV3(token, url, nonce) }
	return []hostileCase{
		// Baselines: the catalogue's Handler accepts a real callback.
		{name: "ok-live-enter", status: 200, expect: expectDispatch, note: "baseline: the documented live enter, signed as Vobiz signs it"},
		{name: "ok-get-query", status: 200, expect: expectDispatch, note: "baseline: callbackMethod=GET, parameters in the query",
			method: "GET", target: hostilePath + "?" + hostileBody, contentType: "-", noBody: true},

		// Encodings.
		{name: "enc-broken-percent", status: 400, expect: expectNone, note: "%zz is not percent-encoding",
			body: withBody("WeeklyStandup", "Weekly%zzStandup")},
		{name: "enc-truncated-percent", status: 400, expect: expectNone, note: "a % cut short at the end of the body",
			body: hostileBody + "&Note=50%"},
		{name: "enc-percent-00-named", status: 400, expect: expectNone, note: "%00 in a decoded parameter",
			body: withBody("WeeklyStandup", "Weekly%00Standup")},
		{name: "enc-percent-00-unknown", status: 200, expect: expectDispatch, note: "%00 in a parameter no field decodes: kept as received in Params, never logged",
			body: hostileBody + "&Note=a%00b"},
		{name: "enc-raw-nul", status: 400, expect: expectNone, note: "a raw NUL byte in a decoded parameter",
			body: withBody("WeeklyStandup", "Weekly\x00Standup")},
		{name: "enc-overlong-utf8", status: 400, expect: expectNone, note: "overlong UTF-8 for '/' (C0 AF)",
			body: withBody("WeeklyStandup", "Weekly%C0%AFStandup")},
		{name: "enc-invalid-utf8-value", status: 400, expect: expectNone, note: "percent-encoded invalid UTF-8 in a value",
			body: withBody("WeeklyStandup", "Weekly%FF%FEStandup")},
		{name: "enc-invalid-utf8-raw", status: 400, expect: expectNone, note: "a raw 0xFF byte in a value",
			body: withBody("WeeklyStandup", "Weekly\xffStandup")},
		{name: "enc-surrogate-utf8", status: 400, expect: expectNone, note: "a UTF-16 surrogate encoded as UTF-8 (ED A0 80)",
			body: withBody("WeeklyStandup", "Weekly%ED%A0%80")},
		{name: "enc-invalid-utf8-name", status: 200, expect: expectDispatch, note: "invalid UTF-8 in the name of an unknown parameter: kept in Params",
			body: hostileBody + "&%FF%FE=1"},
		{name: "enc-plus-space", status: 200, expect: expectDispatch, note: "'+' decodes to a space",
			body: withBody("WeeklyStandup", "Weekly+Standup")},
		{name: "enc-percent-2b", status: 200, expect: expectDispatch, note: "%2B decodes to '+'",
			body: withBody("From=918071387423", "From=%2B918071387423")},
		{name: "enc-semicolon-value", status: 400, expect: expectNone, note: "a raw ';' (url.ParseQuery's rule: not a separator, an error)",
			body: withBody("WeeklyStandup", "Weekly;Standup")},
		{name: "enc-semicolon-separator", status: 400, expect: expectNone, note: "';' used as a separator to smuggle a parameter",
			body: withBody("&Event=", ";ConferenceAction=exit&Event=")},
		{name: "enc-many-ampersands", status: 200, expect: expectDispatch, note: "60,000 '&' between the parameters, under the 64 KiB limit",
			body: strings.ReplaceAll(hostileBody, "&", strings.Repeat("&", 6000))},
		{name: "enc-empty-name", status: 200, expect: expectDispatch, note: "a parameter with an empty name",
			body: hostileBody + "&=orphan"},
		{name: "enc-name-without-value", status: 400, expect: expectNone, note: "ConferenceAction with no '=': empty, so missing",
			body: withBody("ConferenceAction=enter", "ConferenceAction")},
		{name: "enc-bom", status: 400, expect: expectNone, note: "a UTF-8 BOM glued to the first name: ConferenceAction is missing",
			body: "\xef\xbb\xbf" + hostileBody},
		{name: "enc-percent-encoded-name", status: 200, expect: expectDispatch, note: "a fully percent-encoded name is the same parameter",
			body: withBody("CallStatus=", "%43allStatus=")},

		// Duplicates and look-alikes.
		{name: "dup-action-same", status: 400, expect: expectNone, note: "ConferenceAction twice with the same value",
			body: hostileBody + "&ConferenceAction=enter"},
		{name: "dup-action-different", status: 400, expect: expectNone, note: "ConferenceAction enter then exit (parameter pollution)",
			body: hostileBody + "&ConferenceAction=exit"},
		{name: "dup-calluuid", status: 400, expect: expectNone, note: "CallUUID twice",
			body: hostileBody + "&CallUUID=00000000-0000-4000-8000-000000000000"},
		{name: "dup-member-id", status: 400, expect: expectNone, note: "ConferenceMemberID twice",
			body: hostileBody + "&ConferenceMemberID=1"},
		{name: "dup-encoded-name", status: 400, expect: expectNone, note: "ConferenceAction and its percent-encoded spelling are the same parameter",
			body: hostileBody + "&%43onferenceAction=exit"},
		{name: "dup-case-variant", status: 200, expect: expectDispatch, note: "conferenceaction is not ConferenceAction: names are case-sensitive",
			body: hostileBody + "&conferenceaction=exit&CONFERENCEACTION=end"},
		{name: "dup-lowercase-only", status: 400, expect: expectNone, note: "only conferenceaction: ConferenceAction is missing",
			body: withBody("ConferenceAction=", "conferenceaction=")},
		{name: "dup-unknown-twice", status: 200, expect: expectDispatch, note: "an unknown parameter twice: both values kept in Params",
			body: hostileBody + "&BillRate=0.0045&BillRate=0.0100"},
		{name: "dup-query-and-body", status: 200, expect: expectDispatch, note: "a POST's query string is ignored (and not signed)",
			target: hostilePath + "?ConferenceAction=exit&CallUUID=evil"},

		// Sizes.
		{name: "huge-60k-value", status: 200, expect: expectDispatch, note: "a 60,000-byte value, under the 64 KiB limit",
			body: hostileBody + "&Pad=" + strings.Repeat("a", 60000)},
		{name: "huge-over-limit", status: 413, expect: expectNone, note: "a 70,000-byte body with Content-Length",
			body: hostileBody + "&Pad=" + strings.Repeat("a", 70000)},
		{name: "huge-over-limit-chunked", status: 413, expect: expectNone, note: "a 70,000-byte chunked body, no Content-Length",
			body: hostileBody + "&Pad=" + strings.Repeat("a", 70000), chunked: true},
		{name: "huge-size-overflow", status: 400, expect: expectNone, note: "ConferenceCurrentSize beyond int64",
			body: hostileBody + "&ConferenceCurrentSize=99999999999999999999999"},
		{name: "huge-size-negative", status: 400, expect: expectNone, note: "ConferenceCurrentSize=-1",
			body: hostileBody + "&ConferenceCurrentSize=-1"},

		// Control characters (log injection).
		{name: "ctl-crlf-log-injection", status: 400, expect: expectNone, note: "CRLF and a forged log line in ConferenceName",
			body: withBody("WeeklyStandup", "Standup%0D%0Atime%3D2026-01-01+level%3DERROR+msg%3Dforged")},
		{name: "ctl-lf-calluuid", status: 400, expect: expectNone, note: "LF in CallUUID",
			body: withBody("CallUUID=c1f4a7e2", "CallUUID=%0Ac1f4a7e2")},
		{name: "ctl-bell", status: 400, expect: expectNone, note: "BEL (%07)",
			body: withBody("WeeklyStandup", "Weekly%07Standup")},
		{name: "ctl-tab", status: 400, expect: expectNone, note: "TAB (%09) is a control character too",
			body: withBody("WeeklyStandup", "Weekly%09Standup")},
		{name: "ctl-del", status: 400, expect: expectNone, note: "DEL (%7F)",
			body: withBody("WeeklyStandup", "Weekly%7FStandup")},
		{name: "ctl-ansi-escape", status: 400, expect: expectNone, note: "an ANSI escape sequence (ESC [31m)",
			body: withBody("WeeklyStandup", "%1B%5B31mWeeklyStandup")},
		{name: "ctl-c1-nel", status: 400, expect: expectNone, note: "U+0085 (C1 NEL), a control character that breaks log lines",
			body: withBody("WeeklyStandup", "Weekly%C2%85Standup")},
		{name: "ctl-u2028", status: 400, expect: expectNone, note: "U+2028 LINE SEPARATOR in a named parameter",
			body: withBody("WeeklyStandup", "Weekly%E2%80%A8Standup")},
		{name: "ctl-bidi-override", status: 400, expect: expectNone, note: "U+202E RIGHT-TO-LEFT OVERRIDE, which spoofs what a log line shows",
			body: withBody("WeeklyStandup", "Weekly%E2%80%AEpudnatS")},
		{name: "len-call-uuid", status: 400, expect: expectNone, note: "a 4 KB CallUUID (cap 128 bytes)",
			body: withBody("CallUUID=c1f4a7e2", "CallUUID="+strings.Repeat("c", 4096)+"c1f4a7e2")},
		{name: "action-blank", status: 400, expect: expectNone, note: "ConferenceAction of spaces",
			body: withBody("ConferenceAction=enter", "ConferenceAction=+++")},
		{name: "get-query-over-limit", status: 413, expect: expectNone, note: "a GET query string over MaxBodyBytes",
			method: "GET", target: hostilePath + "?ConferenceAction=enter&pad=" + strings.Repeat("q", 70<<10), contentType: "-", noBody: true},
		{name: "ctl-u2028-unknown", status: 200, expect: expectDispatch, note: "U+2028 in a parameter the event does not decode: kept in Params, never logged",
			body: withBody("ConferenceAction=enter", "ConferenceAction=enter&X-Note=a%E2%80%A8b")},

		// Header tricks.
		{name: "hdr-two-content-types-form-first", status: 200, expect: expectDispatch, note: "two Content-Type headers: the first one counts",
			headers: []string{"Content-Type: application/json"}},
		{name: "hdr-two-content-types-json-first", status: 415, expect: expectNone, note: "two Content-Type headers, JSON first",
			contentType: "application/json", headers: []string{"Content-Type: " + hostileForm}},
		{name: "hdr-content-type-upper", status: 200, expect: expectDispatch, note: "media type and parameters in upper case",
			contentType: "APPLICATION/X-WWW-FORM-URLENCODED; CHARSET=UTF-8"},
		{name: "hdr-content-type-odd-params", status: 200, expect: expectDispatch, note: "odd but harmless Content-Type parameters",
			contentType: hostileForm + ` ; boundary=xyz; q="a;b"`},
		{name: "hdr-content-type-suffix", status: 415, expect: expectNone, note: "application/x-www-form-urlencodedx",
			contentType: hostileForm + "x"},
		{name: "hdr-content-type-multipart", status: 415, expect: expectNone, note: "multipart/form-data",
			contentType: "multipart/form-data; boundary=xyz"},
		{name: "hdr-content-type-missing", status: 415, expect: expectNone, note: "a body without Content-Type",
			contentType: "-"},
		{name: "hdr-content-type-empty", status: 415, expect: expectNone, note: "an empty Content-Type",
			contentType: "(empty)"},
		{name: "hdr-chunked", status: 200, expect: expectDispatch, note: "Transfer-Encoding: chunked, no Content-Length",
			chunked: true},
		{name: "hdr-expect-continue", status: 200, expect: expectDispatch, note: "Expect: 100-continue",
			headers: []string{"Expect: 100-continue"}},
		{name: "hdr-absurd-host", status: 200, expect: expectDispatch, note: "an absurd Host: CallbackURL, not Host, is what is verified",
			host: "evil.example.net:99999"},
		{name: "hdr-forwarded-spoof", status: 403, expect: expectNone, note: "X-Forwarded-* naming a host the request is signed for, TrustForwardedHeaders off",
			headers: []string{"X-Forwarded-Proto: http", "X-Forwarded-Host: evil.example"},
			sign: func(nonce string) []string {
				return vobizSigned(hostileToken, "", "http://evil.example"+hostilePath, nonce)
			}},
		{name: "hdr-method-put", status: 405, expect: expectNone, note: "a signed PUT",
			method: "PUT"},
		{name: "hdr-method-delete", status: 405, expect: expectNone, note: "a signed DELETE without body",
			method: "DELETE", contentType: "-", noBody: true},

		// Signature tricks.
		{name: "sig-none", status: 403, expect: expectNone, note: "no signature header at all",
			sign: func(string) []string { return nil }},
		{name: "sig-v1-only", status: 403, expect: expectNone, note: "only the legacy X-Vobiz-Signature, which cannot be verified",
			sign: func(string) []string { return []string{"X-Vobiz-Signature: bGVnYWN5LXYxLXNpZ25hdHVyZQ=="} }},
		{name: "sig-empty", status: 403, expect: expectNone, note: "an empty X-Vobiz-Signature-V3",
			sign: func(nonce string) []string { return v3Lines("", nonce) }},
		{name: "sig-bad-base64", status: 403, expect: expectNone, note: "a signature that is not base64",
			sign: func(nonce string) []string { return v3Lines("!!!!not-base64-at-all!!!!", nonce) }},
		{name: "sig-truncated", status: 403, expect: expectNone, note: "the right signature without its last 4 characters",
			sign: func(nonce string) []string { s := v3(hostileToken, base, nonce); return v3Lines(s[:len(s)-4], nonce) }},
		{name: "sig-url-safe-alphabet", status: 403, expect: expectNone, note: "a right signature re-encoded in the URL-safe alphabet is not accepted",
			sign: func(nonce string) []string {
				s := strings.NewReplacer("+", "-", "/", "_").Replace(v3(hostileToken, base, nonce))
				return v3Lines(s, nonce)
			}},
		{name: "sig-other-url", status: 403, expect: expectNone, note: "signed for another URL",
			sign: func(nonce string) []string {
				return vobizSigned(hostileToken, "", "https://attacker.example"+hostilePath, nonce)
			}},
		{name: "sig-url-with-query", status: 403, expect: expectNone, note: "signed over the URL with its query string (Vobiz signs without it)",
			target: hostilePath + "?room=1",
			sign:   func(nonce string) []string { return v3Lines(v3(hostileToken, base+"?room=1", nonce), nonce) }},
		{name: "sig-path-case", status: 403, expect: expectNone, note: "signed for the path in another case",
			sign: func(nonce string) []string {
				return vobizSigned(hostileToken, "", "https://"+hostileHost+"/Vobiz/Conference-Events", nonce)
			}},
		{name: "sig-wrong-token", status: 403, expect: expectNone, note: "signed with another account's token",
			sign: func(nonce string) []string { return vobizSigned(hostileOther, "", hostileURL, nonce) }},
		{name: "sig-v2-in-v3", status: 403, expect: expectNone, note: "the V2 signature (URL+nonce, no '.') in the V3 header",
			sign: func(nonce string) []string { return v3Lines(vobizhook.SignatureV2(hostileToken, base, nonce), nonce) }},
		{name: "sig-ma-without-parent-token", status: 403, expect: expectNone, note: "only MA-V3/MA-V2, and no parent token configured",
			sign: func(nonce string) []string { return vobizSigned("", hostileParent, hostileURL, nonce) }},
		{name: "sig-100-signatures", status: 403, expect: expectNone, note: "100 comma-separated signatures, the right one last (at most 8 are read)",
			sign: func(nonce string) []string {
				sigs := make([]string, 0, 100)
				for i := range 99 {
					sigs = append(sigs, junkSig(i))
				}
				return v3Lines(strings.Join(append(sigs, v3(hostileToken, base, nonce)), ","), nonce)
			}},
		{name: "sig-two-signatures", status: 200, expect: expectDispatch, note: "two comma-separated signatures (token rotation), one right",
			sign: func(nonce string) []string { return v3Lines(junkSig(1)+", "+v3(hostileToken, base, nonce), nonce) }},
		{name: "sig-one-good-one-bad", status: 200, expect: expectDispatch, note: "a right V3 and a well-formed wrong V2: one match suffices",
			sign: func(nonce string) []string {
				return append(v3Lines(v3(hostileToken, base, nonce), nonce),
					vobizhook.HeaderSignatureV2+": "+junkSig(2), vobizhook.HeaderSignatureV2Nonce+": "+nonce)
			}},
		{name: "sig-unpadded", status: 200, expect: expectDispatch, note: "the right signature without base64 padding",
			sign: func(nonce string) []string {
				return v3Lines(strings.TrimRight(v3(hostileToken, base, nonce), "="), nonce)
			}},
		{name: "sig-lowercase-header-names", status: 200, expect: expectDispatch, note: "signature header names in lower case",
			sign: func(nonce string) []string {
				return []string{"x-vobiz-signature-v3: " + v3(hostileToken, base, nonce), "x-vobiz-signature-v3-nonce: " + nonce}
			}},
		{name: "sig-default-port", status: 200, expect: expectDispatch, note: "signed for the URL with its default port :443",
			sign: func(nonce string) []string {
				return vobizSigned(hostileToken, "", "https://"+hostileHost+":443"+hostilePath, nonce)
			}},
		{name: "sig-nonce-missing", status: 403, expect: expectNone, note: "a V3 signature without its nonce header",
			sign: func(nonce string) []string { return v3Lines(v3(hostileToken, base, nonce), nonce)[:1] }},
		{name: "sig-nonce-empty", status: 403, expect: expectNone, note: "an empty nonce header (the signature is for the empty nonce)",
			sign: func(string) []string { return v3Lines(v3(hostileToken, base, ""), "") }},
		{name: "sig-nonce-huge", status: 403, expect: expectNone, note: "a 4,000-digit nonce, correctly signed",
			sign: func(string) []string {
				n := strings.Repeat("1234567890", 400)
				return v3Lines(v3(hostileToken, base, n), n)
			}},
		{name: "sig-nonce-non-ascii", status: 403, expect: expectNone, note: "a nonce of non-ASCII digits, correctly signed",
			sign: func(string) []string {
				n := "１２３४५६"
				return v3Lines(v3(hostileToken, base, n), n)
			}},
		{name: "sig-nonce-twice", status: 403, expect: expectNone, note: "two V3 nonce headers",
			sign: func(nonce string) []string {
				return append(v3Lines(v3(hostileToken, base, nonce), nonce), vobizhook.HeaderSignatureV3Nonce+": 1"+nonce[1:])
			}},
		{name: "sig-replayed-nonce", status: 200, expect: expectReplay, note: "the same signed request twice: dispatched once, the replay acknowledged only"},
		{name: "sig-auth-token-header-bad-signature", status: 403, expect: expectNone, note: "the real token in the auth-token headers, a wrong signature: refused, and the tokens are never logged",
			headers: []string{"auth-token: " + hostileToken, "parent-auth-token: " + hostileParent},
			sign:    func(nonce string) []string { return v3Lines(junkSig(3), nonce) }},
	}
}

// hostileNonce is the nonce of the i-th case: 20 digits, like Vobiz's.
func hostileNonce(i int) string { return fmt.Sprintf("4242%016d", i) }

// raw renders the case as a raw HTTP/1.1 request.
func (c hostileCase) raw(nonce string) []byte {
	method, target, host, body := c.method, c.target, c.host, c.body
	if method == "" {
		method = http.MethodPost
	}
	if target == "" {
		target = hostilePath
	}
	if host == "" {
		host = hostileHost
	}
	if body == "" && !c.noBody {
		body = hostileBody
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Vobiz\r\n", method, target, host)
	switch c.contentType {
	case "-":
	case "(empty)":
		b.WriteString("Content-Type: \r\n")
	case "":
		b.WriteString("Content-Type: " + hostileForm + "\r\n")
	default:
		b.WriteString("Content-Type: " + c.contentType + "\r\n")
	}
	sig := c.sign
	if sig == nil {
		sig = func(nonce string) []string { return vobizSigned(hostileToken, "", hostileURL, nonce) }
	}
	for _, line := range append(sig(nonce), c.headers...) {
		b.WriteString(line + "\r\n")
	}
	switch {
	case c.chunked:
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		for rest := body; rest != ""; {
			n := min(len(rest), 4096)
			fmt.Fprintf(&b, "%x\r\n%s\r\n", n, rest[:n])
			rest = rest[n:]
		}
		b.WriteString("0\r\n\r\n")
	case c.noBody:
		b.WriteString("\r\n")
	default:
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	}
	return b.Bytes()
}

func (c hostileCase) manifestLine() string {
	return fmt.Sprintf("%s.http %d %s %s", c.name, c.status, c.expect, c.note)
}

const hostileManifestHead = `# The hostile-input catalogue: one raw HTTP/1.1 request per file, replayed by
# TestHostileCatalogue (through Handler.ServeHTTP) and TestHostileOverTheWire
# (written byte for byte to a real server) with a Handler whose Verifier has a token and a
# CallbackURL (https://hooks.example.com/vobiz/conference-events).
# Generated by hostile_test.go; do not edit by hand. Regenerate with
#   go test -run TestHostileGenerate -hostile.update .
#
# file status expect note
#   expect: dispatch = dispatched once; none = not dispatched;
#           replay = served twice, dispatched once, the second time 200 without dispatch.
`

// hostileFiles renders the catalogue: file name → content.
func hostileFiles() map[string][]byte {
	files := map[string][]byte{}
	var manifest strings.Builder
	manifest.WriteString(hostileManifestHead)
	for i, c := range hostileCases() {
		files[c.name+".http"] = c.raw(hostileNonce(i))
		manifest.WriteString(c.manifestLine() + "\n")
	}
	files["cases.txt"] = []byte(manifest.String())
	return files
}

// TestHostileGenerate checks that testdata/hostile matches the table, or
// rewrites it with -hostile.update.
func TestHostileGenerate(t *testing.T) {
	want := hostileFiles()
	if *hostileUpdate {
		old, _ := filepath.Glob(filepath.Join(hostileDir, "*"))
		for _, name := range old {
			require.NoError(t, os.Remove(name))
		}
		require.NoError(t, os.MkdirAll(hostileDir, 0o755))
		for name, content := range want {
			require.NoError(t, os.WriteFile(filepath.Join(hostileDir, name), content, 0o644))
		}
		return
	}
	onDisk, err := filepath.Glob(filepath.Join(hostileDir, "*"))
	require.NoError(t, err)
	var names []string
	for _, p := range onDisk {
		names = append(names, filepath.Base(p))
	}
	var wantNames []string
	for name := range want {
		wantNames = append(wantNames, name)
	}
	slices.Sort(names)
	slices.Sort(wantNames)
	require.Equal(t, wantNames, names, "testdata/hostile is stale; run: go test -run TestHostileGenerate -hostile.update .")
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(hostileDir, name))
		require.NoError(t, err)
		require.True(t, bytes.Equal(content, got), "%s is stale; run: go test -run TestHostileGenerate -hostile.update .", name)
	}
}

type manifestCase struct {
	file, expect, note string
	status             int
}

func readHostileManifest(t *testing.T) []manifestCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(hostileDir, "cases.txt"))
	require.NoError(t, err)
	var cases []manifestCase
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, " ", 4)
		require.Len(t, f, 4, "manifest line %q", line)
		status, err := strconv.Atoi(f[1])
		require.NoError(t, err, "manifest line %q", line)
		require.Contains(t, []string{expectDispatch, expectNone, expectReplay}, f[2], "manifest line %q", line)
		if status != 200 {
			require.Equal(t, expectNone, f[2], "a refused request is never dispatched: %q", line)
		}
		cases = append(cases, manifestCase{file: f[0], status: status, expect: f[2], note: f[3]})
	}
	require.GreaterOrEqual(t, len(cases), 40)
	files, _ := filepath.Glob(filepath.Join(hostileDir, "*.http"))
	require.Len(t, files, len(cases), "every file has a manifest line")
	return cases
}

// hostileHandler is the Handler the catalogue is replayed through: signed
// callbacks for hostileURL, every func counting, a Debug logger.
func hostileHandler(logs io.Writer, dispatched *atomic.Int32) *vobizhook.Handler {
	count := func(context.Context, vobizhook.ConferenceEvent) error { dispatched.Add(1); return nil }
	return &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{hostileToken}, CallbackURL: hostileURL},
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnEnter:  count, OnExit: count, OnStart: count, OnEnd: count, OnOther: count,
	}
}

// hostileSecrets returns what must never be logged or answered for the
// request in data: the tokens, every signature value, the credential
// headers.
func hostileSecrets(data []byte) []string {
	secrets := []string{hostileToken, hostileParent, hostileOther}
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	for line := range strings.Lines(string(head)) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		name, value = strings.ToLower(name), strings.TrimSpace(value)
		switch {
		case strings.HasSuffix(name, "-nonce"):
		case strings.HasPrefix(name, "x-vobiz-signature"), name == "auth-token", name == "parent-auth-token":
			for _, v := range append(strings.Split(value, ","), value) {
				if v = strings.TrimSpace(v); len(v) >= 8 {
					secrets = append(secrets, v)
				}
			}
		}
	}
	return secrets
}

func assertNoHostileSecret(t *testing.T, data []byte, where, text string) {
	t.Helper()
	for _, s := range hostileSecrets(data) {
		if strings.Contains(text, s) {
			t.Errorf("the %s contains a secret (%.12s...)", where, s)
		}
	}
}

// TestHostileCatalogue replays every case through Handler.ServeHTTP: the
// expected status, dispatched only when expected, and no secret in the log
// or the response.
func TestHostileCatalogue(t *testing.T) {
	for _, c := range readHostileManifest(t) {
		t.Run(strings.TrimSuffix(c.file, ".http"), func(t *testing.T) {
			path := filepath.Join(hostileDir, c.file)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			var logs bytes.Buffer
			var dispatched atomic.Int32
			h := hostileHandler(&logs, &dispatched)
			serve := func() *httptest.ResponseRecorder {
				r, err := vobizhooktest.ReadRequestFile(path)
				require.NoError(t, err)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				assertNoHostileSecret(t, data, "response", w.Body.String()+fmt.Sprint(w.Header()))
				return w
			}
			if c.expect == expectReplay {
				require.Equal(t, 200, serve().Code, "first delivery")
				require.EqualValues(t, 1, dispatched.Load(), "first delivery")
			}
			w := serve()
			assert.Equal(t, c.status, w.Code, "%s: %s", c.note, w.Body.String())
			want := map[string]int32{expectDispatch: 1, expectNone: 0, expectReplay: 1}[c.expect]
			assert.Equal(t, want, dispatched.Load(), "dispatches")
			assertNoHostileSecret(t, data, "log", logs.String())
			if c.status != 200 {
				assert.Contains(t, logs.String(), "callback refused", "a refusal is logged")
			}
		})
	}
}

// writeRaw writes data to a new connection to addr and returns the final
// status of the response (skipping 1xx), or 0 when the server closed the
// connection without one.
func writeRaw(t *testing.T, addr string, data []byte) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	go conn.Write(data) // the server may answer before it read everything
	br := bufio.NewReader(conn)
	for {
		code := readStatus(br)
		if code < 100 || code >= 200 {
			return code
		}
	}
}

// TestHostileOverTheWire writes every case byte for byte to a real server,
// so that net/http's own parsing (chunked bodies, Expect: 100-continue,
// Host) is part of the test.
func TestHostileOverTheWire(t *testing.T) {
	for _, c := range readHostileManifest(t) {
		t.Run(strings.TrimSuffix(c.file, ".http"), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(hostileDir, c.file))
			require.NoError(t, err)
			var logs lockedBuffer
			var dispatched atomic.Int32
			srv := httptest.NewServer(hostileHandler(&logs, &dispatched))
			defer srv.Close()
			addr := srv.Listener.Addr().String()
			if c.expect == expectReplay {
				require.Equal(t, 200, writeRaw(t, addr, data), "first delivery")
			}
			assert.Equal(t, c.status, writeRaw(t, addr, data), c.note)
			srv.Close()
			want := map[string]int32{expectDispatch: 1, expectNone: 0, expectReplay: 1}[c.expect]
			assert.Equal(t, want, dispatched.Load(), "dispatches")
			assertNoHostileSecret(t, data, "log", logs.String())
		})
	}
}

// Hostile requests a file cannot hold (http.ReadRequest would refuse them),
// written to a real server by a client that then stops sending: nothing is
// dispatched, and the server answers without waiting forever.
func TestHostileWire(t *testing.T) {
	signed := hostileCase{}.raw(hostileNonce(9000))
	head, body, _ := bytes.Cut(signed, []byte("\r\n\r\n"))
	withLength := func(n int) []byte {
		h := setContentLength(string(head), n)
		return []byte(h + "\r\n\r\n")
	}
	tests := []struct {
		name   string
		data   []byte
		status int
	}{
		{"content-length-larger", append(withLength(len(body)+100), body...), 400},
		{"content-length-smaller", append(withLength(10), body...), 400},
		{"content-length-negative", append(withLength(-1), body...), 400},
		{"content-length-twice-different", append([]byte(string(head)+fmt.Sprintf("\r\nContent-Length: %d\r\n\r\n", len(body)+1)), body...), 400},
		{"content-length-and-chunked", append([]byte(string(head)+"\r\nTransfer-Encoding: chunked\r\n\r\n"), body...), 400},
		{"header-nul", append([]byte(strings.Replace(string(head), "User-Agent: Vobiz", "User-Agent: Vo\x00biz", 1)+"\r\n\r\n"), body...), 400},
		{"header-too-large", append([]byte(string(head)+"\r\nX-Pad: "+strings.Repeat("a", 2<<20)+"\r\n\r\n"), body...), 431},
		{"request-line-garbage", []byte("POST /vobiz/conference-events HTTP/1.1 extra\r\nHost: x\r\n\r\n"), 400},
		{"http-0.9", []byte("GET /vobiz/conference-events\r\n\r\n"), 400},
		{"bare-lf-chunk-size", append([]byte(string(head)+"\r\nTransfer-Encoding: chunked\r\n\r\n"), []byte("zz\r\n"+string(body)+"\r\n0\r\n\r\n")...), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs lockedBuffer
			var dispatched atomic.Int32
			srv := httptest.NewServer(hostileHandler(&logs, &dispatched))
			defer srv.Close()
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
			go func() {
				conn.Write(tt.data)
				conn.(*net.TCPConn).CloseWrite() // the client sends nothing more
			}()
			assert.Equal(t, tt.status, readStatus(bufio.NewReader(conn)))
			conn.Close()
			srv.Close()
			assert.Zero(t, dispatched.Load(), "nothing dispatched")
			assertNoHostileSecret(t, tt.data, "log", logs.String())
		})
	}
}

// setContentLength sets the Content-Length header of a raw request head.
func setContentLength(head string, n int) string {
	var out []string
	for line := range strings.SplitSeq(head, "\r\n") {
		if strings.HasPrefix(line, "Content-Length:") {
			line = "Content-Length: " + strconv.Itoa(n)
		}
		out = append(out, line)
	}
	return strings.Join(out, "\r\n")
}
