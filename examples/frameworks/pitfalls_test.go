package frameworks_test

import (
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	chimiddleware "github.com/go-chi/chi/v5/middleware"
	"github.com/labstack/echo/v4"
	echomiddleware "github.com/labstack/echo/v4/middleware"

	"github.com/vobizhook/vobizhook"
	"github.com/vobizhook/vobizhook/examples/frameworks"
)

// A route restricted to POST loses every callback of a <Conference
// callbackMethod="GET">: the router answers it without calling the Handler,
// and Vobiz retries, then gives up. POST still works, which is why the
// mistake goes unnoticed.
func TestMethodRestrictedRoutesDropGETCallbacks(t *testing.T) {
	routes := []struct {
		name    string
		mount   func(h *vobizhook.Handler) http.Handler
		wantGET int
	}{
		{"net/http POST pattern", func(h *vobizhook.Handler) http.Handler {
			mux := http.NewServeMux()
			mux.Handle("POST /conference-events", h)
			return mux
		}, http.StatusMethodNotAllowed},
		{"chi r.Post", func(h *vobizhook.Handler) http.Handler {
			r := chi.NewRouter()
			r.Post("/conference-events", h.ServeHTTP)
			return r
		}, http.StatusMethodNotAllowed},
		{"gin r.POST", func(h *vobizhook.Handler) http.Handler {
			r := gin.New()
			r.POST("/conference-events", gin.WrapH(h))
			return r
		}, http.StatusNotFound}, // gin's HandleMethodNotAllowed is off by default
		{"echo e.POST", func(h *vobizhook.Handler) http.Handler {
			e := echo.New()
			e.POST("/conference-events", echo.WrapHandler(h))
			return e
		}, http.StatusMethodNotAllowed},
	}
	const callbackURL = public + "/conference-events"
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			s := new(sink)
			base := start(t, func(string) http.Handler { return rt.mount(newHandler(callbackURL, s)) })
			if a := deliver(t, signed(t, "enter-live.http", callbackURL, token), base, false); a.status != http.StatusOK {
				t.Fatalf("POST: status %d (%q), want 200", a.status, a.body)
			}
			if a := deliver(t, signed(t, "enter-get.http", callbackURL, token), base, false); a.status != rt.wantGET {
				t.Errorf("GET: status %d (%q), want %d", a.status, a.body, rt.wantGET)
			}
			wantEvents(t, s.got(), "enter-live.http") // the GET never reached the Handler
		})
	}
}

// Without Verifier.CallbackURL, the URL is rebuilt from the request as
// received (r.RequestURI): http.StripPrefix and routing-only rewrites keep
// it, while a middleware that rewrites the request URI, or a redirect, makes
// it differ from the URL Vobiz signed, and every callback is refused.
// Setting CallbackURL to the URL Vobiz calls fixes both.
func TestTrailingSlashAndPrefixWithoutCallbackURL(t *testing.T) {
	cases := []struct {
		name      string
		path      string // the callbackUrl's path, as Vobiz calls and signs it
		mount     func(h *vobizhook.Handler) http.Handler
		follow    bool // the client follows redirects
		want      int  // without CallbackURL
		wantFixed int  // with CallbackURL set to the URL Vobiz calls
	}{
		{"net/http", "/conference-events", func(h *vobizhook.Handler) http.Handler { return frameworks.ServeMux(h) }, false, 200, 200},
		{"http.StripPrefix", "/vobiz/conference-events", func(h *vobizhook.Handler) http.Handler { return frameworks.StripPrefix(h) }, false, 200, 200},
		{"chi StripSlashes (routing only)", "/conference-events/", func(h *vobizhook.Handler) http.Handler {
			r := chi.NewRouter()
			r.Use(chimiddleware.StripSlashes)
			r.Handle("/conference-events", h)
			return r
		}, false, 200, 200},
		{"echo RemoveTrailingSlash (rewrites the URI)", "/conference-events/", func(h *vobizhook.Handler) http.Handler {
			e := frameworks.Echo(h)
			e.Pre(echomiddleware.RemoveTrailingSlash())
			return e
		}, false, 403, 200},
		{"gin RedirectTrailingSlash, redirect followed", "/conference-events/", func(h *vobizhook.Handler) http.Handler { return frameworks.Gin(h) }, true, 403, 200},
	}
	for _, tc := range cases {
		for _, fixed := range []bool{false, true} {
			name, want := tc.name+", no CallbackURL", tc.want
			if fixed {
				name, want = tc.name+", CallbackURL set", tc.wantFixed
			}
			t.Run(name, func(t *testing.T) {
				s := new(sink)
				var callbackURL string
				base := start(t, func(base string) http.Handler {
					callbackURL = base + tc.path
					if fixed {
						return tc.mount(newHandler(callbackURL, s))
					}
					return tc.mount(newHandler("", s))
				})
				var files []string
				for _, file := range []string{"enter-live.http", "enter-get.http"} {
					a := deliver(t, signed(t, file, callbackURL, token), base, tc.follow)
					if a.status != want {
						t.Errorf("%s: status %d (%q), want %d", file, a.status, a.body, want)
					}
					if want == http.StatusOK {
						files = append(files, file)
					}
				}
				wantEvents(t, s.got(), files...)
			})
		}
	}
}

// gin's RedirectTrailingSlash answers a callback to /conference-events/
// with a redirect to the route without the slash (301 for GET, 307 for
// POST) instead of delivering it. Vobiz does not document whether it follows
// redirects; one that does not takes it as a failure and retries, to no
// avail. Register the route exactly as the callbackUrl is written.
func TestGinTrailingSlashRedirectIsNoDelivery(t *testing.T) {
	s := new(sink)
	base := start(t, func(string) http.Handler { return frameworks.Gin(newHandler(public+"/conference-events/", s)) })
	for file, want := range map[string]int{"enter-live.http": http.StatusTemporaryRedirect, "enter-get.http": http.StatusMovedPermanently} {
		a := deliver(t, signed(t, file, public+"/conference-events/", token), base, false)
		if a.status != want || a.header.Get("Location") == "" {
			t.Errorf("%s: status %d, Location %q; want %d to /conference-events", file, a.status, a.header.Get("Location"), want)
		}
	}
	wantEvents(t, s.got())
}

// A middleware or a framework that reads the request body before the
// Handler makes it answer 500 (ErrBodyConsumed), so that Vobiz retries and
// the log says what to fix; one that puts the body back (echo's BodyDump), or
// parses it into r.PostForm (gin's and echo's form binding), is harmless.
func TestBodyReadersBeforeTheHandler(t *testing.T) {
	type form struct {
		Name string `form:"ConferenceName"`
	}
	ginBind := func(c *gin.Context) {
		var f form
		if err := c.ShouldBind(&f); err != nil || f.Name == "" {
			c.AbortWithStatus(http.StatusTeapot) // fails the test
			return
		}
		c.Next()
	}
	drain := func(next http.Handler) http.Handler { // a request logger that forgets to put the body back
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			next.ServeHTTP(w, r)
		})
	}
	ownHandler := func(s *sink) gin.HandlerFunc {
		v := &vobizhook.Verifier{AuthTokens: []string{token}, CallbackURL: public + "/conference-events"}
		return frameworks.GinCallbacks(v, vobizhook.NewMemoryNonceStore(0), func(c *gin.Context, ev vobizhook.ConferenceEvent) error {
			return s.record(c, ev)
		})
	}
	cases := []struct {
		name  string
		mount func(s *sink) http.Handler
		want  int
	}{
		{"echo BodyDump", func(s *sink) http.Handler {
			e := frameworks.Echo(newHandler(public+"/conference-events", s))
			e.Use(echomiddleware.BodyDump(func(echo.Context, []byte, []byte) {}))
			return e
		}, 200},
		{"echo c.Bind", func(s *sink) http.Handler {
			e := frameworks.Echo(newHandler(public+"/conference-events", s))
			e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error {
					var f form
					if err := c.Bind(&f); err != nil || f.Name == "" {
						return c.NoContent(http.StatusTeapot)
					}
					return next(c)
				}
			})
			return e
		}, 200},
		{"gin c.ShouldBind", func(s *sink) http.Handler {
			r := gin.New()
			r.Use(ginBind)
			r.Match([]string{http.MethodGet, http.MethodPost}, "/conference-events", gin.WrapH(newHandler(public+"/conference-events", s)))
			return r
		}, 200},
		{"gin c.ShouldBind, own handler", func(s *sink) http.Handler {
			r := gin.New()
			r.Use(ginBind)
			r.Match([]string{http.MethodGet, http.MethodPost}, "/conference-events", ownHandler(s))
			return r
		}, 200},
		{"body drained", func(s *sink) http.Handler {
			return drain(frameworks.ServeMux(newHandler(public+"/conference-events", s)))
		}, 500},
		{"body drained, own handler", func(s *sink) http.Handler {
			r := gin.New()
			r.Match([]string{http.MethodGet, http.MethodPost}, "/conference-events", ownHandler(s))
			return drain(r)
		}, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := new(sink)
			base := start(t, func(string) http.Handler { return tc.mount(s) })
			r := signed(t, "enter-live.http", public+"/conference-events", token)
			if a := deliver(t, r, base, false); a.status != tc.want {
				t.Fatalf("status %d (%q), want %d", a.status, a.body, tc.want)
			}
			var files []string
			if tc.want == http.StatusOK {
				files = []string{"enter-live.http"}
			}
			wantEvents(t, s.got(), files...)
		})
	}
}

// The Handler reports a drained body as ErrBodyConsumed, for its log and
// its OnOutcome hook.
func TestDrainedBodyIsErrBodyConsumed(t *testing.T) {
	s := new(sink)
	base := start(t, func(string) http.Handler {
		h := frameworks.ServeMux(newHandler(public+"/conference-events", s))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)
			h.ServeHTTP(w, r)
		})
	})
	deliver(t, signed(t, "enter-live.http", public+"/conference-events", token), base, false)
	errs := s.outcomeErrs()
	if len(errs) != 1 || !errors.Is(errs[0], vobizhook.ErrBodyConsumed) {
		t.Errorf("outcome errors %v, want one wrapping ErrBodyConsumed", errs)
	}
}
