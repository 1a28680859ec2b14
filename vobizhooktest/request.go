package vobizhooktest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vobizhook/vobizhook"
)

// DefaultURL is the callback URL requests are built for when no [WithURL]
// option is given.
const DefaultURL = "https://example.com/conference-events"

// RemoteAddr is the RemoteAddr of the requests this package builds, an
// address of the TEST-NET-1 block (RFC 5737) like httptest's.
const RemoteAddr = "192.0.2.1:1234"

// UserAgent is the User-Agent header Vobiz sends with callbacks.
const UserAgent = "Vobiz"

// TimestampLayout is the layout of the Timestamp parameter as built by
// [EncodeEvent]: Vobiz's "2006-01-02 15:04:05", without a zone, with
// fractional seconds only when the time has them. The time is written in UTC,
// or in the zone given to [EncodeEventIn] or [WithLocation].
const TimestampLayout = "2006-01-02 15:04:05.999999999"

// An Option changes how [NewRequest] (and [Scenario.Requests]) build a
// request.
type Option func(*options)

type options struct {
	method      string
	url         string
	token       string
	parentToken string
	nonce       string
	credentials bool
	signUser    bool
	loc         *time.Location
}

// WithMethod sets the HTTP method: "POST" (the default, parameters in a
// form body) or "GET" (parameters in the query string), as chosen by the
// callbackMethod attribute of <Conference>. Any other method sends a form
// body, which is useful to test that a handler refuses it.
func WithMethod(method string) Option { return func(o *options) { o.method = method } }

// WithURL sets the callback URL the request is sent to and, when it is
// signed, the URL it is signed for; default [DefaultURL]. Its query string,
// if any, is kept, as an application's own IDs on callbackUrl are
// (callbackUrl="https://app/ev?tid=42"; GET parameters are appended to it),
// and is not signed. User info in it (https://user:pass@host/path, Vobiz's
// callback authentication) becomes an Authorization: Basic header, as an
// HTTP client sends it, and is left out of the signed URL unless
// [WithSignedUserInfo] is given.
func WithURL(callbackURL string) Option { return func(o *options) { o.url = callbackURL } }

// WithSignedUserInfo signs the callback URL with its user info
// (user:pass@), as Vobiz's Python SDK does; by default it is left out, as
// its Go SDK does. Which one the platform uses is not documented; a
// vobizhook.Verifier accepts both, and this option lets a test show it.
func WithSignedUserInfo() Option { return func(o *options) { o.signUser = true } }

// WithAuthToken signs the request as Vobiz does for an account with this
// Auth Token: X-Vobiz-Signature-V3 and X-Vobiz-Signature-V2 with their nonce
// headers, for the callback URL. Without it (and without
// [WithParentAuthToken]) the request is unsigned, as for accounts without
// callback credentials.
func WithAuthToken(token string) Option { return func(o *options) { o.token = token } }

// WithParentAuthToken adds the X-Vobiz-Signature-MA-V3 and -MA-V2 headers
// keyed with the parent (main) account's Auth Token, as Vobiz sends with a
// sub-account's callbacks.
func WithParentAuthToken(token string) Option { return func(o *options) { o.parentToken = token } }

// WithNonce signs with this nonce instead of a fresh random 20-digit one,
// for reproducible signature values or to test replay protection.
func WithNonce(nonce string) Option { return func(o *options) { o.nonce = nonce } }

// WithCredentialHeaders adds the auth-token (and parent-auth-token) headers
// that Vobiz sends in plain text with signed callbacks, to test that your
// code never logs them. Off by default: do not send a real token this way to
// a server you do not control.
func WithCredentialHeaders() Option { return func(o *options) { o.credentials = true } }

// WithLocation writes the Timestamp parameter in loc instead of UTC, in
// Vobiz's zoneless layout: give it the Location of the vobizhook.Handler
// under test, so that the Handler reads back the very instant of
// ev.Timestamp. A nil loc means UTC.
func WithLocation(loc *time.Location) Option { return func(o *options) { o.loc = loc } }

func newOptions(opts []Option) options {
	o := options{method: http.MethodPost, url: DefaultURL}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// NewRequest returns the request Vobiz would send for ev: a POST with a
// form body (or a GET, see [WithMethod]) to the callback URL, User-Agent
// Vobiz, the parameters named and formatted as by [EncodeEvent] (Timestamp
// in UTC, or as [WithLocation] says), and, when
// [WithAuthToken] or [WithParentAuthToken] is given, the signature headers.
//
// Like httptest.NewRequest, the request is an incoming server request, ready
// for handler.ServeHTTP: RequestURI and RemoteAddr are set, and TLS is set
// for an https URL. Its body can be read again through GetBody. Use
// [ClientRequest] to send it with an http.Client.
//
// The error wraps vobizhook.ErrInvalidCallbackURL for a URL that is not an
// absolute http or https URL, or describes an invalid method.
func NewRequest(ev vobizhook.ConferenceEvent, opts ...Option) (*http.Request, error) {
	return newRequest(ev, newOptions(opts))
}

func newRequest(ev vobizhook.ConferenceEvent, o options) (*http.Request, error) {
	if o.method == "" || strings.ContainsAny(o.method, " \t\r\n/") {
		return nil, fmt.Errorf("vobizhooktest: invalid HTTP method %q", o.method)
	}
	u, err := parseCallbackURL(o.url)
	if err != nil {
		return nil, err
	}
	params := EncodeEventIn(ev, o.loc)
	signFor := o.url // as written: u.String() would re-escape its user info
	user := u.User
	u.User = nil       // sent as Authorization: Basic, as a client does
	var body io.Reader // nil for GET: the parameters go in the query
	if o.method == http.MethodGet {
		u.RawQuery = joinQuery(u.RawQuery, params)
	} else {
		body = strings.NewReader(params) // sets ContentLength and GetBody
	}
	r, err := http.NewRequestWithContext(context.Background(), o.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("vobizhooktest: %w", err)
	}
	r.Header.Set("User-Agent", UserAgent)
	if body != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		setBody(r, nil) // a server request always has a non-nil Body
	}
	asIncoming(r)
	setBasicAuth(r, user)
	if err := sign(r, signFor, o); err != nil {
		return nil, err
	}
	return r, nil
}

// setBasicAuth sends user info as an Authorization: Basic header.
func setBasicAuth(r *http.Request, user *url.Userinfo) {
	if user == nil {
		return
	}
	pass, _ := user.Password()
	r.SetBasicAuth(user.Username(), pass)
}

// asIncoming makes r look like a request a server received, as
// httptest.NewRequest does.
func asIncoming(r *http.Request) {
	r.RequestURI = r.URL.RequestURI()
	r.RemoteAddr = RemoteAddr
	r.TLS = nil
	if r.URL.Scheme == "https" {
		r.TLS = &tls.ConnectionState{
			Version:           tls.VersionTLS12,
			HandshakeComplete: true,
			ServerName:        r.URL.Hostname(),
		}
	}
}

// parseCallbackURL accepts an absolute http or https URL with a host. Like
// the library's, its errors never repeat the URL, which may carry a token in
// its query or user info.
func parseCallbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the whole URL: keep only the reason.
		return nil, fmt.Errorf("%w: not a valid URL", vobizhook.ErrInvalidCallbackURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: want an absolute http or https URL", vobizhook.ErrInvalidCallbackURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: no host", vobizhook.ErrInvalidCallbackURL)
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

func joinQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

// ClientRequest returns a copy of r ready for an http.Client: RequestURI,
// RemoteAddr and TLS cleared, and a fresh body from r.GetBody (so the same
// request built by [NewRequest] or [ReadRequestFile] can be sent several
// times, as a provider's retry would). The headers, signatures included, are
// kept.
//
// The error says why r cannot be sent: its URL is not absolute, or its body
// was consumed and cannot be read again.
func ClientRequest(r *http.Request) (*http.Request, error) {
	if r.URL == nil || !r.URL.IsAbs() || r.URL.Host == "" {
		return nil, fmt.Errorf("%w: the request URL is not absolute; use Resign or WithURL to give it one", vobizhook.ErrInvalidCallbackURL)
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.RemoteAddr = ""
	out.TLS = nil
	switch {
	case r.GetBody != nil:
		body, err := r.GetBody()
		if err != nil {
			return nil, fmt.Errorf("vobizhooktest: rewinding the request body: %w", err)
		}
		out.Body = body
	case r.Body != nil && r.Body != http.NoBody:
		return nil, errors.New("vobizhooktest: the request body cannot be read again (no GetBody)")
	}
	return out, nil
}

// EncodeEvent returns the form encoding (body of a POST, query of a GET) of
// ev as Vobiz sends it: the inverse of vobizhook.ParseConferenceEvent.
//
// Parameters come in Vobiz's order with its names. The fields of ev are the
// truth for the parameters they model; ev.Params adds only the parameters
// not modelled (SessionStart, BillRate, ...), all their values. Empty
// strings are left out. A boolean is sent when true, and also as "false"
// where live Vobiz sends it (ConferenceFirstMember on enter,
// ConferenceLastMember on exit, for an event with Event or MemberID set).
// Timestamp, when not zero, is written in UTC with [TimestampLayout], as
// ParseConferenceEvent and a Handler without a Location read it (see
// [EncodeEventIn] for another zone).
//
// ConferenceCurrentSize is sent when CurrentSize is positive. A size of 0
// means "the room is empty" to a receiver (track.Tracker ends the
// conference on it), so it is sent only when ev.Params also carries a
// non-empty ConferenceCurrentSize, as a parsed classic event does: the zero
// CurrentSize of a struct literal that never set it is not mistaken for an
// empty room. To send ConferenceCurrentSize=0 (a classic end, or the exit
// that empties the room), set Params["ConferenceCurrentSize"] to {"0"};
// [Scenario] does so for its classic events. The value sent is always
// CurrentSize's. A negative CurrentSize (-1, as a parsed live event has it)
// is never sent. This is the rule the Tracker applies to a hand-built event.
func EncodeEvent(ev vobizhook.ConferenceEvent) string {
	return EncodeEventIn(ev, time.UTC)
}

// EncodeEventIn is [EncodeEvent] with the Timestamp parameter written in loc
// (nil means UTC): Vobiz's timestamps carry no zone, so a receiver reads them
// in a zone it is told, vobizhook.Handler in its Location. Encode in the same
// zone to get the same instant back.
func EncodeEventIn(ev vobizhook.ConferenceEvent, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	var b strings.Builder
	add := func(name, value string) {
		if value == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(value))
	}
	live := ev.Event != "" || ev.MemberID != ""
	add("ConferenceAction", string(ev.Action))
	add("Event", ev.Event)
	add("ConferenceUUID", ev.ConferenceUUID)
	add("ConferenceName", ev.ConferenceName)
	add("ConferenceMemberID", ev.MemberID)
	if ev.FirstMember || (live && ev.Action == vobizhook.ActionEnter) {
		add("ConferenceFirstMember", strconv.FormatBool(ev.FirstMember))
	}
	if ev.LastMember || (live && ev.Action == vobizhook.ActionExit) {
		add("ConferenceLastMember", strconv.FormatBool(ev.LastMember))
	}
	add("CallUUID", ev.CallUUID)
	add("From", ev.From)
	add("To", ev.To)
	add("Direction", ev.Direction)
	add("CallStatus", ev.CallStatus)
	if ev.CurrentSize > 0 || (ev.CurrentSize == 0 && ev.Params.Get("ConferenceCurrentSize") != "") {
		add("ConferenceCurrentSize", strconv.Itoa(ev.CurrentSize))
	}
	add("RecordingUrl", ev.RecordingURL)
	if !ev.Timestamp.IsZero() {
		add("Timestamp", ev.Timestamp.In(loc).Format(TimestampLayout))
	}
	for _, name := range extraNames(ev.Params) {
		for _, v := range ev.Params[name] {
			add(name, v)
		}
	}
	return b.String()
}

// namedParams are the parameters ConferenceEvent's fields model: the
// core's table, not a copy kept in step by hand.
var namedParams = vobizhook.NamedParams()

// liveExtras are the call-level parameters of a live enter, in Vobiz's order.
var liveExtras = []string{"ALegUUID", "ALegRequestUUID", "RequestUUID", "ParentAuthID", "BillRate", "SessionStart"}

// extraNames returns the names in params that no field models: the live
// extras in Vobiz's order, then the others sorted.
func extraNames(params url.Values) []string {
	if len(params) == 0 {
		return nil
	}
	names := make([]string, 0, len(params))
	for _, name := range liveExtras {
		if _, ok := params[name]; ok {
			names = append(names, name)
		}
	}
	known := len(names)
	for name := range params {
		if !slices.Contains(namedParams, name) && !slices.Contains(liveExtras, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names[known:])
	return names
}
