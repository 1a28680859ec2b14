package frameworks_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/vobizhooktest"
)

// token is the Auth Token the tests sign with, as Vobiz signs with the
// account's.
const token = "frameworks-test-token"

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // no debug route listing
	os.Exit(m.Run())
}

// sink records the events a recipe dispatched.
type sink struct {
	mu     sync.Mutex
	events []vobizhook.ConferenceEvent
	errs   []error // the Err of every Outcome the Handler reported
}

func (s *sink) record(_ context.Context, ev vobizhook.ConferenceEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	return nil
}

func (s *sink) got() []vobizhook.ConferenceEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]vobizhook.ConferenceEvent(nil), s.events...)
}

func (s *sink) outcomeErrs() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

// newHandler returns the Handler the recipes mount: it verifies every
// callback against callbackURL ("" rebuilds the URL from each request),
// records what it dispatches and the errors of its outcomes in s, and logs
// nowhere.
func newHandler(callbackURL string, s *sink) *vobizhook.Handler {
	return &vobizhook.Handler{
		Verifier: &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: callbackURL},
		OnEnter:  s.record,
		OnExit:   s.record,
		OnStart:  s.record,
		OnEnd:    s.record,
		OnOutcome: func(_ context.Context, o vobizhook.Outcome) {
			if o.Err != nil {
				s.mu.Lock()
				s.errs = append(s.errs, o.Err)
				s.mu.Unlock()
			}
		},
		Logger: slog.New(slog.DiscardHandler),
	}
}

// start serves the handler mount returns on a real HTTP server on 127.0.0.1
// and returns the server's base URL (http://127.0.0.1:port), which mount
// also gets, to build a callback URL from.
func start(t *testing.T, mount func(base string) http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = mount(base)
	srv.Start()
	t.Cleanup(srv.Close)
	return base
}

// payload is the path of a recorded callback in the vobizhook module's
// testdata/.
func payload(file string) string { return filepath.Join("..", "..", "testdata", file) }

// signed reads a recorded callback and signs it with authToken for
// callbackURL, as Vobiz signs a callback to that URL ("" leaves it unsigned).
func signed(t *testing.T, file, callbackURL, authToken string) *http.Request {
	t.Helper()
	r := vobizhooktest.MustReadRequestFile(t, payload(file))
	return vobizhooktest.MustResign(t, r, callbackURL, authToken)
}

// recorded is the event the recorded callback file carries, as a recipe must
// dispatch it.
func recorded(t *testing.T, file string) vobizhook.ConferenceEvent {
	t.Helper()
	ev, err := vobizhook.ParseConferenceEvent(vobizhooktest.MustReadRequestFile(t, payload(file)))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return ev
}

// answer is what a server answered to one delivery.
type answer struct {
	status int
	header http.Header
	body   string
}

// deliver sends a copy of the signed request r to the server at base (path
// and query kept, the Host header left as r's: the public host, as a proxy
// that keeps it forwards it), following redirects when follow is set, as an
// HTTP client that follows them would.
func deliver(t *testing.T, r *http.Request, base string, follow bool) answer {
	t.Helper()
	a, err := send(r, base, follow)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	return a
}

// send is deliver without a testing.T, for goroutines.
func send(r *http.Request, base string, follow bool) (answer, error) {
	out, err := vobizhooktest.ClientRequest(r)
	if err != nil {
		return answer{}, err
	}
	b, err := url.Parse(base)
	if err != nil {
		return answer{}, err
	}
	out.URL.Scheme, out.URL.Host = b.Scheme, b.Host
	client := &http.Client{Timeout: 5 * time.Second}
	if !follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := client.Do(out)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("reading the answer: %w", err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(body)}, nil
}

// wantEvents fails t unless got holds exactly the events of the recorded
// files, in order.
func wantEvents(t *testing.T, got []vobizhook.ConferenceEvent, files ...string) {
	t.Helper()
	if len(got) != len(files) {
		t.Fatalf("dispatched %d events, want %d (%v)", len(got), len(files), files)
	}
	for i, file := range files {
		if want := recorded(t, file); !reflect.DeepEqual(got[i], want) {
			t.Errorf("event %d:\n got %+v\nwant %+v (%s)", i, got[i], want, file)
		}
	}
}
