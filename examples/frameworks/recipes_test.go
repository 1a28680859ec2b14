package frameworks_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/examples/frameworks"
)

// public is the host of the callback URL Vobiz is given: the tests' servers
// are reached over plain HTTP on 127.0.0.1, as behind a proxy that terminates
// TLS, so only a Verifier with CallbackURL set accepts the signatures.
const public = "https://app.example"

// recipe is one way of mounting the callbacks, built for a Verifier whose
// CallbackURL is callbackURL ("" rebuilds it from each request).
type recipe struct {
	name  string
	path  string // the path of the callback route, as Vobiz calls it
	mount func(callbackURL string, s *sink) http.Handler
}

// recipes are the constructors of package frameworks, one per file.
var recipes = []recipe{
	{"net/http", "/conference-events", func(u string, s *sink) http.Handler { return frameworks.ServeMux(newHandler(u, s)) }},
	{"chi", "/conference-events", func(u string, s *sink) http.Handler { return frameworks.Chi(newHandler(u, s)) }},
	{"gin", "/conference-events", func(u string, s *sink) http.Handler { return frameworks.Gin(newHandler(u, s)) }},
	{"echo", "/conference-events", func(u string, s *sink) http.Handler { return frameworks.Echo(newHandler(u, s)) }},
	{"StripPrefix", "/vobiz/conference-events", func(u string, s *sink) http.Handler { return frameworks.StripPrefix(newHandler(u, s)) }},
	{"gin own handler", "/conference-events", func(u string, s *sink) http.Handler {
		v := &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: u}
		return frameworks.GinOwn(v, vobizhook.NewMemoryNonceStore(0), func(c *gin.Context, ev vobizhook.ConferenceEvent) error {
			return s.record(c.Request.Context(), ev)
		})
	}},
}

// callbacks are the recorded payloads every recipe must dispatch: live and
// classic shapes, POST and GET (enter-get.http, for callbackMethod="GET").
var callbacks = []string{
	"enter-live.http",
	"exit-live.http",
	"enter-get.http",
	"enter-charset.http",
	"enter-classic.http",
	"start-classic.http",
	"exit-classic.http",
	"end-classic-recording.http",
}

// Every recipe dispatches every recorded callback, POST and GET, signed for
// the public URL, exactly once: a second delivery of the same signed request
// (Vobiz's retry, or a replay) is acknowledged without being dispatched.
func TestRecipesDispatchGETAndPOSTOnce(t *testing.T) {
	for _, rc := range recipes {
		t.Run(rc.name, func(t *testing.T) {
			s := new(sink)
			base := start(t, func(string) http.Handler { return rc.mount(public+rc.path, s) })
			for i, file := range callbacks {
				r := signed(t, file, public+rc.path, token)
				for _, delivery := range []string{"first delivery", "second delivery"} {
					if a := deliver(t, r, base, false); a.status != http.StatusOK {
						t.Fatalf("%s, %s %s: status %d (%q), want 200", file, r.Method, delivery, a.status, a.body)
					}
					if n := len(s.got()); n != i+1 {
						t.Fatalf("%s, after the %s: %d events dispatched, want %d", file, delivery, n, i+1)
					}
				}
			}
			wantEvents(t, s.got(), callbacks...)
		})
	}
}

// Every recipe refuses, with 403 and without dispatching, a callback whose
// signature is forged, missing, or made for another URL, on POST and GET.
func TestRecipesRefuseForgedCallbacks(t *testing.T) {
	forgeries := []struct {
		name        string
		callbackURL string // the URL signed, after the public host
		authToken   string
	}{
		{"signed with another token", "", "a guessed token"},
		{"unsigned", "", ""},
		{"signed for another URL", "/elsewhere", token},
	}
	for _, rc := range recipes {
		t.Run(rc.name, func(t *testing.T) {
			s := new(sink)
			base := start(t, func(string) http.Handler { return rc.mount(public+rc.path, s) })
			for _, f := range forgeries {
				path := rc.path
				if f.callbackURL != "" {
					path = f.callbackURL
				}
				for _, file := range []string{"enter-live.http", "enter-get.http"} {
					r := signed(t, file, public+path, f.authToken)
					r.URL.Path = rc.path // delivered to the route all the same
					if a := deliver(t, r, base, false); a.status != http.StatusForbidden {
						t.Errorf("%s, %s %s: status %d (%q), want 403", f.name, file, r.Method, a.status, a.body)
					}
				}
			}
			if got := s.got(); len(got) != 0 {
				t.Errorf("dispatched %d forged callbacks", len(got))
			}
		})
	}
}
