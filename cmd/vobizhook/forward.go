package main

// listen -forward-to: a verifying relay in front of the app a developer is
// building, behind a tunnel.
//
// listen's Handler verifies and decodes each callback as any Handler does
// (its own Verifier and parser); its funcs then forward the request to the
// app: the body exactly as the Handler read it (recorded while it read, so
// parameters and their order are kept), the query, the method and the
// Content-Type, signed for the app's URL with the same token. No other
// header is copied: the auth-token and parent-auth-token headers Vobiz sends
// stay in listen, as do cookies and authorization. Vobiz gets the app's
// answer: its status, Content-Type, Retry-After and body (the XML a
// waitSound fetch or a <Conference action> request expects); or 502 when
// the app is unreachable, 504 when it does not answer within
// -forward-timeout (well under the 3 s Vobiz waits), so that Vobiz retries.
//
// Duplicates are forwarded: listen does not deduplicate. Its NonceStore
// (relayNonces) lets every copy through, and each copy is signed with the
// nonce Vobiz gave it, so the app receives what Vobiz sends, retries and
// duplicate deliveries included, with the same nonce for every copy of a
// callback, and the app's own Handler acknowledges the copies it already
// handled, as it will in production. Deduplicating in listen would hide
// from the developer how the app copes with duplicates; a fresh nonce per
// copy would make each retry a new callback for the app. relayNonces still
// remembers the nonces, to mark a copy of a callback the app already
// accepted "(repeat)". Requests listen refuses (a bad signature, a
// malformed callback) are answered by listen and not forwarded.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vobizhook/vobizhook"
)

const (
	// defaultForwardTimeout leaves Vobiz's 3 s for the tunnel and listen.
	defaultForwardTimeout = 2500 * time.Millisecond
	// maxForwardTimeout stays under the server's WriteTimeout (10 s), past
	// which the answer could not be written any more.
	maxForwardTimeout = 9 * time.Second
	// maxAppAnswer bounds the app's answer body; answer XML is a few KB.
	maxAppAnswer = 1 << 20
	// viaToken marks a forwarded request, so that a -forward-to pointing
	// back at listen is answered 508 instead of looping.
	viaToken = "vobizhook-listen"
)

// Why a forward failed, in appAnswer.err (errors.Is).
var (
	errAppUnreachable = errors.New("the app is unreachable")
	errAppTimeout     = errors.New("the app did not answer in time")
	errAppTooLarge    = errors.New("the app's answer is too large")
	// errAppStatus is returned by a relaying func for a non-2xx answer, so
	// that the Handler releases the nonce and Vobiz's retry is forwarded.
	errAppStatus = errors.New("the app answered non-2xx")
)

// forwarder relays verified callbacks to the app.
type forwarder struct {
	target  string // -forward-to as given; it may carry user info
	display string // its BaseURL: no user info, no query
	query   string // its query, sent before the callback's own
	token   string // signs the forwarded request; "" forwards unsigned
	timeout time.Duration
	client  *http.Client
}

// newForwarder returns the forwarder to target, a URL BaseURL accepts.
func newForwarder(target, token string, timeout time.Duration) *forwarder {
	display, _ := vobizhook.BaseURL(target)
	u, _ := url.Parse(target)
	return &forwarder{
		target: target, display: display, query: u.RawQuery, token: token, timeout: timeout,
		client: newClient(8, timeout),
	}
}

// describe says where callbacks go and how they are signed, without the
// token.
func (f *forwarder) describe() string {
	s := fmt.Sprintf("forwarding each verified callback to %s (answer within %s, else 504)", f.display, f.timeout)
	if f.token == "" {
		return s + "; UNSIGNED: no auth token, so the app must run its Handler without a Verifier (give -auth-token to sign them)"
	}
	return s + ", re-signed for that URL with the same token and Vobiz's nonce"
}

// relay is what a forwarded request needs of the incoming one, and what
// became of it.
type relay struct {
	method, rawQuery, contentType, userAgent string
	body                                     bytes.Buffer         // as the Handler read it
	nonce                                    string               // the verified nonce, from relayNonces
	repeat                                   vobizhook.NonceState // NonceNew for the first copy of a callback
	answer                                   *appAnswer           // set once forwarded
}

// serve runs the Handler on r, recording the body as it reads it, and
// answers with the app's answer when the Handler's funcs forwarded the
// callback, with the Handler's own answer otherwise (a refusal).
func (f *forwarder) serve(w http.ResponseWriter, r *http.Request, ib *inbound, in *inspector) {
	if strings.Contains(strings.Join(r.Header.Values("Via"), ","), viaToken) {
		in.tally.add(vobizhook.OutcomeRefused, nil)
		in.p.rejected(ib, http.StatusLoopDetected, "a request listen forwarded came back: -forward-to points at listen itself")
		http.Error(w, "vobizhook listen: forward loop", http.StatusLoopDetected)
		return
	}
	rl := &relay{method: r.Method, rawQuery: r.URL.RawQuery, contentType: r.Header.Get("Content-Type"), userAgent: r.UserAgent()}
	ib.relay = rl
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &recordingBody{ReadCloser: r.Body, rec: &rl.body}
	}
	rec := &answerRecorder{header: http.Header{}}
	in.handler.ServeHTTP(rec, r)
	if rl.answer != nil {
		rl.answer.writeTo(w)
		return
	}
	rec.writeTo(w)
}

// forwardCallback is the func of every action with -forward-to: it
// forwards the callback and fails (so that the Handler releases its nonce)
// when the app did not answer 2xx.
func (in *inspector) forwardCallback(ctx context.Context, ev vobizhook.ConferenceEvent) error {
	ib := inboundFrom(ctx)
	if ib == nil || ib.relay == nil {
		return errors.New("vobizhook listen: no request to forward") // cannot happen: serve sets it
	}
	in.tally.step(ev.Action)
	a := in.fwd.forward(ctx, ib.relay)
	ib.relay.answer = &a
	if a.err != nil {
		return a.err
	}
	if a.status < 200 || a.status > 299 {
		return fmt.Errorf("%w: %d", errAppStatus, a.status)
	}
	return nil
}

// forward sends rl to the app and reads its answer, within f.timeout.
func (f *forwarder) forward(ctx context.Context, rl *relay) appAnswer {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	var body io.Reader
	if rl.body.Len() > 0 {
		body = bytes.NewReader(rl.body.Bytes())
	}
	u, err := url.Parse(f.target)
	if err != nil { // checked by the flag's validation
		return appAnswer{status: http.StatusBadGateway, err: fmt.Errorf("%w: -forward-to: %w", errAppUnreachable, err)}
	}
	u.RawQuery = joinQuery(f.query, rl.rawQuery)
	req, err := http.NewRequestWithContext(ctx, rl.method, u.String(), body)
	if err != nil {
		return appAnswer{status: http.StatusBadGateway, err: fmt.Errorf("%w: %w", errAppUnreachable, withoutURL(err))}
	}
	if rl.contentType != "" {
		req.Header.Set("Content-Type", rl.contentType)
	}
	if rl.userAgent != "" {
		req.Header.Set("User-Agent", rl.userAgent)
	}
	req.Header.Set("Via", "1.1 "+viaToken)
	if f.token != "" {
		s := vobizhook.Signer{AuthToken: f.token, CallbackURL: f.target, Nonce: rl.nonce}
		if err := s.Sign(req); err != nil {
			return appAnswer{status: http.StatusBadGateway, err: fmt.Errorf("%w: signing: %w", errAppUnreachable, err)}
		}
	}
	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		return f.failed(err, time.Since(start))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAppAnswer+1))
	a := appAnswer{status: resp.StatusCode, header: resp.Header, body: b, latency: time.Since(start)}
	switch {
	case err != nil:
		return f.failed(err, a.latency)
	case len(b) > maxAppAnswer:
		return appAnswer{status: http.StatusBadGateway, latency: a.latency, err: fmt.Errorf("%w: over %d bytes", errAppTooLarge, maxAppAnswer)}
	}
	return a
}

// failed is the answer to a forward that got no answer: 504 when the
// deadline passed, 502 otherwise.
func (f *forwarder) failed(err error, latency time.Duration) appAnswer {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return appAnswer{status: http.StatusGatewayTimeout, latency: latency, err: fmt.Errorf("%w: no answer within %s", errAppTimeout, f.timeout)}
	}
	return appAnswer{status: http.StatusBadGateway, latency: latency, err: fmt.Errorf("%w: %w", errAppUnreachable, withoutURL(err))}
}

// joinQuery joins two raw queries, keeping both in order.
func joinQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

// appAnswer is the answer Vobiz gets for a forwarded callback: the app's,
// or, when err is set, 502 or 504 from listen.
type appAnswer struct {
	status  int
	header  http.Header // the app's
	body    []byte
	latency time.Duration
	err     error // why the app gave no usable answer
}

// answerHeaders are the headers of the app's answer passed on to Vobiz.
var answerHeaders = []string{"Content-Type", "Retry-After", "X-Content-Type-Options"}

func (a *appAnswer) writeTo(w http.ResponseWriter) {
	if a.err != nil {
		http.Error(w, "vobizhook listen: "+a.err.Error(), a.status)
		return
	}
	for _, k := range answerHeaders {
		if v := a.header.Values(k); len(v) > 0 {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

// reason is the first line of a non-2xx answer's body, at most 200 bytes.
func (a *appAnswer) reason() string {
	if a.err != nil || a.status >= 200 && a.status <= 299 {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(a.body)), "\n")
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	return strings.TrimSpace(line)
}

// String is "200 OK in 12ms", "500 Internal Server Error in 3ms: the
// app's reason", or "502 Bad Gateway: the app is unreachable: ...".
func (a *appAnswer) String() string {
	s := fmt.Sprintf("%d %s", a.status, http.StatusText(a.status))
	if a.err != nil {
		return s + ": " + a.err.Error()
	}
	s += " in " + roundDuration(a.latency).String()
	if r := a.reason(); r != "" {
		s += ": " + quoteIfNeeded(r)
	}
	return s
}

func (a *appAnswer) json() *jsonForward {
	return &jsonForward{Status: a.status, LatencyMS: float64(a.latency.Microseconds()) / 1000, Reason: a.reason(), Error: errText(a.err)}
}

// recordingBody keeps a copy of what is read from a request body.
type recordingBody struct {
	io.ReadCloser
	rec *bytes.Buffer
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.rec.Write(p[:n])
	return n, err
}

// answerRecorder holds the Handler's answer until it is known whether the
// app's replaces it.
type answerRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *answerRecorder) Header() http.Header { return r.header }

func (r *answerRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *answerRecorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

func (r *answerRecorder) writeTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(max(r.status, http.StatusOK))
	w.Write(r.body.Bytes())
}

// relayNonces is listen's NonceStore with -forward-to: it lets every copy
// of a callback through (Claim always says NonceNew), so that the app sees
// and deduplicates them itself; it records the verified nonce in the
// request's relay, to sign the forward with, and what a real store would
// have said of it, to mark repeats.
type relayNonces struct {
	seen *vobizhook.MemoryNonceStore
}

func (s relayNonces) Claim(ctx context.Context, nonce string, token uint64, lease time.Duration) (vobizhook.NonceState, error) {
	state, _ := s.seen.Claim(ctx, nonce, token, lease) // a MemoryNonceStore never fails
	if ib := inboundFrom(ctx); ib != nil && ib.relay != nil && ib.relay.nonce == "" {
		ib.relay.nonce, ib.relay.repeat = nonce, state
	}
	return vobizhook.NonceNew, nil
}

func (s relayNonces) Complete(ctx context.Context, nonce string, token uint64, window time.Duration) error {
	return s.seen.Complete(ctx, nonce, token, window)
}

func (s relayNonces) Release(ctx context.Context, nonce string, token uint64) error {
	return s.seen.Release(ctx, nonce, token)
}
